"""Streaming flows: every batch of new input since the flow last ran → the flow's query → expectations (dropped
rows to the quarantine) → ONE Delta commit with the flow's transaction, through the commit protocol.

Inputs: `STREAM(table)` (the rows a Delta table's append commits added), `STREAM read_files(...)` /
`dp.read_files` (the files source, Auto Loader's options), and `dp.read_postgres` (the Postgres source).
"""

from __future__ import annotations

import shutil
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Any

import pyarrow as pa

from lakeloader.errors import TerminalError
from lakeloader.execution import stream
from lakeloader.execution.checkpoint import Checkpoint
from lakeloader.lakehouse import delta, storage
from lakeloader.lakehouse.delta import CommitResult
from lakeloader.pipelines import stream_joins, translate, windowed
from lakeloader.pipelines.context import (
    FILES,
    ONCE,
    POSTGRES,
    FlowOutcome,
    StreamInput,
    UpdateContext,
    ensure_table,
    quarantine_table,
)
from lakeloader.pipelines.graph import Node
from lakeloader.pipelines.model import Flow
from lakeloader.pipelines.results import _counting, output, rules_of
from lakeloader.pipelines.session import FlowSession, Streams
from lakeloader.quality import expectations as quality
from lakeloader.quality import quarantine
from lakeloader.sql.runtime import ready

if TYPE_CHECKING:
    from lakeloader.execution.stream import BatchSource


def stream_source(ctx: UpdateContext, flow: Flow) -> str:
    """The dataset key a streaming flow reads incrementally (through temporary views), or FILES, or POSTGRES."""
    graph = ctx.pipeline.graph
    if flow.once:
        return ONCE
    current = flow
    for _ in range(len(graph.flows) + 1):
        if current.query.streams_files or (current.query.reads_files and current.query.function is not None):
            return FILES
        if current.query.reads_postgres and current.query.function is not None:
            if current is not flow:
                raise TerminalError(
                    f"{flow.location}: flow {flow.name} streams from a view that reads Postgres; call "
                    "dp.read_postgres in the streaming table's own function"
                )
            return POSTGRES
        streams = sorted(graph.flow_streams[current.name])
        if len(streams) != 1:
            raise TerminalError(f"{flow.location}: flow {flow.name} reads {len(streams)} streams; read exactly one")
        node = graph.nodes.get(streams[0])
        if node is None or not node.is_view:
            return streams[0]
        current = node.flows[0]
    raise TerminalError(f"{flow.location}: flow {flow.name}: its views read each other in a cycle")


def table_location(ctx: UpdateContext, key: str) -> storage.Location:
    info = ctx.lakehouse.metastore.get(key)
    if info is None or info.location is None:
        raise TerminalError(f"table {key} does not exist; run the flows that create it, or create it")
    return storage.path(info.location)


def checkpoint_for(ctx: UpdateContext, flow: Flow, node: Node, source: str, address: str | None = None) -> Checkpoint:
    """The flow's checkpoint. A flow whose query now reads another source starts over on a full refresh of its
    table (the old checkpoint kept aside); before that, it fails saying so."""
    from datetime import UTC, datetime

    from lakeloader.execution.checkpoint import SourceChangedError

    path = ctx.pipeline.storage / "checkpoints" / node.key / flow.name
    try:
        return Checkpoint(path, target=node.key, source=source, address=address)
    except SourceChangedError:
        if node.key not in ctx.full_refresh:
            raise TerminalError(
                f"{flow.location}: flow {flow.name} now reads {source}, but its checkpoint holds batches of another "
                f"source; run a full refresh of {node.key} (lakeloader pipelines run --full-refresh-selection "
                f"{node.key}) to read the new source from the start, or give the new source a flow of its own "
                "(CREATE FLOW ... AS INSERT INTO ...)"
            ) from None
        path.rename(path.with_name(f"{path.name}.replaced-{datetime.now(UTC):%Y%m%dT%H%M%S%fZ}"))
        return Checkpoint(path, target=node.key, source=source, address=address)


def _delta_input(ctx: UpdateContext, flow: Flow, node: Node, key: str) -> StreamInput:
    from lakeloader.sources.delta.source import DeltaStreamSource

    settings = ctx.pipeline.definitions.settings
    skip = str(settings.get("skipChangeCommits", settings.get("pipelines.skipChangeCommits", "false"))).lower()
    skip_changes = skip == "true" or str(node.dataset.properties.get("skipChangeCommits", "")).lower() == "true"
    upstream = table_location(ctx, key)
    source = DeltaStreamSource(
        upstream, table_name=key, reader_name=f"flow {flow.name}", skip_change_commits=skip_changes
    )

    def data(plan: dict[str, Any], _attempt: int) -> Any:
        from lakeloader.pipelines.session import ParquetFiles

        paths = source.parquet_paths(plan)
        if paths is None:
            return source.dataset(plan)
        return ParquetFiles(str(upstream.resolve()) + "/", paths)

    return StreamInput(key, source, f"delta:{key}", data, upstream)


class _Once:
    """The input of an append flow with `once=True` (a backfill): one batch, its query run as a batch query,
    and never again — until a full refresh of its table starts its checkpoint over."""

    def plan_next(self, checkpoint: Checkpoint) -> dict[str, Any] | None:
        return None if checkpoint.latest_planned() is not None else {"kind": "once"}

    def read(self, plan: dict[str, Any]) -> pa.RecordBatchReader:
        return pa.RecordBatchReader.from_batches(pa.schema([]), [])

    def committed(self, checkpoint: Checkpoint, batch_id: int, plan: dict[str, Any], result: CommitResult) -> None:
        return None


class _Recording:
    """The input source, plus the flow's quarantine committed when each batch is recorded (replays included)."""

    def __init__(self, inner: BatchSource, staged: quarantine.Staged | None) -> None:
        self.inner = inner
        self.staged = staged

    def plan_next(self, checkpoint: Checkpoint) -> dict[str, Any] | None:
        return self.inner.plan_next(checkpoint)

    def read(self, plan: dict[str, Any]) -> pa.RecordBatchReader:
        return self.inner.read(plan)

    def committed(self, checkpoint: Checkpoint, batch_id: int, plan: dict[str, Any], result: CommitResult) -> None:
        self.inner.committed(checkpoint, batch_id, plan, result)
        if self.staged is not None:
            self.staged.commit(batch_id)


def _staged_when_drained(reader: pa.RecordBatchReader, on_end: Callable[[], None]) -> pa.RecordBatchReader:
    """`reader`, calling `on_end` once every batch is out (before the writer commits what it read)."""

    def batches() -> Iterator[pa.RecordBatch]:
        yield from reader
        on_end()

    return pa.RecordBatchReader.from_batches(reader.schema, batches())


def run_streaming_flow(ctx: UpdateContext, flow: Flow, node: Node) -> FlowOutcome:
    """Every batch of new input since the flow last ran, exactly once."""
    outcome = FlowOutcome(flow.name, node.key)
    location = ensure_table(ctx, node)
    key = stream_joins.JOIN if stream_joins.applies(flow) else stream_source(ctx, flow)
    from lakeloader.pipelines import files_input

    files = files_input.files_read(ctx, flow) if key == FILES else None
    label = files_input.label(ctx, files) if files is not None else f"delta:{key}"
    if key == ONCE:
        label = "once"
    if key == stream_joins.JOIN:
        shape = stream_joins.plan(flow)
        label = f"stream join:{shape.left.source}+{shape.right.source}"
    address, postgres = None, None
    if key == POSTGRES:
        from lakeloader.pipelines import postgres_input

        label, address, postgres = postgres_input.label(ctx, flow, postgres_input.postgres_read(ctx, flow))
    try:
        return _run_stream(ctx, flow, node, outcome, location, key, files, label, address, postgres)
    finally:
        if postgres is not None:
            postgres.close()


def _run_stream(
    ctx: UpdateContext,
    flow: Flow,
    node: Node,
    outcome: FlowOutcome,
    location: storage.Location,
    key: str,
    files: Any,
    label: str,
    address: str | None,
    postgres: Any,
) -> FlowOutcome:
    from lakeloader.pipelines import files_input

    checkpoint = checkpoint_for(ctx, flow, node, source=label, address=address)
    quality_state = quality.Quality(node.key, rules_of(node))
    kept = quarantine_table(ctx, node) if flow.auto_cdc is None else None
    with checkpoint.exclusive():
        if node.key in ctx.full_refresh:
            if checkpoint.latest_planned() is not None:
                checkpoint.start_over("full refresh")
            if flow.auto_cdc is not None:
                from lakeloader.pipelines import cdc

                shutil.rmtree(cdc.state_location(ctx, node, flow), ignore_errors=True)
            if windowed.applies(flow):
                windowed.forget(ctx, node, flow)
            if key == stream_joins.JOIN:
                stream_joins.forget(ctx, node, flow)
        stream.check_target(checkpoint, location)
        if files is not None:  # built after a restart moved the old state aside
            stream_input = files_input.files_input(ctx, flow, node, checkpoint, files)
        elif postgres is not None:
            from lakeloader.pipelines import postgres_input

            stream_input = postgres_input.postgres_input(postgres, label)
        elif key == ONCE:
            stream_input = StreamInput(None, _Once(), label, lambda _plan, _attempt: None)
        elif key == stream_joins.JOIN:
            stream_input = StreamInput(None, stream_joins.sources(ctx, flow, node), label, lambda _p, _a: None)
        else:
            stream_input = _delta_input(ctx, flow, node, key)
        staged = None
        if kept is not None:
            staging = checkpoint.source_state_path("quarantine")
            staged = quarantine.Staged(staging, kept[1], table_name=kept[0], stream_id=checkpoint.stream_id)

        def write(reader: pa.RecordBatchReader, batch_id: int, plan: dict[str, Any]) -> CommitResult:
            del reader  # the session scans the batch itself (through the input's `data`)
            for attempt in range(3):
                try:
                    return write_attempt(batch_id, plan, attempt)
                except Exception:
                    if attempt == 2 or not stream_input.read_again():
                        raise
            raise AssertionError("unreachable")

        copy = _plain_copy(flow, stream_input, quality_state, staged)

        def write_attempt(batch_id: int, plan: dict[str, Any], attempt: int) -> CommitResult:
            def commit(rows: pa.RecordBatchReader) -> CommitResult:
                return delta.commit_batch(
                    location,
                    rows,
                    stream_id=checkpoint.stream_id,
                    batch_id=batch_id,
                    table_name=node.key,
                    metadata={"pipeline": ctx.pipeline.name, "update_id": ctx.update_id, "flow": flow.name},
                    partition_by=node.dataset.partition_by or None,
                )

            if copy:  # SELECT * FROM STREAM(t), nothing to check: the new rows as they are, no query engine
                return commit(_counting(stream_input.source.read(plan), quality_state))
            collector = None
            if staged is not None:
                source = quarantine.describe_source(plan)
                collector = quarantine.Collector(ctx.update_id, flow.name, batch_id, source)
            state: dict[str, Any] = {  # what a flow that keeps state of its own (under a watermark) is given
                "stream_id": checkpoint.stream_id,
                "batch_id": batch_id,
                "quality_state": quality_state,
                "on_dropped": collector,
                "commit": lambda rows: commit(_staged(rows, staged, collector, batch_id)),
            }
            if key == stream_joins.JOIN:
                both: Any = stream_input.source
                return stream_joins.run_batch(ctx, flow, node, both, plan, **state)
            kept_rows = (staged, collector) if staged is not None and collector is not None else None
            on_units = _on_units(ctx, flow, node, location, stream_input, plan, (checkpoint.stream_id, batch_id),
                                 attempt, quality_state, kept_rows)  # fmt: skip
            if on_units is not None:
                return on_units
            streams = _streams(stream_input, plan, attempt)
            if windowed.applies(flow):
                return windowed.run_batch(ctx, flow, node, streams, **state)
            session = FlowSession(ctx.lakehouse, ctx.pipeline, flow, stream=streams, database=ctx.database)
            try:
                if flow.auto_cdc is not None:
                    return _apply_changes(ctx, session, node, location, checkpoint.stream_id, batch_id)
                rows = output(session, node, quality_state, on_dropped=collector)
                return commit(_staged(rows, staged, collector, batch_id))
            finally:
                session.close()

        for result in stream.run_available_now(checkpoint, location, _Recording(stream_input.source, staged), write):
            outcome.batches += 1
            outcome.rows_out += result.rows
        upstream = stream_input.upstream
        empty = not delta.is_delta_table(location) and flow.auto_cdc is None
        if empty and upstream is not None and delta.is_delta_table(upstream):
            _create_empty(ctx, flow, node, location, stream_input)
    outcome.rows_in = quality_state.input_rows
    outcome.dropped = quality_state.dropped_records
    outcome.expectations = [c.to_dict() for c in quality_state.counts]
    if outcome.batches == 0:
        outcome.up_to_date, outcome.message = True, "up to date: no new input"
    return outcome


def _on_units(
    ctx: UpdateContext,
    flow: Flow,
    node: Node,
    location: storage.Location,
    stream_input: StreamInput,
    plan: dict[str, Any],
    batch: tuple[str, int],
    attempt: int,
    quality_state: quality.Quality,
    kept: Any,
) -> CommitResult | None:
    """On a distributed executor, the batch's row-wise part in work units (`flow_units`): its files' or its
    upstream table's new data files; None when it runs here."""
    if ctx.executor is None or not ctx.executor.distributed:
        return None
    from lakeloader.pipelines import flow_units

    stream_id, batch_id = batch
    source: Any = stream_input.source
    if isinstance(getattr(source, "files_read", None), translate.FilesRead):
        return flow_units.run_batch(ctx, flow, node, location, source, plan, batch_id, attempt, quality_state, kept)
    if stream_input.postgres:
        return flow_units.run_postgres_batch(ctx, flow, node, location, source, plan, batch_id, quality_state, kept,
                                             stream_id)  # fmt: skip
    if stream_input.key is None:
        return None
    streams = _streams(stream_input, plan, attempt)
    return flow_units.run_table_batch(ctx, flow, node, location, streams, plan, batch_id, quality_state, kept,
                                      stream_id)  # fmt: skip


def _staged(
    rows: pa.RecordBatchReader, staged: quarantine.Staged | None, collector: Any, batch_id: int
) -> pa.RecordBatchReader:
    """`rows`, the batch's dropped rows staged for the quarantine once they are all read."""
    if staged is None or collector is None:
        return rows
    return _staged_when_drained(rows, lambda: staged.stage(batch_id, collector.table()))


def _plain_copy(flow: Flow, stream_input: StreamInput, state: quality.Quality, staged: Any) -> bool:
    """Whether the flow's batches are its Delta stream's new rows as they are (`SELECT * FROM STREAM(t)`, no
    expectations, no AUTO CDC): read straight from the files (bench/pipelines.py (b))."""
    return (
        stream_input.key is not None
        and flow.auto_cdc is None
        and flow.query.sql is not None
        and not state.rules
        and staged is None
        and translate.is_plain_stream_copy(flow.query.sql)
    )


def _streams(stream_input: StreamInput, plan: dict[str, Any], attempt: int = 0) -> Streams:
    files = getattr(stream_input.source, "files_read", None)
    return Streams(stream_input.key, stream_input.data(plan, attempt), files=files, postgres=stream_input.postgres)


def _apply_changes(
    ctx: UpdateContext, session: FlowSession, node: Node, location: storage.Location, stream_id: str, batch_id: int
) -> CommitResult:
    """An AUTO CDC batch: the change events (with their sequence and delete/truncate marks) applied by key."""
    from lakeloader.pipelines import cdc

    flow = session.flow
    assert flow.auto_cdc is not None
    session.con.register("__lakeloader_events", session.result())
    helpers = ready(session.con, cdc.with_helpers(session.con, "__lakeloader_events", flow.auto_cdc))
    events = session.con.sql(helpers).to_arrow_table()
    return cdc.apply(ctx, flow, node, events, location=location, stream_id=stream_id, batch_id=batch_id)


def _create_empty(
    ctx: UpdateContext, flow: Flow, node: Node, location: storage.Location, stream_input: StreamInput
) -> None:
    """A streaming table that got no rows yet still exists, with the schema its query gives (as in Databricks)."""
    source = stream_input.source
    plan = source.plan_next_empty() if hasattr(source, "plan_next_empty") else None
    if plan is None:
        return
    session = FlowSession(ctx.lakehouse, ctx.pipeline, flow, stream=_streams(stream_input, plan), database=ctx.database)
    try:
        empty = output(session, node, quality.Quality(node.key, rules_of(node)))
        delta.write(location, empty.read_all(), table_name=node.key)
    finally:
        session.close()
