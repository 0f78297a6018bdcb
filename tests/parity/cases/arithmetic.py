"""Arithmetic: result types (integral, decimal precision and scale), division, division by zero, overflow, try_*."""

from tests.parity.corpus import case

ANSI_OFF = {"spark.sql.ansi.enabled": "false"}

CASES = [
    case("add_int_types", "SELECT id, i + s AS a, s + t AS b, i + l AS c, t + t AS e FROM nums ORDER BY id"),
    case("int_plus_double", "SELECT id, i + d AS r FROM nums ORDER BY id"),
    case("int_times_decimal", "SELECT id, i * amt AS r FROM nums ORDER BY id"),
    case("decimal_multiplication_type", "SELECT id, amt * amt AS a, amt * 1.5 AS b FROM nums ORDER BY id"),
    case(
        "decimal_38_multiplication",
        "SELECT id, try_multiply(big, big) AS r FROM nums ORDER BY id",
        note="precision loss: decimal(38,6)",
    ),
    case("decimal_addition_type", "SELECT id, amt + big AS r FROM nums WHERE id <> 6 ORDER BY id"),
    case("decimal_division_type", "SELECT id, amt / 3 AS a, amt / 7.0 AS b FROM nums ORDER BY id"),
    case("one_point_zero_over_three", "SELECT 1.0 / 3 AS a, 2 / 3 AS b, 1 / 4 AS c, 10.00 / 4 AS e"),
    case("int_division_is_double", "SELECT id, i / 2 AS r FROM nums ORDER BY id"),
    case("div_operator", "SELECT id, i DIV 2 AS a, l DIV 3 AS b FROM nums ORDER BY id"),
    case("div_operator_negative", "SELECT -7 DIV 2 AS a, 7 DIV -2 AS b, -7 % 2 AS c, 7 % -2 AS e"),
    case("modulo_types", "SELECT id, i % 3 AS a, d % 2 AS b, amt % 1 AS c FROM nums ORDER BY id"),
    case("divide_by_zero_raises", "SELECT i / 0 AS r FROM nums WHERE id = 1"),
    case("divide_by_zero_column_raises", "SELECT 10 / i AS r FROM nums WHERE id = 3"),
    case("divide_by_zero_non_ansi", "SELECT id, 10 / i AS a, d / 0 AS b FROM nums ORDER BY id", settings=ANSI_OFF),
    case("double_divide_by_zero_raises", "SELECT d / 0 AS r FROM nums WHERE id = 1"),
    case("double_divide_by_zero_point_zero", "SELECT d / 0.0D AS r FROM nums WHERE id = 1"),
    case("decimal_divide_by_zero_raises", "SELECT amt / 0 AS r FROM nums WHERE id = 1"),
    case("modulo_by_zero_raises", "SELECT i % 0 AS r FROM nums WHERE id = 1"),
    case("div_by_zero_raises", "SELECT i DIV 0 AS r FROM nums WHERE id = 1"),
    case(
        "try_divide",
        "SELECT id, try_divide(i, 0) AS a, try_divide(10, i) AS b, try_divide(amt, 3) AS c FROM nums ORDER BY id",
    ),
    case("try_add", "SELECT id, try_add(l, 1) AS a, try_add(i, 1) AS b FROM limits ORDER BY id"),
    case("try_add_names_itself", "SELECT try_add(i, l) AS r FROM limits WHERE id = 3"),
    case(
        "try_subtract_multiply", "SELECT id, try_subtract(l, 1) AS a, try_multiply(i, 2) AS b FROM limits ORDER BY id"
    ),
    case("int_overflow_raises", "SELECT i + 1 AS r FROM limits WHERE id = 1"),
    case("bigint_overflow_raises", "SELECT l * 2 AS r FROM limits WHERE id = 1"),
    case(
        "bigint_overflow_non_ansi_wraps", "SELECT id, l + 1 AS a, i + 1 AS b FROM limits ORDER BY id", settings=ANSI_OFF
    ),
    case("tinyint_overflow_raises", "SELECT t + t AS r FROM limits WHERE id = 1"),
    case("negate_min_raises", "SELECT -i AS r FROM limits WHERE id = 2"),
    case("abs_min_raises", "SELECT abs(l) AS r FROM limits WHERE id = 2"),
    case("decimal_overflow_raises", "SELECT huge + 1 AS r FROM limits WHERE id = 1"),
    case("decimal_overflow_non_ansi", "SELECT id, huge + 1 AS r FROM limits ORDER BY id", settings=ANSI_OFF),
    case("unary_minus_and_plus", "SELECT id, -d AS a, +i AS b, -amt AS c FROM nums ORDER BY id"),
    case("double_arithmetic_specials", "SELECT id, d * 0 AS a, d - d AS b, d + 1 AS c FROM nums ORDER BY id"),
    case("null_arithmetic", "SELECT id, i + NULL AS a, amt * NULL AS b FROM nums WHERE id < 3 ORDER BY id"),
    case(
        "integer_literal_types",
        "SELECT 1 AS a, 2147483648 AS b, 1L AS c, 1S AS e, 1Y AS f, 1.5 AS g, 1.5D AS h, 1e3 AS k, 1.5BD AS m",
    ),
    case("string_plus_int_ansi", "SELECT '1' + 2 AS a, '1.5' + 1 AS b"),
    case("float_times_double", "SELECT id, f * d AS r FROM nums ORDER BY id"),
    case(
        "null_divided_by_zero_is_null",
        "SELECT n.i / z.i AS a, n.i DIV z.i AS b, n.i % z.i AS c, n.big / z.amt AS e, n.big % z.amt AS f "
        "FROM nums n JOIN nums z ON z.id = 3 WHERE n.id = 4",
        note="Spark tests the NULL before the zero: no DIVIDE_BY_ZERO under ANSI",
    ),
    case("div_double_refused", "SELECT d DIV d AS r FROM nums WHERE id = 1"),
    case("div_double_literal_refused", "SELECT 7.5D DIV 2 AS r"),
    case(
        "decimal_remainder_scales_differ",
        "SELECT CAST('0.5' AS DECIMAL(38,18)) % CAST('-0.01' AS DECIMAL(10,2)) AS a, "
        "CAST('0.5' AS DECIMAL(20,10)) % CAST('0.01' AS DECIMAL(10,2)) AS b, "
        "CAST('12345678901234567890.123456789012345678' AS DECIMAL(38,18)) % CAST('7.00' AS DECIMAL(10,2)) AS c, "
        "CAST('-12345678901234567890.123456789012345678' AS DECIMAL(38,18)) % CAST('-7.00' AS DECIMAL(10,2)) AS e",
    ),
    case(
        "decimal_remainder_columns",
        "SELECT id, big % amt AS a, amt % big AS b, big % 3 AS c, l % amt AS e FROM nums ORDER BY id",
        settings=ANSI_OFF,
    ),
    case(
        "decimal_precision_loss_rounds",
        "SELECT q + q AS a, CAST('-1.57' AS DECIMAL(10,2)) - q AS b, q * CAST(-258 AS BIGINT) AS c "
        "FROM (SELECT CAST('99999999999999999999.999999999999999999' AS DECIMAL(38,18)) AS q)",
        note="allowPrecisionLoss: exact, then half up to decimal(38,17) / decimal(38,6)",
    ),
    case(
        "decimal_precision_loss_columns",
        "SELECT id, big + big AS a, amt - big AS b, big * l AS c, big * amt AS e, big - big * 3 AS f "
        "FROM nums ORDER BY id",
    ),
    case(
        "decimal_chained_precision_loss",
        "SELECT id, (big + amt) * big - big AS a, ((big + amt) * big - big) / (amt + 1) + big AS b, "
        "big * (big - amt * (big + 1)) AS c FROM nums ORDER BY id",
        settings=ANSI_OFF,
        note="nested operands are computed once: the SQL grew exponentially with the depth",
    ),
    case(
        "decimal_chained_precision_loss_ansi",
        "SELECT id, (big + amt) * amt - big AS a, ((big + amt) * amt - big) / (amt + 1) + big AS b "
        "FROM nums WHERE id <> 6 ORDER BY id",
    ),
    case(
        "decimal_with_typed_literals",
        "SELECT id, big * 1L AS a, amt + 2L AS b, amt * 3S AS c, amt - 4Y AS e, amt * 10L AS f FROM nums ORDER BY id",
        settings=ANSI_OFF,
        note="an integral literal beside a decimal is as wide as its digits (Spark's DecimalType.fromLiteral)",
    ),
    case(
        "typed_numeric_literals",
        "SELECT 1L AS a, -2S AS b, 3Y AS c, 1.5BD AS d, 12345678901234.56789BD AS e, 0.001BD AS f, 1.5D AS g, "
        "2.5F AS h, 10BD AS i, 1L + 1.5 AS j, 2S * 1.25 AS k",
    ),
    case("decimal_precision_loss_non_ansi", "SELECT id, big * big AS r FROM nums ORDER BY id", settings=ANSI_OFF),
    case("decimal_multiply_overflow_raises", "SELECT big * big AS r FROM nums WHERE id = 6"),
    case(
        "decimal_precision_loss_half_up",
        "SELECT CAST('1.000000000000000005' AS DECIMAL(38,18)) - CAST('0.000000000000000010' AS DECIMAL(38,18)) AS a, "
        "CAST('-0.0000005' AS DECIMAL(38,18)) * CAST(1 AS BIGINT) AS b, "
        "CAST('0.0000015' AS DECIMAL(38,18)) * CAST(-1 AS DECIMAL(38,18)) AS c",
    ),
]
