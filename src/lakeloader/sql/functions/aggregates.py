"""Aggregates with Spark's result types: `sum(int)` is a bigint (an overflow is an error in ANSI mode), a
decimal sum gains 10 digits, `avg(decimal(p,s))` is `decimal(p+4,s+4)` computed exactly (no double in between)."""

from __future__ import annotations

from sqlglot import exp

from lakeloader.sql import types
from lakeloader.sql.context import Context, call, cast, typed
from lakeloader.sql.functions.operators import decimal_divide, wrapped
from lakeloader.sql.registry import rule, same

T = exp.DType


def _sum_type(node: exp.Expr) -> exp.DataType | None:
    arg = node.this.type if node.this is not None else None
    if types.is_integral(arg):
        return types.of("bigint")
    if types.kind(arg) == T.DECIMAL:
        assert arg is not None
        p, s = types.precision_scale(arg)
        return types.bounded(p + 10, s)
    if types.kind(arg) in (T.FLOAT, T.DOUBLE):
        return types.of("double")
    return None


@rule("sum", nodes=(exp.Sum,), returns=_sum_type)
def _sum(node: exp.Sum, context: Context) -> exp.Expr:
    """DuckDB sums integers into a HUGEINT and decimals into decimal(38,s): cast to Spark's type, where a value
    that does not fit is Spark's ARITHMETIC_OVERFLOW (ANSI) or NULL."""
    spark_type = _sum_type(node)
    if spark_type is None:
        return node
    if types.is_integral(spark_type) and not context.ansi:  # Java's long arithmetic: wraps around
        return wrapped(node, spark_type)
    return cast(node, spark_type, safe=not context.ansi)


def _avg_type(node: exp.Expr) -> exp.DataType | None:
    arg = node.this.type if node.this is not None else None
    if types.kind(arg) == T.DECIMAL:
        assert arg is not None
        p, s = types.precision_scale(arg)
        return types.bounded(p + 4, s + 4)
    if types.is_numeric(arg):
        return types.of("double")
    return None


@rule("avg", "mean", nodes=(exp.Avg,), returns=_avg_type)
def _avg(node: exp.Avg, context: Context) -> exp.Expr:
    """A decimal's average as Spark computes it: its sum (decimal(p+10,s)) divided by its count (decimal(20,0))
    at Spark's division scale, then cast to decimal(p+4,s+4), rounding half up each time."""
    spark_type = _avg_type(node)
    arg = node.this.type if node.this is not None else None
    if spark_type is None or types.kind(arg) != T.DECIMAL or isinstance(node.this, exp.Distinct):
        return cast(node, spark_type) if spark_type is not None else node
    assert arg is not None
    p, s = types.precision_scale(arg)
    total = typed(cast(exp.Sum(this=node.this.copy()), types.bounded(p + 10, s)), types.bounded(p + 10, s))
    count = typed(cast(exp.Count(this=node.this.copy()), "decimal(20,0)"), types.of("decimal(20,0)"))
    quotient_type = types.arithmetic("/", total.type or spark_type, count.type or spark_type)
    quotient = decimal_divide(total, count, quotient_type, context)
    return cast(quotient, spark_type, safe=not context.ansi)


same("count", nodes=(exp.Count,), returns=lambda node: types.of("bigint"))
same("min", nodes=(exp.Min,))
same("max", nodes=(exp.Max,))


@rule("count_if", nodes=(exp.CountIf,), returns=lambda node: types.of("bigint"))
def _count_if(node: exp.CountIf, context: Context) -> exp.Expr:
    return cast(exp.Count(this=exp.Nullif(this=node.this, expression=exp.false())), "bigint")


@rule("any_value", "first", nodes=(exp.AnyValue,))
def _first(node: exp.Expr, context: Context) -> exp.Expr:
    return typed(call("first", node.this), node.type)
