r"""String functions: NULL in concat, substring positions, split limits, regexp groups, LIKE escapes, padding,
formatting. (Spark string literals treat `\` as an escape: `'\\%'` is a backslash then a percent sign.)"""

# ruff: noqa: E501  (a query reads best on one line)

from tests.parity.corpus import case

CASES = [
    case("concat_with_null", "SELECT concat(NULL, 'b') AS a, concat('a', 'b', 'c') AS b, 'a' || NULL AS c"),
    case("concat_columns", "SELECT id, concat(s, '|', n) AS r FROM strs ORDER BY id"),
    case("concat_ws_skips_null", "SELECT id, concat_ws('-', s, NULL, n) AS r FROM strs ORDER BY id"),
    case("concat_ws_array", "SELECT id, concat_ws(',', sarr) AS r FROM nested ORDER BY id"),
    case(
        "substring_position_zero",
        "SELECT substring('hello', 0, 2) AS a, substring('hello', 1, 2) AS b, substr('hello', 0) AS c",
    ),
    case(
        "substring_negative",
        "SELECT substring('hello', -3) AS a, substring('hello', -3, 2) AS b, substring('hello', -10, 3) AS c, substring('hello', 2, -1) AS e",
    ),
    case("substring_columns", "SELECT id, substring(s, 2, 3) AS a, substr(s, -2) AS b FROM strs ORDER BY id"),
    case(
        "substring_unicode",
        "SELECT id, substring(s, 1, 3) AS r, length(s) AS n FROM strs WHERE id IN (4, 12) ORDER BY id",
    ),
    case("left_right", "SELECT id, left(s, 3) AS a, right(s, 3) AS b, left(s, 0) AS c FROM strs ORDER BY id"),
    case(
        "length_types",
        "SELECT id, length(s) AS a, char_length(s) AS b, octet_length(s) AS c, bit_length(s) AS e FROM strs ORDER BY id",
    ),
    case("split_trailing_empty", "SELECT split('a,b,,c,', ',') AS a, split('', ',') AS b, split(',', ',') AS c"),
    case(
        "split_limit",
        "SELECT split('a,b,,c,', ',', 2) AS a, split('a,b,,c,', ',', -1) AS b, split('a,b,,c,', ',', 0) AS c, split('a,b,,c,', ',', 1) AS e",
    ),
    case(
        "split_regex", "SELECT split('a1b22c333', '[0-9]+') AS a, split('a.b.c', '.') AS b, split('a|b', '\\\\|') AS c"
    ),
    case("split_columns", "SELECT id, split(s, ',') AS r FROM strs ORDER BY id"),
    case(
        "split_part",
        "SELECT split_part('aaa-bbb-ccc', '-', 2) AS a, split_part('aaa-bbb-ccc', '-', -1) AS b, split_part('aaa-bbb-ccc', '-', 5) AS c",
    ),
    case(
        "regexp_replace_group_refs",
        "SELECT regexp_replace('2024-01-31', '(\\\\d+)-(\\\\d+)-(\\\\d+)', '$3/$2/$1') AS r",
    ),
    case("regexp_replace_all_matches", "SELECT id, regexp_replace(s, '[aeiou]', '*') AS r FROM strs ORDER BY id"),
    case("regexp_replace_position", "SELECT regexp_replace('aaa', 'a', 'b', 2) AS r"),
    case(
        "regexp_extract",
        "SELECT id, regexp_extract(s, '([a-z]+)-([a-z]+)', 2) AS a, regexp_extract(s, 'x(y)?', 1) AS b FROM strs ORDER BY id",
    ),
    case(
        "regexp_extract_all",
        "SELECT regexp_extract_all('a1b22c333', '([0-9]+)', 1) AS a, regexp_extract_all('abc', '([0-9]+)', 1) AS b",
    ),
    case(
        "regexp_like_rlike",
        "SELECT id, s RLIKE '^[a-z]+$' AS a, regexp_like(s, 'e') AS b, s REGEXP '\\\\d' AS c FROM strs ORDER BY id",
    ),
    case(
        "regexp_count_instr",
        "SELECT regexp_count('a1b22c333', '[0-9]') AS a, regexp_instr('a1b22', '[0-9]+') AS b, regexp_substr('a1b22', '[0-9]{2}') AS c",
    ),
    case("like_escaped_percent", "SELECT id, s LIKE '%\\\\%%' AS r FROM strs ORDER BY id"),
    case("like_escaped_underscore", "SELECT id, s LIKE '%\\\\_%' AS r FROM strs ORDER BY id"),
    case("like_escape_clause", "SELECT id, s LIKE '%!%%' ESCAPE '!' AS r FROM strs ORDER BY id"),
    case("like_backslash", "SELECT id, s LIKE '%\\\\\\\\%' AS r FROM strs ORDER BY id"),
    case("like_underscore_unicode", "SELECT id, s LIKE '_nïcödé%' AS a, s ILIKE 'mixed%' AS b FROM strs ORDER BY id"),
    case(
        "like_any_all", "SELECT id, s LIKE ANY ('h%', '%e') AS a, s LIKE ALL ('%a%', '%b%') AS b FROM strs ORDER BY id"
    ),
    case("upper_lower_initcap", "SELECT id, upper(s) AS a, lower(s) AS b, initcap(s) AS c FROM strs ORDER BY id"),
    case("trim_family", "SELECT id, trim(s) AS a, ltrim(s) AS b, rtrim(s) AS c, btrim(s) AS e FROM strs ORDER BY id"),
    case(
        "trim_characters",
        "SELECT trim(BOTH 'x' FROM 'xxhixx') AS a, trim(LEADING 'x' FROM 'xxhixx') AS b, btrim('xyhiyx', 'xy') AS c, ltrim('xxhi', 'x') AS e",
    ),
    case("lpad_rpad", "SELECT id, lpad(s, 8, '*') AS a, rpad(s, 8, '-=') AS b, lpad(s, 2) AS c FROM strs ORDER BY id"),
    case("lpad_empty_pad", "SELECT lpad('ab', 5, '') AS a, rpad('ab', -1, 'x') AS b"),
    case("format_number", "SELECT id, format_number(d, 2) AS a, format_number(amt, 0) AS b FROM nums ORDER BY id"),
    case(
        "format_number_pattern",
        "SELECT format_number(1234567.891, '#,###.#') AS a, format_number(-0.5, 0) AS b, format_number(1234.5, 4) AS c",
    ),
    case("format_string", "SELECT format_string('%05d|%s|%.3f', 42, 'x', 3.14159D) AS a, printf('%10s|', 'ab') AS b"),
    case(
        "instr_locate_position",
        "SELECT id, instr(s, 'a') AS a, locate('a', s) AS b, locate('a', s, 3) AS c, position('l' IN s) AS e FROM strs ORDER BY id",
    ),
    case(
        "replace_translate",
        "SELECT id, replace(s, 'a', 'AA') AS a, translate(s, 'abc', 'x') AS b, replace(s, '') AS c FROM strs ORDER BY id",
    ),
    case("repeat_reverse", "SELECT id, repeat(n, 2) AS a, reverse(s) AS b FROM strs ORDER BY id"),
    case("ascii_chr", "SELECT ascii('A') AS a, ascii('') AS b, chr(65) AS c, char(256 + 66) AS e, ascii('Ü') AS f"),
    case(
        "contains_startswith",
        "SELECT id, contains(s, 'a') AS a, startswith(s, 'h') AS b, endswith(s, 'e') AS c FROM strs ORDER BY id",
    ),
    case("string_compare_case", "SELECT id, s < 'b' AS a, lower(s) = 'mixed case' AS b FROM strs ORDER BY id"),
    case("to_number_try", "SELECT try_to_number('$1,234.50', '$9,999.99') AS a, to_number('-12', 'S99') AS b"),
    case(
        "base64_unbase64",
        "SELECT id, base64(cast(s AS BINARY)) AS a, cast(unbase64(base64(cast(s AS BINARY))) AS STRING) AS b FROM strs ORDER BY id",
    ),
    case("hex_unhex", "SELECT hex(255) AS a, hex('ab') AS b, unhex('4142') AS c, hex(-1L) AS e"),
    case(
        "soundex_levenshtein",
        "SELECT soundex('Robert') AS a, levenshtein('kitten', 'sitting') AS b, levenshtein('', 'abc') AS c",
    ),
    case("str_to_map", "SELECT str_to_map('a:1,b:2') AS a, str_to_map('k=v;x=y', ';', '=') AS b"),
    case(
        "overlay_insert",
        "SELECT overlay('Spark SQL' PLACING '_' FROM 6) AS a, overlay('Spark SQL' PLACING 'CORE' FROM 7 FOR 0) AS b",
    ),
    case("elt_field", "SELECT elt(2, 'a', 'b', 'c') AS a, elt(4, 'a', 'b') AS b"),
    case("sentences_words", "SELECT sentences('Hi there! Good morning.') AS r"),
    case("mask", "SELECT mask('AbCD123-@$#') AS a, mask('AbCD123', 'Q', 'q', 'd') AS b"),
    case("collate_lower_eq", "SELECT count(*) AS n FROM strs WHERE lower(s) = lower('HELLO')"),
    case(
        "string_agg_order",
        "SELECT grp, string_agg(cast(id AS STRING), ',') WITHIN GROUP (ORDER BY id) AS ids FROM nums GROUP BY grp",
    ),
    case("uuid_shape", "SELECT length(uuid()) AS n"),
    # -- edge cases of each function (prefix text_) ------------------------------------------------------------
    case(
        "text_concat_types",
        "SELECT concat('a', 1, true, 2.50, cast(NULL AS INT)) AS a, concat('x', 7L, cast('2024-02-29' AS DATE)) AS b, concat(s, id) AS d FROM strs WHERE id < 4 ORDER BY id",
    ),
    case(
        "text_concat_binary",
        "SELECT concat(X'61', X'62') AS a, X'61' || X'62' AS b, concat(X'61', NULL) AS c, concat(X'61', 'b') AS d",
    ),
    case("text_pipes_null", "SELECT 'x' || 'y' || NULL AS c, NULL || 'a' AS d, 'a' || 1 AS e, 1 || 2 AS f"),
    case(
        "text_doubled_quote", "SELECT 'it''s' AS a, 'a' 'b' AS b", note="Spark 4 reads '' inside a literal as a quote"
    ),
    case(
        "text_concat_ws_edges",
        "SELECT concat_ws(NULL, 'a') AS a, concat_ws('', 'a', 'b') AS b, concat_ws(',') AS c, concat_ws(',', array('a', NULL, 'b'), 'c', array()) AS d, concat_ws('😀', 'x', NULL, 'y') AS e",
    ),
    case("text_concat_ws_numbers", "SELECT id, concat_ws('|', id, s, n) AS r FROM strs ORDER BY id"),
    case(
        "text_substring_limits",
        "SELECT substring('hello', 2147483647, 5) AS a, substring('hello', -2147483648, 5) AS b, substring('hello', 3, 2147483647) AS c, substring('hello', NULL, 1) AS d, substring('hello', 1, NULL) AS e, substr(NULL, 1) AS f, substring('😀é', 2) AS g, substring('hello' FROM 2 FOR 3) AS h",
    ),
    case(
        "text_substring_columns_negative",
        "SELECT id, substring(s, 0) AS a, substring(s, -100, 102) AS b, substr(s, -3, 2) AS c, substring(s, 3) AS d FROM strs ORDER BY id",
    ),
    case(
        "text_substring_binary",
        "SELECT substring(X'0102030405', 2, 2) AS a, substr(X'0102', -1) AS b, substring(X'01', 5) AS c, substring(X'0102030405', 0, 2) AS d",
    ),
    case(
        "text_left_right_edges",
        "SELECT left('hello', -1) AS a, right('hello', -1) AS b, right('hello', 10) AS c, left(NULL, 2) AS d, left('abc', NULL) AS e, left('😀 emoji', 1) AS f, right('😀 emoji', 7) AS g, right(NULL, 1) AS h",
    ),
    case(
        "text_length_edges",
        "SELECT length(decode(X'65CC81', 'UTF-8')) AS a, length(X'00FF') AS b, length(123) AS c, char_length(NULL) AS d, character_length('😀😀') AS e, len('') AS f, octet_length(X'0102') AS g, bit_length(X'01') AS h, octet_length('😀') AS i",
    ),
    case(
        "text_case_specials",
        "SELECT upper('ß straße ﬁ ǰ') AS a, lower('ΟΔΟΣ ΟΔΟΣ. ΣΑΣ ΑΣ1 Α\\'Σ İ') AS b, initcap('ǆemal ßen ნიკო xǅ') AS c, lower('ΣΣ ΑΣΣ Σ ΑΣ.Α ΑΣ\\' ΑΣ_') AS d, initcap('ΑΣ ΟΔΟΣ ǈ') AS e, upper('ᾀ ΐ ﬀ ŉ') AS f, ucase('a') AS g, lcase('A') AS h",
    ),
    case(
        "text_initcap_words",
        "SELECT initcap('hELLO wORLD') AS a, initcap('  two  spaces ') AS b, initcap('a.b c_d e-f g\th') AS c, initcap('') AS d, initcap(NULL) AS e, initcap('123abc ABC') AS f, initcap('ÉCOLE école') AS g",
    ),
    case(
        "text_locate_edges",
        "SELECT locate('a', 'banana', 0) AS a, locate('a', 'banana', -1) AS b, locate('a', 'banana', NULL) AS c, locate('', 'abc', 2) AS d, locate('', 'abc', 10) AS e, instr('', '') AS f, locate('a', 'banana', 10) AS g, position('' IN '') AS h, locate(NULL, 'a') AS i, locate('😀', 'x😀y😀', 3) AS j, position('a', 'banana', 3) AS k, locate(NULL, 'a', NULL) AS l, instr('banana', 'ana') AS m, instr(NULL, 'a') AS n",
    ),
    case(
        "text_pad_edges",
        "SELECT lpad('hello', 2, '*') AS a, rpad('ab', 5, '') AS b, lpad('ab', 0, 'x') AS c, lpad('ab', NULL, 'x') AS d, lpad('ab', 3, NULL) AS e, rpad('😀', 3, 'é') AS f, lpad('abc', 5, 'xy') AS g, rpad('abc', 8, 'xyz') AS h, rpad(NULL, 2) AS i, lpad('', 3, 'ab') AS j",
    ),
    case(
        "text_pad_columns",
        "SELECT id, lpad(s, 12, '😀') AS a, rpad(s, 3, 'é') AS b, rpad(n, 4) AS c FROM strs ORDER BY id",
    ),
    case(
        "text_trim_edges",
        "SELECT trim('  a  ') AS a, trim(BOTH FROM '  a ') AS b, trim(LEADING FROM '  a ') AS c, trim(TRAILING 'xy' FROM 'axyyx') AS d, trim('xy' FROM 'xyaxy') AS e, btrim('  a  ') AS f, btrim('xyaxy', NULL) AS g, ltrim(NULL) AS h, trim(BOTH '😀' FROM '😀a😀') AS i, rtrim('a', 'xxaxx') AS j, trim(concat(chr(9), ' a ', chr(10))) AS k",
    ),
    case(
        "text_replace_translate_edges",
        "SELECT replace('aaa', 'aa', 'b') AS a, replace('abc', 'b', NULL) AS b, replace(NULL, 'a', 'b') AS c, replace('abc', '') AS d, translate('abcabc', 'abc', 'x') AS e, translate('abc', 'aa', 'xy') AS f, translate('abc', '', 'x') AS g, translate('a😀b', '😀', 'é') AS h, translate('abc', 'a', NULL) AS i, replace('😀😀', '😀', '-') AS j, translate('abc', 'ab', 'xyz') AS k",
    ),
    case(
        "text_repeat_space",
        "SELECT repeat('ab', -1) AS a, repeat('ab', 0) AS b, repeat('', 5) AS c, repeat(NULL, 2) AS d, repeat('ab', NULL) AS e, space(-1) AS f, space(3) AS g, space(0) AS h, repeat('é', 3) AS i, repeat(12, 2) AS j",
    ),
    case(
        "text_reverse_edges",
        "SELECT reverse('') AS a, reverse(cast(NULL AS STRING)) AS b, reverse(decode(X'65CC8178', 'UTF-8')) AS c, reverse('😀ab') AS d, reverse(123) AS e",
    ),
    case(
        "text_split_part_edges",
        "SELECT split_part('a,,b', ',', 2) AS a, split_part('abc', '', 1) AS b, split_part('abc', '', 2) AS c, split_part('a,b', ',', -3) AS d, split_part('', ',', 1) AS e, split_part(NULL, ',', 1) AS f, split_part('a.b', '.', 2) AS g, split_part('a||b', '||', 2) AS h, split_part('a,b,c', ',', -1) AS i, split_part('a,b', NULL, 1) AS j",
    ),
    case("text_split_part_zero", "SELECT split_part('a,b', ',', 0) AS a"),
    case(
        "text_split_part_zero_non_ansi",
        "SELECT split_part('a,b', ',', 0) AS a",
        settings={"spark.sql.ansi.enabled": "false"},
    ),
    case(
        "text_substring_index",
        "SELECT substring_index('www.apache.org', '.', 2) AS a, substring_index('www.apache.org', '.', -2) AS b, substring_index('www.apache.org', '.', 0) AS c, substring_index('www.apache.org', '', 1) AS d, substring_index('a..b', '..', 1) AS e, substring_index('aaa', 'aa', -1) AS f, substring_index('abc', 'x', 1) AS g, substring_index('abc', 'x', -1) AS h, substring_index('aaaa', 'aa', 2) AS i, substring_index('aaaa', 'aa', -2) AS j, substring_index('😀.é.x', '.', -1) AS k, substring_index(NULL, '.', 1) AS l",
    ),
    case(
        "text_substring_index_columns",
        "SELECT id, substring_index(s, ',', 2) AS a, substring_index(s, 'b', -1) AS b FROM strs ORDER BY id",
    ),
    case(
        "text_ascii_chr",
        "SELECT chr(-1) AS a, chr(0) AS b, chr(256) AS c, chr(NULL) AS d, char(97.9) AS e, ascii(NULL) AS f, ascii('😀') AS g, chr(2147483648) AS h, ascii(5) AS i, chr(233) AS j, ascii('ab') AS k",
    ),
    case(
        "text_find_in_set",
        "SELECT find_in_set('b', 'a,b,c') AS a, find_in_set('x', 'a,b') AS b, find_in_set('a,b', 'a,b') AS c, find_in_set('', 'a,,b') AS d, find_in_set('', '') AS e, find_in_set(NULL, 'a') AS f, find_in_set('b', 'a,b,b') AS g, find_in_set('a', NULL) AS h, find_in_set('é', 'x,é') AS i",
    ),
    case(
        "text_overlay_edges",
        "SELECT overlay('Spark SQL' PLACING 'ANSI ' FROM 7 FOR 0) AS a, overlay('Spark SQL' PLACING 'tructured' FROM 2 FOR 4) AS b, overlay('abc' PLACING 'X' FROM 0) AS c, overlay('abc' PLACING 'X' FROM -1) AS d, overlay('abc' PLACING 'XY' FROM 2 FOR -1) AS e, overlay('abc' PLACING 'X' FROM 10) AS f, overlay('😀b' PLACING 'X' FROM 1) AS g, overlay('abc' PLACING NULL FROM 1) AS h, overlay('abcdef', 'XY', 3, 2) AS i",
    ),
    case(
        "text_levenshtein_threshold",
        "SELECT levenshtein('kitten', 'sitting', 2) AS a, levenshtein('kitten', 'sitting', 3) AS b, levenshtein('é😀', 'e') AS c, levenshtein(NULL, 'a') AS d, levenshtein('a', 'b', -1) AS e, levenshtein('abc', 'abc', 0) AS f, levenshtein('', '') AS g",
    ),
    case(
        "text_soundex",
        "SELECT soundex('') AS a, soundex('123') AS b, soundex('Ashcraft') AS c, soundex('Tymczak') AS d, soundex('Pfister') AS e, soundex('Ünï') AS f, soundex('a') AS g, soundex('Robert1') AS h, soundex('ROBERT') AS i, soundex('Lloyd') AS j, soundex('Honeyman') AS k, soundex(NULL) AS l, soundex('Wu-Xi') AS m, soundex('bbbb') AS n, soundex('Ab1b') AS o",
    ),
    case("text_soundex_columns", "SELECT id, soundex(s) AS r FROM strs ORDER BY id"),
    case(
        "text_luhn_check",
        "SELECT luhn_check('79927398713') AS a, luhn_check('79927398710') AS b, luhn_check('') AS c, luhn_check('0') AS d, luhn_check('12a') AS e, luhn_check(NULL) AS f, luhn_check(' 79927398713') AS g, luhn_check('00') AS h, luhn_check('-1') AS i, luhn_check('4111111111111111') AS j, luhn_check('18') AS k",
    ),
    case(
        "text_mask_edges",
        "SELECT mask('AbCD123-@$#', NULL, NULL, NULL, '*') AS a, mask('ÜüΣσ٣😀', 'X', 'x', 'n', 'o') AS b, mask(NULL) AS c, mask('ab', 'Z', NULL) AS d, mask('Ⅰⓐªʰ') AS e, mask('aB1', 'é', '😀', '#') AS f",
    ),
    case("text_mask_columns", "SELECT id, mask(s) AS a, mask(n, 'U', 'l', '9', '_') AS b FROM strs ORDER BY id"),
    case(
        "text_quote",
        "SELECT quote('a\\'b') AS a, quote(NULL) AS b, quote('\\\\') AS c, quote('') AS d, quote(s) AS e FROM strs WHERE id = 8",
    ),
    case(
        "text_url_encode_decode",
        "SELECT url_encode('a b&c=d/é~*-._') AS a, url_decode('a+b%26c%3D%2F%C3%A9') AS b, try_url_decode('%zz') AS c, url_decode(NULL) AS d, url_encode('') AS e, try_url_decode('%4') AS f, url_decode('%41%42') AS g, url_encode('😀') AS h, try_url_decode('%') AS i, url_decode('%2b+') AS j",
    ),
    case("text_url_decode_invalid", "SELECT url_decode('%zz') AS a"),
    case(
        "text_base64_edges",
        "SELECT base64(repeat('a', 100)) AS a, unbase64('aGVsbG8') AS b, unbase64('aGVs bG8=') AS c, unbase64('!!!') AS d, unbase64('aGVsbG8==') AS e, unbase64('') AS f, unbase64('YQ') AS g, base64(X'') AS h, base64('é') AS i, unbase64(NULL) AS j, base64(repeat('xyz', 19)) AS k",
    ),
    case("text_unbase64_wrong_ending", "SELECT unbase64('YQ=') AS a"),
    case("text_unbase64_last_unit", "SELECT unbase64('a') AS a"),
    case("text_unbase64_leading_pad", "SELECT unbase64('=YQ') AS a"),
    case(
        "text_hex_edges",
        "SELECT hex(cast(-1 AS INT)) AS a, hex(1.5D) AS b, hex(cast(NULL AS STRING)) AS c, hex('é') AS d, unhex('abc') AS e, unhex('zz') AS f, unhex('') AS g, hex(X'') AS h, hex(0) AS i, hex(cast(-128 AS TINYINT)) AS j, unhex(NULL) AS k, hex(9223372036854775807L) AS l",
    ),
    case(
        "text_encode_decode",
        "SELECT encode('é', 'utf-8') AS a, decode(encode('é', 'UTF-8'), 'utf-8') AS b, decode(X'41', 'UTF-8') AS c, encode(NULL, 'utf-8') AS d, decode(cast(NULL AS BINARY), 'utf-8') AS e",
    ),
    case("text_decode_malformed", "SELECT decode(X'FF', 'UTF-8') AS a"),
    case("text_encode_latin1", "SELECT encode(s, 'ISO-8859-1') AS a FROM strs"),
    case(
        "text_to_binary",
        "SELECT to_binary('abc') AS a, to_binary('616', 'hex') AS b, to_binary('YWJj', 'base64') AS c, to_binary('abc', 'utf-8') AS d, try_to_binary('zz', 'hex') AS e, to_binary('YW Jj', 'base64') AS f, try_to_binary('a', 'base64') AS g, to_binary(NULL) AS h, to_binary('ABCDEF', 'HEX') AS i, to_binary('é', 'utf8') AS j",
    ),
    case("text_to_binary_bad_hex", "SELECT to_binary('zz', 'hex') AS a"),
    case(
        "text_elt_non_ansi",
        "SELECT elt(4, 'a', 'b') AS a, elt(0, 'a') AS b, elt(-1, 'a') AS c, elt(NULL, 'a') AS d, elt(1, NULL, 'b') AS e, elt(2, 1, 2) AS f",
        settings={"spark.sql.ansi.enabled": "false"},
    ),
    case("text_elt_columns", "SELECT id, elt(1 + id % 3, s, n, 'z') AS r FROM strs ORDER BY id"),
    case("text_collation", "SELECT collation('a') AS a, collation(s) AS b FROM strs WHERE id = 1"),
    case(
        "text_utf8_checks",
        "SELECT id, is_valid_utf8(s) AS a, make_valid_utf8(s) AS b, validate_utf8(s) AS c, try_validate_utf8(s) AS d FROM strs ORDER BY id",
    ),
    case(
        "text_jaro_winkler",
        "SELECT jaro_winkler_similarity('martha', 'marhta') AS a, jaro_winkler_similarity('', '') AS b, jaro_winkler_similarity('abc', '') AS c, jaro_winkler_similarity('DIXON', 'DICKSONX') AS d, jaro_winkler_similarity(NULL, 'a') AS e, jaro_winkler_similarity('Zoë', 'Zoe') AS f, jaro_winkler_similarity('abcd', 'abcd') AS g, jaro_winkler_similarity('ab', 'ba') AS h",
    ),
    case(
        "text_contains_edges",
        "SELECT contains('abc', '') AS a, startswith('', '') AS b, endswith('abc', NULL) AS c, contains(NULL, 'a') AS d, startswith('😀a', '😀') AS e, endswith('aé', 'é') AS f, startswith(X'0102', X'01') AS g, endswith(X'0102', X'03') AS h",
    ),
    case("text_concat_no_arguments", "SELECT concat() AS c"),
    # -- LIKE, RLIKE and the regexp family (Java's regular expressions) ----------------------------------------
    case(
        "text_like_edges",
        "SELECT 'a_b' LIKE 'a!_b' ESCAPE '!' AS a, 'a!b' LIKE 'a!!b' ESCAPE '!' AS b, 'a' || chr(10) || 'b' LIKE 'a_b' AS c, '😀' LIKE '_' AS d, 'ab' LIKE 'a%%b' AS e, like('abc', 'a%') AS f, 'a%' LIKE 'a\\\\%' ESCAPE '\\\\' AS g, 'a\\\\' LIKE 'a\\\\\\\\' AS h, NULL LIKE 'a' AS i, 'a' LIKE NULL AS j, '' LIKE '%' AS k, '' LIKE '_' AS l",
    ),
    case("text_like_invalid_escape", "SELECT id, s LIKE 'a\\\\b' AS r FROM strs ORDER BY id"),
    case("text_like_escape_at_end", "SELECT s LIKE 'a\\\\' AS r FROM strs WHERE id = 1"),
    case("text_like_invalid_escape_null_row", "SELECT s LIKE 'a\\\\b' AS r FROM strs WHERE id = 3"),
    case(
        "text_like_column_pattern",
        "SELECT id, s LIKE concat('%', n, '%') AS a, 'x' || s LIKE concat('x', s) AS b FROM strs ORDER BY id",
    ),
    case(
        "text_ilike_unicode",
        "SELECT 'ß' ILIKE 'SS' AS a, 'İ' ILIKE 'i̇' AS b, 'ΑΣ' ILIKE 'ας' AS c, 'ÉCOLE' ILIKE 'école' AS d, 'Straße' ILIKE 'STRASSE' AS e, s NOT ILIKE '%E%' AS f FROM strs WHERE id = 9",
    ),
    case(
        "text_like_any_all_negated",
        "SELECT id, s NOT LIKE ANY ('h%', '%e') AS a, s NOT LIKE ALL ('%a%', '%b%') AS b, s LIKE ANY ('x%', NULL) AS c, s LIKE ALL ('%', NULL) AS d, s ILIKE ANY ('H%', '%CASE') AS e FROM strs ORDER BY id",
    ),
    case(
        "text_rlike_java_dollar",
        "SELECT 'abc' || chr(10) RLIKE 'c$' AS a, 'abc' || chr(13) || chr(10) RLIKE '^abc$' AS b, 'abc' || chr(10) || chr(10) RLIKE 'c$' AS c, 'a' || chr(10) || 'b' RLIKE 'a.b' AS d, 'a' || chr(13) || 'b' RLIKE 'a.b' AS e, 'x' || chr(11) || 'y' RLIKE 'x\\\\sy' AS f, 'abc' || chr(10) RLIKE 'c\\\\Z' AS g, 'abc' || chr(10) RLIKE 'c\\\\z' AS h, 'a' || chr(10) || 'b' RLIKE '(?s)a.b' AS i",
    ),
    case(
        "text_rlike_flags_classes",
        "SELECT 'Ü' RLIKE '(?i)ü' AS a, 'B' RLIKE '(?i)[a-c]' AS b, 'B' RLIKE '(?i)[^b]' AS c, 'ab' RLIKE 'a(?i:B)' AS d, 'aB' RLIKE '(?i)a(?-i)B' AS e, 'ab' RLIKE '(?x) a b # c' AS f, 'Σ' RLIKE '\\\\p{Lu}' AS g, 'σ' RLIKE '\\\\p{IsGreek}' AS h, 'é' RLIKE '\\\\p{Lower}' AS i, 'a' RLIKE '[[:alpha:]]' AS j, ':' RLIKE '[[:alpha:]]' AS k, 'é' RLIKE '\\\\w' AS l, 'aé' RLIKE 'a\\\\b' AS m, '😀' RLIKE '^.$' AS n, 'a]' RLIKE '[]a]' AS o, 'a.b' RLIKE '\\\\Qa.b\\\\E' AS p, 'axb' RLIKE '\\\\Qa.b\\\\E' AS q",
    ),
    case(
        "text_rlike_escapes",
        "SELECT 'é' RLIKE '\\\\x{e9}' AS a, 'é' RLIKE '\\\\u00e9' AS b, 'A' RLIKE '\\\\0101' AS c, 'A' RLIKE '\\\\x41' AS d, chr(1) RLIKE '\\\\cA' AS e, 'a' || chr(13) || chr(10) RLIKE 'a\\\\R' AS f, ' ' RLIKE '\\\\h' AS g, chr(12) RLIKE '\\\\v' AS h, 'ab' RLIKE 'a{1,2}?b' AS i, 'tab' || chr(9) RLIKE '\\\\t$' AS j",
    ),
    case(
        "text_rlike_columns",
        "SELECT id, s RLIKE '\\\\d+' AS a, s RLIKE '^\\\\S+$' AS b, s REGEXP '(?i)^[a-z ]+$' AS c, regexp(s, '\\\\p{So}') AS d, s NOT RLIKE 'a' AS e FROM strs ORDER BY id",
    ),
    case("text_rlike_lookahead", "SELECT 'abc' RLIKE 'a(?=b)' AS r"),
    case("text_rlike_backreference", "SELECT 'aa' RLIKE '(a)\\\\1' AS r"),
    case("text_rlike_invalid", "SELECT id, s RLIKE '(' AS r FROM strs ORDER BY id"),
    case(
        "text_rlike_null_pattern",
        "SELECT s RLIKE NULL AS a, regexp_replace(s, NULL, 'x') AS b, regexp_extract(s, NULL, 0) AS c, split(s, NULL) AS d FROM strs WHERE id = 1",
    ),
    case(
        "text_regexp_replace_java",
        "SELECT regexp_replace('abc', 'b', '$0$0') AS a, regexp_replace('abc', 'b', '\\\\$') AS b, regexp_replace('abc', '(b)', '[$1]') AS c, regexp_replace('a.c', '.', 'x') AS d, regexp_replace('abc', 'b', 'x', 4) AS e, regexp_replace('abc', 'b', 'x', 3) AS f, regexp_replace('abc', '(b)', '$11') AS g, regexp_replace('abc', '(?<n>b)', '$1$1') AS h, regexp_replace('a\\\\b', '\\\\\\\\', '/') AS i, regexp_replace('aaa', '^a', 'b') AS j, regexp_replace('ab cd', '\\\\b', '|') AS k",
    ),
    case(
        "text_regexp_replace_line_ends",
        "SELECT regexp_replace('a  ' || chr(10), '\\\\s+$', '') AS a, regexp_replace('abc' || chr(10), '[a-z]+$', 'X') AS b, regexp_replace('abc' || chr(13) || chr(10), 'c$', 'X') AS c, regexp_replace('abc', 'c$', 'X') AS d, regexp_replace('a b  ', '\\\\s*$', '') AS e, regexp_replace('ab' || chr(10), '$', '') AS f",
    ),
    case(
        "text_regexp_replace_positions",
        "SELECT regexp_replace('😀aa', 'a', 'b', 3) AS a, regexp_replace('😀aa', 'a', 'b', 4) AS b, regexp_replace('aaa', 'a', 'b', 10) AS c, regexp_replace('aaa', '^a', 'b', 2) AS d, regexp_replace('xaxa', '\\\\ba', 'b', 2) AS e",
    ),
    case(
        "text_regexp_replace_empty_matches",
        "SELECT regexp_replace('abc', 'x*', '-') AS a, regexp_replace('abc', '', '-') AS b, regexp_replace('abc', '^', '>') AS c, regexp_replace('abc', 'b*', '') AS d",
    ),
    case("text_regexp_replace_empty_after_match", "SELECT regexp_replace('abc', 'b*', '-') AS r"),
    case(
        "text_regexp_replace_missing_group",
        "SELECT id, regexp_replace(s, 'l', '$2') AS r FROM strs WHERE id IN (1, 2, 3) ORDER BY id",
    ),
    case(
        "text_regexp_replace_columns",
        "SELECT id, regexp_replace(s, '(\\\\w+)', '<$1>') AS a, regexp_replace(s, '\\\\s', '_') AS b, regexp_replace(s, '[^\\\\x00-\\\\x7F]', '?') AS c FROM strs ORDER BY id",
    ),
    case(
        "text_regexp_extract_edges",
        "SELECT regexp_extract('ab', 'a(x)?', 1) AS a, regexp_extract('abc', 'b', 0) AS b, regexp_extract('abc', '(?<x>b)(c)', 2) AS c, regexp_extract('abc' || chr(10), '([a-z]+)$', 1) AS d, regexp_extract('abc' || chr(10), '[a-z]+$', 0) AS e, regexp_extract('😀x', '(.)x', 1) AS f, regexp_extract(NULL, 'a', 0) AS g, regexp_extract('a1b22', '(\\\\d+)') AS h",
    ),
    case("text_regexp_extract_bad_group", "SELECT regexp_extract('abc', '(a)', 2) AS r"),
    case("text_regexp_extract_bad_group_no_match", "SELECT regexp_extract('xyz', '(a)', 2) AS r"),
    case(
        "text_regexp_extract_all_edges",
        "SELECT regexp_extract_all('abc', 'x*', 0) AS a, regexp_extract_all('abc', 'b*', 0) AS b, regexp_extract_all('a1b', '([a-z])(\\\\d)?', 2) AS c, regexp_extract_all('k1=v1;k2=v2', '(\\\\w+)=(\\\\w+)', 2) AS d, regexp_extract_all('', 'a', 0) AS e, regexp_extract_all(NULL, 'a', 0) AS f, regexp_extract_all('aaa', '^a', 0) AS g, regexp_extract_all('ab' || chr(10), 'b$', 0) AS h",
    ),
    case(
        "text_regexp_count_instr_substr",
        "SELECT regexp_count('abc', '') AS a, regexp_count('abc', 'x*') AS b, regexp_count('😀😀', '.') AS c, regexp_count(NULL, 'a') AS d, regexp_instr('abc', 'c') AS e, regexp_instr('abc', 'x') AS f, regexp_instr('abc', '(b)(c)', 2) AS g, regexp_instr('😀abc', 'b') AS h, regexp_instr('', '') AS i, regexp_substr('abc', 'x') AS j, regexp_substr('a1b22', '\\\\d+') AS k, regexp_substr('abc' || chr(10), 'c$') AS l, regexp_instr('ab' || chr(10), 'b$') AS m",
    ),
    case(
        "text_regexp_columns",
        "SELECT id, regexp_extract(s, '(\\\\w)(\\\\w*)', 2) AS a, regexp_extract_all(s, '[aeiou]', 0) AS b, regexp_count(s, '[a-z]') AS c, regexp_instr(s, '[ ,]') AS d, regexp_substr(s, '[A-Z]\\\\w*') AS e FROM strs ORDER BY id",
    ),
    case(
        "text_split_edges",
        "SELECT split('abc', '') AS a, split('', '') AS b, split('a,b', ',', 5) AS c, split('aXbXc', 'x') AS d, split('a,b,c', ',', 2) AS e, split(NULL, ',') AS f, split(',a,', ',') AS g, split('abc', '', 2) AS h, split('a1b2c3', '\\\\d', -5) AS i, split('😀,é', ',') AS j, split('a  b\tc', '\\\\s+') AS k, split('a,b', ',', NULL) AS l",
    ),
    case("text_split_empty_matches", "SELECT split('abc', 'x*') AS r"),
    case(
        "text_split_limit_columns",
        "SELECT id, split(s, '[,-]', 2) AS a, split(s, ' ', 1) AS b, split(s, 'a', 3) AS c FROM strs ORDER BY id",
    ),
    case(
        "text_trim_space_only",
        "SELECT trim('\u00a0x\u00a0') AS a, ltrim('\u3000x\u3000') AS b, rtrim(' x\u00a0 ') AS c, trim(' \u2003x ') AS d, btrim('\u00a0 x \u3000') AS e, length(trim(concat(' ', chr(11), 'x', chr(13), ' '))) AS f, trim(BOTH FROM '\u00a0 x') AS g",
        note="trim(str) strips U+0020 only: no-break and ideographic spaces, tabs and other whitespace stay",
    ),
    case(
        "text_lower_sigma_context",
        "SELECT lower('a9Σ') AS a, lower('ΣΑΣ') AS b, initcap('σας') AS c, lower('a_Σ') AS d, lower('a.Σ') AS e, lower('ae\u0301Σ') AS f, lower('aΣ9') AS g, lower('aΣ.b') AS h, lower('a ΣΣ') AS i, initcap('ΣΑΣ aΣ a9Σ') AS j, lower('a^Σ') AS k, lower('a\u00adΣ') AS l, lower('aʰΣ') AS m, lower('İΣ') AS n, lower('a:Σ:') AS o, lower('日Σ 😀Σ ßΣ ﬁΣ ıΣ') AS p, lcase('ΑΣ-Β ΑΣ%') AS q",
        note="Java's Final_Sigma: a digit or '_' between the letter and Σ gives σ; marks, ' . : and modifiers do not",
    ),
    case(
        "text_lower_sigma_other_cased",
        "SELECT lower('ªΣ') AS a, lower('ºΣ x') AS b, lower('aΣª') AS c, lower('aΣʰ') AS d, lower('Ⓐ Σ') AS e, lower('ⒶΣ') AS f, lower('ⅠΣ') AS g, lower('aΣⓐ') AS h",
        note="Other_Lowercase and Other_Uppercase letters (ª, Ⅰ, Ⓐ) are cased for Final_Sigma",
    ),
    case(
        "text_lower_sigma_columns",
        "SELECT id, lower(concat(s, 'Σ')) AS a, initcap(concat('Σ', s, 'Σ')) AS b FROM strs ORDER BY id",
    ),
    case(
        "text_regexp_replace_empty_supplementary",
        "SELECT regexp_replace('a😀b', '', '.') AS a, regexp_replace('😀', '', '') AS b, regexp_replace('😀x', '', '$0-') AS c, regexp_replace('日😀😀', '', '<>') AS d, regexp_replace('abc', '', '.') AS e, regexp_replace('', '', '.') AS f",
        note="Java matches the empty pattern between the UTF-16 halves of a pair; each half alone becomes '?'",
    ),
    case("text_regexp_replace_empty_columns", "SELECT id, regexp_replace(s, '', '|') AS r FROM strs ORDER BY id"),
    case("text_regexp_replace_empty_position", "SELECT regexp_replace('a😀b', '', '.', 2) AS r"),
]
