"""A Postgres batch on an executor (execution/executor.py): one work unit per partition of the batch, each a
session of its own inside the snapshot the driver exported, streaming its rows into Parquet data files in the
table's location; the driver commits every unit's files in ONE commit with the stream's transaction.

What needs the whole batch in one place stays on the driver: a merge (keys resolved across the batch), an
incremental stream with a primary key (rows already in the table skipped), and reads behind a transaction pooler
(one transaction holds the snapshot: the partitions are read one after another there).
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import pyarrow as pa

from lakeloader.execution.executor import Executor
from lakeloader.execution.unit_files import current_node, delete_files, holds_batch
from lakeloader.lakehouse import datafiles, delta, storage
from lakeloader.lakehouse.datafiles import DataFile
from lakeloader.lakehouse.delta import CommitResult
from lakeloader.sources.postgres import connection as conn
from lakeloader.sources.postgres.options import PostgresSourceOptions
from lakeloader.sources.postgres.reader import partition_batches
from lakeloader.sources.postgres.source import PostgresSource
from lakeloader.sources.postgres.typemap import Column

log = logging.getLogger(__name__)
UNIT_WRITE_THREADS = 2
UNIT_CPUS = 0.5  # a partition's unit waits on the server's COPY about half the time: two share a CPU
Audit = list[tuple[str, pa.DataType, Any]]


@dataclass
class PostgresUnit:
    """One partition's query, the snapshot it reads in, and where its files go."""

    opts: PostgresSourceOptions
    sql: str
    snapshot: str | None
    columns: list[Column]
    audit: Audit
    schema: pa.Schema
    table_location: str
    shape: Any = None  # a pipeline flow's row-wise query: .open(reader) -> reader, then .finish()

    def __repr__(self) -> str:  # never the connection's values
        return f"PostgresUnit({self.opts.label})"


@dataclass
class PostgresUnitResult:
    data_files: list[DataFile]
    rows: int
    bytes: int
    schema: pa.Schema | None = None  # the written files' schema
    shaped: Any = None  # what the unit's shape returned when done
    node: str = field(default_factory=lambda: current_node())  # where the unit ran


def with_audit(batch: pa.RecordBatch, audit: Audit, schema: pa.Schema) -> pa.RecordBatch:
    arrays = list(batch.columns) + [pa.repeat(pa.scalar(value, typ), batch.num_rows) for _, typ, value in audit]
    return pa.RecordBatch.from_arrays(arrays, schema=schema)


def write_unit(unit: PostgresUnit) -> PostgresUnitResult:
    """Read one partition inside the batch's snapshot and write it as data files (deleted again on failure)."""
    counted = [0, 0]
    raised: list[BaseException] = []  # what the read raised, even when a query engine reported it as its own

    def batches() -> Iterator[pa.RecordBatch]:
        try:
            for batch in partition_batches(unit.opts, [unit.sql], unit.snapshot, unit.columns):
                counted[0] += batch.num_rows
                counted[1] += batch.nbytes
                yield with_audit(batch, unit.audit, unit.schema)
        except BaseException as exc:
            raised.append(exc)
            raise

    rows: Any = batches()
    schema = unit.schema
    try:
        if unit.shape is not None:
            rows = unit.shape.open(pa.RecordBatchReader.from_batches(unit.schema, rows))
            schema = rows.schema
        files = datafiles.write_data_files(storage.path(unit.table_location), rows, schema, workers=UNIT_WRITE_THREADS)
    except Exception as exc:  # the driver's machine renders it; the server's reply, never the connection string
        raise conn.translate(raised[0] if raised else exc, where=unit.opts.label) from None
    shaped = unit.shape.finish() if unit.shape is not None else None
    return PostgresUnitResult(files, counted[0], counted[1], schema, shaped)


def runs_on_executor(executor: Executor | None, opts: PostgresSourceOptions) -> bool:
    if executor is None or not executor.distributed:
        return False
    if opts.mode == "merge" or (opts.mode == "incremental" and opts.primary_key) or opts.connection.pooler_mode:
        log.info("%s: this batch is read on the driver (a merge, a primary key or a transaction pooler)", opts.label)
        return False
    return True


def write_on_executor(
    executor: Executor,
    source: PostgresSource,
    plan: dict[str, Any],
    *,
    location: storage.Location,
    audit: Audit,
    schema: pa.Schema,
    stream: tuple[str, int],
    mode: str,
    metadata: Mapping[str, Any],
    table_name: str,
) -> CommitResult:
    """The batch's partitions as units inside one exported snapshot, then ONE commit of all their files."""
    label = f"batch {stream[1]} of the stream into {table_name}"
    results = run_partitions(executor, source, plan, location=location, audit=audit, schema=schema, label=label)
    try:
        if delta.is_delta_table(location) and not delta.appends_files(location, schema):
            delta.evolve_schema(location, schema, table_name=table_name)  # new columns first, then the rows
        exists = delta.is_delta_table(location)
        return delta.commit_batch(
            location,
            pa.RecordBatchReader.from_batches(schema, []),
            stream_id=stream[0],
            batch_id=stream[1],
            mode="overwrite" if mode == "overwrite" and exists else "append",  # a first overwrite creates the table
            metadata={**metadata, "units": len(results)},
            table_name=table_name,
            copied_files=[f for r in results for f in r.data_files],
        )
    except BaseException:
        if not holds_batch(location, stream[0], stream[1]):  # never delete a file a commit references
            delete_files(location, results)
        raise


def run_partitions(
    executor: Executor,
    source: PostgresSource,
    plan: dict[str, Any],
    *,
    location: storage.Location,
    audit: Audit,
    schema: pa.Schema,
    label: str,
    shape: Any = None,
) -> list[PostgresUnitResult]:
    """Every partition of the batch read and written by a unit, all inside the one snapshot the driver exports and
    holds until the last is read; on a failure, what the units wrote is deleted."""
    opts = source.opts
    queries: Sequence[str] = source.queries(plan)
    columns = source.columns()
    coordinator = None
    results: list[PostgresUnitResult] = []
    try:
        snapshot = None
        if len(queries) > 1:  # the partitions see one database state: the coordinator's, held until all are read
            coordinator = conn.psycopg_connect(opts.connection, where=opts.label)
            coordinator.execute("BEGIN ISOLATION LEVEL REPEATABLE READ, READ ONLY")
            snapshot = str(coordinator.execute("SELECT pg_export_snapshot()").fetchone()[0])
        work = [PostgresUnit(opts, sql, snapshot, columns, audit, schema, str(location), shape) for sql in queries]
        results.extend(executor.map(write_unit, work, label=label, cpus=UNIT_CPUS))
    except BaseException:
        delete_files(location, results)
        raise
    finally:
        if coordinator is not None:
            with contextlib.suppress(Exception):  # lost with the server; the snapshot dies with it
                coordinator.close()
    source.stats.rows += sum(r.rows for r in results)
    source.stats.bytes += sum(r.bytes for r in results)
    return results
