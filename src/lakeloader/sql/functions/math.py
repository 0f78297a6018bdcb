"""Math with Spark's answers: sign, abs and negative (ANSI overflow), pmod, sqrt, degrees, radians, width_bucket,
factorial, rand without a seed, the try_ arithmetic (NULL, never an error). Rounding is in rounding.py, bases
(conv, bin, hex, unhex) with the hashes and bit functions in hashing.py.

Transcendental functions (exp, ln, pow, the trigonometry) are refused: Spark's Java (StrictMath/fdlibm, or the
JVM's intrinsics) and DuckDB's C library differ in the last binary digit for ordinary inputs.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace

from sqlglot import exp

from lakeloader.sql import types
from lakeloader.sql.context import Context, call, cast, error, typed, when
from lakeloader.sql.functions.casts import spark_cast
from lakeloader.sql.functions.operators import hugeint, wrapped
from lakeloader.sql.registry import REGISTRY, Rewrite, refuse, rule, same
from lakeloader.sql.runtime import macro

T = exp.DType
DOUBLE = "double"
LIMITS = {
    T.TINYINT: (-(2**7), 2**7 - 1),
    T.SMALLINT: (-(2**15), 2**15 - 1),
    T.INT: (-(2**31), 2**31 - 1),
    T.BIGINT: (-(2**63), 2**63 - 1),
}


def refused(what: str, why: str) -> exp.Expr:
    from lakeloader.sql.translate import TranslateError

    raise TranslateError(f"function {what}: {why}; rewrite that part of the query")


def as_type(value: exp.Expr, spark_type: exp.DataType | str, context: Context) -> exp.Expr:
    """`value` as Spark's implicit cast makes it `spark_type` (a string checked as Spark reads numbers)."""
    target = types.of(spark_type) if isinstance(spark_type, str) else spark_type
    if isinstance(value, exp.Null):
        return cast(exp.Null(), target)
    if value.type is not None and value.type == target:
        return value
    if not types.is_known(value.type):
        return cast(value, target)
    return spark_cast(value, target, context)


def as_double(value: exp.Expr, context: Context) -> exp.Expr:
    return as_type(value, DOUBLE, context)


def double_type(node: exp.Expr) -> exp.DataType:
    return types.of(DOUBLE)


def overflow_error(message: str = "Overflow.") -> exp.Expr:
    return error(
        "ARITHMETIC_OVERFLOW", f'{message} If necessary set "spark.sql.ansi.enabled" to "false" to bypass this error.'
    )


def int_literal(node: exp.Expr | None, what: str, default: int = 0) -> int:
    """A scale argument: Spark requires a foldable integer."""
    if node is None:
        return default
    inner = node.this if isinstance(node, exp.Neg) else node
    if isinstance(inner, exp.Literal) and not inner.is_string and inner.this.lstrip("-").isdigit():
        return -int(inner.this) if isinstance(node, exp.Neg) else int(inner.this)
    refused(what, "the scale must be an integer literal")
    return default


# -- sign, abs, negative, positive ------------------------------------------------------------------------------
@rule("sign", "signum", nodes=(exp.Sign,), returns=double_type)
def _sign(node: exp.Sign, context: Context) -> exp.Expr:
    """A double: -1.0, 1.0, or the value itself for ±0.0 and NaN (Java's Math.signum)."""
    value = as_double(node.this, context)
    positive = exp.And(
        this=exp.Not(this=call("isnan", value)), expression=exp.GT(this=value.copy(), expression=exp.Literal.number(0))
    )
    negative = exp.LT(this=value.copy(), expression=exp.Literal.number(0))
    signum = exp.Case(
        ifs=[
            exp.If(this=positive, true=cast(exp.Literal.number(1), DOUBLE)),
            exp.If(this=negative, true=cast(exp.Literal.number(-1), DOUBLE)),
        ],
        default=value.copy(),
    )
    return typed(signum, types.of(DOUBLE))


def _smallest(value: exp.Expr, t: exp.DataType) -> exp.Expr:
    return exp.EQ(this=value, expression=cast(hugeint(LIMITS[t.this][0]), t))


@rule("abs", nodes=(exp.Abs,))
def _abs(node: exp.Abs, context: Context) -> exp.Expr:
    """abs of the smallest integer of its type: ARITHMETIC_OVERFLOW (ANSI), itself without ANSI (Java)."""
    value, t = node.this, node.this.type
    if types.is_string(t):
        value, t = as_double(value, context), types.of(DOUBLE)
    if t is None or t.this not in LIMITS:
        return typed(call("abs", value), t)
    smallest = overflow_error("overflow.") if context.ansi else value.copy()
    return typed(when(_smallest(value, t), cast(smallest, t), cast(call("abs", value.copy()), t)), t)


@rule("negative", nodes=(exp.Negative,))
def _negative(node: exp.Negative, context: Context) -> exp.Expr:
    """`negative(x)` is `-x`: the same rule (overflow of the smallest integer: error with ANSI, else wraps)."""
    negated = typed(exp.Neg(this=node.this), node.this.type)
    minus = REGISTRY.by_node[exp.Neg]
    if minus.rewrite is None:
        return negated
    value, t = node.this, node.this.type
    if t is not None and t.this in LIMITS and context.ansi:
        return typed(when(_smallest(value, t), cast(overflow_error(), t), negated), t)
    return minus.rewrite(negated, context)


@rule("positive")
def _positive(node: exp.Anonymous, context: Context) -> exp.Expr:
    value: exp.Expr = node.expressions[0]
    return value


# -- pmod -----------------------------------------------------------------------------------------------------
def _pmod_type(node: exp.Expr) -> exp.DataType | None:
    from lakeloader.sql.translate import operand_type

    left, right = node.expressions[0], node.expressions[1]
    a, b = operand_type(left, right, ansi=True), operand_type(right, left, ansi=True)
    if types.is_numeric(a) and types.is_numeric(b):
        assert a is not None and b is not None
        return types.arithmetic("%", a, b)
    return None


@rule("pmod", returns=_pmod_type)
def _pmod(node: exp.Anonymous, context: Context) -> exp.Expr:
    """The positive remainder, as Spark: r = a % n; r < 0 ? (r + n) % n : r (with Java's wrap-around for r + n);
    n = 0: REMAINDER_BY_ZERO (ANSI) or NULL."""
    left, right = node.expressions[0], node.expressions[1]
    result = _pmod_type(node)
    if result is None:
        return refused("pmod", "it takes numbers")
    if result.this == T.DECIMAL:  # on the unscaled values at the common scale (BigDecimal.remainder), twice
        from lakeloader.sql.functions.operators import decimal_remainder

        a, n = (as_type(v, result, context) if types.is_string(v.type) else v for v in (left, right))
        r: exp.Expr = typed(decimal_remainder(a, n, result), result)
        _, scale = types.precision_scale(result)
        wide = types.of(f"decimal(38,{scale})")  # r + n grows when n < 0 (Spark: BigDecimal, then % n)
        shifted = typed(cast(exp.Add(this=r.copy(), expression=n.copy()), wide), wide)
        again: exp.Expr = decimal_remainder(shifted, n.copy(), result)
        positive = when(exp.LT(this=r, expression=exp.Literal.number(0)), again, r.copy())
    else:
        a, n = as_type(left, result, context), as_type(right, result, context)
        r = _remainder(a, n, result)
        if result.this in LIMITS:
            again = wrapped(
                exp.Add(
                    this=exp.Cast(this=r.copy(), to=types.duckdb("HUGEINT")),
                    expression=exp.Cast(this=n.copy(), to=types.duckdb("HUGEINT")),
                ),
                result,
            )
        else:
            again = cast(exp.Add(this=r.copy(), expression=n.copy()), result)
        positive = when(exp.LT(this=r, expression=exp.Literal.number(0)), _remainder(again, n.copy(), result), r.copy())
    zero = _remainder_by_zero() if context.ansi else cast(exp.Null(), result)
    return typed(when(exp.EQ(this=n.copy(), expression=exp.Literal.number(0)), zero, positive), result)


def _wide(value: exp.Expr) -> exp.Expr:
    """A decimal (or integer) as DECIMAL(38, its scale): DuckDB's remainder is then exact."""
    _, scale = types.precision_scale(value.type or types.of("bigint"))
    return exp.Cast(this=value, to=types.duckdb(f"DECIMAL(38, {scale})"))


def _remainder(a: exp.Expr, n: exp.Expr, t: exp.DataType) -> exp.Expr:
    """Java's `a % n` for n != 0 (DuckDB's remainder has the dividend's sign too; MIN % -1 is 0)."""
    if t.this == T.DECIMAL:
        return cast(exp.Mod(this=_wide(a), expression=_wide(n)), t)
    guarded = when(exp.EQ(this=n.copy(), expression=exp.Literal.number(0)), cast(exp.Literal.number(1), t), n)
    return cast(exp.Mod(this=cast(a, t), expression=exp.Paren(this=guarded)), t)


def _remainder_by_zero() -> exp.Expr:
    return error(
        "REMAINDER_BY_ZERO",
        "Remainder by zero. Use `try_mod` to tolerate divisor being 0 and return "
        'NULL instead. If necessary set "spark.sql.ansi.enabled" to "false" to bypass this error.',
    )


# -- powers, roots, logarithms, trigonometry --------------------------------------------------------------------
@rule("sqrt", nodes=(exp.Sqrt,), returns=double_type, note="IEEE's correctly rounded square root, as Java's")
def _sqrt(node: exp.Sqrt, context: Context) -> exp.Expr:
    return typed(call("sqrt", as_double(node.this, context)), types.of(DOUBLE))


@rule("degrees", nodes=(exp.Degrees,), returns=double_type, note="x * 57.29577951308232, as Java's toDegrees")
def _degrees(node: exp.Degrees, context: Context) -> exp.Expr:
    factor = cast(exp.Literal.number("57.29577951308232"), DOUBLE)
    return typed(exp.Mul(this=as_double(node.this, context), expression=factor), types.of(DOUBLE))


@rule("radians", nodes=(exp.Radians,), returns=double_type, note="x * 0.017453292519943295, as Java's toRadians")
def _radians(node: exp.Radians, context: Context) -> exp.Expr:
    factor = cast(exp.Literal.number("0.017453292519943295"), DOUBLE)
    return typed(exp.Mul(this=as_double(node.this, context), expression=factor), types.of(DOUBLE))


# Spark computes these with Java's StrictMath (fdlibm) or the JVM's Math intrinsics; DuckDB's C library rounds
# differently in the last binary digit for ordinary inputs (measured on 1,500 values: exp 8%, pow 8%, ln 4%,
# log10 2%, cbrt 50%, atan2 14%, atan 3%, sin 0.6%; pow(2, 1.5) is 2.82842712474619 in Spark and
# 2.8284271247461903 here), so they are refused until lakeloader reproduces fdlibm bit for bit.
_LAST_DIGIT = (
    "Spark computes it with Java's StrictMath/Math, whose last binary digit differs from DuckDB's C library for "
    "ordinary inputs (pow(2, 1.5)); lakeloader does not reproduce it yet. Compute it after reading the table, or "
    "with lakeloader sql --dialect duckdb if the last digit does not matter"
)
refuse("exp", "ln", "log", "log10", "log2", "pow", "power", "cbrt", "hypot", "sin", "cos", "tan", "cot", "sec", "csc",
       "asin", "acos", "atan", "atan2", "sinh", "cosh", "tanh", "asinh", "acosh", "atanh", why=_LAST_DIGIT)  # fmt: skip


@rule(nodes=(exp.Log, exp.Ln))
def _log(node: exp.Expr, context: Context) -> exp.Expr:
    """log(b, x), log10(x), log2(x) parse as one node, ln(x) and log(x) as another: the refusal names them all."""
    return refused("log (ln, log10, log2)", _LAST_DIGIT)


refuse("log1p", why="DuckDB has no log1p (and Spark's is fdlibm's); " + _LAST_DIGIT.split("; ", 1)[1])
refuse("expm1", why="DuckDB has no expm1 (and Spark's is fdlibm's); " + _LAST_DIGIT.split("; ", 1)[1])


same("pi", nodes=(exp.Pi,), returns=double_type)


@rule("e", returns=double_type)
def _e(node: exp.Anonymous, context: Context) -> exp.Expr:
    return cast(exp.Literal.number("2.718281828459045"), DOUBLE)


# -- integers and bases -----------------------------------------------------------------------------------------
@rule("factorial", nodes=(exp.Factorial,), returns=lambda node: types.of("bigint"), note="NULL outside 0..20")
def _factorial(node: exp.Factorial, context: Context) -> exp.Expr:
    n = as_type(node.this, "int", context)
    inside = exp.Between(this=n, low=exp.Literal.number(0), high=exp.Literal.number(20))
    return typed(
        when(inside, cast(call("factorial", n.copy()), "bigint"), cast(exp.Null(), "bigint")), types.of("bigint")
    )


@rule("width_bucket", nodes=(exp.WidthBucket,), returns=lambda node: types.of("bigint"))
def _width_bucket(node: exp.WidthBucket, context: Context) -> exp.Expr:
    """Spark's WidthBucket: NULL for n <= 0, n = Long.MAX, a NaN value, equal or non-finite bounds."""
    value, low, high = (as_double(node.args[k], context) for k in ("this", "min_value", "max_value"))
    n = as_type(node.args["num_buckets"], "bigint", context)
    return typed(call(WIDTH_BUCKET, value, low, high, n), types.of("bigint"))


WIDTH_BUCKET = macro(
    "spark_width_bucket",
    """(v, lo, hi, n) AS CASE
    WHEN n <= 0 OR n = 9223372036854775807 OR isnan(v) OR lo = hi OR NOT isfinite(lo) OR NOT isfinite(hi) THEN NULL
    WHEN lo < hi THEN CASE WHEN v < lo THEN 0 WHEN v >= hi THEN n + 1
                           ELSE CAST(trunc(CAST(n AS DOUBLE) * (v - lo) / (hi - lo)) AS BIGINT) + 1 END
    ELSE CASE WHEN v > lo THEN 0 WHEN v <= hi THEN n + 1
              ELSE CAST(trunc(CAST(n AS DOUBLE) * (lo - v) / (lo - hi)) AS BIGINT) + 1 END END""",
)


# -- random numbers -------------------------------------------------------------------------------------------
@rule(
    "rand",
    "random",
    nodes=(exp.Rand,),
    returns=double_type,
    note="without a seed only: a uniform double in [0, 1) (Spark's seeded sequence cannot be reproduced)",
)
def _rand(node: exp.Rand, context: Context) -> exp.Expr:
    return _unseeded(node, "rand") or typed(call("random"), types.of(DOUBLE))


@rule(
    "randn",
    nodes=(exp.Randn,),
    returns=double_type,
    note="without a seed only: a standard normal double (Box-Muller over DuckDB's generator)",
)
def _randn(node: exp.Randn, context: Context) -> exp.Expr:
    return _unseeded(node, "randn") or typed(call(RANDN), types.of(DOUBLE))


def _unseeded(node: exp.Expr, name: str) -> exp.Expr | None:
    """The refusal of a seeded call (None without a seed)."""
    if node.this is None:
        return None
    why = "a seed asks for Spark's own sequence (XORShiftRandom per partition), which lakeloader cannot reproduce"
    return refused(name, f"{why}; call {name}() without a seed")


RANDN = macro("spark_randn", "() AS sqrt(-2 * ln(1 - random())) * cos(2 * pi() * random())")
refuse(
    "uniform",
    why="not supported yet (its result type follows its arguments and Spark's seeded sequence "
    "cannot be reproduced); write min + (max - min) * rand()",
)


# -- try_ arithmetic: NULL instead of an overflow or a division by zero, whatever ANSI says ------------------------
def _try_type(op: str) -> Callable[[exp.Expr], exp.DataType | None]:
    def returns(node: exp.Expr) -> exp.DataType | None:
        from lakeloader.sql.translate import operand_type

        left, right = _operands(node)
        a, b = operand_type(left, right, ansi=True), operand_type(right, left, ansi=True)
        if types.is_numeric(a) and types.is_numeric(b):
            assert a is not None and b is not None
            return types.arithmetic(op, a, b)
        return None

    return returns


def _operands(node: exp.Expr) -> tuple[exp.Expr, exp.Expr]:
    if isinstance(node, exp.Anonymous):
        return node.expressions[0], node.expressions[1]
    return node.this, node.expression


_OPERATORS: dict[str, type[exp.Expr]] = {"+": exp.Add, "-": exp.Sub, "*": exp.Mul, "/": exp.Div, "%": exp.Mod}


def _try(op: str, name: str) -> Rewrite:
    def rewrite(node: exp.Expr, context: Context) -> exp.Expr:
        result = _try_type(op)(node)
        if result is None:
            return refused(name, "it takes numbers here (dates and intervals are not supported yet)")
        left, right = _operands(node)
        quiet = Context(replace(context.settings, ansi=False))
        if result.this in LIMITS and op in "+-*":
            huge = types.duckdb("HUGEINT")
            wide = _OPERATORS[op](
                this=exp.Cast(this=as_type(left, result, context), to=huge),
                expression=exp.Cast(this=as_type(right, result, context), to=huge.copy()),
            )
            low, high = LIMITS[result.this]
            inside = exp.Between(this=exp.Paren(this=wide), low=hugeint(low), high=hugeint(high))
            return typed(when(inside, cast(wide.copy(), result), cast(exp.Null(), result)), result)
        if op == "%" and result.this != T.DECIMAL:
            a, n = as_type(left, result, context), as_type(right, result, context)
            zero = exp.EQ(this=n.copy(), expression=exp.Literal.number(0))
            return typed(when(zero, cast(exp.Null(), result), _remainder(a, n, result)), result)
        operator = REGISTRY.by_node[_OPERATORS[op]]
        assert operator.rewrite is not None
        return operator.rewrite(typed(_OPERATORS[op](this=left, expression=right), result), quiet)

    return rewrite


rule("try_add", nodes=(exp.SafeAdd,), returns=_try_type("+"))(_try("+", "try_add"))
rule("try_subtract", nodes=(exp.SafeSubtract,), returns=_try_type("-"))(_try("-", "try_subtract"))
rule("try_multiply", nodes=(exp.SafeMultiply,), returns=_try_type("*"))(_try("*", "try_multiply"))
rule("try_divide", nodes=(exp.SafeDivide,), returns=_try_type("/"))(_try("/", "try_divide"))
rule("try_mod", returns=_try_type("%"))(_try("%", "try_mod"))
