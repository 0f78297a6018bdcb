"""A materialized view's refresh (and an aggregating streaming table's recompute) as ONE task on a node of a
distributed executor (Ray). The driver looks at the query (no row read): its DuckDB SQL, over views that name the
data files of the input tables' versions seen now; the task runs it in a DuckDB of its own (spilling to the
node's temporary folder past its memory limit), applies the expectations, writes Parquet data files into the
view's location and returns them; the driver makes the one overwrite commit, the quarantine and the refresh state.

A query that reads what a node cannot (a foreign table, files, Python rows, a table read through Arrow: on an
object store, partitioned, or empty) or a partitioned view refreshes on the driver, as without Ray.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import pyarrow as pa

from lakeloader.lakehouse import delta, storage
from lakeloader.pipelines import flow_units
from lakeloader.pipelines.flow_units import RowWise, StaysOnDriver

if TYPE_CHECKING:
    from lakeloader.pipelines.context import UpdateContext
    from lakeloader.pipelines.graph import Node
    from lakeloader.pipelines.model import Flow
    from lakeloader.quality import expectations as quality
    from lakeloader.sources.files.units import UnitResult

log = logging.getLogger(__name__)


@dataclass
class QueryTask:
    """One whole query, and the table folder its result's files go to."""

    shape: RowWise
    table_location: str


def run_query_task(task: QueryTask) -> UnitResult:
    """On a node: the query, its expectations, its files written (not committed)."""
    return flow_units.write_shaped(task.shape, None, task.table_location)


@dataclass
class Refreshed:
    """What the task made: its files (uncommitted), its expectation counts and dropped rows, what it read."""

    result: UnitResult
    read_versions: dict[str, int]

    def rows(self, location: storage.Location) -> pa.RecordBatchReader:
        """The rows the task wrote, read back."""
        schema = self.result.schema
        assert schema is not None
        paths = [str(storage.path(location) / d.path) for d in self.result.data_files]
        return delta.files_dataset(paths, schema=schema).scanner().to_reader()

    def discard(self, location: storage.Location) -> None:
        from lakeloader.execution.unit_files import delete_files

        delete_files(location, [self.result])


def refresh_on_node(
    ctx: UpdateContext,
    flow: Flow,
    node: Node,
    location: storage.Location,
    state: quality.Quality,
    quarantine_of: tuple[str, int, str] | None,
    *,
    whole_streams: bool = False,
) -> Refreshed | None:
    """The view's rows computed by one task on a node; None when it refreshes on the driver."""
    ex = ctx.executor
    if ex is None or not ex.distributed or node.dataset.partition_by:
        return None
    try:
        shape, read = flow_units.shipped(ctx, flow, node, None, quarantine_of, whole=True, whole_streams=whole_streams)
    except StaysOnDriver as why:
        log.info("flow %s: %s: it refreshes on the driver", flow.name, why)
        return None
    [result] = list(ex.map(run_query_task, [QueryTask(shape, str(location))], label=f"refresh of {node.key}"))
    if result.shaped is not None:
        flow_units._merge(state, [result.shaped])
    log.info("flow %s: %s refreshed by one task on Ray node %s", flow.name, node.key, result.node[:12])
    return Refreshed(result, read)


def commit(location: storage.Location, refreshed: Refreshed, **write: Any) -> delta.CommitResult:
    """The task's files as the view's one overwrite commit (read back and written as rows when the view's columns
    changed: delta-rs commits added files only under the table's current schema); then its files are gone."""
    result = refreshed.result
    schema = result.schema
    assert schema is not None
    try:
        if delta.replaces_files(location, schema, not_null=write.get("not_null", ())):
            empty = pa.RecordBatchReader.from_batches(schema, [])
            return delta.write(location, empty, mode="overwrite", copied_files=result.data_files, **write)
        written = delta.write(location, refreshed.rows(location), mode="overwrite", **write)
    except BaseException:
        refreshed.discard(location)  # an overwrite either committed them or not at all: a failed one did not
        raise
    refreshed.discard(location)
    return written
