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
from dataclasses import dataclass
from typing import Any

import pyarrow as pa

from lakeloader.execution.executor import Executor
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

    def __repr__(self) -> str:  # never the connection's values
        return f"PostgresUnit({self.opts.label})"


@dataclass
class PostgresUnitResult:
    data_files: list[DataFile]
    rows: int
    bytes: int


def with_audit(batch: pa.RecordBatch, audit: Audit, schema: pa.Schema) -> pa.RecordBatch:
    arrays = list(batch.columns) + [pa.repeat(pa.scalar(value, typ), batch.num_rows) for _, typ, value in audit]
    return pa.RecordBatch.from_arrays(arrays, schema=schema)


def write_unit(unit: PostgresUnit) -> PostgresUnitResult:
    """Read one partition inside the batch's snapshot and write it as data files (deleted again on failure)."""
    counted = [0, 0]

    def batches() -> Iterator[pa.RecordBatch]:
        for batch in partition_batches(unit.opts, [unit.sql], unit.snapshot, unit.columns):
            counted[0] += batch.num_rows
            counted[1] += batch.nbytes
            yield with_audit(batch, unit.audit, unit.schema)

    try:
        files = datafiles.write_data_files(
            storage.path(unit.table_location), batches(), unit.schema, workers=UNIT_WRITE_THREADS
        )
    except Exception as exc:  # the driver's machine renders it; the server's reply, never the connection string
        raise conn.translate(exc, where=unit.opts.label) from None
    return PostgresUnitResult(files, counted[0], counted[1])


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
        work = [PostgresUnit(opts, sql, snapshot, columns, audit, schema, str(location)) for sql in queries]
        label = f"batch {stream[1]} of the stream into {table_name}"
        results.extend(executor.map(write_unit, work, label=label))
        source.stats.rows += sum(r.rows for r in results)
        source.stats.bytes += sum(r.bytes for r in results)
        if delta.is_delta_table(location) and not delta.appends_files(location, schema):
            delta.evolve_schema(location, schema, table_name=table_name)  # new columns first, then the rows
        exists = delta.is_delta_table(location)
        return delta.commit_batch(
            location,
            pa.RecordBatchReader.from_batches(schema, []),
            stream_id=stream[0],
            batch_id=stream[1],
            mode="overwrite" if mode == "overwrite" and exists else "append",  # a first overwrite creates the table
            metadata={**metadata, "units": len(work)},
            table_name=table_name,
            copied_files=[f for r in results for f in r.data_files],
        )
    except BaseException:
        done = delta.transaction_version(location, stream[0]) if delta.is_delta_table(location) else None
        if done is None or done < stream[1]:  # never delete a file a commit references
            for r in results:
                for data_file in r.data_files:
                    (storage.path(location) / data_file.path).unlink(missing_ok=True)
        raise
    finally:
        if coordinator is not None:
            with contextlib.suppress(Exception):  # lost with the server; the snapshot dies with it
                coordinator.close()
