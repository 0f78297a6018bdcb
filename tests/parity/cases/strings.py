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
]
