"""Running one flow of an update: a materialized view recomputed (or skipped when none of its inputs changed), a
streaming flow through the commit protocol (each batch: its stream's new rows → the flow's query → expectations →
one Delta commit with the flow's transaction)."""

from __future__ import annotations

import hashlib
import json
import shutil
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pyarrow as pa

from lakeloader.errors import ConfigError, TerminalError
from lakeloader.execution import stream
from lakeloader.execution.checkpoint import Checkpoint, read_json, write_json_atomic
from lakeloader.lakehouse import delta
from lakeloader.pipelines import translate
from lakeloader.pipelines.eventlog import EventLog
from lakeloader.pipelines.graph import Node
from lakeloader.pipelines.model import Flow
from lakeloader.pipelines.session import FlowSession, Streams, to_arrow
from lakeloader.quality import expectations as quality

if TYPE_CHECKING:
    from lakeloader.lakehouse.root import Lakehouse
    from lakeloader.pipelines.load import Pipeline

FILES = "__files__"


@dataclass
class UpdateContext:
    """What every flow of one update shares."""

    lakehouse: Lakehouse
    pipeline: Pipeline
    events: EventLog
    update_id: str
    full_refresh: set[str] = field(default_factory=set)  # dataset keys refreshed from nothing


@dataclass
class FlowOutcome:
    flow: str
    dataset: str
    status: str = "COMPLETED"  # COMPLETED | FAILED | SKIPPED | EXCLUDED
    rows_in: int = 0
    rows_out: int = 0
    dropped: int = 0
    batches: int = 0
    seconds: float = 0.0
    message: str = ""
    expectations: list[dict[str, Any]] = field(default_factory=list)
    up_to_date: bool = False

    def to_dict(self) -> dict[str, Any]:
        return {
            "flow": self.flow,
            "dataset": self.dataset,
            "status": self.status,
            "rows_in": self.rows_in,
            "rows_out": self.rows_out,
            "dropped": self.dropped,
            "batches": self.batches,
            "seconds": round(self.seconds, 3),
            "message": self.message,
            "expectations": self.expectations,
        }


def rules_of(node: Node) -> list[quality.Rule]:
    rules = []
    for e in node.dataset.expectations:
        try:
            condition = translate.condition_to_duckdb(e.condition)
        except translate.TranslateError as exc:
            raise ConfigError(f"{node.dataset.location}: expectation {e.name}: {exc}") from None
        rules.append(quality.Rule(e.name, condition, e.on_violation))
    return rules


def ensure_table(ctx: UpdateContext, node: Node) -> Path:
    """The dataset's table in the metastore (created with its comment and properties on first use)."""
    lh = ctx.lakehouse
    existing = lh.metastore.get(node.key)
    if existing is not None and existing.kind == "table" and existing.location:
        return Path(existing.location)
    catalog, schema, _name = node.key.split(".")
    if lh.metastore.get(catalog) is None and catalog == "main":
        lh.create_catalog("main", if_not_exists=True, comment="the default catalog")
    lh.create_schema(f"`{catalog}`.`{schema}`", if_not_exists=True)
    properties = {
        **node.dataset.properties,
        "pipelines.pipeline": ctx.pipeline.name,
        "pipelines.type": node.dataset.kind,
    }
    table = lh.create_table(node.key, comment=node.dataset.comment, properties=properties, if_not_exists=True)
    return table.location


def _output(session: FlowSession, node: Node, quality_state: quality.Quality) -> pa.RecordBatchReader:
    """The flow's rows with its expectations applied (evaluated by DuckDB in the same session)."""
    result = session.result()
    if not quality_state.rules:
        reader = to_arrow(result, where=f"flow {session.flow.name}")
        return _counting(reader, quality_state)
    if not type(result).__module__.startswith("duckdb"):
        session.con.register("__lakeloader_result", to_arrow(result, where=f"flow {session.flow.name}"))
        relation = "__lakeloader_result"
    else:
        session.con.register("__lakeloader_result", result)
        relation = "__lakeloader_result"
    checked = session.con.sql(quality.checked_sql(relation, quality_state.rules))
    return quality.enforce(checked.to_arrow_reader(1 << 17), quality_state, flow=session.flow.name)


def _counting(reader: pa.RecordBatchReader, state: quality.Quality) -> pa.RecordBatchReader:
    def batches() -> Any:
        for batch in reader:
            state.input_rows += batch.num_rows
            state.output_rows += batch.num_rows
            yield batch

    return pa.RecordBatchReader.from_batches(reader.schema, batches())


# -- materialized views ----------------------------------------------------------------------------------
def _mv_state_path(ctx: UpdateContext, node: Node) -> Path:
    return ctx.pipeline.storage / "state" / "materialized_views" / f"{node.key}.json"


def _inputs_now(ctx: UpdateContext, flow: Flow) -> dict[str, int] | None:
    """The current Delta version of every table the flow reads (None when one cannot be known)."""
    graph = ctx.pipeline.graph
    versions: dict[str, int] = {}
    keys = graph.flow_reads[flow.name] | graph.external[flow.name]
    for key in sorted(keys):
        node = graph.nodes.get(key)
        if node is not None and node.is_view:
            inner = node.flows[0] if node.flows else None
            if inner is None or inner.query.reads_files or inner.query.function is not None:
                return None
            nested = _inputs_now(ctx, inner)
            if nested is None:
                return None
            versions.update(nested)
            continue
        info = ctx.lakehouse.metastore.get(key)
        if info is None or info.location is None or not delta.is_delta_table(info.location):
            return None
        versions[key] = int(delta.open_table(info.location).version())
    return versions


def _complete(session: FlowSession, inputs: dict[str, int] | None) -> bool:
    """True if the session saw every input the skip check compares (views inlined, nothing unknown)."""
    return inputs is None or set(inputs) == set(session.read_versions)


def refresh_materialized_view(ctx: UpdateContext, flow: Flow, node: Node) -> FlowOutcome:
    """Recompute the view into one overwrite commit; skip it when its query and inputs did not change."""
    outcome = FlowOutcome(flow.name, node.key)
    location = ensure_table(ctx, node)
    state_path = _mv_state_path(ctx, node)
    fingerprint = hashlib.sha256(
        json.dumps(
            [flow.query.sql, [(e.name, e.condition, e.on_violation) for e in node.dataset.expectations]]
        ).encode()
    ).hexdigest()
    session = FlowSession(ctx.lakehouse, ctx.pipeline, flow)
    deterministic = session.deterministic()
    refreshing = node.key in ctx.full_refresh
    inputs = _inputs_now(ctx, flow) if deterministic and not refreshing else None
    if inputs is not None and state_path.exists() and delta.is_delta_table(location):
        state = read_json(state_path)
        current = int(delta.open_table(location).version())
        if (
            state.get("fingerprint") == fingerprint
            and state.get("inputs") == inputs
            and state.get("version") == current
        ):
            session.close()
            outcome.up_to_date, outcome.message = True, "up to date: no input changed"
            return outcome
    state_rules = quality.Quality(node.key, rules_of(node))
    try:
        reader = _output(session, node, state_rules)
        result = delta.write(
            location,
            reader,
            mode="overwrite",
            overwrite_schema=True,
            table_name=node.key,
            metadata={"pipeline": ctx.pipeline.name, "update_id": ctx.update_id, "flow": flow.name},
        )
    finally:
        session.close()
    outcome.rows_in, outcome.rows_out = state_rules.input_rows, result.rows
    outcome.dropped, outcome.batches = state_rules.dropped_records, 1
    outcome.expectations = [c.to_dict() for c in state_rules.counts]
    if deterministic and _complete(session, inputs):  # what the query read: the next update skips while it stays
        read = dict(session.read_versions)
        write_json_atomic(state_path, {"fingerprint": fingerprint, "inputs": read, "version": result.version})
    return outcome


# -- streaming flows ----------------------------------------------------------------------------------------
def stream_source(ctx: UpdateContext, flow: Flow) -> str:
    """The dataset key a streaming flow reads incrementally (through temporary views), or FILES."""
    graph = ctx.pipeline.graph
    current = flow
    for _ in range(len(graph.flows) + 1):
        if current.query.streams_files or (current.query.reads_files and current.query.function is not None):
            return FILES
        streams = sorted(graph.flow_streams[current.name])
        if len(streams) != 1:
            raise TerminalError(f"{flow.location}: flow {flow.name} reads {len(streams)} streams; read exactly one")
        node = graph.nodes.get(streams[0])
        if node is None or not node.is_view:
            return streams[0]
        current = node.flows[0]
    raise TerminalError(f"{flow.location}: flow {flow.name}: its views read each other in a cycle")


def table_location(ctx: UpdateContext, key: str) -> Path:
    info = ctx.lakehouse.metastore.get(key)
    if info is None or info.location is None:
        raise TerminalError(f"table {key} does not exist; run the flows that create it, or create it")
    return Path(info.location)


def checkpoint_for(ctx: UpdateContext, flow: Flow, node: Node, source: str) -> Checkpoint:
    path = ctx.pipeline.storage / "checkpoints" / node.key / flow.name
    return Checkpoint(path, target=node.key, source=source)


def run_streaming_flow(ctx: UpdateContext, flow: Flow, node: Node) -> FlowOutcome:
    """Every batch of new input since the flow last ran, exactly once."""
    from lakeloader.sources.delta.source import DeltaStreamSource

    outcome = FlowOutcome(flow.name, node.key)
    location = ensure_table(ctx, node)
    source_key = stream_source(ctx, flow)
    if source_key == FILES:
        raise ConfigError(f"{flow.location}: flow {flow.name}: streaming from files is set up by the files input")
    upstream = table_location(ctx, source_key)
    options = ctx.pipeline.definitions.settings
    skip = str(options.get("skipChangeCommits", options.get("pipelines.skipChangeCommits", "false"))).lower() == "true"
    skip = skip or str(node.dataset.properties.get("skipChangeCommits", "false")).lower() == "true"
    source = DeltaStreamSource(
        upstream, table_name=source_key, reader_name=f"flow {flow.name}", skip_change_commits=skip
    )
    checkpoint = checkpoint_for(ctx, flow, node, source=f"delta:{source_key}")
    quality_state = quality.Quality(node.key, rules_of(node))
    with checkpoint.exclusive():
        if node.key in ctx.full_refresh:
            _start_over(checkpoint)
            if flow.auto_cdc is not None:
                from lakeloader.pipelines import cdc

                shutil.rmtree(cdc.state_location(ctx, node, flow), ignore_errors=True)
        stream.check_target(checkpoint, location)

        def write(reader: pa.RecordBatchReader, batch_id: int, plan: dict[str, Any]) -> delta.CommitResult:
            del reader  # the session scans the planned files itself (a dataset can be read twice)
            session = FlowSession(ctx.lakehouse, ctx.pipeline, flow, stream=Streams(source_key, source.dataset(plan)))
            try:
                if flow.auto_cdc is not None:
                    return _apply_changes(ctx, session, node, location, checkpoint.stream_id, batch_id)
                rows = _output(session, node, quality_state)
                return delta.commit_batch(
                    location,
                    rows,
                    stream_id=checkpoint.stream_id,
                    batch_id=batch_id,
                    table_name=node.key,
                    metadata={"pipeline": ctx.pipeline.name, "update_id": ctx.update_id, "flow": flow.name},
                )
            finally:
                session.close()

        for result in stream.run_available_now(checkpoint, location, source, write):
            outcome.batches += 1
            outcome.rows_out += result.rows
        if not delta.is_delta_table(location) and delta.is_delta_table(upstream) and flow.auto_cdc is None:
            _create_empty(ctx, flow, node, location, source, source_key)
    outcome.rows_in = quality_state.input_rows
    outcome.dropped = quality_state.dropped_records
    outcome.expectations = [c.to_dict() for c in quality_state.counts]
    if outcome.batches == 0:
        outcome.up_to_date, outcome.message = True, "up to date: no new input"
    return outcome


def _apply_changes(
    ctx: UpdateContext, session: FlowSession, node: Node, location: Path, stream_id: str, batch_id: int
) -> delta.CommitResult:
    """An AUTO CDC batch: the change events (with their sequence and delete/truncate marks) applied by key."""
    from lakeloader.pipelines import cdc

    flow = session.flow
    assert flow.auto_cdc is not None
    session.con.register("__lakeloader_events", session.result())
    events = session.con.sql(cdc.with_helpers(session.con, "__lakeloader_events", flow.auto_cdc)).to_arrow_table()
    return cdc.apply(ctx, flow, node, events, location=location, stream_id=stream_id, batch_id=batch_id)


def _create_empty(ctx: UpdateContext, flow: Flow, node: Node, location: Path, source: Any, source_key: str) -> None:
    """A streaming table that got no rows yet still exists, with the schema its query gives (as in Databricks)."""
    plan = source.plan_next_empty() if hasattr(source, "plan_next_empty") else None
    if plan is None:
        return
    session = FlowSession(ctx.lakehouse, ctx.pipeline, flow, stream=Streams(source_key, source.dataset(plan)))
    try:
        empty = _output(session, node, quality.Quality(node.key, rules_of(node)))
        delta.write(location, empty.read_all(), table_name=node.key)
    finally:
        session.close()


def _start_over(checkpoint: Checkpoint) -> None:
    if checkpoint.latest_planned() is not None:
        checkpoint.start_over("full refresh")


def truncate(ctx: UpdateContext, node: Node) -> None:
    """A full refresh of a streaming table: all its rows removed in one commit (history kept), flows restarted."""
    location = ensure_table(ctx, node)
    if delta.is_delta_table(location):
        delta.truncate(location, table_name=node.key, metadata={"pipeline": ctx.pipeline.name, "full_refresh": True})


def run_flow(ctx: UpdateContext, flow: Flow) -> FlowOutcome:
    node = ctx.pipeline.graph.target_of(flow)
    started = time.perf_counter()
    if flow.kind == "auto_cdc_snapshot":
        from lakeloader.pipelines import snapshots

        outcome = snapshots.run_snapshot_flow(ctx, flow, node)
    elif node.dataset.kind == "materialized_view":
        outcome = refresh_materialized_view(ctx, flow, node)
    elif node.dataset.kind == "streaming_table":
        outcome = run_streaming_flow(ctx, flow, node)
    else:
        outcome = FlowOutcome(flow.name, node.key, message="temporary view: computed where it is read")
    outcome.seconds = time.perf_counter() - started
    return outcome
