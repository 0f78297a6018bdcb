"""A streaming table that aggregates its stream under a WATERMARK: incremental, each group emitted once, when closed.

As Spark's append mode: the watermark is the latest event time seen minus the delay (it never goes back). A group
is keyed by its event time (the end of its `window(ts, ...)`, or `ts` itself when grouped by it); an update emits
the groups whose key passed the watermark since the last update, `(W_old, W_new]`, computed over the rows kept
for the still-open groups plus the new rows. Rows of groups already emitted (key <= W_old) come too late and are
left out, as Spark leaves them out. Rows of open groups are the flow's state, a Delta table in the pipeline's
storage, committed before the target with the batch's transaction (as AUTO CDC's state): a crash between the
two commits replays the batch from the state as it was before it.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
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
from lakeloader.pipelines.watermarks import Watermark, millis

if TYPE_CHECKING:
    from lakeloader.pipelines.context import UpdateContext
    from lakeloader.pipelines.graph import Node
    from lakeloader.pipelines.model import Flow
    from lakeloader.pipelines.session import Streams
    from lakeloader.quality import expectations as quality

EVENT = "__lakeloader_event_time"


@dataclass(frozen=True)
class Plan:
    """How a windowed flow keys its groups."""

    mark: Watermark
    key: str  # Spark SQL of a row's (and its group's) event-time key
    keyed_sql: str  # the flow's query with the key as one more output column, EVENT


def applies(flow: Flow) -> bool:
    """Is `flow` an aggregation of its stream under a watermark?"""
    return bool(flow.query.watermarks) and bool(flow.query.sql) and translate.aggregates_stream(flow.query.sql or "")


def plan(flow: Flow) -> Plan:
    """The flow's key, or a one-line refusal of a shape Spark's append mode does not run either."""
    from sqlglot import exp

    from lakeloader.sql.translate import parse

    assert flow.query.sql is not None
    where = f"{flow.location}: flow {flow.name}"
    if len(flow.query.watermarks) != 1:
        raise ConfigError(f"{where}: an aggregation reads one stream with a WATERMARK here; join streams apart")
    mark = flow.query.watermarks[0]
    tree = parse(flow.query.sql)
    if not isinstance(tree, exp.Select) or tree.args.get("group") is None:
        raise ConfigError(
            f"{where}: under a WATERMARK, the streaming table's outermost SELECT must GROUP BY window({mark.column}, "
            f"...) or {mark.column}"
        )
    if tree.args.get("order"):
        raise ConfigError(
            f"{where}: ORDER BY in a query that aggregates a stream under a WATERMARK: Spark does not sort a stream "
            "in append mode; order the rows where they are read"
        )
    key = _group_key(tree, mark)
    if key is None:
        raise ConfigError(
            f"{where}: the query aggregates under WATERMARK {mark.column} but does not group by it: GROUP BY "
            f"window({mark.column}, '10 minutes') (or {mark.column}), as Spark's append mode requires"
        )
    keyed = tree.copy()
    keyed.append("expressions", exp.alias_(parse(f"SELECT {key}").expressions[0], EVENT))
    return Plan(mark, key, keyed.sql(dialect="databricks"))


def _group_key(select: Any, mark: Watermark) -> str | None:
    from sqlglot import exp

    def event(node: Any) -> bool:
        return isinstance(node, exp.Column) and node.name == mark.column and node.table in ("", mark.relation)

    outputs = {p.alias_or_name: p.unalias() for p in select.expressions}
    for item in select.args["group"].expressions:
        if isinstance(item, exp.Literal) and item.is_int and 0 < int(item.this) <= len(select.expressions):
            item = select.expressions[int(item.this) - 1].unalias()
        elif isinstance(item, exp.Column) and not item.table and item.name in outputs and not event(item):
            item = outputs[item.name]
        if event(item):
            return str(item.sql(dialect="databricks"))
        if isinstance(item, exp.Anonymous) and item.name.lower() == "window" and event(item.expressions[0]):
            return f"{item.sql(dialect='databricks')}.end"
    return None


def state_location(ctx: UpdateContext, node: Node, flow: Flow) -> Path:
    return ctx.pipeline.storage / "state" / "watermark" / node.key / flow.name


def forget(ctx: UpdateContext, node: Node, flow: Flow) -> None:
    """A full refresh: the open groups and the watermark start over."""
    shutil.rmtree(state_location(ctx, node, flow), ignore_errors=True)


def _state(location: Path, version: int | None) -> tuple[pa.Table | None, int]:
    """The open groups' rows and the watermark (microseconds; 0 before any) as of `version` (None: the latest)."""
    if not delta.is_delta_table(location) or version == -1:
        return None, 0
    table = delta.open_table(location, version=version)
    read = int(table.version())
    for entry in table.history():
        if int(entry["version"]) == read:
            watermark = int(entry.get("lakeloader.watermark_us", 0))
            return delta.dataset(location, version=read).to_table(), watermark
    return None, 0


def _literal(micros: int, arrow_type: pa.DataType) -> str:
    if getattr(arrow_type, "tz", None) is not None:
        return f"timestamp_micros({micros})"
    wall = dt.datetime(1970, 1, 1) + dt.timedelta(microseconds=micros)
    return f"TIMESTAMP_NTZ'{wall.isoformat(sep=' ')}'"


def _stream(mark: Watermark) -> str:
    return f"STREAM {mark.source}" if "(" in mark.source else f"STREAM({mark.source})"


def _scan(mark: Watermark) -> str:
    """The watermarked relation as the query reads it (with the column WATERMARK computes, if it does)."""
    stream = _stream(mark)
    if mark.expression is None:
        return f"{stream} AS {mark.relation}"
    return f"(SELECT *, {mark.expression} AS {mark.column} FROM {stream}) AS {mark.relation}"


def run_batch(
    ctx: UpdateContext,
    flow: Flow,
    node: Node,
    streams: Streams,
    *,
    stream_id: str,
    batch_id: int,
    quality_state: quality.Quality,
    on_dropped: quality.Dropped | None,
    commit: Callable[[pa.RecordBatchReader], delta.CommitResult],
) -> delta.CommitResult:
    """One batch: the groups it closes committed to the target; the rows of groups still open kept as the state."""
    from lakeloader.pipelines.results import output
    from lakeloader.pipelines.session import FlowSession, Streams

    shape = plan(flow)
    mark = shape.mark
    location = state_location(ctx, node, flow)
    state_stream = f"{stream_id}:state"
    before = delta.version_before_batch(location, state_stream, batch_id) if delta.is_delta_table(location) else None
    kept, low = _state(location, before)
    session = FlowSession(ctx.lakehouse, ctx.pipeline, flow, stream=streams, database=ctx.database)
    try:
        new = session.con.sql(session.translate(f"SELECT * FROM {_stream(mark)}")).to_arrow_table()
        column = mark.column if mark.expression is None else f"({mark.expression})"
        latest = session.con.sql(session.translate(f"SELECT max({column}) AS m FROM {_scan(mark)}")).to_arrow_table()
    finally:
        session.close()
    event_type = latest.schema.field("m").type
    if not pa.types.is_timestamp(event_type):
        raise ConfigError(
            f"{flow.location}: flow {flow.name}: WATERMARK {mark.column} is {event_type}; a watermark needs a "
            "TIMESTAMP column (or WATERMARK to_timestamp(...) AS ts)"
        )
    seen = latest.column("m")[0].cast(pa.timestamp("us", tz=event_type.tz)).value
    high = max(low, millis(seen) - mark.delay_us) if seen is not None else low  # milliseconds, as Spark
    pending = pa.concat_tables([kept, new], promote_options="permissive") if kept is not None else new
    opened = Streams(streams.key, pending, files=streams.files, postgres=streams.postgres)
    emitted = dataclasses.replace(flow.query, sql=_window_sql(shape, low, high, event_type))
    session = FlowSession(
        ctx.lakehouse, ctx.pipeline, dataclasses.replace(flow, query=emitted), stream=opened, database=ctx.database
    )
    try:
        rows = output(session, node, quality_state, on_dropped=on_dropped).read_all()
        still_open = session.con.sql(session.translate(_open_sql(shape, high, event_type))).to_arrow_table()
    finally:
        session.close()
    if before is None:  # a replay of a batch the state already holds keeps the state as it is
        os.makedirs(location, exist_ok=True)
        delta.write(
            location,
            still_open,
            mode="overwrite",
            overwrite_schema=True,
            stream_id=state_stream,
            batch_id=batch_id,
            metadata={"watermark_us": high, "flow": flow.name},
            table_name=f"{node.key} watermark state",
        )
    return commit(rows.to_reader())


def _window_sql(shape: Plan, low: int, high: int, event_type: pa.DataType) -> str:
    return (
        f"SELECT * EXCEPT ({EVENT}) FROM ({shape.keyed_sql}) AS __lakeloader_groups WHERE {EVENT} > "
        f"{_literal(low, event_type)} AND {EVENT} <= {_literal(high, event_type)}"
    )


def _open_sql(shape: Plan, high: int, event_type: pa.DataType) -> str:
    mark = shape.mark
    rows = f"{mark.relation}.*" if mark.expression is None else f"{mark.relation}.* EXCEPT ({mark.column})"
    return f"SELECT {rows} FROM {_scan(mark)} WHERE {shape.key} > {_literal(high, event_type)}"
