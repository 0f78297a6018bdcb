"""Casts and try_cast: truncation, invalid input (an ANSI error, or NULL), overflow, to and from strings."""

# ruff: noqa: E501  (a query reads best on one line)

from tests.parity.corpus import case

ANSI_OFF = {"spark.sql.ansi.enabled": "false"}

CASES = [
    case(
        "cast_double_to_int_truncates", "SELECT cast(1.5D AS INT) AS a, cast(-2.5D AS INT) AS b, cast(2.9D AS INT) AS c"
    ),
    case("cast_double_column_to_int", "SELECT id, try_cast(d AS INT) AS r FROM nums ORDER BY id"),
    case("cast_decimal_to_int", "SELECT id, cast(amt AS INT) AS r FROM nums ORDER BY id"),
    case("cast_float_to_bigint", "SELECT id, try_cast(f AS BIGINT) AS r FROM nums ORDER BY id"),
    case("try_cast_decimal_string_to_int", "SELECT try_cast('3.9' AS INT) AS a, try_cast('-3.9' AS INT) AS b"),
    case("try_cast_strings_to_int", "SELECT id, n, try_cast(n AS INT) AS r FROM strs ORDER BY id"),
    case("try_cast_strings_to_bigint", "SELECT id, try_cast(n AS BIGINT) AS r FROM strs ORDER BY id"),
    case("try_cast_strings_to_double", "SELECT id, try_cast(n AS DOUBLE) AS r FROM strs ORDER BY id"),
    case("try_cast_strings_to_decimal", "SELECT id, try_cast(n AS DECIMAL(10,2)) AS r FROM strs ORDER BY id"),
    case("cast_invalid_string_to_int_raises", "SELECT cast(n AS INT) AS r FROM strs WHERE id = 7"),
    case(
        "cast_invalid_string_to_int_non_ansi", "SELECT id, cast(n AS INT) AS r FROM strs ORDER BY id", settings=ANSI_OFF
    ),
    case("cast_padded_string_to_int", "SELECT cast(n AS INT) AS r FROM strs WHERE id = 4"),
    case(
        "cast_string_to_boolean",
        "SELECT try_cast('true' AS BOOLEAN) AS a, try_cast('yes' AS BOOLEAN) AS b, try_cast('0' AS BOOLEAN) AS c, try_cast('maybe' AS BOOLEAN) AS d",
    ),
    case("cast_int_overflow_raises", "SELECT cast(l AS INT) AS r FROM limits WHERE id = 1"),
    case("cast_int_overflow_non_ansi", "SELECT id, cast(l AS INT) AS r FROM limits ORDER BY id", settings=ANSI_OFF),
    case(
        "try_cast_overflow",
        "SELECT id, try_cast(l AS INT) AS a, try_cast(i AS SMALLINT) AS b, try_cast(s AS TINYINT) AS c FROM limits ORDER BY id",
    ),
    case("cast_nan_to_int_raises", "SELECT cast(d AS INT) AS r FROM nums WHERE id = 5"),
    case(
        "cast_infinity_to_bigint_non_ansi", "SELECT id, cast(d AS BIGINT) AS r FROM nums ORDER BY id", settings=ANSI_OFF
    ),
    case("cast_ts_to_string", "SELECT id, cast(ts AS STRING) AS r FROM times ORDER BY id"),
    case("cast_ntz_to_string", "SELECT id, cast(ntz AS STRING) AS r FROM times ORDER BY id"),
    case("cast_date_to_string", "SELECT id, cast(d AS STRING) AS r FROM times ORDER BY id"),
    case("cast_double_to_string", "SELECT id, cast(d AS STRING) AS r FROM nums ORDER BY id"),
    case(
        "cast_large_double_to_string",
        "SELECT cast(1e308 AS STRING) AS a, cast(1e7D AS STRING) AS b, cast(1e-4D AS STRING) AS c, cast(123456789.0D AS STRING) AS e",
    ),
    case("cast_float_to_string", "SELECT id, cast(f AS STRING) AS r FROM nums ORDER BY id"),
    case(
        "cast_decimal_to_string", "SELECT id, cast(amt AS STRING) AS a, cast(big AS STRING) AS b FROM nums ORDER BY id"
    ),
    case("cast_bool_to_string", "SELECT cast(true AS STRING) AS a, cast(1 = 0 AS STRING) AS b"),
    case("cast_array_to_string", "SELECT id, cast(arr AS STRING) AS r FROM nested ORDER BY id"),
    case("cast_map_to_string", "SELECT id, cast(m AS STRING) AS r FROM nested ORDER BY id"),
    case("cast_struct_to_string", "SELECT id, cast(st AS STRING) AS r FROM nested ORDER BY id"),
    case("cast_string_to_date", "SELECT id, ds, try_cast(ds AS DATE) AS r FROM times ORDER BY id"),
    case("cast_string_to_timestamp", "SELECT id, ds, try_cast(ds AS TIMESTAMP) AS r FROM times ORDER BY id"),
    case("cast_invalid_date_raises", "SELECT cast(ds AS DATE) AS r FROM times WHERE id = 3"),
    case("cast_ts_to_date", "SELECT id, cast(ts AS DATE) AS r FROM times ORDER BY id"),
    case("cast_date_to_ts", "SELECT id, cast(d AS TIMESTAMP) AS r FROM times ORDER BY id"),
    case("cast_ts_to_bigint", "SELECT id, cast(ts AS BIGINT) AS r FROM times ORDER BY id"),
    case("cast_ts_to_double", "SELECT id, cast(ts AS DOUBLE) AS r FROM times ORDER BY id"),
    case(
        "cast_bigint_to_ts",
        "SELECT cast(0 AS TIMESTAMP) AS a, cast(1700000000 AS TIMESTAMP) AS b, cast(-1 AS TIMESTAMP) AS c",
    ),
    case("cast_int_to_decimal_overflow_raises", "SELECT cast(i AS DECIMAL(5,2)) AS r FROM limits WHERE id = 1"),
    case("cast_double_to_decimal_rounds", "SELECT id, try_cast(d AS DECIMAL(10,0)) AS r FROM nums ORDER BY id"),
    case("cast_decimal_scale_down_rounds", "SELECT id, cast(amt AS DECIMAL(10,1)) AS r FROM nums ORDER BY id"),
    case("cast_string_to_binary", "SELECT id, cast(s AS BINARY) AS r FROM strs ORDER BY id"),
    case("double_colon_cast", "SELECT id, n::INT AS r FROM strs WHERE id IN (1, 4, 9, 10) ORDER BY id"),
    case("cast_int_to_boolean", "SELECT id, cast(i AS BOOLEAN) AS r FROM nums ORDER BY id"),
    case(
        "cast_negative_zero_string_to_double",
        "SELECT cast('-0' AS DOUBLE) AS a, cast('-0.0' AS DOUBLE) AS b, cast('NaN' AS DOUBLE) AS c, cast('Infinity' AS DOUBLE) AS e, cast('-inf' AS DOUBLE) AS f",
    ),
    # -- text to numbers ------------------------------------------------------------------------------------------
    case(
        "cast_text_to_numbers_forms",
        "SELECT s, try_cast(s AS INT) AS i, try_cast(s AS TINYINT) AS t, try_cast(s AS DOUBLE) AS d, try_cast(s AS FLOAT) AS f, try_cast(s AS DECIMAL(5,2)) AS m, try_cast(s AS DECIMAL(38,0)) AS h FROM VALUES ('.5'), ('5.'), ('1.5d'), ('1.5F'), (' 12 '), ('\\t12\\n'), ('+.5'), ('-'), ('1e'), ('inf'), ('+Infinity'), ('-INF'), ('nan'), ('-nan'), ('-NaN'), ('1.5e400'), ('1e-400'), ('999.995'), ('-0.005'), ('127.9'), ('128'), ('1E+2'), ('12345678901234567890123456789012345678'), ('1_000'), ('0x1A'), (' 1 2'), ('') AS v(s) ORDER BY s",
    ),
    case(
        "cast_text_to_numbers_non_ansi",
        "SELECT s, cast(s AS INT) AS i, cast(s AS SMALLINT) AS t, cast(s AS BIGINT) AS b, cast(s AS DOUBLE) AS d, cast(s AS DECIMAL(5,2)) AS m FROM VALUES ('.5'), ('5.'), ('-.5'), ('3.9'), ('-3.9'), ('32768'), ('-32769.5'), ('1e3'), ('9223372036854775807.9'), ('abc'), (' +7 ') AS v(s) ORDER BY s",
        settings=ANSI_OFF,
    ),
    case("cast_invalid_text_to_double_raises", "SELECT cast(n AS DOUBLE) AS r FROM strs WHERE id = 7"),
    case("cast_text_decimal_overflow_raises", "SELECT cast('1e20' AS DECIMAL(10,2)) AS r"),
    case("cast_invalid_text_to_decimal_raises", "SELECT cast(s AS DECIMAL(10,2)) AS r FROM strs WHERE id = 1"),
    case(
        "cast_text_to_boolean_forms",
        "SELECT s, try_cast(s AS BOOLEAN) AS r FROM VALUES (' T '), ('Yes'), ('n'), ('1 '), ('0'), ('2'), ('1.0'), (''), ('TRUE'), ('off') AS v(s) ORDER BY s",
    ),
    case("cast_invalid_text_to_boolean_raises", "SELECT cast(s AS BOOLEAN) AS r FROM strs WHERE id = 1"),
    case(
        "cast_text_to_boolean_non_ansi", "SELECT id, cast(s AS BOOLEAN) AS r FROM strs ORDER BY id", settings=ANSI_OFF
    ),
    # -- numbers to numbers ---------------------------------------------------------------------------------------
    case(
        "cast_double_narrowing_non_ansi",
        "SELECT id, cast(d AS SMALLINT) AS a, cast(d AS TINYINT) AS b, cast(d AS INT) AS c, cast(f AS INT) AS e, cast(f AS BIGINT) AS g FROM nums ORDER BY id",
        settings=ANSI_OFF,
    ),
    case(
        "cast_decimal_narrowing_non_ansi",
        "SELECT id, cast(big AS INT) AS a, cast(big AS SMALLINT) AS b, cast(amt AS TINYINT) AS c, cast(big AS BIGINT) AS e FROM nums ORDER BY id",
        settings=ANSI_OFF,
    ),
    case("cast_decimal_overflow_raises", "SELECT cast(big AS INT) AS r FROM nums WHERE id = 6"),
    case("cast_integer_narrowing_raises", "SELECT cast(i AS TINYINT) AS r FROM limits WHERE id = 2"),
    case(
        "cast_integer_narrowing_non_ansi",
        "SELECT id, cast(i AS SMALLINT) AS a, cast(l AS TINYINT) AS b, cast(s AS TINYINT) AS c, cast(huge AS BIGINT) AS e FROM limits ORDER BY id",
        settings=ANSI_OFF,
    ),
    case(
        "cast_double_to_decimal_java_text",
        "SELECT try_cast(1.15D AS DECIMAL(3,1)) AS a, try_cast(0.125D AS DECIMAL(3,2)) AS b, try_cast(-2.5D AS DECIMAL(3,0)) AS c, try_cast(CAST('Infinity' AS DOUBLE) AS DECIMAL(10,2)) AS e, try_cast(1e-30D AS DECIMAL(38,37)) AS f, try_cast(CAST(0.1 AS FLOAT) AS DECIMAL(20,18)) AS g, try_cast(1e20D AS DECIMAL(38,0)) AS h",
    ),
    case(
        "cast_nan_to_decimal_is_null",
        "SELECT id, cast(d AS DECIMAL(12,2)) AS r FROM nums WHERE id IN (1, 5, 6) ORDER BY id",
    ),
    case("cast_double_to_decimal_overflow_raises", "SELECT cast(1e20D AS DECIMAL(10,2)) AS r"),
    case(
        "cast_numbers_to_boolean",
        "SELECT id, cast(d AS BOOLEAN) AS a, cast(amt AS BOOLEAN) AS b, cast(t AS BOOLEAN) AS c FROM nums ORDER BY id",
    ),
    case(
        "cast_boolean_to_numbers",
        "SELECT cast(true AS TINYINT) AS a, cast(false AS BIGINT) AS b, cast(true AS DOUBLE) AS c, cast(true AS DECIMAL(3,1)) AS e",
    ),
    case(
        "named_casts",
        "SELECT bigint('12') AS a, smallint(1.9D) AS b, tinyint('5') AS c, binary('ab') AS e, decimal('1.5') AS f, decimal(3.7D) AS g, int('7') AS h, double('1e3') AS k, string(12) AS m, boolean('yes') AS n",
    ),
    # -- numbers to text ------------------------------------------------------------------------------------------
    case(
        "cast_double_to_text_java",
        "SELECT d, cast(d AS STRING) AS r FROM VALUES (1e7D), (9999999.0D), (0.001D), (0.00099D), (1e21D), (1.0E-5D), (-0.0D), (123456789012345678D), (100D), (1.5e-323D), (1.7976931348623157e308D), (0.1D + 0.2D), (2D / 3D), (-1234.5678D) AS v(d) ORDER BY d",
    ),
    case(
        "cast_float_to_text_java",
        "SELECT f, cast(f AS STRING) AS r FROM VALUES (CAST(1e10 AS FLOAT)), (CAST(3.4028235e38 AS FLOAT)), (CAST(1.17549435E-38 AS FLOAT)), (CAST(0.1 AS FLOAT)), (CAST(1234567.0 AS FLOAT)), (CAST(12345678.0 AS FLOAT)), (CAST(-0.001 AS FLOAT)) AS v(f) ORDER BY f",
    ),
    case(
        "cast_numbers_to_text",
        "SELECT id, cast(l AS STRING) AS a, cast(huge AS STRING) AS b, cast(CAST(i AS DECIMAL(12,2)) AS STRING) AS c FROM limits ORDER BY id",
    ),
    case(
        "cast_decimal_scale_to_text",
        "SELECT cast(CAST(1e-30 AS DECIMAL(38,37)) AS STRING) AS a, cast(CAST(0 AS DECIMAL(38,37)) AS STRING) AS b, cast(CAST(-0.00000001 AS DECIMAL(20,10)) AS STRING) AS c",
    ),
    case(
        "cast_array_of_doubles_to_text",
        "SELECT cast(array(1.0D, 1e10D, NULL, -0.0D) AS STRING) AS a, cast(array('a', NULL, '') AS STRING) AS b",
    ),
    case(
        "cast_nested_to_text",
        "SELECT id, cast(map('k', arr) AS STRING) AS a, cast(array(st) AS STRING) AS b FROM nested ORDER BY id",
    ),
    case(
        "cast_timestamp_array_to_text_new_york",
        "SELECT cast(array(TIMESTAMP'2024-03-10 07:00:00Z', NULL) AS STRING) AS a, cast(array(DATE'2024-02-29') AS STRING) AS b",
        settings={"spark.sql.session.timeZone": "America/New_York"},
    ),
    # -- nested casts ---------------------------------------------------------------------------------------------
    case(
        "cast_array_elements",
        "SELECT id, cast(arr AS ARRAY<STRING>) AS a, cast(sarr AS ARRAY<INT>) AS b FROM nested ORDER BY id",
        settings=ANSI_OFF,
    ),
    case("cast_map_values", "SELECT id, cast(m AS MAP<STRING, DOUBLE>) AS r FROM nested ORDER BY id"),
    case("cast_array_element_invalid_raises", "SELECT cast(array('1', 'x') AS ARRAY<INT>) AS r"),
    # -- dates and timestamps -------------------------------------------------------------------------------------
    case(
        "cast_text_to_timestamp_forms",
        "SELECT s, try_cast(s AS TIMESTAMP) AS t, try_cast(s AS TIMESTAMP_NTZ) AS n, try_cast(s AS DATE) AS d FROM VALUES ('2024'), ('2024-1'), ('2024-01-5'), (' 2024-01-05 '), ('2024-01-05T'), ('2024-01-05Tgarbage'), ('2024-01-05 garbage'), ('2024-01-05 1'), ('2024-01-05 12:3'), ('2024-01-05 12:34:5'), ('2024-01-05 12:34:56.'), ('2024-01-05 12:34:56.1234567891'), ('2024-01-05T12:34:56Z'), ('2024-01-05 12:34:56 +01:00'), ('2024-01-05 12:34:56+0100'), ('2024-01-05 12:34:56+01'), ('2024-01-05 12:34:56 UTC'), ('2024-01-05 12:34:56UTC+1'), ('2024-01-05 12:34:56 GMT-08:00'), ('2024-01-05 12:34:56 Europe/Berlin'), ('2024-01-05 12:34:56 Foo/Bar'), ('2024-01-05 12:34:56 utc'), ('2024-01-05 12:34:56 +1:3'), ('2024-01-05 12:34:56 PST'), ('2024-01-05 12:34:56 .5'), ('2024-01-05 12:34:56.+01:00'), ('2024-01-05 12:34Z'), ('2024-01-05 24:00:00'), ('2024-01-05 12:60:00'), ('+2024-01-05'), ('02024-01-05'), ('20240105'), ('2024-13-01'), ('2024/01/05'), ('') AS v(s) ORDER BY s",
    ),
    case(
        "cast_text_to_timestamp_new_york",
        "SELECT s, try_cast(s AS TIMESTAMP) AS t FROM VALUES ('2024-03-10 02:30:00'), ('2024-11-03 01:30:00'), ('2024-11-03 01:30:00 -05:00'), ('2024-07-01'), ('2024-07-01 12:00:00 Asia/Kolkata') AS v(s) ORDER BY s",
        settings={"spark.sql.session.timeZone": "America/New_York"},
    ),
    case("cast_invalid_timestamp_raises", "SELECT cast(ds AS TIMESTAMP) AS r FROM times WHERE id = 9"),
    case(
        "cast_invalid_timestamp_non_ansi",
        "SELECT id, cast(ds AS TIMESTAMP) AS a, cast(ds AS DATE) AS b FROM times ORDER BY id",
        settings=ANSI_OFF,
    ),
    case(
        "cast_dates_and_timestamps_new_york",
        "SELECT id, cast(d AS TIMESTAMP) AS a, cast(ts AS TIMESTAMP_NTZ) AS b, cast(d AS TIMESTAMP_NTZ) AS c, cast(ntz AS DATE) AS e, cast(ntz AS STRING) AS f FROM times ORDER BY id",
        settings={"spark.sql.session.timeZone": "America/New_York"},
    ),
    case(
        "cast_timestamp_to_numbers",
        "SELECT id, cast(ts AS INT) AS a, cast(ts AS FLOAT) AS b, cast(ts AS DECIMAL(20,6)) AS c FROM times ORDER BY id",
    ),
    case("cast_timestamp_to_smallint_raises", "SELECT cast(ts AS SMALLINT) AS r FROM times WHERE id = 1"),
    case(
        "cast_numbers_to_timestamp",
        "SELECT cast(-1.5D AS TIMESTAMP) AS a, cast(CAST(-1.5 AS DECIMAL(3,1)) AS TIMESTAMP) AS b, cast(1.0000005D AS TIMESTAMP) AS c, cast(CAST(2147483647 AS INT) AS TIMESTAMP) AS e",
    ),
    case("cast_nan_to_timestamp_raises", "SELECT cast(d AS TIMESTAMP) AS r FROM nums WHERE id = 5"),
    case(
        "cast_nan_to_timestamp_non_ansi",
        "SELECT id, cast(d AS TIMESTAMP) AS r FROM nums WHERE id IN (1, 5, 6) ORDER BY id",
        settings=ANSI_OFF,
    ),
    case("cast_date_to_number_refused", "SELECT cast(d AS INT) AS r FROM times"),
    case(
        "cast_timestamp_text_fraction",
        "SELECT cast(TIMESTAMP'2024-01-01 10:00:00.100' AS STRING) AS a, cast(TIMESTAMP'2024-01-01 10:00:00.000001' AS STRING) AS b, cast(TIMESTAMP_NTZ'2024-01-01 10:00:00.5' AS STRING) AS c",
    ),
    # -- found by the property test (test_parity_properties.py) ---------------------------------------------------
    case(
        "cast_null_ints_to_timestamp",
        "SELECT CAST(CAST(NULL AS INT) AS TIMESTAMP) AS a, CAST(CAST(NULL AS SMALLINT) AS TIMESTAMP) AS b, CAST(CAST(NULL AS TINYINT) AS TIMESTAMP) AS c, CAST(CAST(NULL AS BIGINT) AS TIMESTAMP) AS d, CAST(CAST(NULL AS INT) AS TIMESTAMP) IS NULL AS e",
        note="DuckDB's least/greatest skip a NULL: a NULL int once became the lowest instant",
    ),
    case(
        "cast_null_int_column_to_timestamp_non_ansi",
        "SELECT id, CAST(v AS TIMESTAMP) AS r, CAST(CAST(v AS SMALLINT) AS TIMESTAMP) IS NULL AS n FROM VALUES (1, CAST(NULL AS INT)), (2, 7), (3, -2147483648) AS t(id, v) ORDER BY id",
        settings=ANSI_OFF,
    ),
    case(
        "cast_decimal_to_string_non_ansi",
        "SELECT CAST(CAST(0 AS DECIMAL(38,18)) AS STRING) AS a, CAST(CAST(0.000001 AS DECIMAL(38,18)) AS STRING) AS b, CAST(CAST(0.0000001 AS DECIMAL(38,18)) AS STRING) AS c, CAST(CAST(-0.000000000000151026 AS DECIMAL(38,18)) AS STRING) AS d, CAST(CAST(0 AS DECIMAL(10,2)) AS STRING) AS e, CAST(CAST(0 AS DECIMAL(10,0)) AS STRING) AS f, CAST(CAST(0 AS DECIMAL(10,6)) AS STRING) AS g, CAST(CAST(0 AS DECIMAL(10,7)) AS STRING) AS h, CAST(CAST(-0.0000001 AS DECIMAL(10,7)) AS STRING) AS i, CAST(CAST(1.5 AS DECIMAL(38,18)) AS STRING) AS j, CAST(CAST(-12345 AS DECIMAL(38,18)) AS STRING) AS k, CAST(CAST(0.00000012 AS DECIMAL(38,18)) AS STRING) AS l, CAST(CAST(-12345678901234567890.123456789012345678 AS DECIMAL(38,18)) AS STRING) AS m, CAST(CAST(-7 AS DECIMAL(10,0)) AS STRING) AS o",
        settings=ANSI_OFF,
        note="ANSI off: BigDecimal.toString (scientific below an exponent of -6); ANSI on and try_cast: toPlainString",
    ),
    case(
        "cast_decimal_to_string_nested_non_ansi",
        "SELECT try_cast(CAST(0 AS DECIMAL(38,18)) AS STRING) AS a, CAST(ARRAY(CAST(0 AS DECIMAL(38,18))) AS STRING) AS b, CAST(named_struct('x', CAST(-1E-9 AS DECIMAL(38,18))) AS STRING) AS c, CAST(map(1, CAST(0 AS DECIMAL(20,8))) AS STRING) AS d, try_cast(ARRAY(CAST(0 AS DECIMAL(38,18))) AS STRING) AS e",
        settings=ANSI_OFF,
    ),
    case(
        "cast_decimal_to_string_plain_ansi",
        "SELECT CAST(CAST(0 AS DECIMAL(38,18)) AS STRING) AS a, CAST(CAST(-0.000000000000151026 AS DECIMAL(38,18)) AS STRING) AS b, CAST(ARRAY(CAST(0 AS DECIMAL(10,7))) AS STRING) AS c",
    ),
    case(
        "cast_decimal_column_to_string_non_ansi",
        "SELECT id, CAST(amt AS STRING) AS a, CAST(big AS STRING) AS b, CAST(CAST(amt AS DECIMAL(38,18)) / 1000000000 AS STRING) AS c FROM nums ORDER BY id",
        settings=ANSI_OFF,
    ),
    case(
        "cast_subnormal_double_to_string",
        "SELECT CAST(5e-324D AS STRING) AS a, CAST(1e-323D AS STRING) AS b, CAST(1.5e-323D AS STRING) AS c, CAST(2e-323D AS STRING) AS d, CAST(9.9e-324D AS STRING) AS e, CAST(1e23D AS STRING) AS f, CAST(2.2250738585072014E-308D AS STRING) AS g, CAST(4.9e-322D AS STRING) AS h, CAST(1e-310D AS STRING) AS i, CAST(1.2345e-315D AS STRING) AS j, CAST(1e-322D AS STRING) AS k, CAST(3e-324D AS STRING) AS l, CAST(-5e-324D AS STRING) AS m, CAST(2e22D AS STRING) AS n, CAST(8.41e21D AS STRING) AS o, CAST(1e-5D AS STRING) AS p, CAST(3e-3D AS STRING) AS q",
        note="Java (JDK 19+) keeps at least two digits where they are closer: 4.9E-324, 9.9E-324",
    ),
    case(
        "cast_subnormal_float_to_string",
        "SELECT CAST(CAST(1e-45 AS FLOAT) AS STRING) AS a, CAST(CAST(3e-45 AS FLOAT) AS STRING) AS b, CAST(CAST(1e-44 AS FLOAT) AS STRING) AS c, CAST(CAST(1e23 AS FLOAT) AS STRING) AS d, CAST(CAST(-7e-45 AS FLOAT) AS STRING) AS e, CAST(CAST(1e-40 AS FLOAT) AS STRING) AS f",
    ),
    case(
        "cast_huge_double_to_timestamp_non_ansi",
        "SELECT CAST(-1e308D AS TIMESTAMP) AS a, CAST(9.2233720368547e12D AS TIMESTAMP) AS b, CAST(CAST(-1e30 AS FLOAT) AS TIMESTAMP) AS c, CAST(-9.3e12D AS TIMESTAMP) AS e",
        settings=ANSI_OFF,
        note="Spark saturates at the long's limits; the lowest is an instant DuckDB holds",
    ),
    case(
        "cast_huge_double_to_timestamp_refused",
        "SELECT CAST(1e300D AS TIMESTAMP) AS a",
        settings=ANSI_OFF,
        note="saturated to Long.MAX microseconds: DuckDB's 'infinity', refused",
    ),
]
