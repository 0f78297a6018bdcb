"""Math: pmod, bround (half even) vs round (half up), ceil/floor result types, logs of edge values, bit operations,
hashing (hash, xxhash64, crc32, md5, sha1, sha2)."""

# ruff: noqa: E501  (a query reads best on one line)

from tests.parity.corpus import case

ANSI_OFF = {"spark.sql.ansi.enabled": "false"}

CASES = [
    case("round_half_up", "SELECT id, round(d) AS a, round(d, 1) AS b, round(amt, 1) AS c FROM nums ORDER BY id"),
    case(
        "round_half_up_literals",
        "SELECT round(2.5) AS a, round(-2.5) AS b, round(0.5D) AS c, round(1.25, 1) AS e, round(125, -1) AS f, round(2.5D) AS g",
    ),
    case(
        "bround_half_even",
        "SELECT bround(2.5) AS a, bround(3.5) AS b, bround(-2.5) AS c, bround(1.25, 1) AS e, bround(2.5D) AS f, bround(25, -1) AS g",
    ),
    case("bround_columns", "SELECT id, bround(d) AS a, bround(amt, 1) AS b FROM nums ORDER BY id"),
    case(
        "round_types", "SELECT round(i) AS a, round(amt) AS b, round(f) AS c, round(l, -1) AS e FROM nums WHERE id = 1"
    ),
    case(
        "ceil_floor_types",
        "SELECT id, ceil(d) AS a, floor(d) AS b, ceil(amt) AS c, floor(amt) AS e, ceiling(i) AS f FROM nums WHERE id NOT IN (5, 6, 7) ORDER BY id",
    ),
    case("ceil_floor_scale", "SELECT ceil(3.14159, 2) AS a, floor(-3.14159, 1) AS b, ceil(1234.5, -2) AS c"),
    case("ceil_nan_raises_or_not", "SELECT id, ceil(d) AS r FROM nums WHERE id IN (5, 6)"),
    case("pmod", "SELECT pmod(-7, 3) AS a, pmod(7, -3) AS b, pmod(-7.5, 2) AS c, pmod(-7, 0) AS e"),
    case("pmod_columns", "SELECT id, pmod(i, 4) AS r FROM nums ORDER BY id"),
    case(
        "pmod_decimal_scales_differ",
        "SELECT pmod(0.5bd, -0.01bd) AS a, pmod(CAST('12345678901234567890.123456789012345678' AS DECIMAL(38,18)), "
        "7.00) AS b, pmod(CAST(-0.5 AS DECIMAL(10,2)), CAST(0.3 AS DECIMAL(10,1))) AS c",
    ),
    case("pmod_decimal_columns", "SELECT id, pmod(big, amt) AS r FROM nums WHERE amt <> 0 ORDER BY id"),
    case("mod_sign", "SELECT mod(-7, 3) AS a, -7 % 3 AS b, mod(7.5, -2) AS c"),
    case("abs_sign", "SELECT id, abs(d) AS a, sign(d) AS b, signum(i) AS c, abs(amt) AS e FROM nums ORDER BY id"),
    case("sqrt_log_edges", "SELECT id, sqrt(d) AS a, ln(d) AS b, log10(d) AS c FROM nums ORDER BY id"),
    case("log_base", "SELECT log(2, 8) AS a, log(10, 100) AS b, log2(0.5) AS c, log1p(-1) AS e, log(0) AS f"),
    case("exp_pow", "SELECT exp(0) AS a, power(2, 10) AS b, pow(-8, 1.0/3) AS c, power(0, 0) AS e, pow(2, -1) AS f"),
    case("trig", "SELECT sin(0) AS a, cos(pi()) AS b, atan2(1, 1) AS c, degrees(pi()) AS e, radians(180) AS f"),
    case("cbrt_hypot", "SELECT cbrt(-27) AS a, hypot(3, 4) AS b, e() AS c"),
    case("integer_div_functions", "SELECT div(7, 2) AS a, 7 DIV -2 AS b"),
    case(
        "bitwise",
        "SELECT 5 & 3 AS a, 5 | 3 AS b, 5 ^ 3 AS c, ~5 AS e, shiftleft(1, 3) AS f, shiftright(-16, 2) AS g, shiftrightunsigned(-16, 28) AS h",
    ),
    case("bit_count_get", "SELECT bit_count(7) AS a, bit_count(-1) AS b, getbit(5, 0) AS c"),
    case("conv_bin", "SELECT conv('ff', 16, 10) AS a, conv('-10', 10, 2) AS b, bin(5) AS c, bin(-1) AS e"),
    case("factorial_gcd_free", "SELECT factorial(5) AS a, factorial(21) AS b"),
    case("width_bucket", "SELECT width_bucket(5.3, 0.2, 10.6, 5) AS a, width_bucket(-1, 0, 10, 5) AS b"),
    case("greatest_of_types", "SELECT greatest(1, 2.5, 2) AS a, least(1L, 2) AS b"),
    case("rand_seeded_type", "SELECT rand(42) >= 0 AS r"),
    case(
        "hash_is_int",
        "SELECT hash(1) AS a, hash('a') AS b, hash(1, 'a') AS c, hash(NULL) AS e, hash(1L) AS f, hash(1.5D) AS g",
    ),
    case("hash_columns", "SELECT id, hash(s) AS h FROM strs ORDER BY id"),
    case("hash_numbers", "SELECT id, hash(i) AS a, hash(d) AS b, hash(amt) AS c, hash(big) AS e FROM nums ORDER BY id"),
    case("hash_dates", "SELECT id, hash(d) AS a, hash(ts) AS b FROM times ORDER BY id"),
    case("xxhash64", "SELECT xxhash64(1) AS a, xxhash64('a') AS b, xxhash64(NULL) AS c, xxhash64(1, 'a') AS e"),
    case("xxhash64_columns", "SELECT id, xxhash64(s) AS h FROM strs ORDER BY id"),
    case("crc32", "SELECT id, crc32(cast(s AS BINARY)) AS r FROM strs ORDER BY id"),
    case("md5_sha", "SELECT id, md5(s) AS a, sha1(s) AS b, sha2(s, 256) AS c FROM strs ORDER BY id"),
    case(
        "sha2_lengths",
        "SELECT sha2('abc', 224) AS a, sha2('abc', 384) AS b, sha2('abc', 512) AS c, sha2('abc', 0) AS e, sha2('abc', 1) AS f",
    ),
    case("md5_binary_input", "SELECT md5(cast('abc' AS BINARY)) AS a, sha(cast('abc' AS BINARY)) AS b"),
    case("hash_array_map", "SELECT id, hash(arr) AS a, hash(st) AS b FROM nested ORDER BY id"),
    case("positive_negative", "SELECT positive(-1) AS a, negative(-1) AS b, negative(amt) AS c FROM nums WHERE id = 1"),
    case(
        "try_functions_arith",
        "SELECT try_mod(7, 0) AS a, try_divide(1.0, 0) AS b, try_multiply(9223372036854775807, 2) AS c",
    ),
    case("decimal_literal_precision", "SELECT 0.1 + 0.2 AS a, 0.1D + 0.2D AS b, 12345678901234567890.123 * 10 AS c"),
]
