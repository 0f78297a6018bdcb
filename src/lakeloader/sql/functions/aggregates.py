"""Aggregates with Spark's types and Spark's arithmetic.

`sum(int)` is a bigint (an overflow is an error in ANSI mode), a decimal sum gains 10 digits, `avg(decimal(p,s))`
is `decimal(p+4,s+4)` computed exactly, an integer average is a double sum divided by the count. Over a window, a
floating-point aggregate is exact where its frame fixes the order of additions (see `windows.over`). Percentiles
are in `aggregates_percentiles`, the statistical aggregates (moments, covariance, regression) in
`aggregates_statistics`.
"""

from __future__ import annotations

from sqlglot import exp

from lakeloader.sql import types
from lakeloader.sql.context import Context, call, cast, error, typed, when
from lakeloader.sql.functions.operators import decimal_divide, from_unscaled, hugeint, unscaled, wrapped
from lakeloader.sql.functions.windows import Frame, frame, in_place, refuse_frame, window_of
from lakeloader.sql.registry import refuse, rule, same
from lakeloader.sql.runtime import macro

T = exp.DType
_DOUBLE = "double"


def agg(name: str, *args: exp.Expr) -> exp.Expr:
    """A DuckDB aggregate by name; an aggregate node, so that a window around the original call windows it."""
    return exp.AnonymousAggFunc(this=name, expressions=list(args))


def argument(node: exp.Expr) -> tuple[exp.Expr, bool]:
    """An aggregate's (first) argument, and whether it was written DISTINCT."""
    value = node.this if not isinstance(node, exp.Anonymous) else node.expressions[0]
    if isinstance(value, exp.Distinct):
        return value.expressions[0], True
    return value, False


def distinct_if(value: exp.Expr, distinct: bool) -> exp.Expr:
    return exp.Distinct(expressions=[value]) if distinct else value


def name_of(node: exp.Expr) -> str:
    from lakeloader.sql.translate import spark_name

    return spark_name(node)


def refused(node: exp.Expr, why: str) -> Exception:
    """A refusal of `node` as written (`function percentile: ...`)."""
    from lakeloader.sql.translate import TranslateError

    return TranslateError(f"function {name_of(node)}: {why}; rewrite that part of the query")


def present_doubles(value: exp.Expr, distinct: bool) -> exp.Expr:
    """The group's (or the window frame's) non-NULL values as doubles, in input order."""
    return call("spark_agg_present", agg("list", distinct_if(cast(value, _DOUBLE), distinct)))


# -- sum, avg, count ---------------------------------------------------------------------------------------
def _sum_type(node: exp.Expr) -> exp.DataType | None:
    value, _ = argument(node)
    arg = value.type
    if types.is_integral(arg):
        return types.of("bigint")
    if types.kind(arg) == T.DECIMAL:
        assert arg is not None
        p, s = types.precision_scale(arg)
        return types.bounded(p + 10, s)
    if types.kind(arg) in (T.FLOAT, T.DOUBLE):
        return types.of(_DOUBLE)
    return None


macro("spark_agg_present", "(l) AS list_filter(coalesce(l, []), lambda spark_e: spark_e IS NOT NULL)")
macro(
    "spark_agg_fsum",
    "(l) AS CASE WHEN len(l) = 0 THEN NULL ELSE list_reduce(l, lambda spark_a, spark_v: spark_a + spark_v, "
    "0.0::DOUBLE) END",
)


def _float_total(node: exp.Expr, value: exp.Expr, distinct: bool) -> exp.Expr:
    """A double sum as Spark adds it: row by row in the frame's order, from 0.0. In a GROUP BY and over a
    whole unordered partition (Spark's order is the partition's arbitrary one), DuckDB's sum; over a bounded
    ROWS frame, from the frame's values in order; over another ordered frame, ints only, whose double partial
    sums are exact in any order while the frame's sum of absolute values stays under 2^53 (past it, over 4
    million rows of large ints, an error, never a different number)."""
    window = window_of(node)
    double = cast(value, _DOUBLE)
    if window is None or frame(window) == Frame.UNORDERED:
        return typed(exp.Sum(this=distinct_if(double, distinct)), types.of(_DOUBLE))
    if frame(window) == Frame.BOUNDED:
        return typed(call("spark_agg_fsum", present_doubles(value, distinct)), types.of(_DOUBLE))
    if types.kind(value.type) in (T.TINYINT, T.SMALLINT, T.INT) and not distinct:
        magnitude = exp.Sum(this=call("abs", exp.Cast(this=value.copy(), to=exp.DataType.build("HUGEINT"))))
        inexact = error(
            "UNSUPPORTED_FEATURE",
            f"function {name_of(node)}: over this window the double sum of these integers is past 2^53, where "
            "the order of additions changes its last digits; use a ROWS frame with bounded offsets",
        )
        big = exp.GTE(this=magnitude, expression=hugeint(2**53))
        return typed(when(big, inexact, exp.Sum(this=double)), types.of(_DOUBLE))
    raise refuse_frame(
        node,
        "a sum of floating-point values would be added in another order than Spark's (DuckDB adds by a segment "
        "tree, Spark row by row), so its last digits could differ (a sum of decimals or ints is exact; cast a "
        "bigint to DECIMAL(38, 0))",
    )


_SPLIT = 10**19  # a decimal's unscaled value summed in two halves, so that no partial sum overflows DuckDB's


def decimal_total(value: exp.Expr, distinct: bool, spark_type: exp.DataType, *, safe: bool) -> exp.Expr:
    """A decimal sum as Spark's decimal(p+10,s): a sum that does not fit is NULL (`safe`) or
    ARITHMETIC_OVERFLOW. DuckDB sums into 38 digits and fails past them, so from 29 digits on the unscaled
    values are summed as two HUGEINT halves and the total is checked before it is made a decimal."""
    arg = value.type
    assert arg is not None
    p, s = types.precision_scale(arg)
    if p + 10 <= types.MAX_PRECISION or distinct:
        return cast(exp.Sum(this=distinct_if(value, distinct)), spark_type, safe=safe)
    whole = unscaled(value, s)
    split = hugeint(_SPLIT)
    high = exp.Sum(this=exp.IntDiv(this=whole, expression=split))
    low = exp.Sum(this=exp.Mod(this=whole.copy(), expression=split.copy()))
    limit = hugeint(10**types.MAX_PRECISION)
    total = exp.Add(this=exp.Mul(this=high.copy(), expression=split.copy()), expression=low)
    fits = exp.And(
        this=exp.LTE(this=call("abs", high.copy()), expression=hugeint(16 * 10**18)),
        expression=exp.LT(this=call("abs", total.copy()), expression=limit),
    )
    overflow: exp.Expr = (
        exp.Null()
        if safe
        else error(
            "ARITHMETIC_OVERFLOW",
            "Overflow in sum of decimals. Use 'try_sum' to tolerate overflow and return NULL instead.",
        )
    )
    made = exp.Case(
        ifs=[
            exp.If(this=exp.Is(this=high.copy(), expression=exp.Null()), true=exp.Null()),
            exp.If(this=fits, true=cast(from_unscaled(total.copy(), s), spark_type, safe=safe)),
        ],
        default=overflow,
    )
    return typed(made, spark_type)


@rule("sum", nodes=(exp.Sum,), returns=_sum_type)
def _sum(node: exp.Sum, context: Context) -> exp.Expr:
    """DuckDB sums integers into a HUGEINT and decimals into decimal(38,s): cast to Spark's type, where a value
    that does not fit is Spark's ARITHMETIC_OVERFLOW (ANSI) or NULL."""
    spark_type = _sum_type(node)
    if spark_type is None:
        return node
    if spark_type.this == T.DOUBLE:
        value, distinct = argument(node)
        return _float_total(node, value, distinct)
    if types.is_integral(spark_type) and not context.ansi:  # Java's long arithmetic: wraps around
        return wrapped(node, spark_type)
    if spark_type.this == T.DECIMAL:
        value, distinct = argument(node)
        return decimal_total(value, distinct, spark_type, safe=not context.ansi)
    return cast(node, spark_type, safe=not context.ansi)


@rule("try_sum")
def _try_sum(node: exp.Anonymous, context: Context) -> exp.Expr:
    """`sum` whose overflow is NULL (in both modes)."""
    value, distinct = argument(node)
    total = typed(exp.Sum(this=distinct_if(value, distinct)), None)
    spark_type = _sum_type(total)
    if spark_type is None:
        raise refused(node, "it is supported for numbers only")
    if spark_type.this == T.DOUBLE:
        return _float_total(node, value, distinct)
    if spark_type.this == T.DECIMAL:
        return decimal_total(value, distinct, spark_type, safe=True)
    return cast(total, spark_type, safe=True)


def avg_type(node: exp.Expr) -> exp.DataType | None:
    value, _ = argument(node)
    arg = value.type
    if types.kind(arg) == T.DECIMAL:
        assert arg is not None
        p, s = types.precision_scale(arg)
        return types.bounded(p + 4, s + 4)
    if types.is_numeric(arg):
        return types.of(_DOUBLE)
    return None


def average(node: exp.Expr, value: exp.Expr, distinct: bool, context: Context, *, safe: bool) -> exp.Expr:
    """Spark's average: a decimal's sum (decimal(p+10,s)) divided by its count at Spark's division scale,
    rounded half up, then cast to decimal(p+4,s+4); any other number's sum as a double, divided by the count.
    An empty group is NULL."""
    arg = value.type
    spark_type = avg_type(typed(exp.Avg(this=value), None))
    if spark_type is None or arg is None:
        raise refused(node, "it is supported for numbers only")
    if spark_type.this != T.DECIMAL:
        total = _float_total(node, value, distinct)
        count = cast(exp.Count(this=distinct_if(value.copy(), distinct)), _DOUBLE)
        return typed(exp.Div(this=total, expression=count), spark_type)
    count = typed(cast(exp.Count(this=distinct_if(value.copy(), distinct)), "decimal(20,0)"), types.of("decimal(20,0)"))
    p, s = types.precision_scale(arg)
    total = decimal_total(value.copy(), distinct, types.bounded(p + 10, s), safe=safe)
    return average_of(total, count, p, s, context, safe=safe)


def average_of(total: exp.Expr, count: exp.Expr, p: int, s: int, context: Context, *, safe: bool) -> exp.Expr:
    """Spark's avg of a decimal(p,s) from its sum (decimal(p+10,s)) and its count (decimal(20,0))."""
    spark_type = types.bounded(p + 4, s + 4)
    divisor = typed(exp.Nullif(this=count, expression=exp.Literal.number(0)), types.of("decimal(20,0)"))
    quotient_type = types.arithmetic("/", types.bounded(p + 10, s), types.of("decimal(20,0)"))
    if types.precision_scale(quotient_type)[1] < types.precision_scale(spark_type)[1]:  # would lose places
        return _exact_average(total, divisor, s, spark_type, context, safe=safe)
    quotient = decimal_divide(total, divisor, quotient_type, context)
    return cast(quotient, spark_type, safe=safe)


@rule("lakeloader_average_of", returns=lambda node: _average_of_type(node))
def _average_of(node: exp.Anonymous, context: Context) -> exp.Expr:
    """Internal (federation): avg of a decimal(p,s) from a sum and a count computed elsewhere, as avg computes it:
    lakeloader_average_of(sum, count, p, s)."""
    total, count, p_arg, s_arg = node.expressions
    p, s = int(p_arg.name), int(s_arg.name)
    sum_type = types.bounded(p + 10, s)
    total = typed(cast(total, sum_type), sum_type)
    count = typed(cast(count, "decimal(20,0)"), types.of("decimal(20,0)"))
    return average_of(total, count, p, s, context, safe=not context.ansi)


def _average_of_type(node: exp.Expr) -> exp.DataType | None:
    args = list(node.expressions)
    return types.bounded(int(args[2].name) + 4, int(args[3].name) + 4) if len(args) == 4 else None


def _exact_average(
    total: exp.Expr, count: exp.Expr, scale: int, spark_type: exp.DataType, context: Context, *, safe: bool
) -> exp.Expr:
    """sum / count at the result's scale, rounded half up (Spark divides exactly where its division type would
    drop places), by long division on HUGEINTs: n = q1 * count + r1, then (r1 * 10^k) / count; a quotient too
    large for 38 digits is an overflow (NUMERIC_VALUE_OUT_OF_RANGE with ANSI, else NULL)."""
    precision, result_scale = types.precision_scale(spark_type)
    k = result_scale - scale
    n, d = unscaled(total, scale), exp.Cast(this=count, to=types.duckdb("HUGEINT"))
    q1 = exp.IntDiv(this=n, expression=d)
    too_big = exp.GTE(this=call("abs", q1.copy()), expression=hugeint(10 ** (types.MAX_PRECISION - k)))
    q1_safe = when(too_big, hugeint(0), q1.copy())
    r1 = exp.Paren(this=exp.Mul(this=exp.Mod(this=n.copy(), expression=d.copy()), expression=hugeint(10**k)))
    q2 = exp.IntDiv(this=r1, expression=d.copy())
    r2 = call("abs", exp.Mod(this=r1.copy(), expression=d.copy()))
    up = exp.GTE(this=exp.Mul(this=r2, expression=hugeint(2)), expression=call("abs", d.copy()))
    rounded = exp.Add(
        this=exp.Add(this=exp.Mul(this=q1_safe, expression=hugeint(10**k)), expression=q2),
        expression=when(up, call("sign", n.copy()), hugeint(0)),
    )
    value = cast(from_unscaled(exp.Paren(this=rounded), result_scale), spark_type, safe=safe)
    if safe or not context.ansi:
        overflow: exp.Expr = exp.Null()
    else:
        overflow = error(
            "NUMERIC_VALUE_OUT_OF_RANGE",
            f"the average cannot be represented as Decimal({precision}, {result_scale}).",
        )
    return typed(when(too_big.copy(), cast(overflow, spark_type), value), spark_type)


@rule("avg", nodes=(exp.Avg,), returns=avg_type)
def _avg(node: exp.Avg, context: Context) -> exp.Expr:
    value, distinct = argument(node)
    return average(node, value, distinct, context, safe=not context.ansi)


@rule("mean")
def _mean(node: exp.Anonymous, context: Context) -> exp.Expr:
    value, distinct = argument(node)
    return average(node, value, distinct, context, safe=not context.ansi)


@rule("try_avg")
def _try_avg(node: exp.Anonymous, context: Context) -> exp.Expr:
    """`avg` whose overflow (of a decimal's sum) is NULL."""
    value, distinct = argument(node)
    return average(node, value, distinct, context, safe=True)


@rule("count", nodes=(exp.Count,), returns=lambda node: types.of("bigint"))
def _count(node: exp.Count, context: Context) -> exp.Expr:
    """`count(a, b)` counts the rows where every argument is present (DuckDB's count takes one)."""
    if not node.expressions:
        return node
    values = [node.this, *node.expressions]
    present: exp.Expr = exp.Not(this=exp.Is(this=values[0].copy(), expression=exp.Null()))
    for value in values[1:]:
        present = exp.And(this=present, expression=exp.Not(this=exp.Is(this=value.copy(), expression=exp.Null())))
    return cast(exp.Count(this=when(present, exp.Literal.number(1), exp.Null())), "bigint")


@rule("count_if", nodes=(exp.CountIf,), returns=lambda node: types.of("bigint"))
def _count_if(node: exp.CountIf, context: Context) -> exp.Expr:
    return cast(exp.Count(this=exp.Nullif(this=node.this, expression=exp.false())), "bigint")


# -- min, max, min_by, max_by ------------------------------------------------------------------------------
def order_key(value: exp.Expr, spark_type: exp.DataType | None, depth: int = 0) -> exp.Expr:
    """A DuckDB value that orders as Spark orders `value`: inside structs and arrays Spark puts NULL first,
    DuckDB last, so each nested value becomes {present, key}."""
    kind = types.kind(spark_type)
    if kind == T.STRUCT and spark_type is not None:
        fields = []
        for field in spark_type.expressions:
            inner = exp.Dot(this=value.copy(), expression=exp.to_identifier(field.name, quoted=True))
            fields.append(exp.PropertyEQ(this=exp.to_identifier(field.name, quoted=True),
                                         expression=_present_key(inner, field.args.get("kind"), depth)))  # fmt: skip
        return call("struct_pack", *fields)
    if kind == T.ARRAY and spark_type is not None:
        name = f"spark_k{depth}"
        element = exp.column(name)
        body = _present_key(element, spark_type.expressions[0] if spark_type.expressions else None, depth + 1)
        return call("list_transform", value, exp.Lambda(this=body, expressions=[exp.to_identifier(name)]))
    return value


def _present_key(value: exp.Expr, spark_type: exp.DataType | None, depth: int) -> exp.Expr:
    key = order_key(value, spark_type, depth + 1)
    present = exp.Not(this=exp.Is(this=value.copy(), expression=exp.Null()))
    return call("struct_pack", exp.PropertyEQ(this=exp.to_identifier("p"), expression=present),
                exp.PropertyEQ(this=exp.to_identifier("k"), expression=key))  # fmt: skip


def _nested(t: exp.DataType | None) -> bool:
    return types.kind(t) in (T.STRUCT, T.ARRAY)


def _extreme(node: exp.Min | exp.Max, context: Context) -> exp.Expr:
    """min/max; of structs and arrays, by Spark's order (a NULL field or element first)."""
    value, _ = argument(node)
    if not _nested(value.type):
        return node
    key = when(exp.Is(this=value.copy(), expression=exp.Null()), exp.Null(), order_key(value.copy(), value.type))
    chosen = exp.ArgMax if isinstance(node, exp.Max) else exp.ArgMin
    return typed(chosen(this=value, expression=key), value.type)


rule("min", nodes=(exp.Min,))(_extreme)
rule("max", nodes=(exp.Max,))(_extreme)


def _by_type(node: exp.Expr) -> exp.DataType | None:
    found: exp.DataType | None = node.this.type
    if node.args.get("count") is not None and found is not None:
        return exp.DataType(this=T.ARRAY, expressions=[found.copy()], nested=True)
    return found


def _by(node: exp.ArgMax | exp.ArgMin, context: Context) -> exp.Expr:
    """max_by/min_by: the value at the row of the largest (smallest) key, a NULL value included; rows whose
    key is NULL are skipped. With k: the k values, by key."""
    value, key, count = node.this, node.expression, node.args.get("count")
    largest = isinstance(node, exp.ArgMax)
    if _nested(key.type):
        key = order_key(key, key.type)
    if count is None:
        return typed(agg("arg_max_null" if largest else "arg_min_null", value, key), value.type)
    boxed = call("struct_pack", exp.PropertyEQ(this=exp.to_identifier("v"), expression=value))
    top = agg("arg_max" if largest else "arg_min", boxed, key, count)
    name = exp.to_identifier("spark_b")
    unboxed = exp.Lambda(
        this=exp.Dot(this=exp.column("spark_b"), expression=exp.to_identifier("v")), expressions=[name]
    )
    return typed(call("list_transform", top, unboxed), _by_type(node))


rule("max_by", nodes=(exp.ArgMax,), returns=_by_type)(_by)
rule("min_by", nodes=(exp.ArgMin,), returns=_by_type)(_by)


# -- first, last, any_value --------------------------------------------------------------------------------
def _ignores_nulls(node: exp.Expr) -> bool:
    """`first(x, true)`, `first(x) IGNORE NULLS`."""
    flag = node.args.get("expression")
    if isinstance(node.parent, exp.IgnoreNulls):
        return True
    return isinstance(flag, exp.Boolean) and flag.this is True


def first_or_last(node: exp.Expr, context: Context, *, last: bool) -> exp.Expr:
    """first/last (first_value, last_value, any_value): the first (last) row's value, NULL included unless
    NULLs are ignored; over a window, of the frame."""
    value = node.this
    ignore = _ignores_nulls(node)
    flag = node.args.get("expression")
    if flag is not None and not isinstance(flag, exp.Boolean):
        raise refused(node, "its ignoreNulls argument must be true or false")
    if window_of(node) is not None:
        made: exp.Expr = typed((exp.LastValue if last else exp.FirstValue)(this=value), value.type)
        if isinstance(node.parent, exp.IgnoreNulls | exp.RespectNulls | exp.Filter):
            return made  # IGNORE NULLS stays around it, inside OVER
        return in_place(node, typed(exp.IgnoreNulls(this=made), value.type) if ignore else made)
    if not ignore:
        return typed(agg("last" if last else "first", value), value.type)
    if not last:
        return typed(agg("any_value", value), value.type)  # DuckDB's any_value: the first non-NULL
    return typed(call("list_extract", call("spark_agg_present", agg("list", value)), exp.Literal.number(-1)),
                 value.type)  # fmt: skip


rule("first", nodes=(exp.First,))(lambda node, context: first_or_last(node, context, last=False))
rule("first_value", nodes=(exp.FirstValue,))(lambda node, context: first_or_last(node, context, last=False))
rule("any_value", nodes=(exp.AnyValue,))(lambda node, context: first_or_last(node, context, last=False))
rule("last", nodes=(exp.Last,))(lambda node, context: first_or_last(node, context, last=True))
rule("last_value", nodes=(exp.LastValue,))(lambda node, context: first_or_last(node, context, last=True))


# -- boolean and bitwise -----------------------------------------------------------------------------------
_BOOLEAN = types.of("boolean")
same("bool_and", nodes=(exp.LogicalAnd,), returns=lambda node: _BOOLEAN)
same("bool_or", nodes=(exp.LogicalOr,), returns=lambda node: _BOOLEAN)


@rule("every")
def _every(node: exp.Anonymous, context: Context) -> exp.Expr:
    return typed(exp.LogicalAnd(this=node.expressions[0]), _BOOLEAN)


@rule("some")
def _some(node: exp.Anonymous, context: Context) -> exp.Expr:
    return typed(exp.LogicalOr(this=node.expressions[0]), _BOOLEAN)


@rule("any", nodes=(exp.Any,), returns=lambda node: _BOOLEAN)
def _any(node: exp.Any, context: Context) -> exp.Expr:
    """The aggregate `any(cond)` (bool_or); `LIKE ANY (...)` is the LIKE rule's."""
    if isinstance(node.parent, exp.Like | exp.ILike | exp.RegexpLike):
        return node
    if isinstance(node.parent, exp.Predicate):
        from lakeloader.sql.translate import TranslateError

        raise TranslateError("construct ANY: a comparison with ANY (subquery) is not Spark SQL; use IN or EXISTS")
    value = node.this.this if isinstance(node.this, exp.Paren) else node.this
    return typed(exp.LogicalOr(this=value), _BOOLEAN)


same("bit_and", nodes=(exp.BitwiseAndAgg,), returns=lambda node: node.this.type)
same("bit_or", nodes=(exp.BitwiseOrAgg,), returns=lambda node: node.this.type)
same("bit_xor", nodes=(exp.BitwiseXorAgg,), returns=lambda node: node.this.type)


# -- collections and strings -------------------------------------------------------------------------------
def _array_of(t: exp.DataType | None) -> exp.DataType | None:
    return exp.DataType(this=T.ARRAY, expressions=[t.copy()], nested=True) if types.is_known(t) and t else None


def _collect_type(node: exp.Expr) -> exp.DataType | None:
    value, _ = argument(node)
    return _array_of(value.type)


@rule("collect_list", "array_agg", nodes=(exp.ArrayAgg,), returns=_collect_type)
def _collect_list(node: exp.ArrayAgg, context: Context) -> exp.Expr:
    """The non-NULL values in input (frame) order; an empty group gives []."""
    value, distinct = argument(node)
    return typed(call("spark_agg_present", agg("list", distinct_if(value, distinct))), _collect_type(node))


@rule("collect_set", nodes=(exp.ArrayUniqueAgg,), returns=_collect_type)
def _collect_set(node: exp.ArrayUniqueAgg, context: Context) -> exp.Expr:
    value, _ = argument(node)
    return typed(call("spark_agg_present", agg("list", exp.Distinct(expressions=[value]))), _collect_type(node))


@rule("collect_union")
def _collect_union(node: exp.Anonymous, context: Context) -> exp.Expr:
    """The distinct non-NULL elements of the group's arrays (Spark's order is not defined either)."""
    value = node.expressions[0]
    if types.kind(value.type) != T.ARRAY:
        raise refused(node, "its argument must be an array")
    union = call("list_distinct", call("flatten", call("spark_agg_present", agg("list", value))))
    return typed(union, value.type)


def string_agg(node: exp.GroupConcat, keys: list[exp.Expr]) -> exp.Expr:
    """listagg/string_agg: the non-NULL values joined by the delimiter (none by default), in the order of
    WITHIN GROUP; NULL when there are none."""
    value = node.this
    if isinstance(value, exp.Order):
        keys = keys or list(value.expressions)
        value = value.this
    distinct = isinstance(value, exp.Distinct)
    inner = value.expressions[0] if isinstance(value, exp.Distinct) else value
    if types.is_known(inner.type) and not types.is_string(inner.type):
        raise refused(node, "it is supported for strings only (cast the values to STRING)")
    if window_of(node) is not None:
        raise refused(node, "it is supported as an aggregate, not over a window")
    separator = node.args.get("separator")
    if separator is None or isinstance(separator, exp.Null):
        separator = exp.Literal.string("")
    elif not (isinstance(separator, exp.Literal) and separator.is_string):
        raise refused(node, "its delimiter must be a constant string")
    last: exp.Expr = exp.Order(this=separator, expressions=[k.copy() for k in keys]) if keys else separator
    return typed(agg("string_agg", distinct_if(inner, distinct), last), types.of("string"))


@rule("listagg", "string_agg", nodes=(exp.GroupConcat,), returns=lambda node: types.of("string"))
def _listagg(node: exp.GroupConcat, context: Context) -> exp.Expr:
    if isinstance(node.parent, exp.WithinGroup):
        return node  # WITHIN GROUP gives the order: its rule does it
    return string_agg(node, [])


# -- mode --------------------------------------------------------------------------------------------------
@rule("mode", nodes=(exp.Mode,), returns=lambda node: node.this.type if node.this is not None else None)
def _mode(node: exp.Mode, context: Context) -> exp.Expr:
    """The most frequent non-NULL value; with `deterministic` true, the smallest of those tied (Spark returns
    any of them otherwise)."""
    if isinstance(node.parent, exp.WithinGroup):
        return node
    value = node.this
    deterministic = node.args.get("deterministic")
    if deterministic is not None and not isinstance(deterministic, exp.Boolean):
        raise refused(node, "its deterministic argument must be true or false")
    if deterministic is not None and deterministic.this is True:
        key = exp.Ordered(this=value.copy(), desc=False, nulls_first=True)
        return typed(agg("mode", exp.Order(this=value, expressions=[key])), value.type)
    return typed(agg("mode", value), value.type)


# -- refused -----------------------------------------------------------------------------------------------
_ESTIMATE = (
    "Spark's answer is an estimate from its own sketch ({what}), which an exact computation does not reproduce "
    "beyond small inputs; use {instead} for the exact answer"
)
refuse(
    "approx_count_distinct",
    why=_ESTIMATE.format(what="HyperLogLog++ with Spark's hashing and bias tables", instead="count(DISTINCT x)"),
)
refuse(
    "percentile_approx", "approx_percentile",
    why=_ESTIMATE.format(what="Greenwald-Khanna summaries", instead="percentile_disc(p) WITHIN GROUP (ORDER BY x)"),
)  # fmt: skip
refuse(
    "histogram_numeric",
    why="not supported: Spark's bins come from its streaming histogram (Ben-Haim), which depends on the order "
    "and grouping of the rows; bucket the values yourself (width_bucket, then GROUP BY)",
)
refuse(
    "approx_top_k", "approx_top_k_accumulate", "approx_top_k_combine", "approx_top_k_estimate",
    why=_ESTIMATE.format(what="a frequent-items sketch", instead="GROUP BY x ORDER BY count(*) DESC LIMIT k"),
)  # fmt: skip
refuse(
    "count_min_sketch",
    why="not supported: it returns Spark's serialized CountMinSketch, a binary only Spark reads; count with "
    "GROUP BY instead",
)
refuse(
    "bitmap_construct_agg", "bitmap_or_agg", "bitmap_and_agg",
    why="not supported yet: Spark's bitmaps are 4 KiB binaries in its own bit layout; count distinct values "
    "with count(DISTINCT x) instead",
)  # fmt: skip
refuse(
    "measure",
    why="not supported: measure() reads a measure of a metric view, which lakeloader does not have; write the "
    "measure's aggregate expression itself",
)
_SKETCHES = (
    "Apache DataSketches' binary sketch formats, which only Spark (and DataSketches) read; aggregate the values "
    "themselves (count(DISTINCT x), percentile_disc)"
)
refuse("hll_sketch_agg", "hll_union_agg", "hll_sketch_estimate", "hll_union", why=f"not supported: {_SKETCHES}")
refuse(
    "theta_sketch_agg", "theta_union_agg", "theta_intersection_agg", "theta_difference", "theta_intersection",
    "theta_sketch_estimate", "theta_union",
    why=f"not supported: {_SKETCHES}",
)  # fmt: skip
refuse(
    *(f"kll_{kind}_{t}" for kind in ("sketch_agg", "merge_agg") for t in ("bigint", "double", "float")),
    *(f"kll_sketch_{kind}_{t}" for kind in ("get_n", "get_quantile", "get_rank", "merge", "to_string")
      for t in ("bigint", "double", "float")),
    why=f"not supported: {_SKETCHES}",
)  # fmt: skip
refuse(
    *(f"tuple_{kind}_{t}" for kind in ("sketch_agg", "union_agg", "intersection_agg") for t in ("double", "integer")),
    *(f"tuple_{kind}_{t}" for kind in ("difference", "intersection", "union", "difference_theta",
      "intersection_theta", "union_theta", "sketch_estimate", "sketch_summary", "sketch_theta")
      for t in ("double", "integer")),
    why=f"not supported: {_SKETCHES}",
)  # fmt: skip
