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
]
