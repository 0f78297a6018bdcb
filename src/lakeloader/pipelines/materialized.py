"""Materialized views: recomputed into one overwrite commit, or skipped when their query, the temporary views they
inline and every input are unchanged; a streaming table that aggregates its stream is computed the same way."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

import pyarrow as pa

from lakeloader.execution.checkpoint import read_json, write_json_atomic
from lakeloader.lakehouse import delta, storage
from lakeloader.pipelines import declared, view_units
from lakeloader.pipelines.context import FlowOutcome, UpdateContext, ensure_table, quarantine_table
from lakeloader.pipelines.graph import Node
from lakeloader.pipelines.model import Flow
from lakeloader.pipelines.results import output, rules_of
from lakeloader.pipelines.session import FlowSession
from lakeloader.pipelines.session import deterministic as query_is_deterministic
from lakeloader.quality import expectations as quality
from lakeloader.quality import quarantine


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
    kept = quarantine_table(ctx, node)
    source = "materialized view refresh"
    collector = quarantine.Collector(ctx.update_id, flow.name, 0, source) if kept else None
    write: dict[str, Any] = {
        "overwrite_schema": True,
        "table_name": node.key,
        "not_null": declared.required(node.dataset),
        "metadata": {"pipeline": ctx.pipeline.name, "update_id": ctx.update_id, "flow": flow.name},
    }
    try:
        on_node = view_units.refresh_on_node(ctx, flow, node, location, state_rules,
                                             (ctx.update_id, 0, source) if kept else None,
                                             whole_streams=whole_streams)  # fmt: skip
        if on_node is not None:  # Ray: the rows computed and written by one task on a node
            session.read_versions = on_node.read_versions
            if collector is not None and on_node.result.shaped is not None:
                collector.tables += on_node.result.shaped.dropped_rows
            reader = on_node.rows(location)
        else:
            reader = output(session, node, state_rules, on_dropped=collector)
        if not deterministic and not refreshing:  # a query that cannot say its inputs are unchanged: compare rows
            reader, same = _same_rows(reader, location)
            if same:
                if on_node is not None:
                    on_node.discard(location)
                outcome.rows_in, outcome.rows_out = state_rules.input_rows, state_rules.output_rows
                outcome.expectations = [c.to_dict() for c in state_rules.counts]
                outcome.up_to_date, outcome.message = True, "up to date: the same rows as its last refresh"
                return outcome
        if on_node is not None:
            result = view_units.commit(location, on_node, **write)
        else:
            result = delta.write(location, reader, mode="overwrite", partition_by=node.dataset.partition_by or None,
                                 **write)  # fmt: skip
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


def _same_rows(reader: pa.RecordBatchReader, location: storage.Location) -> tuple[pa.RecordBatchReader, bool]:
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
