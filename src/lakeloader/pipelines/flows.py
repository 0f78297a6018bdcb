"""Running one flow of an update: the dispatch to what its dataset is (a materialized view, a streaming table, an
AUTO CDC flow from snapshots) and a full refresh's truncation. The shared context lives in `context`, a flow's
rows in `results`; the runners never import this module."""

from __future__ import annotations

import time

from lakeloader.execution.checkpoint import Checkpoint
from lakeloader.lakehouse import delta
from lakeloader.pipelines import stream_joins, translate, windowed
from lakeloader.pipelines.context import FlowOutcome, UpdateContext, ensure_table
from lakeloader.pipelines.graph import Node
from lakeloader.pipelines.materialized import refresh_materialized_view
from lakeloader.pipelines.model import Flow


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


def _watermarked(ctx: UpdateContext, node: Node, flow: Flow) -> Flow | None:
    if len(node.flows) != 1 or flow.kind != "append" or flow.query.function is None:
        return None
    from lakeloader.pipelines.spark_flow import watermarked

    return watermarked(ctx, flow)  # type: ignore[no-any-return]


def _computed_whole(ctx: UpdateContext, node: Node, flow: Flow) -> bool:
    """A streaming table's own query (no other flow writes the table) that aggregates its stream or inner-joins
    two streams, without a watermark: its result is over all its input, computed whole at each update."""
    if len(node.flows) == 1 and flow.kind == "append" and flow.query.function is not None:
        from lakeloader.pipelines.spark_flow import streaming_aggregation

        return streaming_aggregation(ctx, flow)  # a DataFrame that aggregates the stream
    if (
        len(node.flows) != 1
        or flow.kind != "append"
        or not flow.query.sql
        or windowed.applies(flow)
        or stream_joins.applies(flow)
    ):
        return False
    return translate.aggregates_stream(flow.query.sql) or translate.joins_streams(flow.query.sql)


def run_flow(ctx: UpdateContext, flow: Flow) -> FlowOutcome:
    node = ctx.pipeline.graph.target_of(flow)
    started = time.perf_counter()
    if flow.kind == "auto_cdc_snapshot":
        from lakeloader.pipelines import snapshots

        outcome = snapshots.run_snapshot_flow(ctx, flow, node)
    elif node.dataset.kind == "materialized_view":
        outcome = refresh_materialized_view(ctx, flow, node)
    elif node.dataset.kind == "streaming_table" and (marked := _watermarked(ctx, node, flow)) is not None:
        from lakeloader.pipelines import streaming

        outcome = streaming.run_streaming_flow(ctx, marked, node)  # a DataFrame's withWatermark, as its SQL
    elif node.dataset.kind == "streaming_table" and _computed_whole(ctx, node, flow):
        outcome = refresh_materialized_view(ctx, flow, node, whole_streams=True)
    elif node.dataset.kind == "streaming_table":
        from lakeloader.pipelines import streaming

        outcome = streaming.run_streaming_flow(ctx, flow, node)
    else:
        outcome = FlowOutcome(flow.name, node.key, message="temporary view: computed where it is read")
    outcome.seconds = time.perf_counter() - started
    return outcome
