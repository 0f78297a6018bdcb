"""Operators: comparison, logic, arithmetic (with Spark's result types and ANSI errors), CASE, null handling."""

from __future__ import annotations

from sqlglot import exp

from lakeloader.sql import types
from lakeloader.sql.context import Context, call, cast, error, typed, when
from lakeloader.sql.functions.collections import bind, cheap
from lakeloader.sql.registry import rule, same

# Comparison and logic mean the same in both engines (three-valued logic, byte-wise string order).
same("=", "==", nodes=(exp.EQ,))
same("!=", "<>", nodes=(exp.NEQ,))
same("<", nodes=(exp.LT,))
same("<=", nodes=(exp.LTE,))
same(">", nodes=(exp.GT,))
same(">=", nodes=(exp.GTE,))
same("<=>", nodes=(exp.NullSafeEQ,), note="NULL-safe equality: IS NOT DISTINCT FROM")
same(nodes=(exp.NullSafeNEQ,), note="IS DISTINCT FROM: NOT (a <=> b)")
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
    if spark_type.this == exp.DType.DECIMAL and _loses_scale(node, left, right, spark_type):
        return _exact_decimal(node, left, right, spark_type, context)
    if spark_type.this == exp.DType.DECIMAL:  # operands widened to 38 digits: only a true overflow overflows

        def widened(operand: exp.Expr) -> exp.Expr:
            _, scale = types.precision_scale(operand.type or spark_type)
            return exp.Cast(this=operand, to=types.duckdb(f"DECIMAL(38, {scale})"))

        value: exp.Expr = type(node)(this=widened(left), expression=widened(right))
        if not context.ansi:
            value = call("try", value)
        return cast(value, spark_type, safe=not context.ansi)
    return typed(type(node)(this=cast(left, spark_type), expression=cast(right, spark_type)), spark_type)


def _digits(operand: exp.Expr, fallback: exp.DataType) -> tuple[int, int]:
    """An operand's (precision, scale) as a decimal (an integer's as Spark widens it; else `fallback`'s)."""
    t = operand.type
    return types.precision_scale(t if t is not None and types.is_numeric(t) else fallback)


def _scales(left: exp.Expr, right: exp.Expr, spark_type: exp.DataType) -> tuple[int, int]:
    return _digits(left, spark_type)[1], _digits(right, spark_type)[1]


def _loses_scale(node: exp.Expr, left: exp.Expr, right: exp.Expr, spark_type: exp.DataType) -> bool:
    """Does Spark's (precision-reduced) result type keep fewer places than the exact result has?"""
    s_left, s_right = _scales(left, right, spark_type)
    full = s_left + s_right if isinstance(node, exp.Mul) else max(s_left, s_right)
    return types.precision_scale(spark_type)[1] < full


def _half_up(value: exp.Expr, drop: int) -> exp.Expr:
    """A HUGEINT divided by 10^drop, rounded half up (away from zero)."""
    unit = hugeint(10**drop)
    quotient = exp.IntDiv(this=value, expression=unit)
    twice = exp.Mul(this=call("abs", exp.Mod(this=value.copy(), expression=unit.copy())), expression=hugeint(2))
    up = exp.GTE(this=twice, expression=unit.copy())
    return exp.Paren(this=exp.Add(this=quotient, expression=when(up, call("sign", value.copy()), hugeint(0))))


def _split(value: exp.Expr, unit: int) -> tuple[exp.Expr, exp.Expr]:
    """A HUGEINT's quotient and remainder by `unit` (both with its sign)."""
    return (
        exp.Paren(this=exp.IntDiv(this=value, expression=hugeint(unit))),
        exp.Paren(this=exp.Mod(this=value.copy(), expression=hugeint(unit))),
    )


def _exact_sum(node: exp.Expr, a: exp.Expr, b: exp.Expr, scales: tuple[int, int], scale: int) -> tuple[exp.Expr, ...]:
    """`a ± b` (unscaled HUGEINTs at `scales`) at `scale`, rounded half up: (unscaled result, too large). Integer
    and fraction parts are added apart (so nothing overflows), given one sign, then the fraction is rounded."""
    common = max(scales)
    (i_a, f_a), (i_b, f_b) = _split(a, 10 ** scales[0]), _split(b, 10 ** scales[1])
    f_a = exp.Mul(this=f_a, expression=hugeint(10 ** (common - scales[0])))
    f_b = exp.Mul(this=f_b, expression=hugeint(10 ** (common - scales[1])))
    op = exp.Add if isinstance(node, exp.Add) else exp.Sub
    whole, fraction = exp.Paren(this=op(this=i_a, expression=i_b)), exp.Paren(this=op(this=f_a, expression=f_b))
    zero = hugeint(0)
    borrow = exp.And(this=exp.GT(this=whole, expression=zero), expression=exp.LT(this=fraction, expression=zero.copy()))
    lend = exp.And(
        this=exp.LT(this=whole.copy(), expression=zero.copy()), expression=exp.GT(this=fraction.copy(), expression=zero)
    )
    step = exp.Paren(this=when(borrow, hugeint(1), when(lend, hugeint(-1), hugeint(0))))
    whole = exp.Paren(this=exp.Sub(this=whole.copy(), expression=step))
    fraction = exp.Paren(
        this=exp.Add(this=fraction.copy(), expression=exp.Mul(this=step.copy(), expression=hugeint(10**common)))
    )
    too_big = exp.GTE(this=call("abs", whole), expression=hugeint(10 ** (types.MAX_PRECISION - scale)))
    kept = when(too_big, hugeint(0), whole.copy())
    rounded = _half_up(fraction, common - scale)
    return exp.Add(this=exp.Mul(this=kept, expression=hugeint(10**scale)), expression=rounded), too_big


def _exact_product(a: exp.Expr, b: exp.Expr, drop: int) -> tuple[exp.Expr, ...]:
    """`a * b` (unscaled HUGEINTs) divided by 10^drop, rounded half up: (unscaled result, too large). The product
    of the magnitudes in three limbs of 10^19 (c2 * 10^38 + c1 * 10^19 + c0), each partial product in range."""
    base = 10**19
    sign = exp.Mul(this=call("sign", a), expression=call("sign", b))
    (a1, a0), (b1, b0) = _split(call("abs", a.copy()), base), _split(call("abs", b.copy()), base)
    x1, x0 = _split(exp.Mul(this=a1, expression=b0), base)
    y1, y0 = _split(exp.Mul(this=a0, expression=b1), base)
    z1, c0 = _split(exp.Mul(this=a0.copy(), expression=b0.copy()), base)
    middle = exp.Paren(this=exp.Add(this=exp.Add(this=x0, expression=y0), expression=z1))
    carry, c1 = _split(middle, base)
    high = exp.Add(this=exp.Add(this=exp.Mul(this=a1.copy(), expression=b1.copy()), expression=x1), expression=y1)
    c2 = exp.Paren(this=exp.Add(this=high, expression=carry))
    zero = hugeint(0)
    if drop < 19:
        too_big: exp.Expr = exp.GTE(this=c2, expression=hugeint(10**drop))
        c2_kept = exp.Paren(this=when(too_big, zero, c2.copy()))
        quotient: exp.Expr = exp.Add(
            this=exp.Add(
                this=exp.Mul(this=c2_kept, expression=hugeint(10 ** (38 - drop))),
                expression=exp.Mul(this=c1, expression=hugeint(10 ** (19 - drop))),
            ),
            expression=exp.IntDiv(this=c0, expression=hugeint(10**drop)),
        )
        rest: exp.Expr = exp.Mod(this=c0.copy(), expression=hugeint(10**drop))
        up: exp.Expr = exp.GTE(this=exp.Mul(this=rest, expression=hugeint(2)), expression=hugeint(10**drop))
    elif drop < 38:
        t = drop - 19
        too_big = exp.GTE(this=c2, expression=hugeint(10**drop))
        c2_kept = exp.Paren(this=when(too_big, zero, c2.copy()))
        quotient = exp.Add(
            this=exp.Mul(this=c2_kept, expression=hugeint(10 ** (19 - t))),
            expression=exp.IntDiv(this=c1, expression=hugeint(10**t)),
        )
        rest = exp.Add(
            this=exp.Mul(this=exp.Paren(this=exp.Mod(this=c1.copy(), expression=hugeint(10**t))),
                         expression=hugeint(base)),
            expression=c0,
        )  # fmt: skip
        up = exp.GTE(this=exp.Mul(this=exp.Paren(this=rest), expression=hugeint(2)), expression=hugeint(10**drop))
    else:
        e = drop - 38
        too_big = exp.Boolean(this=False)
        quotient = exp.IntDiv(this=c2, expression=hugeint(10**e))
        if e:
            rest = exp.Mod(this=c2.copy(), expression=hugeint(10**e))
            up = exp.GTE(this=rest, expression=hugeint(5 * 10 ** (e - 1)))
        else:
            up = exp.GTE(this=c1, expression=hugeint(5 * 10**18))
    magnitude = exp.Paren(this=exp.Add(this=quotient, expression=when(up, hugeint(1), hugeint(0))))
    return exp.Mul(this=sign, expression=magnitude), too_big


def _exact_decimal(
    node: exp.Expr, left: exp.Expr, right: exp.Expr, spark_type: exp.DataType, context: Context
) -> exp.Expr:
    """`+ - *` of decimals whose Spark type has fewer places than the exact result (allowPrecisionLoss): the
    exact result rounded half up to the type's scale, an overflow only when that does not fit (as Spark)."""
    precision, scale = types.precision_scale(spark_type)
    scales = _scales(left, right, spark_type)
    if context.ansi:
        name = f"Decimal({precision}, {scale})"
        raised: exp.Expr = error(
            "NUMERIC_VALUE_OUT_OF_RANGE.WITH_SUGGESTION",
            f'The result cannot be represented as {name}. If necessary set "spark.sql.ansi.enabled" to '
            '"false" to bypass this error, and return NULL instead.',
        )
    else:
        raised = exp.Null()

    def exact(unscaled_values: list[exp.Expr]) -> exp.Expr:
        a, b = unscaled_values
        if isinstance(node, exp.Mul):
            value, too_big = _exact_product(a, b, sum(scales) - scale)
        else:
            value, too_big = _exact_sum(node, a, b, scales, scale)
        value = exp.Paren(this=value)
        overflow = exp.Or(
            this=too_big, expression=exp.GTE(this=call("abs", value.copy()), expression=hugeint(10**precision))
        )
        return when(overflow, cast(raised, spark_type), cast(from_unscaled(value.copy(), scale), spark_type))

    operands = [unscaled(left, scales[0]), unscaled(right, scales[1])]
    if cheap(left) and cheap(right):  # columns and literals: copies cost nothing
        return typed(exact(operands), spark_type)
    return typed(bind(operands, exact), spark_type)  # each operand once: nested arithmetic stays linear


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


def by_zero(left: exp.Expr, right: exp.Expr) -> exp.Expr:
    """Spark's test before a division: the divisor is 0 and the dividend is not NULL (NULL / 0 is NULL)."""
    present = exp.Not(this=exp.Is(this=left.copy(), expression=exp.Null()))
    return exp.And(this=present, expression=exp.EQ(this=right.copy(), expression=exp.Literal.number(0)))


def decimal_divide(left: exp.Expr, right: exp.Expr, result: exp.DataType, context: Context) -> exp.Expr:
    """`left / right` for decimals, exactly as Spark: the quotient at the result's scale, rounded half up, from
    the operands' unscaled values (no double in between); by zero, DIVIDE_BY_ZERO (ANSI) or NULL."""
    (_, s_left), (_, s_right) = (
        types.precision_scale(left.type or types.of("int")),
        types.precision_scale(right.type or types.of("int")),
    )
    _, scale = types.precision_scale(result)
    shift = s_right + scale - s_left
    zero = error("DIVIDE_BY_ZERO", "Division by zero. Use `try_divide` to tolerate divisor being 0 and return "
                 "NULL instead.") if context.ansi else exp.Null()  # fmt: skip

    def quotient(unscaled_values: list[exp.Expr]) -> exp.Expr:
        numerator, denominator = unscaled_values
        if shift >= 0:
            numerator = exp.Paren(this=exp.Mul(this=numerator, expression=hugeint(10**shift)))
        else:
            denominator = exp.Paren(this=exp.Mul(this=denominator, expression=hugeint(10 ** (-shift))))
        whole = exp.IntDiv(this=numerator, expression=denominator)
        remainder = call("abs", exp.Mod(this=numerator.copy(), expression=denominator.copy()))
        up = exp.GTE(
            this=remainder, expression=exp.Sub(this=call("abs", denominator.copy()), expression=remainder.copy())
        )
        sign = exp.Mul(this=call("sign", numerator.copy()), expression=call("sign", denominator.copy()))
        rounded = exp.Add(this=whole, expression=when(up, sign, hugeint(0)))
        value = cast(from_unscaled(exp.Paren(this=rounded), scale), result, safe=not context.ansi)
        return when(by_zero(unscaled_values[0], unscaled_values[1]), zero, value)

    operands = [unscaled(left, s_left), unscaled(right, s_right)]
    if cheap(left) and cheap(right):
        return typed(quotient(operands), result)
    return typed(bind(operands, quotient), result)


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
    return typed(when(by_zero(left, right), zero, quotient), types.of("double"))


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
    if types.kind(left.type) in types.FRACTIONAL or types.kind(right.type) in types.FRACTIONAL:
        from lakeloader.sql.translate import TranslateError

        raise TranslateError(
            "[DATATYPE_MISMATCH.BINARY_OP_WRONG_TYPE] div takes integers or decimals, not a float or double "
            "(as in Spark); rewrite that part of the query, e.g. CAST(floor(a / b) AS BIGINT)"
        )
    zero = error("DIVIDE_BY_ZERO", "Division by zero.") if context.ansi else exp.Null()
    quotient = call("trunc", exp.Div(this=cast(left, "decimal(38,0)") if types.is_integral(left.type) else left,
                                     expression=right))  # fmt: skip
    if types.is_integral(left.type) and types.is_integral(right.type):
        quotient = exp.IntDiv(this=cast(left, "bigint"), expression=cast(right, "bigint"))
    return typed(when(by_zero(left, right), zero, cast(quotient, "bigint")), types.of("bigint"))


def decimal_remainder(left: exp.Expr, right: exp.Expr, result: exp.DataType) -> exp.Expr:
    """`left % right` for decimals, exactly as Java's BigDecimal.remainder (the dividend's sign): on the unscaled
    HUGEINTs at the common scale, as `result` (no division by zero test)."""
    (p_left, s_left), (p_right, s_right) = _digits(left, result), _digits(right, result)
    scale = max(s_left, s_right)
    if max(p_left + scale - s_left, p_right + scale - s_right) > types.MAX_PRECISION:  # too wide for a HUGEINT

        def widened(operand: exp.Expr, own: int) -> exp.Expr:
            return exp.Cast(this=operand, to=types.duckdb(f"DECIMAL(38, {own})"))

        return cast(exp.Mod(this=widened(left, s_left), expression=widened(right, s_right)), result)

    def scaled(operand: exp.Expr, own: int) -> exp.Expr:
        value = unscaled(operand, own)
        return exp.Paren(this=exp.Mul(this=value, expression=hugeint(10 ** (scale - own)))) if scale > own else value

    remainder = exp.Mod(this=scaled(left, s_left), expression=scaled(right, s_right))
    return cast(from_unscaled(exp.Paren(this=remainder), scale), result)


@rule("%", "mod", nodes=(exp.Mod,))
def _modulo(node: exp.Mod, context: Context) -> exp.Expr:
    """`a % b`: the remainder with the dividend's sign (as in Java); by zero, DIVIDE_BY_ZERO (ANSI) or NULL."""
    spark_type = node.type
    left, right = node.this, node.expression
    zero = error("DIVIDE_BY_ZERO", "Division by zero.") if context.ansi else exp.Null()
    if spark_type is not None and spark_type.this == exp.DType.DECIMAL:  # a decimal's remainder fits its type
        remainder: exp.Expr = decimal_remainder(left, right, spark_type)
    elif types.is_numeric(spark_type):
        assert spark_type is not None
        remainder = cast(exp.Mod(this=cast(left, spark_type), expression=cast(right, spark_type)), spark_type)
    else:
        remainder = exp.Mod(this=left, expression=right)
    return typed(when(by_zero(left, right), zero, remainder), spark_type)
