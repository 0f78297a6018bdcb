"""Rounding as Spark rounds: round (HALF_UP) and bround (HALF_EVEN) on the decimal digits Java prints for a double
(round(2.675D, 2) is 2.68), exactly on a decimal's unscaled value; ceil and floor with Spark's result types (bigint
for a double, decimal(p-s+1, 0) for a decimal, a decimal with a scale argument); rint as Java's Math.rint.
Integers rounded to a negative scale overflow as Spark's do (an error with ANSI, wrapped around without)."""

from __future__ import annotations

from sqlglot import exp

from lakeloader.sql import types
from lakeloader.sql.context import Context, call, cast, typed, when
from lakeloader.sql.functions.math import (
    DOUBLE,
    LIMITS,
    as_double,
    as_type,
    double_type,
    int_literal,
    overflow_error,
    refused,
)
from lakeloader.sql.functions.operators import from_unscaled, hugeint, unscaled, wrapped
from lakeloader.sql.registry import rule
from lakeloader.sql.runtime import macro

T = exp.DType

# A double rounds as Spark's BigDecimal(d).setScale(scale, mode): on the decimal digits Java prints for it
# (round(2.675D, 2) is 2.68), which are DuckDB's shortest digits. |x| = 0.D x 10^E; k = E + scale digits stay.
macro(
    "spark_round_parts",
    """(s) AS {'d': rtrim(ltrim(replace(split_part(lower(s), 'e', 1), '.', ''), '0'), '0'),
    'e': length(split_part(split_part(lower(s), 'e', 1), '.', 1))
         + CASE WHEN contains(lower(s), 'e') THEN CAST(split_part(lower(s), 'e', 2) AS INTEGER) ELSE 0 END
         - (length(replace(split_part(lower(s), 'e', 1), '.', ''))
            - length(ltrim(replace(split_part(lower(s), 'e', 1), '.', ''), '0')))}""",
)
macro(
    "spark_round_up",
    """(kept, dropped, even) AS CASE
    WHEN NOT even THEN dropped >= '5'
    ELSE substr(dropped, 1, 1) > '5' OR (substr(dropped, 1, 1) = '5'
         AND (length(dropped) > 1 OR CAST(right('0' || kept, 1) AS INTEGER) % 2 = 1)) END""",
)
macro(
    "spark_round_digits",
    """(neg, d, k, scale, even) AS CASE
    WHEN k < 0 OR (k = 0 AND NOT spark_round_up('', d, even)) THEN 0.0::DOUBLE
    WHEN k >= length(d) THEN NULL
    ELSE CAST((CASE WHEN neg THEN '-' ELSE '' END)
              || CAST(CAST(coalesce(nullif(substr(d, 1, k), ''), '0') AS HUGEINT)
                      + CASE WHEN spark_round_up(substr(d, 1, k), substr(d, k + 1), even) THEN 1 ELSE 0 END AS VARCHAR)
              || 'e' || CAST(-scale AS VARCHAR) AS DOUBLE) END""",
)
ROUND_DOUBLE = macro(
    "spark_round_double",
    """(x, scale, even) AS CASE
    WHEN x IS NULL OR isnan(x) OR isinf(x) THEN x
    WHEN x = 0 THEN 0.0::DOUBLE
    ELSE coalesce(spark_round_digits(x < 0, spark_round_parts(CAST(abs(x) AS VARCHAR)).d,
        spark_round_parts(CAST(abs(x) AS VARCHAR)).e + scale, scale, even), x) END""",
)


def _round_unscaled(value: exp.Expr, drop: int, mode: str) -> exp.Expr:
    """A HUGEINT `value` divided by 10^drop, rounded by `mode` (HALF_UP, HALF_EVEN, CEILING, FLOOR)."""
    unit = hugeint(10**drop)
    quotient = exp.IntDiv(this=value, expression=unit)  # DuckDB's // truncates toward zero
    remainder = exp.Mod(this=value.copy(), expression=unit.copy())  # with the dividend's sign
    twice = exp.Mul(this=call("abs", remainder.copy()), expression=hugeint(2))
    away = call("sign", value.copy())
    up: exp.Expr
    if mode == "CEILING":
        up, step = exp.GT(this=remainder, expression=hugeint(0)), hugeint(1)
    elif mode == "FLOOR":
        up, step = exp.LT(this=remainder, expression=hugeint(0)), hugeint(-1)
    elif mode == "HALF_UP":
        up, step = exp.GTE(this=twice, expression=unit.copy()), away
    else:
        odd = exp.NEQ(this=exp.Mod(this=quotient.copy(), expression=hugeint(2)), expression=hugeint(0))
        tie = exp.And(this=exp.EQ(this=twice.copy(), expression=unit.copy()), expression=odd)
        up, step = exp.Or(this=exp.GT(this=twice, expression=unit.copy()), expression=tie), away
    return exp.Paren(this=exp.Add(this=quotient, expression=when(up, step, hugeint(0))))


def round_type(source: exp.DataType, scale: int) -> exp.DataType:
    """Spark's RoundBase result type for a decimal(p, s) rounded to `scale`."""
    p, s = types.precision_scale(source)
    integral = p - s + 1
    if scale < 0:
        return types.decimal(min(max(integral, -scale + 1), types.MAX_PRECISION), 0)
    kept = min(s, scale)
    return types.decimal(min(integral + kept, types.MAX_PRECISION), kept)


def decimal_round(value: exp.Expr, scale: int, mode: str, result: exp.DataType, context: Context) -> exp.Expr:
    """A decimal (or integer) rounded to `scale` digits by `mode`, exactly, from its unscaled value."""
    _, s = types.precision_scale(value.type or types.of("int"))
    if scale >= s:
        return as_type(value, result, context)
    rounded: exp.Expr = _round_unscaled(unscaled(value, s), s - scale, mode)
    out_scale = max(scale, 0)
    if scale < 0:
        rounded = exp.Mul(this=rounded, expression=hugeint(10 ** (-scale)))
    return cast(from_unscaled(rounded, out_scale), result, safe=not context.ansi)


def _round_type(node: exp.Expr) -> exp.DataType | None:
    value = node.this if not isinstance(node, exp.Anonymous) else node.expressions[0]
    scale_node = (
        node.args.get("decimals") if not isinstance(node, exp.Anonymous) else (node.expressions[1:] or [None])[0]
    )
    t: exp.DataType | None = value.type
    if t is None or not types.is_numeric(t):
        return None
    if t.this == T.DECIMAL:
        try:
            scale = int_literal(scale_node, "round")
        except Exception:
            return None
        return round_type(t, scale)
    return t.copy()


def _round(value: exp.Expr, scale_node: exp.Expr | None, mode: str, name: str, context: Context) -> exp.Expr:
    scale = int_literal(scale_node, name)
    source = value.type
    if types.is_string(source):
        value, source = as_double(value, context), types.of(DOUBLE)
    if not types.is_numeric(source):
        return refused(name, "it takes a number")
    assert source is not None
    if source.this in (T.DOUBLE, T.FLOAT):
        even = exp.Boolean(this=mode == "HALF_EVEN")
        rounded = call(ROUND_DOUBLE, as_double(value, context), exp.Literal.number(scale), even)
        return cast(rounded, source) if source.this == T.FLOAT else typed(rounded, source)
    if source.this == T.DECIMAL:
        return decimal_round(value, scale, mode, round_type(source, scale), context)
    if scale >= 0:
        return value
    low, high = LIMITS[source.this]
    exact = _round_unscaled(exp.Cast(this=value, to=types.duckdb("HUGEINT")), -scale, mode)
    exact = exp.Paren(this=exp.Mul(this=exact, expression=hugeint(10 ** (-scale))))
    if not context.ansi:
        return wrapped(exact, source)
    outside = exp.Not(this=exp.Between(this=exact.copy(), low=hugeint(low), high=hugeint(high)))
    return typed(when(outside, cast(overflow_error(), source), cast(exact, source)), source)


@rule("round", nodes=(exp.Round,), returns=_round_type, note="HALF_UP on the decimal digits Java prints")
def _round_rule(node: exp.Round, context: Context) -> exp.Expr:
    return _round(node.this, node.args.get("decimals"), "HALF_UP", "round", context)


@rule("bround", returns=_round_type, note="HALF_EVEN on the decimal digits Java prints")
def _bround(node: exp.Anonymous, context: Context) -> exp.Expr:
    value, *rest = node.expressions
    return _round(value, rest[0] if rest else None, "HALF_EVEN", "bround", context)


@rule("rint", nodes=(exp.Rint,), returns=double_type)
def _rint(node: exp.Rint, context: Context) -> exp.Expr:
    """Java's Math.rint: the nearest integral double, halves to even, keeping the sign of zero."""
    value = as_double(node.this, context)
    rounded = call("round_even", value, exp.Literal.number(0))
    signed = when(
        exp.EQ(this=rounded, expression=exp.Literal.number(0)),
        exp.Mul(this=value.copy(), expression=exp.Literal.number(0)),
        rounded.copy(),
    )
    return typed(when(call("isfinite", value.copy()), signed, value.copy()), types.of(DOUBLE))


def _ceil_floor_type(node: exp.Expr) -> exp.DataType | None:
    t = node.this.type
    decimals = node.args.get("decimals")
    if decimals is not None:
        try:
            scale = int_literal(decimals, "ceil")
        except Exception:
            return None
        return round_type(_as_decimal_type(t), scale) if types.is_numeric(t) else None
    if types.kind(t) == T.DECIMAL:
        assert t is not None
        p, s = types.precision_scale(t)
        return types.bounded(p - s + 1, 0)
    return types.of("bigint")


def _as_decimal_type(t: exp.DataType | None) -> exp.DataType:
    """The decimal Spark casts a number to for ceil/floor with a scale (DecimalType.forType)."""
    k = types.kind(t)
    if k == T.DECIMAL:
        assert t is not None
        return t
    if k == T.DOUBLE:
        return types.decimal(30, 15)
    if k == T.FLOAT:
        return types.decimal(14, 7)
    p, _ = types.precision_scale(t or types.of("bigint"))
    return types.decimal(p, 0)


def _ceil_floor(node: exp.Expr, context: Context, mode: str) -> exp.Expr:
    name = "ceil" if mode == "CEILING" else "floor"
    value, decimals = node.this, node.args.get("decimals")
    if types.is_string(value.type):
        value = as_double(value, context)
    if not types.is_numeric(value.type):
        return refused(name, "it takes a number")
    if decimals is not None:
        scale = int_literal(decimals, name)
        source = _as_decimal_type(value.type)
        return decimal_round(as_type(value, source, context), scale, mode, round_type(source, scale), context)
    kind = types.kind(value.type)
    if kind == T.DECIMAL:
        result = _ceil_floor_type(node)
        assert result is not None
        return decimal_round(value, 0, mode, result, context)
    if kind in LIMITS:
        return as_type(value, "bigint", context)
    whole = call(name, as_double(value, context))
    low, high = float(-(2**63)), float(2**63)
    out_of_range = exp.Or(
        this=call("isnan", whole),
        expression=exp.Or(
            this=exp.LT(this=whole.copy(), expression=exp.Literal.number(low)),
            expression=exp.GTE(this=whole.copy(), expression=exp.Literal.number(high)),
        ),
    )
    if context.ansi:
        outside: exp.Expr = overflow_error("overflow.")
    else:  # Java's (long) cast: NaN is 0, out of range saturates
        outside = exp.Case(
            ifs=[
                exp.If(this=call("isnan", whole.copy()), true=exp.Literal.number(0)),
                exp.If(this=exp.GT(this=whole.copy(), expression=exp.Literal.number(0)), true=hugeint(2**63 - 1)),
            ],
            default=hugeint(-(2**63)),
        )
    return typed(when(out_of_range, cast(outside, "bigint"), cast(whole.copy(), "bigint")), types.of("bigint"))


rule("ceil", "ceiling", nodes=(exp.Ceil,), returns=_ceil_floor_type)(lambda n, c: _ceil_floor(n, c, "CEILING"))
rule("floor", nodes=(exp.Floor,), returns=_ceil_floor_type)(lambda n, c: _ceil_floor(n, c, "FLOOR"))
