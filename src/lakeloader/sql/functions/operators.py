"""Operators: comparison, logic, arithmetic (with Spark's result types and ANSI errors), CASE, null handling."""

from __future__ import annotations

from sqlglot import exp

from lakeloader.sql import types
from lakeloader.sql.context import Context, call, cast, error, typed, when
from lakeloader.sql.registry import rule, same

# Comparison and logic mean the same in both engines (three-valued logic, byte-wise string order).
same("=", "==", nodes=(exp.EQ,))
same("!=", "<>", nodes=(exp.NEQ,))
same("<", nodes=(exp.LT,))
same("<=", nodes=(exp.LTE,))
same(">", nodes=(exp.GT,))
same(">=", nodes=(exp.GTE,))
same("<=>", nodes=(exp.NullSafeEQ,), note="NULL-safe equality: IS NOT DISTINCT FROM")
same("and", nodes=(exp.And,))
same("or", nodes=(exp.Or,))
same("not", "!", nodes=(exp.Not,))
same("in", nodes=(exp.In,))
same("between", nodes=(exp.Between,))
same("isnull", nodes=(exp.Is,), note="IS [NOT] NULL")
same("case", "if", "when", nodes=(exp.Case, exp.If))
same("coalesce", "nvl", "ifnull", nodes=(exp.Coalesce,))
same("nullif", nodes=(exp.Nullif,))
same("nvl2", nodes=(exp.Nvl2,))
same("greatest", nodes=(exp.Greatest,), note="NULLs are skipped, as in Spark")
same("least", nodes=(exp.Least,), note="NULLs are skipped, as in Spark")

_BITS = {exp.DType.TINYINT: 8, exp.DType.SMALLINT: 16, exp.DType.INT: 32, exp.DType.BIGINT: 64}


def wrapped(value: exp.Expr, spark_type: exp.DataType) -> exp.Expr:
    """An integral result computed wide (HUGEINT) and wrapped into `spark_type`'s range, as Java's arithmetic
    overflows: ((v + 2^(b-1)) mod 2^b + 2^b) mod 2^b - 2^(b-1)."""
    bits = _BITS[spark_type.this]
    span, half = hugeint(2**bits), hugeint(2 ** (bits - 1))
    wide = exp.Cast(this=value, to=types.duckdb("HUGEINT"))
    shifted = exp.Mod(this=exp.Paren(this=exp.Add(this=wide, expression=half)), expression=span)
    positive = exp.Mod(this=exp.Paren(this=exp.Add(this=shifted, expression=span.copy())), expression=span.copy())
    return cast(exp.Sub(this=positive, expression=half.copy()), spark_type)


def _operand(node: exp.Expr, other: exp.Expr, context: Context) -> exp.Expr:
    """An operand as Spark's arithmetic takes it: a string cast (checked) to a number first."""
    from lakeloader.sql.registry import REGISTRY
    from lakeloader.sql.translate import operand_type

    wanted = operand_type(node, other, ansi=context.ansi)
    if types.is_string(node.type) and wanted is not None and types.is_numeric(wanted):
        rule = REGISTRY.by_node[exp.Cast]
        assert rule.rewrite is not None
        return rule.rewrite(typed(exp.Cast(this=node, to=wanted.copy()), wanted), context)
    return node


def _arithmetic(node: exp.Expr, context: Context) -> exp.Expr:
    """`+ - *`: computed by DuckDB, then cast to Spark's type (a decimal's precision and scale, an integer's
    width); integer overflow is an ARITHMETIC_OVERFLOW error in ANSI mode and wraps around without it; a
    decimal that overflows is an error in ANSI mode and NULL without it."""
    spark_type = node.type
    if not types.is_numeric(spark_type):
        return node  # dates, intervals, strings: sqlglot's own translation, or DuckDB's error
    assert spark_type is not None
    left = _operand(node.this, node.expression, context)
    right = _operand(node.expression, node.this, context)
    if types.is_integral(spark_type):
        if context.ansi:
            op = type(node)(this=cast(left, spark_type), expression=cast(right, spark_type))
            return typed(op, spark_type)
        huge = types.duckdb("HUGEINT")
        wide = type(node)(this=exp.Cast(this=left, to=huge), expression=exp.Cast(this=right, to=huge.copy()))
        return wrapped(wide, spark_type)
    if spark_type.this == exp.DType.DECIMAL:  # operands widened to 38 digits: only a true overflow overflows

        def widened(operand: exp.Expr) -> exp.Expr:
            _, scale = types.precision_scale(operand.type or spark_type)
            return exp.Cast(this=operand, to=types.duckdb(f"DECIMAL(38, {scale})"))

        value: exp.Expr = type(node)(this=widened(left), expression=widened(right))
        if not context.ansi:
            value = call("try", value)
        return cast(value, spark_type, safe=not context.ansi)
    return typed(type(node)(this=cast(left, spark_type), expression=cast(right, spark_type)), spark_type)


rule("+", nodes=(exp.Add,))(_arithmetic)
rule("-", nodes=(exp.Sub,))(_arithmetic)
rule("*", nodes=(exp.Mul,))(_arithmetic)


def unscaled(value: exp.Expr, scale: int) -> exp.Expr:
    """A decimal's (or an integer's) unscaled value as a HUGEINT: 12.345 at scale 3 is 12345 (through its exact
    text: multiplying by 10^scale would overflow DuckDB's decimals at full precision)."""
    huge = types.duckdb("HUGEINT")
    if not scale:
        return exp.Cast(this=value, to=huge)
    text = exp.Cast(this=exp.Cast(this=value, to=types.duckdb(f"DECIMAL(38, {scale})")), to=types.duckdb("VARCHAR"))
    return exp.Cast(this=call("replace", text, exp.Literal.string("."), exp.Literal.string("")), to=huge)


def hugeint(value: int) -> exp.Expr:
    return exp.Cast(this=exp.Literal.string(str(value)), to=types.duckdb("HUGEINT"))


def from_unscaled(value: exp.Expr, scale: int) -> exp.Expr:
    """The decimal(38, scale) whose unscaled value is the HUGEINT `value` (no detour through a double)."""
    whole = exp.Cast(this=value, to=types.duckdb("DECIMAL(38, 0)"))
    if not scale:
        return whole
    unit = exp.Cast(this=exp.Literal.string(f"{10**-scale:.{scale}f}"), to=types.duckdb(f"DECIMAL(38, {scale})"))
    return exp.Mul(this=whole, expression=unit)


def decimal_divide(left: exp.Expr, right: exp.Expr, result: exp.DataType, context: Context) -> exp.Expr:
    """`left / right` for decimals, exactly as Spark: the quotient at the result's scale, rounded half up, from
    the operands' unscaled values (no double in between); by zero, DIVIDE_BY_ZERO (ANSI) or NULL."""
    (_, s_left), (_, s_right) = (
        types.precision_scale(left.type or types.of("int")),
        types.precision_scale(right.type or types.of("int")),
    )
    _, scale = types.precision_scale(result)
    shift = s_right + scale - s_left
    numerator = unscaled(left, s_left)
    denominator = unscaled(right, s_right)
    if shift >= 0:
        numerator = exp.Mul(this=numerator, expression=hugeint(10**shift))
    else:
        denominator = exp.Mul(this=denominator, expression=hugeint(10 ** (-shift)))
    quotient = exp.IntDiv(this=numerator, expression=denominator)
    remainder = call("abs", exp.Mod(this=numerator.copy(), expression=denominator.copy()))
    up = exp.GTE(this=remainder, expression=exp.Sub(this=call("abs", denominator.copy()), expression=remainder.copy()))
    sign = exp.Mul(this=call("sign", numerator.copy()), expression=call("sign", denominator.copy()))
    rounded = exp.Add(this=quotient, expression=when(up, sign, hugeint(0)))
    value = cast(from_unscaled(exp.Paren(this=rounded), scale), result, safe=not context.ansi)
    zero = error("DIVIDE_BY_ZERO", "Division by zero. Use `try_divide` to tolerate divisor being 0 and return "
                 "NULL instead.") if context.ansi else exp.Null()  # fmt: skip
    return typed(when(exp.EQ(this=right.copy(), expression=exp.Literal.number(0)), zero, value), result)


@rule("/", nodes=(exp.Div,))
def _divide(node: exp.Div, context: Context) -> exp.Expr:
    """`a / b`: a double unless a decimal is involved (then Spark's exact decimal quotient); by zero,
    DIVIDE_BY_ZERO in ANSI mode, else NULL."""
    spark_type = node.type
    left, right = node.this, node.expression
    if spark_type is not None and spark_type.this == exp.DType.DECIMAL:
        return decimal_divide(left, right, spark_type, context)
    zero = error("DIVIDE_BY_ZERO", "Division by zero. Use `try_divide` to tolerate divisor being 0 and return "
                 "NULL instead.") if context.ansi else exp.Null()  # fmt: skip
    quotient = exp.Div(this=cast(left, "double"), expression=cast(right, "double"))
    return typed(when(exp.EQ(this=right.copy(), expression=exp.Literal.number(0)), zero, quotient), types.of("double"))


@rule("-", nodes=(exp.Neg,))
def _negate(node: exp.Neg, context: Context) -> exp.Expr:
    spark_type = node.type
    if types.is_integral(spark_type) and not context.ansi:
        assert spark_type is not None
        return wrapped(exp.Neg(this=exp.Cast(this=node.this, to=types.duckdb("HUGEINT"))), spark_type)
    return node


@rule("div", nodes=(exp.IntDiv,), returns=lambda node: types.of("bigint"))
def _int_divide(node: exp.IntDiv, context: Context) -> exp.Expr:
    """`a div b`: the integral part of the quotient, a bigint; by zero, DIVIDE_BY_ZERO (ANSI) or NULL."""
    left, right = node.this, node.expression
    zero = error("DIVIDE_BY_ZERO", "Division by zero.") if context.ansi else exp.Null()
    quotient = call("trunc", exp.Div(this=cast(left, "decimal(38,0)") if types.is_integral(left.type) else left,
                                     expression=right))  # fmt: skip
    if types.is_integral(left.type) and types.is_integral(right.type):
        quotient = exp.IntDiv(this=cast(left, "bigint"), expression=cast(right, "bigint"))
    return typed(
        when(exp.EQ(this=right.copy(), expression=exp.Literal.number(0)), zero, cast(quotient, "bigint")),
        types.of("bigint"),
    )


@rule("%", "mod", nodes=(exp.Mod,))
def _modulo(node: exp.Mod, context: Context) -> exp.Expr:
    """`a % b`: the remainder with the dividend's sign (as in Java); by zero, DIVIDE_BY_ZERO (ANSI) or NULL."""
    spark_type = node.type
    left, right = node.this, node.expression
    zero = error("DIVIDE_BY_ZERO", "Division by zero.") if context.ansi else exp.Null()
    if spark_type is not None and spark_type.this == exp.DType.DECIMAL:  # a decimal's remainder fits its type

        def widened(operand: exp.Expr) -> exp.Expr:
            _, scale = types.precision_scale(operand.type or spark_type)
            return exp.Cast(this=operand, to=types.duckdb(f"DECIMAL(38, {scale})"))

        remainder: exp.Expr = cast(exp.Mod(this=widened(left), expression=widened(right)), spark_type)
    elif types.is_numeric(spark_type):
        assert spark_type is not None
        remainder = cast(exp.Mod(this=cast(left, spark_type), expression=cast(right, spark_type)), spark_type)
    else:
        remainder = exp.Mod(this=left, expression=right)
    return typed(when(exp.EQ(this=right.copy(), expression=exp.Literal.number(0)), zero, remainder), spark_type)
