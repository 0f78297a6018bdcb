"""A streaming table that joins two streams under WATERMARKs: incremental, each matching pair emitted once, as
Spark's stream-stream join in append mode.

Per update: rows of either stream later than the watermark (their event time at or before it) are left out; the
new rows of each side are joined with everything the other side kept and with its new rows; the watermark moves
to the smaller of the two sides' (latest event time minus delay), never back. A side's rows are kept while a row
still to come could match them: the ON condition's time range (`c.t BETWEEN i.t AND i.t + INTERVAL 1 HOUR`)
bounds it, as Spark derives its state watermarks; without a bound an inner join keeps the side whole. In a LEFT
(RIGHT) OUTER join, a row of the left (right) side that leaves the state unmatched is emitted then, with NULLs.

The two streams are one batch source (`Both`): one checkpoint, one plan holding each side's files, replayed as it
was after a crash. The rows each side keeps are the flow's state, two Delta tables committed with the batch's
transaction before the target (as `windowed`'s).
"""

from __future__ import annotations

import dataclasses
import os
import shutil
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pyarrow as pa

from lakeloader.errors import ConfigError
from lakeloader.lakehouse import delta
from lakeloader.pipelines import translate
from lakeloader.pipelines.watermarks import MILLISECOND, Watermark, millis

if TYPE_CHECKING:
    from lakeloader.execution.checkpoint import Checkpoint
    from lakeloader.lakehouse.delta import CommitResult
    from lakeloader.pipelines.context import UpdateContext
    from lakeloader.pipelines.graph import Node
    from lakeloader.pipelines.model import Flow
    from lakeloader.quality import expectations as quality

JOIN = "__stream_join__"  # the source key of such a flow
ROW = "__lakeloader_row"
MATCHED = "__lakeloader_matched"


@dataclass(frozen=True)
class Side:
    alias: str
    source: str  # the streamed dataset as written
    mark: Watermark
    keep_after: int | None  # a row is kept while its event time > watermark + this (None: always)


@dataclass(frozen=True)
class Plan:
    left: Side
    right: Side
    kind: str  # "inner", "left" or "right"
    sql: str  # the query, with the two relations as placeholders {left} and {right} (views named per run)
    inner_sql: str  # ... its join made INNER
    ids_sql: str  # ... INNER, selecting the two sides' row ids


def applies(flow: Flow) -> bool:
    """Does `flow` join two streams under watermarks (and aggregate nothing)?"""
    sql = flow.query.sql or ""
    return len(flow.query.watermarks) >= 2 and bool(sql) and _two_streams(sql) and not translate.aggregates_stream(sql)


def _two_streams(sql: str) -> bool:
    from sqlglot import exp

    try:
        tree = translate._parse(sql)
    except translate.TranslateError:
        return False
    return isinstance(tree, exp.Select) and len(list(tree.find_all(exp.Stream))) == 2


def _relation(node: Any) -> tuple[str, str] | None:
    """(alias, streamed dataset as written) of a FROM/JOIN item that streams a table, else None."""
    from sqlglot import exp

    stream = node if isinstance(node, exp.Stream) else None
    alias = ""
    if isinstance(node, exp.Subquery):  # (SELECT *, expr AS ts FROM STREAM src) AS s: WATERMARK's named expression
        alias = node.alias
        inner = node.this
        stream = inner.args["from_"].this if isinstance(inner, exp.Select) and inner.args.get("from_") else None
        if not isinstance(stream, exp.Stream):
            return None
    if stream is None:
        return None
    inner = stream.this
    table = inner.this if isinstance(inner, exp.Subquery) else inner
    if not isinstance(table, exp.Table):
        return None
    alias = alias or (inner.alias if isinstance(inner, exp.Subquery) else "") or table.alias_or_name
    return alias, translate._table_name(table)


def plan(flow: Flow) -> Plan:
    """The join's two sides, its kind and time bounds, or a one-line refusal of what Spark does not run either."""
    from sqlglot import exp

    where = f"{flow.location}: flow {flow.name}"
    tree = translate._parse(flow.query.sql or "")
    joins = tree.args.get("joins") or []
    if not isinstance(tree, exp.Select) or len(joins) != 1 or tree.args.get("order"):
        raise ConfigError(f"{where}: a join of two streams under WATERMARKs is one SELECT ... FROM STREAM a JOIN "
                          "STREAM b ON ..., without ORDER BY (a stream is not sorted)")  # fmt: skip
    join = joins[0]
    kind = (join.side or "inner").lower()
    if kind not in ("inner", "left", "right") or (join.kind or "").upper() in ("SEMI", "ANTI", "CROSS"):
        raise ConfigError(f"{where}: a {kind.upper()} {join.kind or ''} join of two streams is not supported here; "
                          "use an inner, LEFT or RIGHT OUTER join")  # fmt: skip
    found = [_relation(tree.args["from_"].this), _relation(join.this)]
    if found[0] is None or found[1] is None or join.args.get("on") is None:
        raise ConfigError(
            f"{where}: join two streams as FROM STREAM a WATERMARK ... JOIN STREAM b WATERMARK ... ON ..."
        )
    marks = {m.relation.lower(): m for m in flow.query.watermarks}
    sides = []
    for alias, source in (found[0], found[1]):
        mark = marks.get(alias.lower())
        if mark is None:
            raise ConfigError(
                f"{where}: stream {source} AS {alias} has no WATERMARK; give both streams of the join one"
            )
        sides.append((alias, source, mark))
    bounds = _time_bounds(join.args["on"], sides[0][0], sides[0][2], sides[1][0], sides[1][2])
    left = Side(sides[0][0], sides[0][1], sides[0][2], bounds.get(sides[0][0].lower()))
    right = Side(sides[1][0], sides[1][1], sides[1][2], bounds.get(sides[1][0].lower()))
    kept = left if kind == "left" else right
    if kind != "inner" and kept.keep_after is None:
        raise ConfigError(
            f"{where}: a {kind.upper()} OUTER join of two streams needs a time range in its ON condition that "
            f"bounds {kept.alias}.{kept.mark.column} by the other side's event time (e.g. BETWEEN ... AND ... + "
            "INTERVAL 1 HOUR), so that a row can be emitted unmatched once nothing can match it; Spark refuses it "
            "too"
        )
    tree.args["from_"].set("this", exp.to_table("__left__").as_(left.alias))
    join.set("this", exp.to_table("__right__").as_(right.alias))
    sql = tree.sql(dialect="databricks")
    inner = tree.copy()
    inner.args["joins"][0].set("side", None)
    inner.args["joins"][0].set("kind", None)
    ids = inner.copy()
    ids.set("expressions", [exp.column(ROW, table=left.alias).as_("l"), exp.column(ROW, table=right.alias).as_("r")])
    return Plan(left, right, kind, sql, inner.sql(dialect="databricks"), ids.sql(dialect="databricks"))


def _time_bounds(on: Any, la: str, lm: Watermark, ra: str, rm: Watermark) -> dict[str, int]:
    """Per side (alias, lower case): `c` such that a row whose event time <= watermark + c can match no row still
    to come. From each conjunct `X.t >= Y.t + c` (or >, BETWEEN, <= read the other way): X's rows with
    X.t <= W + c are done, since every row to come has Y.t > W."""
    from sqlglot import exp

    def term(node: Any) -> tuple[str, int] | None:
        """An event time plus a constant: (side alias, micros)."""
        if isinstance(node, exp.Paren):
            return term(node.this)
        if isinstance(node, exp.Column):
            for alias, mark in ((la, lm), (ra, rm)):
                if node.name == mark.column and node.table.lower() in ("", alias.lower()):
                    return alias.lower(), 0
            return None
        if isinstance(node, (exp.Add, exp.Sub)) and isinstance(node.expression, exp.Interval):
            base = term(node.this)
            micros = _interval_micros(node.expression)
            if base is None or micros is None:
                return None
            return base[0], base[1] + (micros if isinstance(node, exp.Add) else -micros)
        return None

    bounds: dict[str, int] = {}

    def lower(x: Any, y: Any, strict: bool) -> None:  # x >= y (x > y)
        a, b = term(x), term(y)
        if a is None or b is None or a[0] == b[0]:
            return
        c = b[1] - a[1] - (0 if strict else MILLISECOND)  # a.t >= b.t + c: as Spark, a millisecond less when equal
        bounds[a[0]] = max(bounds.get(a[0], c), c)  # times may match (Spark's state watermarks are milliseconds)

    on = on.unnest()  # ON (a AND b): the parentheses change nothing
    conjuncts = [c.unnest() for c in on.flatten()] if isinstance(on, exp.And) else [on]
    for part in conjuncts:
        if isinstance(part, (exp.GTE, exp.GT)):
            lower(part.this, part.expression, isinstance(part, exp.GT))
        elif isinstance(part, (exp.LTE, exp.LT)):
            lower(part.expression, part.this, isinstance(part, exp.LT))
        elif isinstance(part, exp.Between):
            lower(part.this, part.args["low"], False)
            lower(part.args["high"], part.this, False)
    return bounds


def _interval_micros(node: Any) -> int | None:
    from lakeloader.sql import TranslateError
    from lakeloader.sql.functions.time_windows import duration_micros

    unit = node.args.get("unit")
    text = f"{node.this.name} {unit.name if unit is not None else ''}".strip()
    try:
        return duration_micros(text, "interval")
    except TranslateError:
        return None


class Both:
    """The two streams' new rows as one batch source: a plan is each side's Delta stream plan (None: nothing)."""

    def __init__(self, left: Any, right: Any) -> None:
        self.sides = {"left": left, "right": right}

    def plan_next(self, checkpoint: Checkpoint) -> dict[str, Any] | None:
        plans = {name: source.plan_next(checkpoint) for name, source in self.sides.items()}
        if all(p is None for p in plans.values()):
            return None
        for name, source in self.sides.items():
            plans[name] = plans[name] or source.plan_next_empty()
        return {"kind": "stream join", **plans}

    def read(self, plan: dict[str, Any]) -> pa.RecordBatchReader:
        return pa.RecordBatchReader.from_batches(pa.schema([]), [])

    def rows(self, plan: dict[str, Any], name: str) -> pa.Table:
        side = plan.get(name)
        if side is None:
            raise ConfigError(f"stream join: {name} side of the batch has no rows to read")
        return self.sides[name].dataset(side).to_table()

    def committed(self, checkpoint: Checkpoint, batch_id: int, plan: dict[str, Any], result: CommitResult) -> None:
        for name, source in self.sides.items():
            if plan.get(name) is not None and plan[name].get("to", -1) >= 0:
                source.committed(checkpoint, batch_id, plan[name], result)


def sources(ctx: UpdateContext, flow: Flow, node: Node) -> Both:
    """The two Delta streams, each with its own position in the flow's checkpoint."""
    from lakeloader.pipelines.streaming import table_location
    from lakeloader.sources.delta.source import DeltaStreamSource

    shape = plan(flow)
    found = {}
    for name, side in (("left", shape.left), ("right", shape.right)):
        key = ctx.pipeline.graph.resolve(side.source)
        if key is None:
            raise ConfigError(f"{flow.location}: flow {flow.name}: '{side.source}' is not a valid table name")
        found[name] = DeltaStreamSource(
            table_location(ctx, key), table_name=key, reader_name=f"flow {flow.name}", state_name=f"delta_{name}"
        )
    return Both(found["left"], found["right"])


def state_location(ctx: UpdateContext, node: Node, flow: Flow) -> Path:
    return ctx.pipeline.storage / "state" / "stream_join" / node.key / flow.name


def forget(ctx: UpdateContext, node: Node, flow: Flow) -> None:
    shutil.rmtree(state_location(ctx, node, flow), ignore_errors=True)


def _state(location: Path, stream: str, batch_id: int) -> tuple[pa.Table | None, dict[str, Any]]:
    """A side's kept rows and the join's marks (watermark, each side's watermark, next row id) before `batch_id`."""
    if not delta.is_delta_table(location):
        return None, {}
    before = delta.version_before_batch(location, stream, batch_id)
    if before == -1:
        return None, {}
    table = delta.open_table(location, version=before)
    read = int(table.version())
    for entry in table.history():
        if int(entry["version"]) == read:
            marks = {k.removeprefix("lakeloader."): int(v) for k, v in entry.items() if k.startswith("lakeloader.wm_")}
            return delta.dataset(location, version=read).to_table(), marks
    return None, {}


def run_batch(
    ctx: UpdateContext,
    flow: Flow,
    node: Node,
    both: Both,
    batch: dict[str, Any],
    *,
    stream_id: str,
    batch_id: int,
    quality_state: quality.Quality,
    on_dropped: quality.Dropped | None,
    commit: Callable[[pa.RecordBatchReader], CommitResult],
) -> CommitResult:
    """One batch: the pairs its new rows make (and the outer rows that leave unmatched) committed to the target,
    the rows still needed kept as the state."""
    from lakeloader.pipelines.results import output
    from lakeloader.pipelines.session import FlowSession

    shape = plan(flow)
    root = state_location(ctx, node, flow)
    kept_left, marks = _state(root / "left", f"{stream_id}:left", batch_id)
    kept_right, _ = _state(root / "right", f"{stream_id}:right", batch_id)
    low = marks.get("wm_watermark", 0)  # rows at or before it are late; the update starts from it
    next_id = marks.get("wm_next_row", 0)
    session = FlowSession(ctx.lakehouse, ctx.pipeline, flow, database=ctx.database)
    try:
        new_left, next_id = _new_rows(session, shape.left, both.rows(batch, "left"), low, next_id)
        new_right, next_id = _new_rows(session, shape.right, both.rows(batch, "right"), low, next_id)
    finally:
        session.close()
    # As Spark runs a triggered update: each stream's watermark is its latest event time in this update minus
    # its delay, the candidate the smallest. Only when both streams brought rows does the update's plan bound
    # the state by the watermark (with one, the other has no watermark operator in it), so only then are rows
    # evicted, and the new watermark kept (by the no-data batch Spark runs after it).
    present = [(new.raw, side) for new, side in ((new_left, shape.left), (new_right, shape.right)) if new.raw.num_rows]
    bounded = len(present) == 2 and (shape.left.keep_after is not None or shape.right.keep_after is not None)
    high = max(low, min(_latest(raw, side) - side.mark.delay_us for raw, side in present)) if bounded else low
    all_left = _union(kept_left, new_left.kept)
    all_right = _union(kept_right, new_right.kept)
    views = {
        "__ll_left_new": _plain(new_left.kept),
        "__ll_right_new": _plain(new_right.kept),
        "__ll_left_all": _plain(all_left),
    }
    ids = FlowSession(ctx.lakehouse, ctx.pipeline, flow, database=ctx.database, extra_views={
        "__ll_left_new": new_left.kept, "__ll_right_kept": _or_empty(kept_right, new_right.kept),
        "__ll_left_all": all_left, "__ll_right_new": new_right.kept,
    })  # fmt: skip
    try:
        pairs = (
            f"{_with(shape.ids_sql, '__ll_left_new', '__ll_right_kept')} UNION ALL "
            f"{_with(shape.ids_sql, '__ll_left_all', '__ll_right_new')}"
        )
        matched = ids.con.sql(ids.translate(pairs)).to_arrow_table()
    finally:
        ids.close()
    all_left = _mark_matched(all_left, matched.column("l"))
    all_right = _mark_matched(all_right, matched.column("r"))
    left_out, left_kept = _evict(all_left, shape.left, high if bounded else None)
    right_out, right_kept = _evict(all_right, shape.right, high if bounded else None)
    views["__ll_right_kept"] = _plain(_or_empty(kept_right, new_right.kept))
    branches = [
        _with(shape.inner_sql, "__ll_left_new", "__ll_right_kept"),
        _with(shape.inner_sql, "__ll_left_all", "__ll_right_new"),
    ]
    if shape.kind == "left":
        views["__ll_outer"], views["__ll_none"] = _plain(_unmatched(left_out)), _plain(all_right.slice(0, 0))
        branches.append(_with(shape.sql, "__ll_outer", "__ll_none"))
    elif shape.kind == "right":
        views["__ll_outer"], views["__ll_none"] = _plain(_unmatched(right_out)), _plain(all_left.slice(0, 0))
        branches.append(_with(shape.sql, "__ll_none", "__ll_outer"))
    query = dataclasses.replace(flow.query, sql=" UNION ALL ".join(branches))
    session = FlowSession(
        ctx.lakehouse, ctx.pipeline, dataclasses.replace(flow, query=query), database=ctx.database, extra_views=views
    )
    try:
        rows = output(session, node, quality_state, on_dropped=on_dropped).read_all()
    finally:
        session.close()
    replaying = (
        delta.is_delta_table(root / "left")
        and delta.version_before_batch(root / "left", f"{stream_id}:left", batch_id) is not None
    )
    if not replaying:  # a replay of a batch the state already holds keeps the state as it is
        metadata = {"wm_watermark": high, "wm_next_row": next_id}
        for name, table in (("left", left_kept), ("right", right_kept)):
            os.makedirs(root / name, exist_ok=True)
            delta.write(root / name, table, mode="overwrite", overwrite_schema=True, stream_id=f"{stream_id}:{name}",
                        batch_id=batch_id, metadata=metadata, table_name=f"{node.key} stream join state")  # fmt: skip
    return commit(rows.to_reader())


@dataclass
class _New:
    raw: pa.Table  # every new row, with the event time (for the watermark)
    kept: pa.Table  # the rows not late, with their ids and the matched flag


def _new_rows(session: Any, side: Side, rows: pa.Table, low: int, next_id: int) -> tuple[_New, int]:
    """A side's new rows with its event-time column (computed when WATERMARK names an expression), the late ones
    (event time <= the watermark) left out, each given a row id."""
    session.con.register("__ll_raw", rows)
    mark = side.mark
    sql = "SELECT * FROM __ll_raw"
    if mark.expression is not None:
        translated = translate.condition_to_duckdb(mark.expression, translate.spark_columns(rows.schema))
        sql = f'SELECT *, {translated} AS "{mark.column}" FROM __ll_raw'
    raw = session.con.sql(sql).to_arrow_table()
    session.con.unregister("__ll_raw")
    column = raw.column(mark.column)
    if not pa.types.is_timestamp(column.type):
        raise ConfigError(f"WATERMARK {mark.column} of stream {side.source} is {column.type}; a watermark needs a "
                          "TIMESTAMP column (or WATERMARK to_timestamp(...) AS ts)")  # fmt: skip
    micros = column.cast(pa.int64())
    import pyarrow.compute as pc

    kept = raw.filter(pc.greater(micros, pa.scalar(low, pa.int64())))
    ids = pa.array(range(next_id, next_id + kept.num_rows), pa.int64())
    kept = kept.append_column(ROW, ids).append_column(MATCHED, pa.array([False] * kept.num_rows, pa.bool_()))
    return _New(raw, kept), next_id + kept.num_rows


def _latest(raw: pa.Table, side: Side) -> int:
    """The stream's latest event time in microseconds, cut to the millisecond as Spark keeps it."""
    import pyarrow.compute as pc

    found = pc.max(raw.column(side.mark.column).cast(pa.int64())).as_py()
    return millis(int(found)) if found is not None else -(2**62)


def _union(kept: pa.Table | None, new: pa.Table) -> pa.Table:
    return pa.concat_tables([kept, new], promote_options="permissive") if kept is not None else new


def _or_empty(kept: pa.Table | None, like: pa.Table) -> pa.Table:
    return kept if kept is not None else like.slice(0, 0)


def _plain(table: pa.Table) -> pa.Table:
    """A side's rows as the query sees them (no row id, no matched flag)."""
    return table.drop_columns([c for c in (ROW, MATCHED) if c in table.column_names])


def _with(sql: str, left: str, right: str) -> str:
    return f"({sql.replace('__left__', left).replace('__right__', right)})"


def _mark_matched(table: pa.Table, ids: pa.ChunkedArray) -> pa.Table:
    import pyarrow.compute as pc

    hit = pc.or_(table.column(MATCHED), pc.is_in(table.column(ROW), value_set=pa.array(ids.to_pylist(), pa.int64())))
    return table.set_column(table.schema.get_field_index(MATCHED), MATCHED, hit)


def _evict(table: pa.Table, side: Side, high: int | None) -> tuple[pa.Table, pa.Table]:
    """(rows that leave the state: no row to come can match them, kept rows)."""
    import pyarrow.compute as pc

    if side.keep_after is None or high is None:
        return table.slice(0, 0), table
    micros = table.column(side.mark.column).cast(pa.int64())
    done = pc.less_equal(micros, pa.scalar(high + side.keep_after, pa.int64()))
    return table.filter(done), table.filter(pc.invert(done))


def _unmatched(table: pa.Table) -> pa.Table:
    import pyarrow.compute as pc

    return table.filter(pc.invert(table.column(MATCHED)))
