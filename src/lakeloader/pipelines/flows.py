"""Running one flow of an update: a materialized view recomputed (or skipped when none of its inputs changed), a
streaming flow through the commit protocol (each batch: its stream's new rows → the flow's query → expectations →
one Delta commit with the flow's transaction)."""

from __future__ import annotations

import hashlib
import json
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pyarrow as pa

from lakeloader.errors import ConfigError
from lakeloader.execution.checkpoint import Checkpoint, read_json, write_json_atomic
from lakeloader.lakehouse import delta
from lakeloader.pipelines import declared, translate
from lakeloader.pipelines.eventlog import EventLog
from lakeloader.pipelines.graph import Node
from lakeloader.pipelines.model import Flow
from lakeloader.pipelines.session import FlowSession, to_arrow
from lakeloader.pipelines.session import deterministic as query_is_deterministic
from lakeloader.quality import expectations as quality
from lakeloader.quality import quarantine
from lakeloader.sql.runtime import ready

if TYPE_CHECKING:
    from lakeloader.lakehouse.root import Lakehouse
    from lakeloader.pipelines.duck import SharedDatabase
    from lakeloader.pipelines.load import Pipeline

FILES = "__files__"
POSTGRES = "__postgres__"
ONCE = "__once__"  # an append flow with once=True: its batch query, one time


@dataclass
class UpdateContext:
    """What every flow of one update shares."""

    lakehouse: Lakehouse
    pipeline: Pipeline
    events: EventLog
    update_id: str
    full_refresh: set[str] = field(default_factory=set)  # dataset keys refreshed from nothing
    database: SharedDatabase | None = None  # the update's DuckDB database, a cursor per flow session


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


def rules_of(node: Node, schema: pa.Schema | None = None) -> list[quality.Rule]:
    """The dataset's expectations in DuckDB SQL, typed by `schema` (the rows they check) when it is given; without
    it a condition that needs its columns' types waits for `typed_rules`."""
    return typed_rules(
        [quality.Rule(e.name, "", e.on_violation, e.condition) for e in node.dataset.expectations],
        schema,
        where=node.dataset.location,
    )


def typed_rules(rules: list[quality.Rule], schema: pa.Schema | None, *, where: object) -> list[quality.Rule]:
    """`rules` translated again for rows of `schema` (Spark's behaviour depends on the columns' types)."""
    columns = translate.spark_columns(schema) if schema is not None else None
    out = []
    for rule in rules:
        try:
            condition = translate.condition_to_duckdb(rule.written, columns)
        except translate.TranslateError as exc:
            if schema is None:  # typed once the rows are known
                out.append(rule)
                continue
            raise ConfigError(f"{where}: expectation {rule.name}: {exc}") from None
        out.append(quality.Rule(rule.name, condition, rule.on_violation, rule.written))
    return out


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


def output(
    session: FlowSession,
    node: Node,
    quality_state: quality.Quality,
    *,
    on_dropped: quality.Dropped | None = None,
) -> pa.RecordBatchReader:
    """The flow's rows with its expectations applied (evaluated by DuckDB in the same session).

    A file's `_metadata` column is hidden as in Databricks: `SELECT *` leaves it out, naming it keeps it."""
    result = declared.apply(session, node, _without_hidden(session, session.result()))
    relational = type(result).__module__.lstrip("_").startswith("duckdb")
    schema = _schema_without_running(session, result) if relational else None
    if session.flow.query.sql and schema is not None:
        _refuse_void(schema, session.flow)
    if not quality_state.rules:
        reader = to_arrow(result, where=f"flow {session.flow.name}")
        return declared.not_null(_counting(reader, quality_state), node, session.flow.name)
    if not relational:
        result = to_arrow(result, where=f"flow {session.flow.name}")
        schema = result.schema
    session.con.register("__lakeloader_result", result)
    relation = "__lakeloader_result"
    quality_state.rules = typed_rules(quality_state.rules, schema, where=node.dataset.location)
    checked = session.con.sql(ready(session.con, quality.checked_sql(relation, quality_state.rules)))
    reader = checked.to_arrow_reader(1 << 17)
    enforced = quality.enforce(reader, quality_state, flow=session.flow.name, on_dropped=on_dropped)
    return declared.not_null(enforced, node, session.flow.name)


def _schema_without_running(session: FlowSession, relation: Any) -> pa.Schema:
    """A DuckDB relation's Arrow schema from its bound types (running it would consume the streams it reads)."""
    names = [c.replace('"', '""') for c in relation.columns]
    nulls = ", ".join(f'CAST(NULL AS {t}) AS "{n}"' for n, t in zip(names, relation.types, strict=True))
    return session.con.sql(f"SELECT {nulls}" if nulls else "SELECT 1 WHERE false").to_arrow_table().schema


def _void_path(t: pa.DataType, path: str) -> str | None:
    if pa.types.is_null(t):
        return path
    if pa.types.is_struct(t):
        found = (_void_path(t.field(i).type, f"{path}.{t.field(i).name}") for i in range(t.num_fields))
        return next((f for f in found if f), None)
    if pa.types.is_list(t) or pa.types.is_large_list(t):
        return _void_path(t.value_type, f"{path}[]")
    if pa.types.is_map(t):
        return _void_path(t.key_type, f"{path}.key") or _void_path(t.item_type, f"{path}.value")
    return None


def _refuse_void(schema: pa.Schema, flow: Flow) -> None:
    """A column (or a field of one) of Spark's VOID type, an untyped NULL: Delta tables here store no VOID (Databricks'
    own before Runtime 18.2 do not either), and guessing a type would write what Spark does not."""
    for f in schema:
        path = _void_path(f.type, f.name)
        if path:
            raise ConfigError(
                f"{flow.location}: flow {flow.name}: {path} is an untyped NULL (Spark's VOID type), which a Delta "
                "table does not store; give it a type, e.g. CAST(NULL AS STRING)"
            )


def _without_hidden(session: FlowSession, result: Any) -> Any:
    if not type(result).__module__.startswith("duckdb") or "_metadata" not in result.columns:
        return result
    if translate.names_metadata(session.flow.query.sql or _source_of(session.flow)):
        return result
    session.con.register("__lakeloader_with_metadata", result)
    return session.con.sql('SELECT * EXCLUDE ("_metadata") FROM __lakeloader_with_metadata')


def _source_of(flow: Flow) -> str:
    import inspect

    try:
        return inspect.getsource(flow.query.function) if flow.query.function is not None else ""
    except (OSError, TypeError):
        return ""


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


def _view_flows(ctx: UpdateContext, flow: Flow) -> list[tuple[Node, Flow]]:
    """The temporary views `flow` reads, and those they read (with their flows): what its query inlines."""
    graph = ctx.pipeline.graph
    found: list[tuple[Node, Flow]] = []
    frontier = sorted(graph.flow_reads.get(flow.name, ()))
    seen: set[str] = set()
    while frontier:
        key = frontier.pop(0)
        node = graph.nodes.get(key)
        if key in seen or node is None or not node.is_view or not node.flows:
            continue
        seen.add(key)
        found.append((node, node.flows[0]))
        frontier += sorted(graph.flow_reads.get(node.flows[0].name, ()))
    return found


def _inlined_views(ctx: UpdateContext, flow: Flow) -> list[list[object]]:
    """Each inlined view's definition: part of what must be unchanged for a skip (`n` stayed 9 after the view's
    query changed, even under --refresh)."""
    out: list[list[object]] = []
    for node, view in _view_flows(ctx, flow):
        expectations = [(e.name, e.condition, e.on_violation) for e in node.dataset.expectations]
        out.append([view.name, view.query.sql, expectations])
    return out


def _complete(session: FlowSession, inputs: dict[str, int] | None) -> bool:
    """True if the session saw every input the skip check compares (views inlined, nothing unknown)."""
    return inputs is None or set(inputs) == set(session.read_versions)


def refresh_materialized_view(
    ctx: UpdateContext, flow: Flow, node: Node, *, whole_streams: bool = False
) -> FlowOutcome:
    """Recompute the view into one overwrite commit; skip it when its query and inputs did not change.

    `whole_streams`: a streaming table whose query aggregates its stream (no watermark), recomputed over all of
    its input the same way (see `translate.aggregates_stream`)."""
    outcome = FlowOutcome(flow.name, node.key)
    location = ensure_table(ctx, node)
    state_path = _mv_state_path(ctx, node)
    inlined = _inlined_views(ctx, flow)
    fingerprint = hashlib.sha256(
        json.dumps(
            [flow.query.sql, [(e.name, e.condition, e.on_violation) for e in node.dataset.expectations], inlined]
        ).encode()
    ).hexdigest()
    session = FlowSession(ctx.lakehouse, ctx.pipeline, flow, database=ctx.database, whole_streams=whole_streams)
    deterministic = session.deterministic() and all(
        query_is_deterministic(ctx.lakehouse, ctx.pipeline, view) for _, view in _view_flows(ctx, flow)
    )
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
    from lakeloader.pipelines.streaming import quarantine_table

    kept = quarantine_table(ctx, node)
    collector = quarantine.Collector(ctx.update_id, flow.name, 0, "materialized view refresh") if kept else None
    try:
        reader = output(session, node, state_rules, on_dropped=collector)
        if not deterministic and not refreshing:  # a query that cannot say its inputs are unchanged: compare rows
            reader, same = _same_rows(reader, location)
            if same:
                outcome.rows_in, outcome.rows_out = state_rules.input_rows, state_rules.output_rows
                outcome.expectations = [c.to_dict() for c in state_rules.counts]
                outcome.up_to_date, outcome.message = True, "up to date: the same rows as its last refresh"
                return outcome
        result = delta.write(
            location,
            reader,
            mode="overwrite",
            overwrite_schema=True,
            table_name=node.key,
            metadata={"pipeline": ctx.pipeline.name, "update_id": ctx.update_id, "flow": flow.name},
            partition_by=node.dataset.partition_by or None,
            not_null=declared.required(node.dataset),
        )
    finally:
        session.close()
    if kept is not None and collector is not None:  # the rows this refresh dropped, and only those
        schema = pa.schema(delta.open_table(location).schema().to_arrow())
        quarantine.replace(kept[1], collector.table(), table_name=kept[0], schema=schema)
    outcome.rows_in, outcome.rows_out = state_rules.input_rows, result.rows
    outcome.dropped, outcome.batches = state_rules.dropped_records, 1
    outcome.expectations = [c.to_dict() for c in state_rules.counts]
    if deterministic and _complete(session, inputs):  # what the query read: the next update skips while it stays
        read = dict(session.read_versions)
        write_json_atomic(state_path, {"fingerprint": fingerprint, "inputs": read, "version": result.version})
    return outcome


SAME_ROWS_LIMIT = 200_000  # rows compared before a refresh of a view that cannot tell its inputs are unchanged


def _same_rows(reader: pa.RecordBatchReader, location: Path) -> tuple[pa.RecordBatchReader, bool]:
    """(the rows again, True when they equal the table's, in any order): a small view over Postgres or files
    keeps its version when nothing changed, so the views downstream skip their refresh too."""
    import duckdb

    if not delta.is_delta_table(location):
        return reader, False
    batches: list[pa.RecordBatch] = []
    rows = 0
    for batch in reader:
        batches.append(batch)
        rows += batch.num_rows
        if rows > SAME_ROWS_LIMIT:  # too big to hold: write it as it comes
            return pa.RecordBatchReader.from_batches(reader.schema, _chain(batches, reader)), False
    new = pa.Table.from_batches(batches, schema=reader.schema)
    again = new.to_reader()
    old_table = delta.open_table(location)
    if pa.schema(old_table.schema().to_arrow()) != new.schema or int(old_table.count()) != new.num_rows:
        return again, False
    con = duckdb.connect()
    try:
        con.register("new_rows", new)
        con.register("old_rows", delta.dataset(location).to_table())
        differ = con.execute(
            "SELECT count(*) FROM ((SELECT * FROM new_rows EXCEPT ALL SELECT * FROM old_rows) "
            "UNION ALL (SELECT * FROM old_rows EXCEPT ALL SELECT * FROM new_rows))"
        ).fetchone()
    finally:
        con.close()
    return again, differ is not None and int(differ[0]) == 0


def _chain(first: list[pa.RecordBatch], rest: pa.RecordBatchReader) -> Any:
    yield from first
    yield from rest


def _start_over(checkpoint: Checkpoint) -> None:
    if checkpoint.latest_planned() is not None:
        checkpoint.start_over("full refresh")


def truncate(ctx: UpdateContext, node: Node) -> None:
    """A full refresh of a streaming table: all its rows removed in one commit (history kept), flows restarted.

    Its quarantine is emptied too: the flows read their whole input again and drop its bad rows again."""
    from lakeloader.quality import quarantine

    location = ensure_table(ctx, node)
    metadata = {"pipeline": ctx.pipeline.name, "full_refresh": True}
    if delta.is_delta_table(location):
        delta.truncate(location, table_name=node.key, metadata=metadata)
    kept = ctx.lakehouse.metastore.get(node.key + quarantine.SUFFIX)
    if kept is not None and kept.location and delta.is_delta_table(kept.location):
        delta.truncate(kept.location, table_name=node.key + quarantine.SUFFIX, metadata=metadata)


def _aggregates_its_stream(node: Node, flow: Flow) -> bool:
    """A streaming table's own query that aggregates its stream (and no other flow writes the table)."""
    return (
        len(node.flows) == 1
        and flow.kind == "append"
        and bool(flow.query.sql)
        and translate.aggregates_stream(flow.query.sql or "")
    )


def run_flow(ctx: UpdateContext, flow: Flow) -> FlowOutcome:
    node = ctx.pipeline.graph.target_of(flow)
    started = time.perf_counter()
    if flow.kind == "auto_cdc_snapshot":
        from lakeloader.pipelines import snapshots

        outcome = snapshots.run_snapshot_flow(ctx, flow, node)
    elif node.dataset.kind == "materialized_view":
        outcome = refresh_materialized_view(ctx, flow, node)
    elif node.dataset.kind == "streaming_table" and _aggregates_its_stream(node, flow):
        outcome = refresh_materialized_view(ctx, flow, node, whole_streams=True)
    elif node.dataset.kind == "streaming_table":
        from lakeloader.pipelines import streaming

        outcome = streaming.run_streaming_flow(ctx, flow, node)
    else:
        outcome = FlowOutcome(flow.name, node.key, message="temporary view: computed where it is read")
    outcome.seconds = time.perf_counter() - started
    return outcome
