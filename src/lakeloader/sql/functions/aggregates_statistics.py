"""Statistical aggregates with Spark's answers: central moments (stddev, variance, skewness, kurtosis),
covariance, correlation and regression (regr_*).

Each is Spark's own one-pass update formula, replayed over the group's values in order (`list_reduce`), so the
last bits of a double agree too. Over a window, only for a bounded frame (DuckDB's own formulas, and its order
of combining, differ from Spark's in the last digits).
"""

from __future__ import annotations

from sqlglot import exp

from lakeloader.sql import types
from lakeloader.sql.context import Context, call, cast, typed, when
from lakeloader.sql.functions.aggregates import agg, argument, average, avg_type, present_doubles, refused
from lakeloader.sql.functions.windows import Frame, frame, refuse_frame, window_of
from lakeloader.sql.registry import Rewrite, rule
from lakeloader.sql.runtime import macro

T = exp.DType
_DOUBLE = "double"


# -- statistics: Spark's one-pass update formulas, replayed ------------------------------------------------
# CentralMomentAgg.updateExpressions (n, avg, m2, m3, m4), term by term in Spark's order of operations.
macro(
    "spark_agg_cm_step5",
    "(a, n, d, dn, m2, m3) AS {'n': n, 'avg': a.avg + dn, 'm2': m2, 'm3': m3, 'm4': a.m4 - 4.0::DOUBLE * dn * m3 "
    "- 6.0::DOUBLE * (dn * dn) * m2 + d * (d * (d * d) - dn * (dn * dn))}",
)
macro(
    "spark_agg_cm_step4",
    "(a, n, d, dn, m2) AS spark_agg_cm_step5(a, n, d, dn, m2, a.m3 - 3.0::DOUBLE * dn * m2 + d * (d * d - dn * dn))",
)
macro("spark_agg_cm_step3", "(a, n, d, dn) AS spark_agg_cm_step4(a, n, d, dn, a.m2 + d * (d - dn))")
macro("spark_agg_cm_step2", "(a, n, d) AS spark_agg_cm_step3(a, n, d, d / n)")
macro("spark_agg_cm_step", "(a, x) AS spark_agg_cm_step2(a, a.n + 1.0::DOUBLE, x - a.avg)")
macro(
    "spark_agg_moments",
    "(l) AS list_reduce(l, lambda spark_a, spark_v: spark_agg_cm_step(spark_a, spark_v), {'n': 0.0::DOUBLE, "
    "'avg': 0.0::DOUBLE, 'm2': 0.0::DOUBLE, 'm3': 0.0::DOUBLE, 'm4': 0.0::DOUBLE})",
)
# PearsonCorrelation / Covariance updateExpressions (n, xAvg, yAvg, ck, xMk, yMk) over (x, y) pairs.
macro(  # xv, yv: VariancePop's m2 of x and y over the same pairs (its own formula: regr_slope, regr_sxx)
    "spark_agg_pr_step3",
    "(a, x, y, n, dx, dy, xa, ya) AS {'n': n, 'xa': xa, 'ya': ya, 'ck': a.ck + dx * (y - ya), "
    "'xm': a.xm + dx * (x - xa), 'ym': a.ym + dy * (y - ya), 'xv': a.xv + dx * (dx - dx / n), "
    "'yv': a.yv + dy * (dy - dy / n)}",
)
macro(
    "spark_agg_pr_step2",
    "(a, x, y, n, dx, dy) AS spark_agg_pr_step3(a, x, y, n, dx, dy, a.xa + dx / n, a.ya + dy / n)",
)
macro("spark_agg_pr_step", "(a, x, y) AS spark_agg_pr_step2(a, x, y, a.n + 1.0::DOUBLE, x - a.xa, y - a.ya)")
macro(
    "spark_agg_pairs",
    "(l) AS list_reduce(l, lambda spark_a, spark_v: spark_agg_pr_step(spark_a, spark_v.x, spark_v.y), "
    "{'n': 0.0::DOUBLE, 'xa': 0.0::DOUBLE, 'ya': 0.0::DOUBLE, 'ck': 0.0::DOUBLE, 'xm': 0.0::DOUBLE, "
    "'ym': 0.0::DOUBLE, 'xv': 0.0::DOUBLE, 'yv': 0.0::DOUBLE})",
)
macro("spark_agg_pair", "(x, y) AS CASE WHEN x IS NULL OR y IS NULL THEN NULL ELSE {'x': x, 'y': y} END")

# Spark's evaluateExpression of each (Spark 4: NULL where it once divided by zero), over the buffer `b`.
_MOMENTS: dict[str, str] = {
    "skewness": "CASE WHEN b.n = 0 OR b.m2 = 0 THEN NULL ELSE sqrt(b.n) * b.m3 / sqrt(b.m2 * b.m2 * b.m2) END",
    "kurtosis": "CASE WHEN b.n = 0 OR b.m2 = 0 THEN NULL ELSE b.n * b.m4 / (b.m2 * b.m2) - 3.0::DOUBLE END",
    "var_pop": "CASE WHEN b.n = 0 THEN NULL ELSE b.m2 / b.n END",
    "var_samp": "CASE WHEN b.n <= 1 THEN NULL ELSE b.m2 / (b.n - 1.0::DOUBLE) END",
    "stddev_pop": "CASE WHEN b.n = 0 THEN NULL ELSE sqrt(b.m2 / b.n) END",
    "stddev_samp": "CASE WHEN b.n <= 1 THEN NULL ELSE sqrt(b.m2 / (b.n - 1.0::DOUBLE)) END",
}
_PAIRS: dict[str, tuple[bool, str]] = {  # name -> (pairs are (second, first) argument, Spark's evaluation)
    "covar_pop": (False, "CASE WHEN b.n = 0 THEN NULL ELSE b.ck / b.n END"),
    "covar_samp": (False, "CASE WHEN b.n <= 1 THEN NULL ELSE b.ck / (b.n - 1.0::DOUBLE) END"),
    "corr": (False, "CASE WHEN b.n <= 1 OR b.xm * b.ym = 0 THEN NULL ELSE b.ck / sqrt(b.xm * b.ym) END"),
    # regr_*(y, x): slope and intercept from CovPopulation(x, y) and VariancePop(x); r2 and sxy over (y, x)
    "regr_slope": (True, "CASE WHEN b.xv = 0 THEN NULL ELSE b.ck / b.xv END"),
    "regr_intercept": (True, "CASE WHEN b.xv = 0 THEN NULL ELSE b.ya - b.ck / b.xv * b.xa END"),
    "regr_r2": (
        False,
        "CASE WHEN b.ym = 0 THEN NULL WHEN b.xm = 0 THEN 1.0::DOUBLE "
        "ELSE (b.ck / sqrt(b.xm * b.ym)) * (b.ck / sqrt(b.xm * b.ym)) END",
    ),
    "regr_sxy": (False, "CASE WHEN b.n = 0 THEN NULL ELSE b.ck END"),
    "regr_sxx": (True, "CASE WHEN b.n = 0 THEN NULL ELSE b.xv END"),
    "regr_syy": (True, "CASE WHEN b.n = 0 THEN NULL ELSE b.yv END"),
}
for _name, _body in _MOMENTS.items():
    macro(f"spark_agg_{_name}", f"(b) AS {_body}")
for _name, (_, _body) in _PAIRS.items():
    macro(f"spark_agg_{_name}", f"(b) AS {_body}")


_STATISTICS_OVER = (
    "Spark's one-pass update formula is replayed here only over a bounded frame (DuckDB's own formulas, and its "
    "order of combining, differ from Spark's in the last digits)"
)


def _moment(node: exp.Expr, name: str) -> exp.Expr:
    value, distinct = argument(node)
    if not types.is_numeric(value.type) and types.kind(value.type) not in (T.NULL, T.UNKNOWN):
        raise refused(node, "it is supported for numbers only")
    window = window_of(node)
    if window is not None and frame(window) != Frame.BOUNDED:
        raise refuse_frame(node, _STATISTICS_OVER)
    buffer = call("spark_agg_moments", present_doubles(value, distinct))
    return typed(call(f"spark_agg_{name}", buffer), types.of(_DOUBLE))


def _pairwise(node: exp.Expr, name: str, a: exp.Expr, b: exp.Expr) -> exp.Expr:
    """`name(a, b)` from Spark's buffer, updated pair by pair over the rows where both are present."""
    swapped, _ = _PAIRS[name]
    for operand in (a, b):
        if not types.is_numeric(operand.type) and types.kind(operand.type) not in (T.NULL, T.UNKNOWN):
            raise refused(node, "it is supported for numbers only")
    window = window_of(node)
    if window is not None and frame(window) != Frame.BOUNDED:
        raise refuse_frame(node, _STATISTICS_OVER)
    first, second = (b, a) if swapped else (a, b)
    pair = call("spark_agg_pair", cast(first, _DOUBLE), cast(second, _DOUBLE))
    buffer = call("spark_agg_pairs", call("spark_agg_present", agg("list", pair)))
    return typed(call(f"spark_agg_{name}", buffer), types.of(_DOUBLE))


def _returns_double(node: exp.Expr) -> exp.DataType:
    return types.of(_DOUBLE)


rule("stddev", "stddev_samp", nodes=(exp.Stddev, exp.StddevSamp), returns=_returns_double)(
    lambda node, context: _moment(node, "stddev_samp")
)
rule("std")(lambda node, context: _moment(node, "stddev_samp"))
rule("stddev_pop", nodes=(exp.StddevPop,), returns=_returns_double)(lambda node, context: _moment(node, "stddev_pop"))
rule("variance", "var_samp", nodes=(exp.Variance,), returns=_returns_double)(
    lambda node, context: _moment(node, "var_samp")
)
rule("var_pop", nodes=(exp.VariancePop,), returns=_returns_double)(lambda node, context: _moment(node, "var_pop"))
rule("skewness", nodes=(exp.Skewness,), returns=_returns_double)(lambda node, context: _moment(node, "skewness"))
rule("kurtosis", nodes=(exp.Kurtosis,), returns=_returns_double)(lambda node, context: _moment(node, "kurtosis"))
rule("covar_pop", nodes=(exp.CovarPop,), returns=_returns_double)(
    lambda node, context: _pairwise(node, "covar_pop", node.this, node.expression)
)
rule("covar_samp", nodes=(exp.CovarSamp,), returns=_returns_double)(
    lambda node, context: _pairwise(node, "covar_samp", node.this, node.expression)
)
rule("corr", nodes=(exp.Corr,), returns=_returns_double)(
    lambda node, context: _pairwise(node, "corr", node.this, node.expression)
)
_REGRESSIONS: dict[str, type[exp.Expr]] = {
    "regr_slope": exp.RegrSlope,
    "regr_intercept": exp.RegrIntercept,
    "regr_r2": exp.RegrR2,
    "regr_sxy": exp.RegrSxy,
    "regr_sxx": exp.RegrSxx,
    "regr_syy": exp.RegrSyy,
}


def _regression(name: str) -> Rewrite:
    return lambda node, context: _pairwise(node, name, node.this, node.expression)


for _name, _node in _REGRESSIONS.items():
    rule(_name, nodes=(_node,), returns=_returns_double)(_regression(_name))


def _both_present(y: exp.Expr, x: exp.Expr, value: exp.Expr) -> exp.Expr:
    present = exp.And(this=exp.Not(this=exp.Is(this=y.copy(), expression=exp.Null())),
                      expression=exp.Not(this=exp.Is(this=x.copy(), expression=exp.Null())))  # fmt: skip
    return typed(when(present, value.copy(), exp.Null()), value.type)


@rule("regr_count", nodes=(exp.RegrCount,), returns=lambda node: types.of("bigint"))
def _regr_count(node: exp.RegrCount, context: Context) -> exp.Expr:
    y, x = node.this, node.expression
    return cast(exp.Count(this=_both_present(y, x, exp.Literal.number(1))), "bigint")


def _regr_avg_type(node: exp.Expr) -> exp.DataType | None:
    operand = node.expression if isinstance(node, exp.RegrAvgx) else node.this
    return avg_type(typed(exp.Avg(this=operand.copy()), None))


def _regr_avg(node: exp.RegrAvgx | exp.RegrAvgy, context: Context) -> exp.Expr:
    """The average of x (y) over the rows where both are present, as `avg` computes it (a decimal stays one)."""
    y, x = node.this, node.expression
    operand = x if isinstance(node, exp.RegrAvgx) else y
    return average(node, _both_present(y, x, operand), False, context, safe=not context.ansi)


rule("regr_avgx", nodes=(exp.RegrAvgx,), returns=_regr_avg_type)(_regr_avg)
rule("regr_avgy", nodes=(exp.RegrAvgy,), returns=_regr_avg_type)(_regr_avg)
