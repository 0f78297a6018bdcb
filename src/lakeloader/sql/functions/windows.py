"""Window functions with Spark's types (ranks are ints), frames and IGNORE NULLS; FILTER clauses; GROUPING SETS,
ROLLUP and CUBE with `grouping()` (a tinyint) and `grouping_id()` (a bigint, over the grouping columns).

Also what an aggregate needs to know about the window it is used over (`window_of`, `frame`): DuckDB adds
floating-point values over a window in the order of its segment tree, not the frame's, so an aggregate whose
last bits depend on the order is exact only where the frame fixes it (see `Frame`).
"""

from __future__ import annotations

import enum

from sqlglot import exp

from lakeloader.sql import types
from lakeloader.sql.context import Context, call, cast, error, typed, when
from lakeloader.sql.registry import rule, same

_WRAPPERS = (exp.IgnoreNulls, exp.RespectNulls, exp.Filter)


class Frame(enum.Enum):
    """How a window's frame orders the rows an aggregate sees."""

    UNORDERED = "the whole partition, in no defined order (Spark's order is the partition's arbitrary one too)"
    BOUNDED = "a ROWS frame bounded on both sides: small, recomputed for each row in the frame's order"
    ORDERED = "an ordered frame unbounded on one side, or a RANGE frame"


def window_of(node: exp.Expr) -> exp.Window | None:
    """The window `node` (a function call) is used over, through IGNORE NULLS and FILTER; None if none."""
    parent = node.parent
    while isinstance(parent, _WRAPPERS):
        parent = parent.parent
    return parent if isinstance(parent, exp.Window) else None


def _named(window: exp.Window) -> exp.Window:
    """A window given by name (`OVER w`) resolved to its definition in the WINDOW clause."""
    alias = window.args.get("alias")
    if alias is None or window.args.get("order") is not None or window.args.get("spec") is not None:
        return window
    select = window.find_ancestor(exp.Select)
    for named in select.args.get("windows") or [] if select is not None else []:
        if isinstance(named, exp.Window) and named.this is not None and named.this.name == alias.name:
            return named
    return window


def _unbounded(bound: object) -> bool:
    text = bound.name if isinstance(bound, exp.Expr) else str(bound or "")
    return text.upper() == "UNBOUNDED"


def frame(window: exp.Window) -> Frame:
    """The kind of `window`'s frame (Spark's default with ORDER BY: RANGE UNBOUNDED PRECEDING..CURRENT ROW)."""
    window = _named(window)
    ordered = window.args.get("order") is not None
    spec = window.args.get("spec")
    if spec is None:
        return Frame.ORDERED if ordered else Frame.UNORDERED
    start, end = spec.args.get("start"), spec.args.get("end")
    if str(spec.args.get("kind") or "").upper() == "ROWS" and not _unbounded(start) and not _unbounded(end):
        return Frame.BOUNDED
    if not ordered and _unbounded(start) and _unbounded(end):
        return Frame.UNORDERED
    return Frame.ORDERED


def refuse_frame(node: exp.Expr, why: str) -> Exception:
    """A refusal of `node` over its window's frame, saying `why` and how to rewrite it."""
    from lakeloader.sql.translate import TranslateError, spark_name

    return TranslateError(
        f"function {spark_name(node)}: over this window {why}; use a ROWS frame with bounded offsets "
        "(ROWS BETWEEN n PRECEDING AND m FOLLOWING), or compute it with GROUP BY and join it back; rewrite that "
        "part of the query"
    )


def in_place(node: exp.Expr, made: exp.Expr, *, at: exp.Expr | None = None) -> exp.Expr:
    """Put `made` where `at` (default: `node`) is and return `node`, which the translator then leaves alone:
    for a window function whose IGNORE NULLS or FILTER must stay inside its OVER clause (the translator would
    window the call inside them), or a rewrite that windows its calls itself (`at` its window)."""
    (at if at is not None else node).replace(made)
    return node


def spark_cast(value: exp.Expr, to: exp.DataType, context: Context) -> exp.Expr:
    """`CAST(value AS to)` as Spark casts (the cast rule's rewrite)."""
    from lakeloader.sql.registry import REGISTRY

    if isinstance(value, exp.Null):
        return cast(value, to)
    found = REGISTRY.by_node[exp.Cast].rewrite
    assert found is not None
    return found(typed(exp.Cast(this=value, to=to.copy()), to), context)


def over(call_: exp.Expr, window: exp.Window) -> exp.Window:
    """`call_ OVER window` (partition and order; its frame left out)."""
    window = _named(window) if window.args.get("alias") is not None else window
    parts = {k: v.copy() if isinstance(v, exp.Expr) else [e.copy() for e in v]
             for k, v in window.args.items() if k in ("partition_by", "order") and v}  # fmt: skip
    return exp.Window(this=call_, **parts)


# -- ranking -----------------------------------------------------------------------------------------------
_INT = types.of("int")


@rule("row_number", nodes=(exp.RowNumber,), returns=lambda node: _INT)
def _row_number(node: exp.RowNumber, context: Context) -> exp.Expr:
    # an aggregate node (exp.RowNumber is not one), so that the translator puts OVER inside the cast
    return cast(exp.AnonymousAggFunc(this="row_number", expressions=[]), _INT)


def _as_int(node: exp.Expr, context: Context) -> exp.Expr:
    """DuckDB's ranks are BIGINT; Spark's are int."""
    return cast(node, _INT)


rule("rank", nodes=(exp.Rank,), returns=lambda node: _INT)(_as_int)
rule("dense_rank", nodes=(exp.DenseRank,), returns=lambda node: _INT)(_as_int)


@rule("ntile", nodes=(exp.Ntile,), returns=lambda node: _INT)
def _ntile(node: exp.Ntile, context: Context) -> exp.Expr:
    buckets = node.this
    if not isinstance(buckets, exp.Literal) or buckets.is_string or int(buckets.this) <= 0:
        from lakeloader.sql.translate import TranslateError

        raise TranslateError("function ntile: its argument must be a positive integer constant; fix the SQL")
    return cast(node, _INT)


same("percent_rank", nodes=(exp.PercentRank,), returns=lambda node: types.of("double"))
same("cume_dist", nodes=(exp.CumeDist,), returns=lambda node: types.of("double"))


# -- offsets -----------------------------------------------------------------------------------------------
def _offset(node: exp.Lag | exp.Lead, context: Context) -> exp.Expr:
    """lag/lead: the default takes the value's type, as Spark casts it."""
    value, default = node.this, node.args.get("default")
    if default is not None and value.type is not None and types.is_known(value.type) and default.type != value.type:
        node.set("default", spark_cast(default.copy(), value.type, context))
    return node


rule("lag", nodes=(exp.Lag,), returns=lambda node: node.this.type)(_offset)
rule("lead", nodes=(exp.Lead,), returns=lambda node: node.this.type)(_offset)
same("nth_value", nodes=(exp.NthValue,), returns=lambda node: node.this.type)


def _nulls_option(node: exp.IgnoreNulls | exp.RespectNulls, context: Context) -> exp.Expr:
    """`f(...) IGNORE NULLS` / `RESPECT NULLS`: the function's rule read it (first, last); over a window it stays
    inside the OVER clause (`lag(v IGNORE NULLS) OVER (...)`)."""
    if node.parent is None:  # already placed by its function's rule
        return node
    if isinstance(node, exp.RespectNulls) or window_of(node.this) is None:
        inner: exp.Expr = node.this
        return inner
    return node


rule(nodes=(exp.IgnoreNulls, exp.RespectNulls))(_nulls_option)


@rule("counter_diff")
def _counter_diff(node: exp.Anonymous, context: Context) -> exp.Expr:
    """The difference from the previous non-NULL counter value in the window's order; NULL for the first, on a
    reset (a smaller value, or a later start time) and for a NULL value; a negative value (or a start time
    going back) is Spark's error."""
    from lakeloader.sql.translate import TranslateError

    window = window_of(node)
    if window is None or isinstance(node.parent, _WRAPPERS):
        raise TranslateError("function counter_diff: it is a window function; use it with OVER (... ORDER BY ...)")
    if _named(window).args.get("order") is None:
        raise TranslateError("[WINDOW_FUNCTION_FRAME_NOT_ORDERED] function counter_diff requires the window to be "
                             "ordered; add an ORDER BY clause")  # fmt: skip
    if _named(window).args.get("spec") is not None:
        raise TranslateError("function counter_diff: its window takes no frame; remove ROWS/RANGE")
    value = node.expressions[0]
    start = node.expressions[1] if len(node.expressions) > 1 else None
    if types.is_known(value.type) and not types.is_numeric(value.type):
        raise TranslateError("function counter_diff: the counter must be a number")
    timestamps = (exp.DType.TIMESTAMPTZ, exp.DType.TIMESTAMPNTZ, exp.DType.TIMESTAMP, exp.DType.NULL, exp.DType.UNKNOWN)
    if start is not None and types.kind(start.type) not in timestamps:
        raise TranslateError("[DATATYPE_MISMATCH.UNEXPECTED_INPUT_TYPE] function counter_diff: the start time "
                             "must be a TIMESTAMP or TIMESTAMP_NTZ")  # fmt: skip
    fields = [exp.PropertyEQ(this=exp.to_identifier("v"), expression=value.copy())]
    if start is not None:
        fields.append(exp.PropertyEQ(this=exp.to_identifier("s"), expression=start.copy()))
    present = exp.Is(this=value.copy(), expression=exp.Null())
    entry = when(present, exp.Null(), call("struct_pack", *fields))
    previous = over(exp.IgnoreNulls(this=exp.Lag(this=entry)), window)

    def part(name: str) -> exp.Expr:
        return call("struct_extract", previous.copy(), exp.Literal.string(name))

    negative = error("COUNTER_DIFF_NEGATIVE_COUNTER_VALUE", "A negative counter value was provided to function "
                     "`counter_diff`. Negative counter values are not allowed.")  # fmt: skip
    reset: exp.Expr = exp.LT(this=value.copy(), expression=part("v"))
    checks = [
        exp.If(this=present.copy(), true=exp.Null()),
        exp.If(this=exp.LT(this=value.copy(), expression=exp.Literal.number(0)), true=negative),
    ]
    if start is not None:
        back = error("COUNTER_DIFF_START_TIME_DECREASED", "Start time provided to function `counter_diff` "
                     "decreased. Start times must not decrease.")  # fmt: skip
        checks.append(exp.If(this=exp.LT(this=start.copy(), expression=part("s")), true=back))
        reset = exp.Or(this=reset, expression=exp.GT(this=start.copy(), expression=part("s")))
    checks.append(exp.If(this=exp.Or(this=exp.Is(this=previous.copy(), expression=exp.Null()), expression=reset),
                         true=exp.Null()))  # fmt: skip
    difference: exp.Expr = exp.Sub(this=value.copy(), expression=part("v"))
    if value.type is not None and types.is_known(value.type):
        difference = cast(difference, value.type)
    return in_place(node, typed(exp.Case(ifs=checks, default=difference), value.type), at=window)


# -- FILTER ------------------------------------------------------------------------------------------------
def filtered(made: exp.Expr, condition: exp.Expr, *, window: exp.Window | None = None) -> exp.Expr:
    """`made` (an aggregate's rewrite) with `condition` as the FILTER of every aggregate call in it (an average
    is a sum and a count; a FILTER already there gets both conditions); over `window`, each call becomes
    `call FILTER (...) OVER (...)`, as DuckDB wants it."""
    calls = [c for c in [made, *made.find_all(exp.AggFunc)] if isinstance(c, exp.AggFunc)]
    seen: set[int] = set()
    for found in calls:
        if id(found) in seen or isinstance(found.parent, exp.Window):
            continue
        seen.add(id(found))
        if isinstance(found.parent, exp.Filter) and found is not made:
            inner = found.parent.expression
            both = exp.And(this=inner.this if isinstance(inner, exp.Where) else inner, expression=condition.copy())
            found.parent.set("expression", exp.Where(this=both))
            continue
        wrapped: exp.Expr = exp.Filter(this=found.copy(), expression=exp.Where(this=condition.copy()))
        if window is not None:
            spec = {k: v for k, v in window.args.items() if k != "this" and v is not None}
            wrapped = exp.Window(this=wrapped, **{k: v.copy() if isinstance(v, exp.Expr) else v
                                                  for k, v in spec.items()})  # fmt: skip
        if found is made:
            made = wrapped
        else:
            found.replace(wrapped)
    return made


@rule(nodes=(exp.Filter,))
def _filter(node: exp.Filter, context: Context) -> exp.Expr:
    """`agg(...) FILTER (WHERE cond)`: see `filtered`."""
    if node.parent is None:
        return node
    where = node.expression
    condition = where.this if isinstance(where, exp.Where) else where
    inner: exp.Expr = node.this
    window = window_of(inner)
    made = typed(filtered(inner, condition, window=window), node.type)
    if window is not None:
        return in_place(node, made, at=window)
    return made


# -- GROUPING SETS, ROLLUP, CUBE ---------------------------------------------------------------------------
same(nodes=(exp.GroupingSets, exp.Rollup, exp.Cube))


@rule("grouping", nodes=(exp.Grouping,), returns=lambda node: types.of("tinyint"))
def _grouping(node: exp.Grouping, context: Context) -> exp.Expr:
    return cast(node, "tinyint")


def _grouping_columns(node: exp.Expr) -> list[exp.Expr]:
    """The query's grouping columns, in Spark's order (as written, each once)."""
    select = node.find_ancestor(exp.Select)
    group = select.args.get("group") if select is not None else None
    found: list[exp.Expr] = []
    seen: set[str] = set()

    def add(e: exp.Expr) -> None:
        if isinstance(e, exp.GroupingSets | exp.Rollup | exp.Cube | exp.Tuple | exp.Paren):
            for inner in [e.this] if isinstance(e, exp.Paren) else e.expressions:
                add(inner)
            return
        key = e.sql(dialect="databricks")
        if key not in seen:
            seen.add(key)
            found.append(e)

    if group is not None:
        for key in ("expressions", "grouping_sets", "rollup", "cube"):
            for e in group.args.get(key) or []:
                add(e)
    return found


@rule("grouping_id", nodes=(exp.GroupingId,), returns=lambda node: types.of("bigint"))
def _grouping_id(node: exp.GroupingId, context: Context) -> exp.Expr:
    """A bigint whose bits say which grouping columns are aggregated away (the first column is the highest
    bit); with no arguments, over all grouping columns, which is what Spark requires its arguments to be."""
    columns = _grouping_columns(node)
    given = list(node.expressions)
    shown = [c.sql(dialect="databricks") for c in columns]
    if given and [g.sql(dialect="databricks") for g in given] != shown:
        from lakeloader.sql.translate import TranslateError

        raise TranslateError(f"[GROUPING_ID_COLUMN_MISMATCH] function grouping_id: its columns must be the grouping "
                             f"columns ({', '.join(shown)}); fix the SQL")  # fmt: skip
    if not columns:
        from lakeloader.sql.translate import TranslateError

        raise TranslateError("function grouping_id: it needs GROUP BY GROUPING SETS, ROLLUP or CUBE")
    return cast(exp.Grouping(expressions=[c.copy() for c in columns]), "bigint")


# -- PIVOT -------------------------------------------------------------------------------------------------
_PIVOT_FIRST = (exp.DType.BOOLEAN, exp.DType.TINYINT, exp.DType.SMALLINT, exp.DType.INT, exp.DType.BIGINT,
                exp.DType.FLOAT, exp.DType.DOUBLE, exp.DType.DECIMAL)  # fmt: skip


def _refuse_pivot(why: str) -> Exception:
    from lakeloader.sql.translate import TranslateError

    return TranslateError(f"construct PIVOT: {why}; rewrite that part of the query")


def _value_name(value: exp.Expr) -> str:
    """The column a pivot value makes, as Spark names it: its alias, or a string's or a number's text."""
    if isinstance(value, exp.PivotAlias):
        alias = value.args.get("alias")
        if alias is not None and alias.name:
            return str(alias.name)
        value = value.this
    if isinstance(value, exp.Literal):
        return str(value.this)
    raise _refuse_pivot(f"give the value {value.sql(dialect='databricks')} an alias (AS name)")


@rule("pivot", nodes=(exp.Pivot,))
def _pivot(node: exp.Pivot, context: Context) -> exp.Expr:
    """`FROM source PIVOT (agg AS a, ... FOR col IN (value AS v, ...))` as Spark computes it: grouped by the
    source's other columns, a column per value (and aggregate), each the aggregate over the rows whose `col`
    is the value (`<=>`). When every aggregate is a number or a boolean, Spark aggregates per value first
    (PivotFirst): a value without rows gives NULL (a count too); otherwise it aggregates `if(col <=> value, x,
    NULL)`: a count of no rows is 0, a collect_list []. Made a GROUP BY over the source with FILTERs."""
    source = node.parent
    if source is None:
        return node
    if node.args.get("unpivot"):
        raise _refuse_pivot("UNPIVOT is not supported yet; write a UNION ALL of one SELECT per column")
    fields = node.args.get("fields") or []
    if len(fields) != 1 or not isinstance(fields[0], exp.In):
        raise _refuse_pivot("one FOR column (or tuple of columns) IN (values) is supported")
    pivot_by = fields[0].this
    keys = list(pivot_by.expressions) if isinstance(pivot_by, exp.Tuple) else [pivot_by]
    aggregates = list(node.expressions)
    if len(aggregates) > 1 and not all(isinstance(a, exp.Alias) for a in aggregates):
        raise _refuse_pivot("with more than one aggregate, give each an alias (sum(v) AS s)")
    first_mode = all(types.kind(a.type) in _PIVOT_FIRST for a in aggregates)
    cells: list[exp.Expr] = []
    for value in fields[0].expressions:
        literal = value.this if isinstance(value, exp.PivotAlias) else value
        parts = list(literal.expressions) if isinstance(literal, exp.Tuple) else [literal]
        if len(parts) != len(keys):
            raise _refuse_pivot("each value must have as many parts as the FOR columns")
        condition: exp.Expr = exp.NullSafeEQ(this=keys[0].copy(), expression=parts[0].copy())
        for key, part in zip(keys[1:], parts[1:], strict=True):
            condition = exp.And(this=condition, expression=exp.NullSafeEQ(this=key.copy(), expression=part.copy()))
        name = _value_name(value)
        for aggregate in aggregates:
            made = aggregate.this if isinstance(aggregate, exp.Alias) else aggregate
            cell = filtered(made.copy(), condition)
            if first_mode:
                rows = exp.Filter(this=exp.Count(this=exp.Star()), expression=exp.Where(this=condition.copy()))
                cell = when(exp.EQ(this=rows, expression=exp.Literal.number(0)), exp.Null(), cell)
            column = name if len(aggregates) == 1 else f"{name}_{aggregate.alias}"
            cells.append(exp.alias_(typed(cell, aggregate.type), column, quoted=True))
    used = {c.name.lower() for k in keys for c in k.find_all(exp.Column)}
    used |= {c.name.lower() for a in aggregates for c in a.find_all(exp.Column)}
    plain = source.copy()
    plain.set("pivots", None)
    inner = plain.this if isinstance(plain, exp.Subquery) else None
    select: exp.Select
    if isinstance(inner, exp.Select) and not any(isinstance(e, exp.Star) for e in inner.expressions):
        grouped = [exp.column(e.alias_or_name, quoted=True) for e in inner.expressions
                   if e.alias_or_name.lower() not in used]  # fmt: skip
        select = exp.select(*grouped, *cells).from_(plain.copy())
        if grouped:
            select = select.group_by(*[g.copy() for g in grouped])
    else:  # the source's other columns, whatever they are
        star = exp.Star(except_=[exp.column(n, quoted=True) for n in sorted(used)])
        select = exp.select(star, *cells).from_(plain.copy())
        select.set("group", exp.Group(all=True))
    alias = node.args.get("alias") or plain.args.get("alias")
    made_source = exp.Subquery(this=select, alias=alias.copy() if alias is not None else None)
    return in_place(node, made_source, at=source)


same(nodes=(exp.PivotAlias,))
