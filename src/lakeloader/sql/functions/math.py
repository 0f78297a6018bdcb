"""Math with Spark's answers: sign, abs and negative (ANSI overflow), pmod, Java's special cases of pow and the
logarithms, width_bucket, factorial, rand without a seed, the try_ arithmetic (NULL, never an error). Rounding is
in rounding.py, bases (conv, bin, hex, unhex) with the hashes and bit functions in hashing.py.

Transcendental functions run on DuckDB's C library; Spark's Java (StrictMath/fdlibm, or the JVM's intrinsics)
can differ from it in the last binary digit for some inputs: see each rule's note.
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
_ULP = "C library value: may differ from Spark's Java in the last binary digit for some inputs"
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


def _remainder(a: exp.Expr, n: exp.Expr, t: exp.DataType) -> exp.Expr:
    """Java's `a % n` for n != 0 (DuckDB's remainder has the dividend's sign too; MIN % -1 is 0)."""
    if t.this == T.DECIMAL:
        _, s = types.precision_scale(t)
        wide = types.duckdb(f"DECIMAL(38, {s})")
        return cast(exp.Mod(this=exp.Cast(this=a, to=wide), expression=exp.Cast(this=n, to=wide.copy())), t)
    guarded = when(exp.EQ(this=n.copy(), expression=exp.Literal.number(0)), cast(exp.Literal.number(1), t), n)
    return cast(exp.Mod(this=cast(a, t), expression=exp.Paren(this=guarded)), t)


def _remainder_by_zero() -> exp.Expr:
    return error(
        "REMAINDER_BY_ZERO",
        "Remainder by zero. Use `try_mod` to tolerate divisor being 0 and return "
        'NULL instead. If necessary set "spark.sql.ansi.enabled" to "false" to bypass this error.',
    )


# -- powers, roots, logarithms, trigonometry --------------------------------------------------------------------
# DuckDB's cbrt is a power (cbrt(-27) is -3.0000000000000004): one Newton step brings it to the nearest double,
# mostly, as Java's fdlibm cbrt (error under 0.67 ulp).
CBRT = macro(
    "spark_cbrt",
    "(x) AS CASE WHEN x = 0 OR NOT isfinite(x) THEN x "
    "ELSE cbrt(x) - (cbrt(x) * cbrt(x) * cbrt(x) - x) / (3 * cbrt(x) * cbrt(x)) END",
)


def _unary(name: str, duckdb_name: str, note: str = _ULP, node_class: type[exp.Expr] | None = None) -> None:
    def rewrite(node: exp.Expr, context: Context) -> exp.Expr:
        value = node.this if not isinstance(node, exp.Anonymous) else node.expressions[0]
        return typed(call(duckdb_name, as_double(value, context)), types.of(DOUBLE))

    rule(name, nodes=(node_class,) if node_class else (), returns=double_type, note=note)(rewrite)


_unary("sqrt", "sqrt", "exact (IEEE square root)", exp.Sqrt)
_unary("cbrt", CBRT, node_class=exp.Cbrt)
_unary("exp", "exp", node_class=exp.Exp)
_unary("sin", "sin", node_class=exp.Sin)
_unary("cos", "cos", node_class=exp.Cos)
_unary("tan", "tan", node_class=exp.Tan)
_unary("asin", "asin", node_class=exp.Asin)
_unary("acos", "acos", node_class=exp.Acos)
_unary("atan", "atan", node_class=exp.Atan)
_unary("sinh", "sinh", node_class=exp.Sinh)
_unary("cosh", "cosh", node_class=exp.Cosh)
_unary("tanh", "tanh", node_class=exp.Tanh)
_unary("asinh", "asinh", node_class=exp.Asinh)
_unary("acosh", "acosh", node_class=exp.Acosh)
_unary("atanh", "atanh", node_class=exp.Atanh)


def _reciprocal(name: str, of: str, node_class: type[exp.Expr]) -> None:
    """cot, sec, csc as Spark computes them: 1 / tan(x), 1 / cos(x), 1 / sin(x) (a zero gives ±Infinity)."""

    def rewrite(node: exp.Expr, context: Context) -> exp.Expr:
        one = cast(exp.Literal.number(1), DOUBLE)
        return typed(exp.Div(this=one, expression=call(of, as_double(node.this, context))), types.of(DOUBLE))

    rule(name, nodes=(node_class,), returns=double_type, note=_ULP)(rewrite)


_reciprocal("cot", "tan", exp.Cot)
_reciprocal("sec", "cos", exp.Sec)
_reciprocal("csc", "sin", exp.Csc)


@rule("degrees", nodes=(exp.Degrees,), returns=double_type, note="x * 57.29577951308232, as Java's toDegrees")
def _degrees(node: exp.Degrees, context: Context) -> exp.Expr:
    factor = cast(exp.Literal.number("57.29577951308232"), DOUBLE)
    return typed(exp.Mul(this=as_double(node.this, context), expression=factor), types.of(DOUBLE))


@rule("radians", nodes=(exp.Radians,), returns=double_type, note="x * 0.017453292519943295, as Java's toRadians")
def _radians(node: exp.Radians, context: Context) -> exp.Expr:
    factor = cast(exp.Literal.number("0.017453292519943295"), DOUBLE)
    return typed(exp.Mul(this=as_double(node.this, context), expression=factor), types.of(DOUBLE))


@rule("atan2", nodes=(exp.Atan2,), returns=double_type, note=_ULP)
def _atan2(node: exp.Atan2, context: Context) -> exp.Expr:
    """Spark adds 0.0 to both sides first (-0.0 becomes 0.0)."""
    y, x = (
        exp.Add(this=as_double(v, context), expression=cast(exp.Literal.number(0), DOUBLE))
        for v in (node.this, node.expression)
    )
    return typed(call("atan2", y, x), types.of(DOUBLE))


POW = macro(
    "spark_pow",
    """(a, b) AS CASE
    WHEN b = 0 THEN 1.0::DOUBLE
    WHEN isnan(b) OR isnan(a) THEN 'NaN'::DOUBLE
    WHEN abs(a) = 1 AND isinf(b) THEN 'NaN'::DOUBLE
    ELSE pow(a, b) END""",
)


@rule("pow", "power", nodes=(exp.Pow,), returns=double_type, note=_ULP + "; Java's special cases (pow(1, NaN) NaN)")
def _pow(node: exp.Pow, context: Context) -> exp.Expr:
    return typed(call(POW, as_double(node.this, context), as_double(node.expression, context)), types.of(DOUBLE))


LN = macro("spark_ln", "(x) AS CASE WHEN x <= 0 THEN NULL ELSE ln(x) END")


@rule("ln", "log", nodes=(exp.Ln,), returns=double_type, note=_ULP + "; NULL for x <= 0")
def _ln(node: exp.Ln, context: Context) -> exp.Expr:
    return typed(call(LN, as_double(node.this, context)), types.of(DOUBLE))


@rule("log10", "log2", nodes=(exp.Log,), returns=double_type, note=_ULP + "; NULL for a base or x <= 0")
def _log(node: exp.Log, context: Context) -> exp.Expr:
    """log(base, x) = ln(x) / ln(base) (log2 too, as Spark); log10 by DuckDB's log10; NULL when either is <= 0."""
    base, value = node.this, node.expression
    x = as_double(value, context)
    if isinstance(base, exp.Literal) and base.this == "10":
        return typed(
            when(exp.LTE(this=x, expression=exp.Literal.number(0)), exp.Null(), call("log10", x.copy())),
            types.of(DOUBLE),
        )
    b = as_double(base, context)
    invalid = exp.Or(
        this=exp.LTE(this=b, expression=exp.Literal.number(0)),
        expression=exp.LTE(this=x, expression=exp.Literal.number(0)),
    )
    return typed(
        when(invalid, exp.Null(), exp.Div(this=call("ln", x.copy()), expression=call("ln", b.copy()))), types.of(DOUBLE)
    )


@rule("hypot", returns=double_type, note=_ULP + "; scaled so that it does not overflow")
def _hypot(node: exp.Anonymous, context: Context) -> exp.Expr:
    a, b = (call("abs", as_double(v, context)) for v in node.expressions[:2])
    big, small = call("greatest", a, b), call("least", a.copy(), b.copy())
    ratio = exp.Div(this=small, expression=big)
    scaled = exp.Mul(
        this=big.copy(),
        expression=call(
            "sqrt",
            exp.Add(this=cast(exp.Literal.number(1), DOUBLE), expression=exp.Mul(this=ratio, expression=ratio.copy())),
        ),
    )
    special = exp.Case(
        ifs=[
            exp.If(this=call("isinf", a.copy()), true=call("abs", a.copy())),
            exp.If(this=call("isinf", b.copy()), true=call("abs", b.copy())),
            exp.If(
                this=exp.EQ(this=big.copy(), expression=exp.Literal.number(0)), true=cast(exp.Literal.number(0), DOUBLE)
            ),
        ],
        default=scaled,
    )
    return typed(special, types.of(DOUBLE))


same("pi", nodes=(exp.Pi,), returns=double_type)


@rule("e", returns=double_type)
def _e(node: exp.Anonymous, context: Context) -> exp.Expr:
    return cast(exp.Literal.number("2.718281828459045"), DOUBLE)


refuse(
    "log1p",
    why="DuckDB has no log1p, and ln(1 + x) loses the digits near 0 that log1p keeps; write "
    "ln(1 + x) if that precision is enough",
)
refuse(
    "expm1",
    why="DuckDB has no expm1, and exp(x) - 1 loses the digits near 0 that expm1 keeps; write "
    "exp(x) - 1 if that precision is enough",
)


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
    if node.this is not None:
        return refused(
            "rand",
            "a seed asks for Spark's own sequence (XORShiftRandom per partition), which lakeloader "
            "cannot reproduce; call rand() without a seed",
        )
    return typed(call("random"), types.of(DOUBLE))


@rule(
    "randn",
    nodes=(exp.Randn,),
    returns=double_type,
    note="without a seed only: a standard normal double (Box-Muller over DuckDB's generator)",
)
def _randn(node: exp.Randn, context: Context) -> exp.Expr:
    if node.this is not None:
        return refused(
            "randn",
            "a seed asks for Spark's own sequence (XORShiftRandom per partition), which "
            "lakeloader cannot reproduce; call randn() without a seed",
        )
    return typed(call(RANDN), types.of(DOUBLE))


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
