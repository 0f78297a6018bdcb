"""A streaming flow's row-wise part in work units (a distributed executor: Ray). Each unit decodes its share of the
batch's files, runs the flow's query, its expectations and its NOT NULL columns over them in a DuckDB of its own,
writes Parquet data files into the table's location, and returns their add actions with its expectation counts
and its dropped rows. The driver stages the quarantine and the bad records, then makes the batch's ONE commit with
the flow's transaction (`sources/files/units.py`, the same as an ingest's units).

Row-wise: every output row comes from one input row — projections, expressions, filters, explode (a join with
UNNEST), `_metadata`, expectations. A query that needs the whole batch (an aggregate, a window, DISTINCT, ORDER BY,
LIMIT, a join, a subquery, another dataset) or the batch's clock (Spark gives every row of a batch one
current_timestamp) runs on the driver over rows the units decode; the log says which and why.
"""

from __future__ import annotations

import logging
import re
import shutil
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import pyarrow as pa

from lakeloader.errors import TerminalError
from lakeloader.execution import unit_files
from lakeloader.lakehouse import storage
from lakeloader.pipelines import declared, results, windowed
from lakeloader.pipelines.session import FlowSession, ParquetFiles, Streams, to_arrow
from lakeloader.quality import expectations as quality
from lakeloader.quality import quarantine

if TYPE_CHECKING:
    from collections.abc import Callable, Sequence

    from lakeloader.lakehouse.delta import CommitResult
    from lakeloader.pipelines.context import UpdateContext
    from lakeloader.pipelines.graph import Node
    from lakeloader.pipelines.model import Flow
    from lakeloader.sources.files.source import FilesSource
    from lakeloader.sources.files.units import UnitResult

log = logging.getLogger(__name__)
STREAM_VIEW = "__lakeloader_stream"  # the name a flow session gives its stream's rows
_PYTHON_SCAN = re.compile(r"\bpython_\w*scan\s*\(", re.IGNORECASE)  # rows registered from Python


class StaysOnDriver(Exception):
    """The flow's query must run on the driver: it needs the whole batch, or reads what a unit cannot (the reason
    is the message)."""


@dataclass
class Shaped:
    """What one unit's expectations found: the counts, and the rows dropped (for the quarantine)."""

    input_rows: int
    output_rows: int
    dropped: int
    counts: list[tuple[int, int]]  # per expectation: passed, failed
    dropped_rows: list[pa.Table]


@dataclass
class RowWise:
    """The flow's query as DuckDB SQL over `__lakeloader_stream` (with the temporary views it reads), its typed
    expectations and NOT NULL columns: what a unit runs over its rows. Picklable; no secret in it (a flow's query
    reads the stream only)."""

    sql: str
    views: list[str]
    rules: list[quality.Rule]
    not_null: list[str]
    dataset: str
    flow: str
    quarantine: tuple[str, int, str] | None  # (update id, batch id, source) when dropped rows are kept
    folders: list[str] = field(default_factory=list)  # the only folders its views read files from (table data)
    _state: dict[str, Any] = field(default_factory=dict, repr=False)

    def __getstate__(self) -> dict[str, Any]:
        return {**self.__dict__, "_state": {}}

    def __repr__(self) -> str:  # what Ray's logs and errors may show: names, never the query's literals
        return f"RowWise(flow {self.flow} of {self.dataset})"

    def open(self, rows: pa.RecordBatchReader | None) -> pa.RecordBatchReader:
        """The unit's rows (None: the query reads only its views' files) through the flow's query and
        expectations (read them, then call `finish`). DuckDB spills to a temporary folder past its memory limit."""
        import tempfile

        import duckdb

        from lakeloader.lakehouse import guard
        from lakeloader.sql import runtime

        spill = tempfile.mkdtemp(prefix="lakeloader-unit-")
        con = duckdb.connect(config={"threads": 2, "temp_directory": spill})
        con.execute("SET TimeZone = 'UTC'")
        runtime.prepare(con)
        if rows is not None:
            con.register(STREAM_VIEW, rows)
        for statement in self.views:
            con.execute(runtime.ready(con, statement))
        listed = ", ".join("'" + f.replace("'", "''") + "'" for f in [*self.folders, spill + "/"])
        con.execute(f"SET allowed_directories = [{listed}]")
        guard.lock_down_settings(con)
        self._state["spill"] = spill
        state = quality.Quality(self.dataset, list(self.rules))
        collector = None
        if self.quarantine is not None:
            update_id, batch_id, source = self.quarantine
            collector = quarantine.Collector(update_id, self.flow, batch_id, source)
        self._state.update(con=con, quality=state, collector=collector)
        relation = con.sql(runtime.ready(con, self.sql))
        if not self.rules:
            reader = results._counting(to_arrow(relation, where=f"flow {self.flow}"), state)
        else:
            con.register("__lakeloader_result", relation)
            reader = results.checked(con, "__lakeloader_result", state, collector, flow=self.flow)
        return declared.enforce_not_null(reader, self.not_null, self.dataset, self.flow)

    def finish(self) -> Shaped:
        state: quality.Quality = self._state["quality"]
        collector = self._state.get("collector")
        self._state.pop("con").close()
        shutil.rmtree(self._state.pop("spill"), ignore_errors=True)
        return Shaped(
            state.input_rows,
            state.output_rows,
            state.dropped_records,
            [(c.passed_records, c.failed_records) for c in state.counts],
            list(collector.tables) if collector is not None else [],
        )


def may_run(ctx: UpdateContext, flow: Flow, node: Node) -> bool:
    """Whether this flow's batches could run in work units at all (before its query is looked at)."""
    ex = ctx.executor
    if ex is None or not ex.distributed or flow.auto_cdc is not None or windowed.applies(flow):
        return False
    if node.dataset.partition_by:
        log.info("flow %s: %s is partitioned: its rows are shaped on the driver", flow.name, node.key)
        return False
    return True


def row_wise(ctx: UpdateContext, flow: Flow, node: Node, stream: Streams, quarantine_of: Any) -> RowWise:
    """The flow's query for the rows of `stream` (their schema: no row is read), as units run it; StaysOnDriver
    when it needs the whole batch."""
    return shipped(ctx, flow, node, stream, quarantine_of)[0]


def shipped(
    ctx: UpdateContext,
    flow: Flow,
    node: Node,
    stream: Streams | None,
    quarantine_of: Any,
    *,
    whole: bool = False,
    whole_streams: bool = False,
) -> tuple[RowWise, dict[str, int]]:
    """The flow's query as a unit runs it, and the Delta version of each table it reads. Row-wise over `stream`,
    or (`whole`) one query over the data files of the tables it reads (a materialized view: no row is read here,
    the views name the files of the versions seen now); StaysOnDriver when it cannot run elsewhere."""
    from lakeloader.pipelines import foreign

    graph = ctx.pipeline.graph
    session = FlowSession(ctx.lakehouse, ctx.pipeline, flow, stream=stream, whole_streams=whole_streams)
    try:
        probe = quality.Quality(node.key, results.rules_of(node))
        result, shape = results.shaped(session, node, probe)
        if shape is None:
            raise StaysOnDriver("its query function returns rows, not a query")
        others = [k for k in session._views if k != "__stream__" and not (k in graph.nodes and graph.nodes[k].is_view)]
        if whole:  # tables of the lakehouse, read from their files (the check below refuses those read otherwise)
            others = [k for k in others if k not in session.read_versions or foreign.is_foreign(ctx.lakehouse, k)]
        if others:
            besides = "besides its tables' files" if whole else "besides the stream"
            raise StaysOnDriver(f"its query reads {', '.join(sorted(others))} {besides}")
        found = session.con.sql(
            "SELECT view_name, sql FROM duckdb_views() WHERE temporary AND NOT internal ORDER BY view_oid"
        ).fetchall()
        views = [str(sql) for name, sql in found if name != STREAM_VIEW]
        if any(_PYTHON_SCAN.search(v) for v in views):
            raise StaysOnDriver("it reads rows held in this process (a Python function's, or a table read by Arrow)")
        if any(storage.is_url(folder) for folder in session._folders):
            raise StaysOnDriver("it reads tables on an object store, which DuckDB on a node does not reach")
        final = str(result.sql_query())
        if not whole:
            for statement in [*views, final]:
                _check_row_wise(statement)
        rules, required = probe.rules, declared.required(node.dataset)
        folders = sorted(session._folders)
        shape_of = RowWise(final, views, rules, required, node.key, flow.name, quarantine_of, folders)
        return shape_of, dict(session.read_versions)
    finally:
        session.close()


def _check_row_wise(sql: str) -> None:
    """StaysOnDriver when `sql` (DuckDB's) needs more rows than one to give one, or the batch's clock."""
    import sqlglot
    from sqlglot import exp

    try:
        parsed = sqlglot.parse_one(sql, read="duckdb")
    except sqlglot.errors.ParseError:
        raise StaysOnDriver("its query could not be checked to be row-wise") from None
    for node in parsed.walk():
        reason = _whole_batch(node, exp)
        if reason:
            raise StaysOnDriver(reason)


def _whole_batch(node: Any, exp: Any) -> str | None:
    if isinstance(node, exp.AggFunc | exp.Window):
        return f"it aggregates ({node.sql('duckdb')[:60]})"
    if isinstance(node, exp.Select):
        for part in ("group", "having", "qualify", "distinct", "order", "limit", "offset"):
            if node.args.get(part):
                return f"its query has {part.upper()}"
    if isinstance(node, exp.SetOperation):
        return "its query combines queries (UNION, ...)"
    if isinstance(node, exp.Join) and not isinstance(node.this, exp.Unnest | exp.Lateral):
        return "its query joins"
    if isinstance(node, exp.Subquery) and not isinstance(node.parent, exp.From | exp.Join):
        return "its query has a subquery"
    if isinstance(node, exp.CurrentTimestamp | exp.CurrentDate | exp.CurrentTime):
        return "it reads the batch's clock (one value for the whole batch)"
    if isinstance(node, exp.Anonymous) and str(node.name).lower() in ("now", "today", "get_current_time",
                                                                       "get_current_timestamp"):  # fmt: skip
        return "it reads the batch's clock (one value for the whole batch)"
    return None


def run_batch(
    ctx: UpdateContext,
    flow: Flow,
    node: Node,
    location: storage.Location,
    source: FilesSource,
    plan: dict[str, Any],
    batch_id: int,
    attempt: int,
    quality_state: quality.Quality,
    kept: tuple[quarantine.Staged, quarantine.Collector] | None,
) -> CommitResult | None:
    """The batch through units, committed once; None when the flow's query must run on the driver."""
    from lakeloader.sources.files import units

    if not may_run(ctx, flow, node) or not source._on_executor():
        return None
    if attempt:
        source.read(plan, attempt=attempt)
    quarantine_of = _quarantine_of(kept)

    def shape_for(schema: pa.Schema) -> RowWise:
        stream = Streams(None, schema.empty_table(), files=getattr(source, "files_read", None))
        return row_wise(ctx, flow, node, stream, quarantine_of)

    try:
        decoder = source._decoder
        assert decoder is not None  # the batch was read (planned and probed) before its write
        shape = shape_for(decoder.out)
    except StaysOnDriver as why:
        log.info("flow %s: %s: its rows are shaped on the driver over what the units decode", flow.name, why)
        return None
    files, outside, done = units.run_units(source, plan, batch_id, location, shape=shape_for)
    decoder = source._decoder or decoder  # read again when files brought columns
    return _commit(ctx, flow, node, location, batch_id, done, shape, decoder.out, quality_state, kept,
                   record=lambda: units.record_units(source, batch_id, outside, done), what=f"{len(files)} files",
                   stream_id=source.checkpoint.stream_id)  # fmt: skip


def _quarantine_of(kept: tuple[quarantine.Staged, quarantine.Collector] | None) -> tuple[str, int, str] | None:
    if kept is None:
        return None
    collector = kept[1]
    return collector.update_id, collector.batch_id, collector.source


def _commit(
    ctx: UpdateContext,
    flow: Flow,
    node: Node,
    location: storage.Location,
    batch_id: int,
    done: Sequence[Any],
    shape: RowWise,
    stream_schema: pa.Schema,
    quality_state: quality.Quality,
    kept: tuple[quarantine.Staged, quarantine.Collector] | None,
    *,
    record: Callable[[], None],
    what: str,
    stream_id: str,
) -> CommitResult:
    """The units' counts and dropped rows kept, their files committed in ONE commit (or deleted)."""
    try:
        schemas = {str(r.schema) for r in done if r.schema is not None}
        if len(schemas) > 1:
            raise TerminalError(f"flow {flow.name}: work units of batch {batch_id} gave rows of different columns")
        if done and done[0].schema is not None:
            schema = done[0].schema
        else:  # no file to read in a unit: the query's columns over no rows
            schema = shape.open(pa.RecordBatchReader.from_batches(stream_schema, [])).schema
            shape.finish()
        _merge(quality_state, [r.shaped for r in done if r.shaped is not None])
        if kept is not None:
            staged, collector = kept
            collector.tables += [t for r in done if r.shaped is not None for t in r.shaped.dropped_rows]
            staged.stage(batch_id, collector.table())
        record()
    except BaseException:
        unit_files.delete_files(location, done)
        raise
    nodes = {r.node for r in done}
    log.info("flow %s: batch %d: %s shaped in %d work units on %d Ray nodes", flow.name, batch_id, what, len(done),
             len(nodes))  # fmt: skip
    metadata = {"pipeline": ctx.pipeline.name, "update_id": ctx.update_id, "flow": flow.name}
    return unit_files.commit_units(location, done, schema, stream_id=stream_id, batch_id=batch_id, table_name=node.key,
                              metadata=metadata)  # fmt: skip


@dataclass
class TableUnit:
    """Some of the data files a batch of `STREAM(table)` reads (plain Parquet, in the table's schema)."""

    paths: list[str]
    schema: pa.Schema
    table_location: str
    shape: RowWise


def write_table_unit(unit: TableUnit) -> UnitResult:
    """One unit's files through the flow's query, written as data files into the flow's table."""
    from lakeloader.lakehouse import delta

    rows = delta.files_dataset(unit.paths, schema=unit.schema).scanner(use_threads=False).to_reader()
    return write_shaped(unit.shape, rows, unit.table_location)


def write_shaped(shape: RowWise, rows: pa.RecordBatchReader | None, table_location: str) -> UnitResult:
    """`rows` (None: what the shape's views read) through the shape, written as data files (not committed)."""
    from lakeloader.lakehouse import datafiles
    from lakeloader.sources.files.units import UNIT_WRITE_THREADS, UnitResult

    shaped = shape.open(rows)
    result = UnitResult(schema=shaped.schema)
    result.data_files = datafiles.write_data_files(
        storage.path(table_location), shaped, shaped.schema, workers=UNIT_WRITE_THREADS
    )
    result.shaped = shape.finish()
    return result


def run_table_batch(
    ctx: UpdateContext,
    flow: Flow,
    node: Node,
    location: storage.Location,
    stream: Streams,
    plan: dict[str, Any],
    batch_id: int,
    quality_state: quality.Quality,
    kept: tuple[quarantine.Staged, quarantine.Collector] | None,
    stream_id: str,
) -> CommitResult | None:
    """A batch of `STREAM(table)`'s new files through units, committed once; None when it runs on the driver."""
    from lakeloader.execution.executor import units_by_bytes
    from lakeloader.sources.files.ddl import parse_ddl

    files = plan.get("files") or []
    if not may_run(ctx, flow, node) or not isinstance(stream.data, ParquetFiles):
        return None  # no file, or partition values that live in the log: the driver reads them
    assert ctx.executor is not None and stream.key is not None
    schema = parse_ddl(plan["schema"], what=f"schema of {stream.key}")
    try:
        shape = row_wise(ctx, flow, node, Streams(stream.key, schema.empty_table()), _quarantine_of(kept))
    except StaysOnDriver as why:
        log.info("flow %s: %s: its query runs on the driver", flow.name, why)
        return None
    sized = list(zip(stream.data.paths, [int(f[1]) for f in files], strict=True))  # the plan's files, in order
    parts = units_by_bytes(sized, lambda f: f[1], ctx.executor.max_bytes_per_task)
    work = [TableUnit([path for path, _ in part], schema, str(location), shape) for part in parts]
    done: list[UnitResult] = []
    try:
        done += ctx.executor.map(write_table_unit, work, label=f"batch {batch_id} of flow {flow.name}")
    except BaseException:
        unit_files.delete_files(location, done)
        raise
    return _commit(ctx, flow, node, location, batch_id, done, shape, schema, quality_state, kept,
                   record=lambda: None, what=f"{len(files)} files of {stream.key}", stream_id=stream_id)  # fmt: skip


def _merge(state: quality.Quality, shaped: list[Shaped]) -> None:
    """The units' counts into the flow's."""
    for s in shaped:
        state.input_rows += s.input_rows
        state.output_rows += s.output_rows
        state.dropped_records += s.dropped
        for count, (passed, failed) in zip(state.counts, s.counts, strict=True):
            count.passed_records += passed
            count.failed_records += failed


def run_postgres_batch(
    ctx: UpdateContext,
    flow: Flow,
    node: Node,
    location: storage.Location,
    source: Any,
    plan: dict[str, Any],
    batch_id: int,
    quality_state: quality.Quality,
    kept: tuple[quarantine.Staged, quarantine.Collector] | None,
    stream_id: str,
) -> CommitResult | None:
    """A `dp.read_postgres` batch: a unit per partition, all inside one exported snapshot, each running the flow's
    row-wise query over its rows; committed once. None when it runs on the driver."""
    from lakeloader.sources.postgres import units as postgres_units

    if not may_run(ctx, flow, node) or not postgres_units.runs_on_executor(ctx.executor, source.opts):
        return None
    assert ctx.executor is not None
    schema = source.arrow_schema()
    try:
        shape = row_wise(ctx, flow, node, Streams(None, schema.empty_table(), postgres=True), _quarantine_of(kept))
    except StaysOnDriver as why:
        log.info("flow %s: %s: its query runs on the driver", flow.name, why)
        return None
    done = postgres_units.run_partitions(ctx.executor, source, plan, location=location, audit=[], schema=schema,
                                         label=f"batch {batch_id} of flow {flow.name}", shape=shape)  # fmt: skip
    return _commit(ctx, flow, node, location, batch_id, done, shape, schema, quality_state, kept,
                   record=lambda: None, what=f"{len(done)} partitions", stream_id=stream_id)  # fmt: skip
