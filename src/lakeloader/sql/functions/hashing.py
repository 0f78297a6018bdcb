"""Hashes and bits as Spark computes them: hash (Murmur3 x86_32, seed 42) and xxhash64 (XXH64, seed 42) over
Spark's binary layout of each type, crc32, md5, sha1, sha2; the bitwise operators and shifts with Java's
wrap-around, bit_count, getbit; number bases: conv, bin, hex, unhex.

A hashed value is first made an item {t, v, b}: t = 4 (an int: v its 32 bits), 8 (a long: v its 64 bits) or 0
(bytes: b), as Spark hashes it (dates as days, timestamps as microseconds, doubles by doubleToLongBits with -0.0
as 0, decimals up to 18 digits by their unscaled long, larger ones by BigInteger.toByteArray, strings by their
UTF-8 bytes); NULLs give no item, so the seed passes through them. Arithmetic is unsigned, modulo 2^32 (UBIGINT)
or 2^64 (UHUGEINT).
"""

from __future__ import annotations

from collections.abc import Callable

from sqlglot import exp

from lakeloader.sql import types
from lakeloader.sql.context import Context, call, cast, error, typed, when
from lakeloader.sql.functions.math import as_type, overflow_error, refused
from lakeloader.sql.registry import rule
from lakeloader.sql.runtime import macro

T = exp.DType
_M32 = "4294967296::UBIGINT"
_M64 = "CAST('18446744073709551616' AS UHUGEINT)"
_H64 = "CAST('18446744073709551616' AS HUGEINT)"
_U33 = "CAST(33 AS UHUGEINT)"


def _u64(value: int) -> str:
    return f"CAST('{value}' AS UHUGEINT)"


def let(value: str, name: str, body: str) -> str:
    """`body` with `name` bound once per row to `value` (see json.let)."""
    return f"list_transform([{value}], lambda {name}: {body})[1]"


# -- bytes and bits ---------------------------------------------------------------------------------------------
BYTES = macro(
    "spark_hex_bytes",
    """(h) AS list_transform(range(0, length(h), 2),
    lambda spark_i: CAST(CAST('0x' || substr(h, spark_i + 1, 2) AS INTEGER) AS UBIGINT))""",
)
# Java's doubleToLongBits / floatToIntBits (NaN canonical) from the value's exponent and mantissa.
macro(
    "spark_exponent",
    """(a, low) AS CASE
    WHEN a < pow(2.0, low) THEN low - 1
    WHEN pow(2.0, floor(log2(a))) > a THEN CAST(floor(log2(a)) AS INTEGER) - 1
    WHEN pow(2.0, floor(log2(a)) + 1) <= a THEN CAST(floor(log2(a)) AS INTEGER) + 1
    ELSE CAST(floor(log2(a)) AS INTEGER) END""",
)
macro(
    "spark_ieee_bits",
    """(x, bits, low, bias) AS CASE
    WHEN isnan(x) THEN CASE WHEN bits = 52 THEN 9221120237041090560::UBIGINT ELSE 2143289344::UBIGINT END
    ELSE (CASE WHEN x < 0 OR (x = 0 AND CAST(x AS VARCHAR) LIKE '-%')
               THEN 1::UBIGINT << (bits + CASE WHEN bits = 52 THEN 11 ELSE 8 END) ELSE 0::UBIGINT END)
       + CASE
           WHEN isinf(x) THEN CAST(2 * bias + 1 AS UBIGINT) << bits
           WHEN x = 0 THEN 0::UBIGINT
           WHEN spark_exponent(abs(x), low) < low
               THEN CAST(abs(x) * pow(2.0, (bits - low) // 2) * pow(2.0, bits - low - (bits - low) // 2) AS UBIGINT)
           ELSE (CAST(spark_exponent(abs(x), low) + bias AS UBIGINT) << bits)
                + CAST((abs(x) / pow(2.0, spark_exponent(abs(x), low)) - 1) * pow(2.0, bits) AS UBIGINT) END END""",
)
DOUBLE_BITS = macro("spark_double_bits", "(x) AS spark_ieee_bits(CAST(x AS DOUBLE), 52, -1022, 1023)")
FLOAT_BITS = macro("spark_float_bits", "(x) AS spark_ieee_bits(CAST(x AS DOUBLE), 23, -126, 127)")

# -- items -------------------------------------------------------------------------------------------------------
ITEM_INT = macro(
    "spark_item_int",
    """(x) AS CASE WHEN x IS NULL THEN [] ELSE
    [{'t': 4, 'v': CAST(CAST(x AS BIGINT) & 4294967295 AS UBIGINT), 'b': []::UBIGINT[]}] END""",
)
ITEM_LONG = macro(
    "spark_item_long",
    f"""(x) AS CASE WHEN x IS NULL THEN [] ELSE
    [{{'t': 8, 'v': CAST((CAST(x AS HUGEINT) + {_H64}) % {_H64} AS UBIGINT), 'b': []::UBIGINT[]}}] END""",
)
ITEM_BYTES = macro(
    "spark_item_bytes",
    """(h) AS CASE WHEN h IS NULL THEN [] ELSE
    [{'t': 0, 'v': 0::UBIGINT, 'b': spark_hex_bytes(h)}] END""",
)
_THRESHOLDS = ", ".join(f"CAST('{2 ** (8 * k - 1)}' AS HUGEINT)" for k in range(1, 16))
# BigInteger.toByteArray: the fewest big-endian two's complement bytes of the unscaled value
ITEM_BIG_DECIMAL = macro(
    "spark_item_big_decimal",
    f"""(u) AS CASE WHEN u IS NULL THEN [] ELSE
    spark_item_bytes(right(lpad(hex(u), 32, CASE WHEN u < 0 THEN 'F' ELSE '0' END),
        2 * (1 + len(list_filter([{_THRESHOLDS}], lambda spark_t: u >= spark_t OR u < -spark_t))))) END""",
)


def items(value: exp.Expr, t: exp.DataType | None, what: str) -> exp.Expr:
    """The hash items of `value` (a DuckDB list), by its Spark type."""
    k = types.kind(t)
    if k in (T.TINYINT, T.SMALLINT, T.INT):
        return call(ITEM_INT, value)
    if k == T.BOOLEAN:
        return call(ITEM_INT, cast(value, "int"))
    if k == T.DATE:
        return call(ITEM_INT, call("date_diff", exp.Literal.string("day"), cast(exp.Literal.string("1970-01-01"),
                                   "date"), value))  # fmt: skip
    if k == T.BIGINT:
        return call(ITEM_LONG, value)
    if k in (T.TIMESTAMPTZ, T.TIMESTAMP, T.TIMESTAMPNTZ):
        return call(ITEM_LONG, call("epoch_us", value))
    if k == T.DOUBLE:
        return call(ITEM_LONG, call(DOUBLE_BITS, exp.Add(this=value, expression=cast(exp.Literal.number(0), "double"))))
    if k == T.FLOAT:
        return call(ITEM_INT, call(FLOAT_BITS, exp.Add(this=value, expression=cast(exp.Literal.number(0), "float"))))
    if k in (T.VARCHAR, T.TEXT, T.CHAR, T.BINARY):
        return call(ITEM_BYTES, call("hex", value))
    if k == T.DECIMAL:
        assert t is not None
        precision, scale = types.precision_scale(t)
        from lakeloader.sql.functions.operators import unscaled

        if precision <= 18:
            return call(ITEM_LONG, unscaled(value, scale))
        return call(ITEM_BIG_DECIMAL, unscaled(value, scale))
    if k == T.ARRAY and t is not None and t.expressions:
        element = t.expressions[0]
        inner = items(exp.column("spark_e"), element, what)
        each = exp.Lambda(this=inner, expressions=[exp.to_identifier("spark_e")])
        return call("flatten", call("coalesce", call("list_transform", value, each), exp.Array(expressions=[])))
    if k == T.MAP:
        return refused(what, "a map cannot be hashed (Spark: DATATYPE_MISMATCH.HASH_MAP_TYPE, the same map may hash "
                       "differently); hash map_entries(m) sorted, or its keys and values")  # fmt: skip
    if k == T.STRUCT and t is not None:
        parts = [items(call("struct_extract", value.copy(), exp.Literal.string(f.name)), f.args.get("kind"), what)
                 for f in t.expressions]  # fmt: skip
        if not parts:
            return exp.Array(expressions=[])
        joined = parts[0]
        for part in parts[1:]:
            joined = call("list_concat", joined, part)
        return joined
    if isinstance(value, exp.Null) or k == T.NULL:
        return call(ITEM_INT, cast(exp.Null(), "int"))
    shown = t.sql(dialect="spark") if t is not None and types.is_known(t) else "an expression of unknown type"
    return refused(what, f"hashing {shown} is not supported")


def _all_items(node: exp.Anonymous, what: str) -> exp.Expr:
    parts = [items(arg, arg.type, what) for arg in node.expressions]
    if not parts:
        return refused(what, "it needs at least one argument")
    joined = parts[0]
    for part in parts[1:]:
        joined = call("list_concat", joined, part)
    return joined


# -- Murmur3 x86_32 (hash) ---------------------------------------------------------------------------------------
macro("spark_rotl32", f"(x, r) AS ((x << r) | (x >> (32 - r))) % {_M32}")
macro("spark_m3_k", f"(k) AS (spark_rotl32((k * 3432918353::UBIGINT) % {_M32}, 15) * 461845907::UBIGINT) % {_M32}")
macro(
    "spark_m3_mix", f"(h, k) AS (spark_rotl32(xor(h, spark_m3_k(k)), 13) * 5::UBIGINT + 3864292196::UBIGINT) % {_M32}"
)
macro("spark_m3_f3", "(d) AS xor(d, d >> 16)")
macro("spark_m3_f2", f"(c) AS spark_m3_f3((c * 3266489909::UBIGINT) % {_M32})")
macro("spark_m3_f1", "(b) AS spark_m3_f2(xor(b, b >> 13))")
macro("spark_m3_fmix", "(h, n) AS " + let("xor(h, CAST(n AS UBIGINT))", "spark_g",
      f"spark_m3_f1((xor(spark_g, spark_g >> 16) * 2246822507::UBIGINT) % {_M32})"))  # fmt: skip
macro(
    "spark_m3_blocks",
    """(b) AS list_concat(
    list_transform(range(len(b) // 4), lambda spark_i: b[4 * spark_i + 1] + (b[4 * spark_i + 2] << 8)
                   + (b[4 * spark_i + 3] << 16) + (b[4 * spark_i + 4] << 24)),
    list_transform(range(len(b) // 4 * 4, len(b)),
                   lambda spark_i: CASE WHEN b[spark_i + 1] >= 128 THEN b[spark_i + 1] + 4294967040::UBIGINT
                                        ELSE b[spark_i + 1] END))""",
)
macro(
    "spark_m3",
    """(ks, n, seed) AS spark_m3_fmix(list_reduce(ks,
    lambda spark_h, spark_k: spark_m3_mix(spark_h, spark_k), seed), n)""",
)
macro(
    "spark_m3_item",
    f"""(it, seed) AS CASE it.t
    WHEN 4 THEN spark_m3([it.v], 4, seed)
    WHEN 8 THEN spark_m3([it.v % {_M32}, it.v >> 32], 8, seed)
    ELSE spark_m3(spark_m3_blocks(it.b), len(it.b), seed) END""",
)
MURMUR3 = macro(
    "spark_murmur3",
    """(its) AS list_transform([list_reduce(its,
    lambda spark_s, spark_it: spark_m3_item(spark_it, spark_s), 42::UBIGINT)],
    lambda spark_u: CAST(CASE WHEN spark_u >= 2147483648 THEN CAST(spark_u AS BIGINT) - 4294967296
                              ELSE CAST(spark_u AS BIGINT) END AS INTEGER))[1]""",
)


@rule("hash", returns=lambda node: types.of("int"), note="Murmur3 x86_32, seed 42, over Spark's layout of each type")
def _hash(node: exp.Anonymous, context: Context) -> exp.Expr:
    return typed(call(MURMUR3, _all_items(node, "hash")), types.of("int"))


# -- XXH64 (xxhash64) --------------------------------------------------------------------------------------------
_P1, _P2, _P3, _P4, _P5 = (_u64(p) for p in (0x9E3779B185EBCA87, 0xC2B2AE3D27D4EB4F, 0x165667B19E3779F9,
                                              0x85EBCA77C2B2AE63, 0x27D4EB2F165667C5))  # fmt: skip
macro("spark_xx_mul", f"(a, b) AS (a * b) % {_M64}")
macro("spark_xx_rotl", f"(x, r) AS ((x << CAST(r AS UHUGEINT)) % {_M64}) | (x >> CAST(64 - r AS UHUGEINT))")
macro(
    "spark_xx_round",
    f"(acc, lane) AS spark_xx_mul(spark_xx_rotl((acc + spark_xx_mul(lane, {_P2})) % {_M64}, 31), {_P1})",
)
macro("spark_xx_merge", f"(h, v) AS (spark_xx_mul(xor(h, spark_xx_round(0::UHUGEINT, v)), {_P1}) + {_P4}) % {_M64}")
macro("spark_xx_f3", "(d) AS xor(d, d >> CAST(32 AS UHUGEINT))")
macro("spark_xx_f2", f"(c) AS spark_xx_f3(spark_xx_mul(xor(c, c >> CAST(29 AS UHUGEINT)), {_P3}))")
macro(
    "spark_xx_fmix",
    "(h) AS " + let("h", "spark_g", f"spark_xx_f2(spark_xx_mul(xor(spark_g, spark_g >> CAST(33 AS UHUGEINT)), {_P2}))"),
)
macro("spark_xx_int", "(v, seed) AS " + let(f"xor((seed + {_P5} + 4) % {_M64}, spark_xx_mul(v, {_P1}))", "spark_g",
      f"spark_xx_fmix((spark_xx_mul(spark_xx_rotl(spark_g, 23), {_P2}) + {_P3}) % {_M64})"))  # fmt: skip
macro(
    "spark_xx_lane",
    f"(h, k) AS (spark_xx_mul(spark_xx_rotl(xor(h, spark_xx_round(0::UHUGEINT, k)), 27), {_P1}) + {_P4}) % {_M64}",
)
macro("spark_xx_long", f"(v, seed) AS spark_xx_fmix(spark_xx_lane((seed + {_P5} + 8) % {_M64}, v))")
macro(
    "spark_xx_lanes",
    """(b) AS list_transform(range(len(b) // 8), lambda spark_i: list_reduce(
    list_transform(range(8),
                   lambda spark_j: CAST(b[8 * spark_i + spark_j + 1] AS UHUGEINT) << CAST(8 * spark_j AS UHUGEINT)),
    lambda spark_a, spark_x: spark_a | spark_x))""",
)
macro(
    "spark_xx_stripes",
    f"""(lanes, seed) AS list_reduce(range(len(lanes) // 4),
    lambda spark_s, spark_i: {{'v1': spark_xx_round(spark_s.v1, lanes[4 * spark_i + 1]),
                               'v2': spark_xx_round(spark_s.v2, lanes[4 * spark_i + 2]),
                               'v3': spark_xx_round(spark_s.v3, lanes[4 * spark_i + 3]),
                               'v4': spark_xx_round(spark_s.v4, lanes[4 * spark_i + 4])}},
    {{'v1': (seed + {_P1} + {_P2}) % {_M64}, 'v2': (seed + {_P2}) % {_M64}, 'v3': seed,
      'v4': (seed + {_M64} - {_P1}) % {_M64}}})""",
)
macro(
    "spark_xx_converge",
    "(v) AS "
    + let(
        "v",
        "spark_v",
        f"""spark_xx_merge(spark_xx_merge(spark_xx_merge(spark_xx_merge(
    (spark_xx_rotl(spark_v.v1, 1) + spark_xx_rotl(spark_v.v2, 7) + spark_xx_rotl(spark_v.v3, 12)
     + spark_xx_rotl(spark_v.v4, 18)) % {_M64}, spark_v.v1), spark_v.v2), spark_v.v3), spark_v.v4)""",
    ),
)
macro(
    "spark_xx_words",
    "(b, lanes, seed) AS "
    + let(
        "lanes",
        "spark_l",
        f"""list_reduce(spark_l[len(b) // 32 * 4 + 1:],
    lambda spark_h, spark_k: spark_xx_lane(spark_h, spark_k),
    (CASE WHEN len(b) >= 32 THEN spark_xx_converge(spark_xx_stripes(spark_l, seed))
          ELSE (seed + {_P5}) % {_M64} END + CAST(len(b) AS UHUGEINT)) % {_M64})""",
    ),
)
macro(
    "spark_xx_four",
    "(b, h) AS "
    + let(
        "h",
        "spark_f",
        f"""CASE WHEN len(b) % 8 >= 4 THEN (spark_xx_mul(spark_xx_rotl(xor(spark_f, spark_xx_mul(
    CAST(b[len(b) // 8 * 8 + 1] + (b[len(b) // 8 * 8 + 2] << 8) + (b[len(b) // 8 * 8 + 3] << 16)
         + (b[len(b) // 8 * 8 + 4] << 24) AS UHUGEINT), {_P1})), 23), {_P2}) + {_P3}) % {_M64} ELSE spark_f END""",
    ),
)
macro(
    "spark_xx_bytes",
    f"""(b, seed) AS spark_xx_fmix(list_reduce(
    list_transform(range(len(b) // 8 * 8 + CASE WHEN len(b) % 8 >= 4 THEN 4 ELSE 0 END, len(b)),
                   lambda spark_i: CAST(b[spark_i + 1] AS UHUGEINT)),
    lambda spark_h, spark_x: spark_xx_mul(spark_xx_rotl(xor(spark_h, spark_xx_mul(spark_x, {_P5})), 11), {_P1}),
    spark_xx_four(b, spark_xx_words(b, spark_xx_lanes(b), seed))))""",
)
macro(
    "spark_xx_item",
    """(it, seed) AS CASE it.t
    WHEN 4 THEN spark_xx_int(CAST(it.v AS UHUGEINT), seed)
    WHEN 8 THEN spark_xx_long(CAST(it.v AS UHUGEINT), seed)
    ELSE spark_xx_bytes(it.b, seed) END""",
)
XXHASH64 = macro(
    "spark_xxhash64",
    f"""(its) AS list_transform([list_reduce(its,
    lambda spark_s, spark_it: spark_xx_item(spark_it, spark_s), CAST(42 AS UHUGEINT))],
    lambda spark_u: CAST(CASE WHEN spark_u >= CAST('9223372036854775808' AS UHUGEINT)
                              THEN CAST(spark_u AS HUGEINT) - CAST({_M64} AS HUGEINT)
                              ELSE CAST(spark_u AS HUGEINT) END AS BIGINT))[1]""",
)


@rule("xxhash64", returns=lambda node: types.of("bigint"), note="XXH64, seed 42, over Spark's layout of each type")
def _xxhash64(node: exp.Anonymous, context: Context) -> exp.Expr:
    return typed(call(XXHASH64, _all_items(node, "xxhash64")), types.of("bigint"))


# -- crc32, md5, sha ---------------------------------------------------------------------------------------------
def _crc_table() -> list[int]:
    table = []
    for n in range(256):
        c = n
        for _ in range(8):
            c = (0xEDB88320 ^ (c >> 1)) if c & 1 else c >> 1
        table.append(c)
    return table


_CRC_TABLE = "[" + ", ".join(str(c) for c in _crc_table()) + "]::UBIGINT[]"
CRC32 = macro(
    "spark_crc32",
    f"""(h) AS xor(list_reduce(spark_hex_bytes(h),
    lambda spark_c, spark_b: xor(({_CRC_TABLE})[CAST(xor(spark_c, spark_b) & 255::UBIGINT AS INTEGER) + 1],
                                 spark_c >> 8), 4294967295::UBIGINT), 4294967295::UBIGINT)""",
)


def _bytes_hex(value: exp.Expr, context: Context) -> exp.Expr:
    """The hex of a binary or string (its UTF-8 bytes, as Spark casts a string to binary)."""
    if types.kind(value.type) == T.BINARY or types.is_string(value.type):
        return call("hex", value)
    return call("hex", as_type(value, "binary", context))


@rule("crc32", returns=lambda node: types.of("bigint"))
def _crc32(node: exp.Anonymous, context: Context) -> exp.Expr:
    return typed(cast(call(CRC32, _bytes_hex(node.expressions[0], context)), "bigint"), types.of("bigint"))


def _digest(name: str) -> Callable[[exp.Expr, Context], exp.Expr]:
    def rewrite(node: exp.Expr, context: Context) -> exp.Expr:
        value = node.this
        if not (types.kind(value.type) == T.BINARY or types.is_string(value.type)):
            value = as_type(value, "binary", context)
        return typed(call(name, value), types.of("string"))

    return rewrite


rule("md5", nodes=(exp.MD5,), returns=lambda node: types.of("string"))(_digest("md5"))
rule("sha1", "sha", nodes=(exp.SHA,), returns=lambda node: types.of("string"))(_digest("sha1"))


@rule("sha2", nodes=(exp.SHA2,), returns=lambda node: types.of("string"),
      note="256 bits (and 0); 224, 384 and 512 are refused (DuckDB has only SHA-256)")  # fmt: skip
def _sha2(node: exp.SHA2, context: Context) -> exp.Expr:
    length = node.args.get("length")
    if not (isinstance(length, exp.Literal) and not length.is_string and length.this.isdigit()):
        return refused("sha2", "the bit length must be an integer literal")
    bits = int(length.this)
    if bits in (224, 384, 512):
        return refused("sha2", f"SHA-{bits} is not available in DuckDB (only SHA-256); use sha2(x, 256)")
    if bits not in (0, 256):
        return cast(exp.Null(), "string")  # Spark: NULL for a bit length it does not know
    return _digest("sha256")(node, context)


# -- bitwise operators and shifts --------------------------------------------------------------------------------
def _bitwise_type(node: exp.Expr) -> exp.DataType | None:
    a, b = node.this.type, node.expression.type
    if types.is_integral(a) and types.is_integral(b):
        assert a is not None and b is not None
        return types.wider(a, b)
    return None


def _bitwise(node: exp.Expr, context: Context) -> exp.Expr:
    result = node.type if types.is_integral(node.type) else _bitwise_type(node)
    if result is None:
        return refused(_SYMBOLS[type(node)], "it takes integers (tinyint, smallint, int, bigint)")
    made = type(node)(this=cast(node.this, result), expression=cast(node.expression, result))
    return typed(cast(made, result), result)


_SYMBOLS: dict[type[exp.Expr], str] = {exp.BitwiseAnd: "&", exp.BitwiseOr: "|", exp.BitwiseXor: "^"}
rule("&", nodes=(exp.BitwiseAnd,), returns=_bitwise_type)(_bitwise)
rule("|", nodes=(exp.BitwiseOr,), returns=_bitwise_type)(_bitwise)
rule("^", nodes=(exp.BitwiseXor,), returns=_bitwise_type)(_bitwise)


@rule("~", nodes=(exp.BitwiseNot,))
def _bitwise_not(node: exp.BitwiseNot, context: Context) -> exp.Expr:
    if not types.is_integral(node.this.type):
        return refused("~", "it takes an integer (tinyint, smallint, int, bigint)")
    return typed(exp.BitwiseNot(this=node.this), node.this.type)


def _shift_type(node: exp.Expr) -> exp.DataType | None:
    base = node.this.type if not isinstance(node, exp.Anonymous) else node.expressions[0].type
    if types.kind(base) == T.BIGINT:
        return types.of("bigint")
    return types.of("int") if types.is_integral(base) else None


# Java's shifts: the distance modulo the width, the bits wrapped (an int is 32 bits, a bigint 64): the value as an
# unsigned number of that width (u), shifted, read back as signed.
def _shift_macro(bits: int) -> str:
    span, half = f"CAST('{2**bits}' AS HUGEINT)", f"CAST('{2 ** (bits - 1)}' AS HUGEINT)"
    unsigned = f"((CAST(v AS HUGEINT) + {span}) % {span})"
    signed = f"CASE WHEN spark_r >= {half} THEN spark_r - {span} ELSE spark_r END"
    return macro(
        f"spark_shift{bits}",
        f"""(v, n, kind) AS list_transform([CASE
        WHEN kind = 'right' THEN CAST(v AS HUGEINT) >> (n & {bits - 1})
        WHEN kind = 'left' THEN CAST((CAST({unsigned} AS UHUGEINT) << CAST(n & {bits - 1} AS UHUGEINT))
                                     % CAST({span} AS UHUGEINT) AS HUGEINT)
        ELSE {unsigned} >> (n & {bits - 1}) END], lambda spark_r: {signed})[1]""",
    )


SHIFT = {32: _shift_macro(32), 64: _shift_macro(64)}


def _shift(kind: str, name: str) -> Callable[[exp.Expr, Context], exp.Expr]:
    def rewrite(node: exp.Expr, context: Context) -> exp.Expr:
        base, distance = (node.expressions[0], node.expressions[1]) if isinstance(node, exp.Anonymous) else (
            node.this, node.expression)  # fmt: skip
        result = _shift_type(node)
        if result is None or not types.is_integral(distance.type):
            return refused(name, "it shifts an integer by an integer")
        bits = 64 if result.this == T.BIGINT else 32
        shifted = call(SHIFT[bits], cast(base, result), cast(distance, "int"), exp.Literal.string(kind))
        return typed(cast(shifted, result), result)

    return rewrite


rule("shiftleft", "<<", nodes=(exp.BitwiseLeftShift,), returns=_shift_type)(_shift("left", "shiftleft"))
rule("shiftright", ">>", nodes=(exp.BitwiseRightShift,), returns=_shift_type)(_shift("right", "shiftright"))
rule("shiftrightunsigned", ">>>", returns=_shift_type)(_shift("unsigned", "shiftrightunsigned"))


@rule("bit_count", nodes=(exp.BitwiseCount,), returns=lambda node: types.of("int"),
      note="the bits of the value as a 64-bit long (bit_count(-1) is 64), as Spark")  # fmt: skip
def _bit_count(node: exp.BitwiseCount, context: Context) -> exp.Expr:
    value = node.this
    if types.kind(value.type) == T.BOOLEAN:
        return typed(cast(cast(value, "int"), "int"), types.of("int"))
    if not types.is_integral(value.type):
        return refused("bit_count", "it takes an integer or a boolean")
    return typed(cast(call("bit_count", cast(value, "bigint")), "int"), types.of("int"))


@rule("getbit", "bit_get", nodes=(exp.Getbit,), returns=lambda node: types.of("tinyint"))
def _getbit(node: exp.Getbit, context: Context) -> exp.Expr:
    """The bit at a position (0 is the lowest); a position outside the type's bits is an error, as in Spark."""
    value, position = node.this, node.expression
    if not types.is_integral(value.type) or not types.is_integral(position.type):
        return refused("getbit", "it takes an integer and a bit position")
    bits = {T.TINYINT: 8, T.SMALLINT: 16, T.INT: 32, T.BIGINT: 64}[types.kind(value.type)]
    outside = exp.Or(this=exp.LT(this=position, expression=exp.Literal.number(0)),
                     expression=exp.GTE(this=position.copy(), expression=exp.Literal.number(bits)))  # fmt: skip
    message = (f"The value of parameter(s) `pos` in `getbit` is invalid: Invalid bit position: it should be "
               f"greater than or equal to 0 and less than {bits}.")  # fmt: skip
    bit = exp.BitwiseAnd(this=exp.BitwiseRightShift(this=cast(value, "bigint"), expression=cast(position.copy(),
                         "bigint")), expression=exp.Literal.number(1))  # fmt: skip
    return typed(when(outside, cast(error("INVALID_PARAMETER_VALUE.BIT_POSITION_RANGE", message), "tinyint"),
                      cast(bit, "tinyint")), types.of("tinyint"))  # fmt: skip


# -- number bases ----------------------------------------------------------------------------------------------
# conv: Spark's NumberConverter. Digits of the longest valid prefix (after a '-'), read as an unsigned 64-bit
# number (an overflow: ARITHMETIC_OVERFLOW with ANSI, else all ones); a negative input is negated in 64 bits; a
# negative target base writes the value signed.
_DIGITS = "0123456789abcdefghijklmnopqrstuvwxyz"
macro(
    "spark_conv_digits",
    f"""(body, base) AS list_transform(string_split(body, ''),
    lambda spark_c: coalesce(nullif(strpos('{_DIGITS}', lower(spark_c)), 0) - 1, 99))""",
)
macro(
    "spark_conv_prefix",
    """(d, base) AS CASE
    WHEN list_position(list_transform(d, lambda spark_x: spark_x >= base), true) IS NULL THEN d
    ELSE d[1:list_position(list_transform(d, lambda spark_x: spark_x >= base), true) - 1] END""",
)
macro(
    "spark_conv_value",
    """(d, base) AS list_reduce(d,
    lambda spark_a, spark_x: least(spark_a * base + spark_x, CAST('18446744073709551616' AS HUGEINT)),
    CAST(0 AS HUGEINT))""",
)
macro(
    "spark_conv_text",
    f"""(u, base) AS list_reduce(range(64),
    lambda spark_s, spark_i: CASE WHEN spark_s.u = 0 AND spark_s.t <> '' THEN spark_s
        ELSE {{'u': spark_s.u // base,
               't': upper(substr('{_DIGITS}', CAST(spark_s.u % base AS INTEGER) + 1, 1)) || spark_s.t}} END,
    {{'u': u, 't': ''}}).t""",
)
macro(
    "spark_conv_signed",
    """(neg, u, to_base) AS CASE
    WHEN neg AND to_base > 0 THEN CASE WHEN u >= CAST('9223372036854775808' AS HUGEINT)
        THEN CAST('18446744073709551615' AS HUGEINT)
        ELSE (CAST('18446744073709551616' AS HUGEINT) - u) % CAST('18446744073709551616' AS HUGEINT) END
    ELSE u END""",
)
macro(
    "spark_conv_out",
    """(neg, u, to_base) AS
    CASE WHEN (neg OR (to_base < 0 AND u >= CAST('9223372036854775808' AS HUGEINT))) AND to_base < 0
         THEN '-' ELSE '' END
    || spark_conv_text(CASE WHEN to_base < 0 AND u >= CAST('9223372036854775808' AS HUGEINT)
                            THEN (CAST('18446744073709551616' AS HUGEINT) - u) % CAST('18446744073709551616' AS HUGEINT)
                            ELSE u END, abs(to_base))""",
)


def _conv_body(text: exp.Expr, from_base: exp.Expr, to_base: exp.Expr, context: Context) -> exp.Expr:
    overflow = overflow_error("Overflow in function conv().") if context.ansi else None
    return call(
        CONV,
        text,
        from_base,
        to_base,
        exp.Boolean(this=overflow is not None),
        overflow if overflow is not None else exp.Null(),
    )


CONV = macro(
    "spark_conv",
    """(s, from_base, to_base, ansi, overflow) AS CASE
    WHEN s IS NULL OR from_base NOT BETWEEN 2 AND 36 OR abs(to_base) NOT BETWEEN 2 AND 36 OR trim(s, ' ') = ''
        THEN NULL
    ELSE spark_conv_(starts_with(trim(s, ' '), '-'),
        spark_conv_value(spark_conv_prefix(spark_conv_digits(CASE WHEN starts_with(trim(s, ' '), '-')
            THEN substr(trim(s, ' '), 2) ELSE trim(s, ' ') END, from_base), from_base), from_base),
        to_base, ansi, overflow) END""",
)
macro(
    "spark_conv_",
    """(neg, v, to_base, ansi, overflow) AS CASE
    WHEN v >= CAST('18446744073709551616' AS HUGEINT) AND ansi THEN overflow
    ELSE spark_conv_out(neg, spark_conv_signed(neg, least(v, CAST('18446744073709551615' AS HUGEINT)), to_base),
                        to_base) END""",
)


@rule("conv", returns=lambda node: types.of("string"))
def _conv(node: exp.Anonymous, context: Context) -> exp.Expr:
    """`conv(num, from_base, to_base)` as Spark's NumberConverter (unsigned 64-bit; a negative to_base signs)."""
    text, from_base, to_base = node.expressions[:3]
    value = as_type(text, "string", context)
    bases = [as_type(b, "int", context) for b in (from_base, to_base)]
    return typed(_conv_body(value, bases[0], bases[1], context), types.of("string"))


@rule("bin", returns=lambda node: types.of("string"), note="Long.toBinaryString: 64 bits for a negative number")
def _bin(node: exp.Anonymous, context: Context) -> exp.Expr:
    return typed(call("bin", as_type(node.expressions[0], "bigint", context)), types.of("string"))


@rule("hex", nodes=(exp.Hex,), returns=lambda node: types.of("string"))
def _hex(node: exp.Hex, context: Context) -> exp.Expr:
    """Upper-case hex of a bigint (two's complement for a negative one), of a string's UTF-8 bytes, of binary."""
    value = node.this
    if not (types.is_string(value.type) or types.kind(value.type) == T.BINARY):
        value = as_type(value, "bigint", context)
    return typed(call("hex", value), types.of("string"))


@rule("unhex", nodes=(exp.Unhex,), returns=lambda node: types.of("binary"), note="NULL for a character not hex")
def _unhex(node: exp.Unhex, context: Context) -> exp.Expr:
    text = as_type(node.this, "string", context)
    return typed(call(UNHEX, text), types.of("binary"))


UNHEX = macro(
    "spark_unhex",
    """(s) AS CASE WHEN regexp_full_match(s, '[0-9a-fA-F]*')
    THEN unhex(CASE WHEN length(s) % 2 = 1 THEN '0' || s ELSE s END) END""",
)
