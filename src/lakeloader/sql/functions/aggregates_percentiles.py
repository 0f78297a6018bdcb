"""Percentiles with Spark's answers: percentile, median, and the aggregates written WITHIN GROUP (ORDER BY ...):
percentile_cont, percentile_disc, mode and listagg.

A percentile is exact, read from the group's sorted values with Spark's positions and interpolation: the position
(n - 1) * p interpolated between its neighbours (percentile, percentile_cont, median), or the value at
ceil(n * p) (percentile_disc). Over a window, for a bounded ROWS frame only.
"""

from __future__ import annotations

from sqlglot import exp

from lakeloader.sql import types
from lakeloader.sql.context import Context, call, cast, typed
from lakeloader.sql.functions.aggregates import agg, argument, distinct_if, name_of, refused, string_agg
from lakeloader.sql.functions.windows import Frame, frame, refuse_frame, window_of
from lakeloader.sql.registry import rule
from lakeloader.sql.runtime import macro

T = exp.DType
_DOUBLE = "double"


# -- percentiles -------------------------------------------------------------------------------------------
macro(
    "spark_agg_pct_pick",
    "(s, pos, lo, hi) AS CASE WHEN len(s) = 0 THEN NULL WHEN lo = hi OR s[lo + 1] = s[hi + 1] THEN s[lo + 1] "
    "ELSE s[lo + 1] + (pos - lo) * (s[hi + 1] - s[lo + 1]) END",
)
macro(
    "spark_agg_pct_at",
    "(s, pos) AS spark_agg_pct_pick(s, pos, CAST(floor(pos) AS BIGINT), CAST(ceil(pos) AS BIGINT))",
)
macro("spark_agg_pct_cont", "(s, p) AS spark_agg_pct_at(s, (len(s) - 1) * p)")
macro(
    "spark_agg_pct_disc",
    "(s, p) AS CASE WHEN len(s) = 0 THEN NULL ELSE s[greatest(CAST(ceil(len(s) * p) AS BIGINT), 1)] END",
)
macro("spark_agg_pct_conts", "(s, ps) AS list_transform(ps, lambda spark_p: spark_agg_pct_cont(s, spark_p))")
macro("spark_agg_pct_discs", "(s, ps) AS list_transform(ps, lambda spark_p: spark_agg_pct_disc(s, spark_p))")
macro(
    "spark_agg_repeated",
    "(v, f) AS CASE WHEN f < 0 THEN error('[NEGATIVE_VALUES_IN_FREQUENCY_EXPRESSION] Found the negative value "
    "in the frequency expression: ' || f || ', but expected a positive integral value.') WHEN v IS NULL OR f IS "
    "NULL THEN NULL ELSE repeat([v], f) END",
)


def _percentages(node: exp.Expr, percentage: exp.Expr) -> exp.Expr:
    """The percentage(s) as doubles, checked as Spark checks them: constants between 0.0 and 1.0."""

    def number(p: exp.Expr) -> float | None:
        inner = p.this if isinstance(p, exp.Neg) else p
        if not isinstance(inner, exp.Literal) or inner.is_string:
            return None
        return -float(inner.this) if isinstance(p, exp.Neg) else float(inner.this)

    while isinstance(percentage, exp.Cast):  # the array rule's cast to the elements' common type
        percentage = percentage.this
    items = [p.this if isinstance(p, exp.Cast) else p for p in
             (percentage.expressions if isinstance(percentage, exp.Array) else [percentage])]  # fmt: skip
    values = [number(p) for p in items]
    if any(v is None for v in values):
        raise refused(node, "its percentage must be a constant number (or an array of them)")
    for v in values:
        assert v is not None
        if not 0.0 <= v <= 1.0:
            from lakeloader.sql.translate import TranslateError

            raise TranslateError(f"[DATATYPE_MISMATCH.VALUE_OUT_OF_RANGE] function {name_of(node)}: the percentage "
                                 f"must be between [0.0, 1.0] (current value = {v}); fix the SQL")  # fmt: skip
    doubles = [cast(exp.Literal.number(repr(v)), _DOUBLE) for v in values if v is not None]
    if isinstance(percentage, exp.Array):
        return exp.Array(expressions=doubles)
    return doubles[0]


def _uncast(node: exp.Expr | None) -> exp.Expr | None:
    while isinstance(node, exp.Cast):
        node = node.this
    return node


def _pct_type(node: exp.Expr) -> exp.DataType | None:
    percentage = _uncast(node.args.get("quantile"))
    if isinstance(percentage, exp.Array) or types.kind(node.args["quantile"].type) == T.ARRAY:
        return types.of("array<double>")
    return types.of(_DOUBLE)


def percentile(
    node: exp.Expr, value: exp.Expr, percentage: exp.Expr, *, discrete: bool, desc: bool = False,
    frequency: exp.Expr | None = None, distinct: bool = False,
) -> exp.Expr:  # fmt: skip
    """Spark's exact percentile: the values sorted (descending when `desc`), the position (n - 1) * p
    interpolated between its neighbours, `lower + (pos - lo) * (higher - lower)` (percentile_cont, median);
    or the value at ceil(n * p) (percentile_disc). Over a window, for a bounded ROWS frame only."""
    if not types.is_numeric(value.type):
        raise refused(node, "it is supported for numbers only (not intervals)")
    window = window_of(node)
    if window is not None and frame(window) != Frame.BOUNDED:
        raise refuse_frame(node, "a percentile is not computed here (only from the sorted values of a bounded frame)")
    doubles = cast(value, _DOUBLE)
    if frequency is not None:
        if not types.is_integral(frequency.type):
            raise refused(node, "its frequency must be an integer")
        listed = call("flatten", agg("list", call("spark_agg_repeated", doubles, frequency)))
    else:
        listed = agg("list", distinct_if(doubles, distinct))
    ordered = call("list_reverse_sort" if desc else "list_sort", call("spark_agg_present", listed))
    many = isinstance(_uncast(percentage), exp.Array)
    name = {(False, False): "spark_agg_pct_cont", (True, False): "spark_agg_pct_disc",
            (False, True): "spark_agg_pct_conts", (True, True): "spark_agg_pct_discs"}[(discrete, many)]  # fmt: skip
    return typed(call(name, ordered, _percentages(node, percentage)),
                 types.of("array<double>" if many else _DOUBLE))  # fmt: skip


@rule("percentile", nodes=(exp.Quantile,), returns=_pct_type)
def _percentile(node: exp.Quantile, context: Context) -> exp.Expr:
    value, distinct = argument(node)
    frequency = node.args.get("frequency")
    return percentile(node, value, node.args["quantile"], discrete=False, frequency=frequency, distinct=distinct)


@rule("median", nodes=(exp.Median,), returns=lambda node: types.of(_DOUBLE))
def _median(node: exp.Median, context: Context) -> exp.Expr:
    value, distinct = argument(node)
    return percentile(node, value, exp.Literal.number("0.5"), discrete=False, distinct=distinct)


def _ordering(order: exp.Order | None) -> list[exp.Expr]:
    return list(order.expressions) if order is not None else []


def _within_group_type(node: exp.Expr) -> exp.DataType | None:
    inner = node.this
    if isinstance(inner, exp.PercentileCont | exp.PercentileDisc):
        return types.of(_DOUBLE)
    if isinstance(inner, exp.GroupConcat):
        return types.of("string")
    order = node.expression
    if isinstance(inner, exp.Mode) and isinstance(order, exp.Order) and order.expressions:
        found: exp.DataType | None = order.expressions[0].this.type
        return found
    return None


@rule("percentile_cont", "percentile_disc", nodes=(exp.WithinGroup,), returns=_within_group_type)
def _within_group(node: exp.WithinGroup, context: Context) -> exp.Expr:
    """`f(...) WITHIN GROUP (ORDER BY key [DESC])`: percentile_cont, percentile_disc, mode, listagg."""
    inner, order = node.this, node.expression
    keys = _ordering(order if isinstance(order, exp.Order) else None)
    if isinstance(inner, exp.GroupConcat):
        return string_agg(inner, keys)
    if len(keys) != 1:
        raise refused(inner, "WITHIN GROUP takes exactly one ORDER BY key here")
    key = keys[0]
    assert isinstance(key, exp.Ordered)
    desc = bool(key.args.get("desc"))
    if isinstance(inner, exp.Mode):
        if inner.this is not None:
            raise refused(inner, "with WITHIN GROUP it takes no argument")
        ordered = exp.Ordered(this=key.this.copy(), desc=desc, nulls_first=not desc)
        return typed(agg("mode", exp.Order(this=key.this, expressions=[ordered])), key.this.type)
    if isinstance(inner, exp.PercentileCont | exp.PercentileDisc):
        discrete = isinstance(inner, exp.PercentileDisc)
        return percentile(inner, key.this, inner.this, discrete=discrete, desc=desc)
    raise refused(inner, "WITHIN GROUP is not supported for it")


def _inverse_distribution(node: exp.Expr, context: Context) -> exp.Expr:
    if not isinstance(node.parent, exp.WithinGroup):
        raise refused(node, "it takes its values from WITHIN GROUP (ORDER BY ...)")
    return node  # the WITHIN GROUP rule does it


rule("percentile_cont", nodes=(exp.PercentileCont,))(_inverse_distribution)
rule("percentile_disc", nodes=(exp.PercentileDisc,))(_inverse_distribution)
