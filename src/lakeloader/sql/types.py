"""Spark's types, as sqlglot `DataType`s: literals, numeric widening and the decimal precision rules.

Spark decides a result's type before it computes it (`sum(int)` is `bigint`, `decimal(10,2) * decimal(10,2)` is
`decimal(21,4)`, `avg(decimal(p,s))` is `decimal(p+4,s+4)`); the translator computes the same type and casts
DuckDB's answer to it, so the Delta table holds what Spark would write.
"""

from __future__ import annotations

import functools
from typing import TYPE_CHECKING, Any

from sqlglot import exp

if TYPE_CHECKING:
    import pyarrow as pa

T = exp.DType
MAX_PRECISION = 38
MIN_ADJUSTED_SCALE = 6
INTEGRAL = (T.TINYINT, T.SMALLINT, T.INT, T.BIGINT)
_INTEGRAL_DIGITS = {T.TINYINT: 3, T.SMALLINT: 5, T.INT: 10, T.BIGINT: 20}
FRACTIONAL = (T.FLOAT, T.DOUBLE)
_RANK = {T.TINYINT: 1, T.SMALLINT: 2, T.INT: 3, T.BIGINT: 4, T.DECIMAL: 5, T.FLOAT: 6, T.DOUBLE: 7}


def of(text: str) -> exp.DataType:
    """A type from Spark SQL text: `bigint`, `decimal(10,2)`, `array<string>` (a copy: callers may change it)."""
    return _spark_type(text).copy()


def duckdb(text: str) -> exp.DataType:
    """A DuckDB type from its own text: `HUGEINT`, `DECIMAL(38, 2)` (a copy)."""
    return _duckdb_type(text).copy()


@functools.lru_cache(maxsize=4096)
def _spark_type(text: str) -> exp.DataType:
    return exp.DataType.build(text, dialect="spark")  # parsing a type costs ~0.2 ms: once per text


@functools.lru_cache(maxsize=4096)
def _duckdb_type(text: str) -> exp.DataType:
    return exp.DataType.build(text, dialect="duckdb")


def decimal(precision: int, scale: int) -> exp.DataType:
    return duckdb(f"DECIMAL({precision}, {scale})")


def kind(t: exp.DataType | None) -> T:
    return t.this if t is not None else T.UNKNOWN


def is_known(t: exp.DataType | None) -> bool:
    return t is not None and t.this not in (T.UNKNOWN, T.NULL)


def is_integral(t: exp.DataType | None) -> bool:
    return kind(t) in INTEGRAL


def is_numeric(t: exp.DataType | None) -> bool:
    return kind(t) in _RANK


def is_string(t: exp.DataType | None) -> bool:
    return kind(t) in (T.VARCHAR, T.TEXT, T.CHAR)


def precision_scale(t: exp.DataType) -> tuple[int, int]:
    """A decimal's (precision, scale); an integral type's as Spark widens it to a decimal (int: (10, 0))."""
    if t.this in _INTEGRAL_DIGITS:
        return _INTEGRAL_DIGITS[t.this], 0
    params = [int(p.this.name) for p in t.expressions]
    if not params:
        return 10, 0
    return params[0], params[1] if len(params) > 1 else 0


def adjusted(precision: int, scale: int) -> exp.DataType:
    """Spark's `DecimalType.adjustPrecisionScale` (allowPrecisionLoss, its default): keep the integral digits,
    give up scale down to 6 when the precision is over 38."""
    if precision <= MAX_PRECISION:
        return decimal(precision, scale)
    integral = precision - scale
    min_scale = min(scale, MIN_ADJUSTED_SCALE)
    return decimal(MAX_PRECISION, max(MAX_PRECISION - integral, min_scale))


def bounded(precision: int, scale: int) -> exp.DataType:
    """`DecimalType.bounded`: precision and scale capped at 38."""
    return decimal(min(precision, MAX_PRECISION), min(scale, MAX_PRECISION))


def wider(a: exp.DataType, b: exp.DataType) -> exp.DataType:
    """The type two numeric operands are widened to (Spark's `findWiderTypeForTwo` over numbers)."""
    ka, kb = kind(a), kind(b)
    if ka == kb and ka != T.DECIMAL:
        return a
    if T.DOUBLE in (ka, kb) or (T.FLOAT in (ka, kb) and T.DECIMAL in (ka, kb)):
        return of("double")
    if T.FLOAT in (ka, kb):
        return of("float")
    if T.DECIMAL in (ka, kb):
        (p1, s1), (p2, s2) = precision_scale(a), precision_scale(b)
        scale = max(s1, s2)
        return bounded(max(p1 - s1, p2 - s2) + scale, scale)
    return a if _RANK[ka] >= _RANK[kb] else b


def arithmetic(op: str, a: exp.DataType, b: exp.DataType) -> exp.DataType:
    """The result type of `a op b` for numbers (`+ - * / %`), as Spark's DecimalPrecision rule decides it."""
    ka, kb = kind(a), kind(b)
    if op == "/" and T.DECIMAL not in (ka, kb) and not (ka in INTEGRAL and kb in INTEGRAL):
        return of("double")
    if op == "/" and ka in INTEGRAL and kb in INTEGRAL:
        return of("double")
    if T.DECIMAL in (ka, kb) and not (set((ka, kb)) & set(FRACTIONAL)):
        (p1, s1), (p2, s2) = precision_scale(a), precision_scale(b)
        if op in "+-":
            scale = max(s1, s2)
            return adjusted(max(p1 - s1, p2 - s2) + scale + 1, scale)
        if op == "*":
            return adjusted(p1 + p2 + 1, s1 + s2)
        if op == "/":
            scale = max(MIN_ADJUSTED_SCALE, s1 + p2 + 1)
            return adjusted(p1 - s1 + s2 + scale, scale)
        scale = max(s1, s2)  # %
        return adjusted(min(p1 - s1, p2 - s2) + scale, scale)
    return wider(a, b)


def literal(node: exp.Literal) -> exp.DataType:
    """A literal's type as Spark types it: `1` int (bigint, then decimal, when it does not fit), `1.5`
    decimal(2,1), `1e3` double, `'x'` string."""
    if node.is_string:
        return of("string")
    text = node.this.lower()
    if "e" in text:
        return of("double")
    if "." in text:
        whole, _, fraction = text.lstrip("-+").partition(".")
        unscaled = int((whole + fraction) or "0")
        precision = max(len(str(unscaled)), len(fraction))  # BigDecimal's precision: digits of the unscaled value
        return decimal(precision, len(fraction)) if precision <= MAX_PRECISION else of("double")
    value = int(text)
    if -(2**31) <= value < 2**31:
        return of("int")
    if -(2**63) <= value < 2**63:
        return of("bigint")
    return decimal(len(text.lstrip("-")), 0)


def to_duckdb(t: exp.DataType) -> str:
    """The DuckDB spelling of a Spark type (`string` → VARCHAR, `array<int>` → INTEGER[])."""
    return t.sql(dialect="duckdb")


def from_arrow(t: pa.DataType) -> exp.DataType:
    """The Spark type of an Arrow type, as Spark reads Parquet (timestamps with a zone are `timestamp`)."""
    import pyarrow as pa

    simple: dict[Any, str] = {
        pa.bool_(): "boolean",
        pa.int8(): "tinyint",
        pa.int16(): "smallint",
        pa.int32(): "int",
        pa.int64(): "bigint",
        pa.uint8(): "smallint",
        pa.uint16(): "int",
        pa.uint32(): "bigint",
        pa.float16(): "float",
        pa.float32(): "float",
        pa.float64(): "double",
        pa.string(): "string",
        pa.large_string(): "string",
        pa.binary(): "binary",
        pa.large_binary(): "binary",
        pa.date32(): "date",
    }
    if t in simple:
        return of(simple[t])
    if pa.types.is_null(t):
        return exp.DataType(this=T.NULL)
    if pa.types.is_string_view(t):
        return of("string")
    if pa.types.is_decimal(t):
        return decimal(t.precision, t.scale)
    if pa.types.is_timestamp(t):
        return of("timestamp" if t.tz is not None else "timestamp_ntz")
    if pa.types.is_list(t) or pa.types.is_large_list(t) or pa.types.is_fixed_size_list(t):
        return exp.DataType(this=T.ARRAY, expressions=[from_arrow(t.value_type)], nested=True)
    if pa.types.is_map(t):
        return exp.DataType(this=T.MAP, expressions=[from_arrow(t.key_type), from_arrow(t.item_type)], nested=True)
    if pa.types.is_struct(t):
        fields = [exp.ColumnDef(this=exp.to_identifier(f.name, quoted=True), kind=from_arrow(f.type)) for f in t]
        return exp.DataType(this=T.STRUCT, expressions=fields, nested=True)
    return exp.DataType(this=T.UNKNOWN)
