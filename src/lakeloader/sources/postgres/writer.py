"""The commit step of a Postgres stream: audit columns, key checks, rows already in the target, the mode's write.

Incremental with a primary key appends row versions the target does not hold yet: a re-read row version (same
key and cursor value, from the lookback, or from a full load into the same table before the stream's first
increment) is dropped. Without a key, a first increment into a table that already has rows would append them
again, and is refused. Merge upserts by key, one row per key, and never inserts a row `delete_when` deletes.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from datetime import UTC, datetime
from typing import Any

import pyarrow as pa

from lakeloader.errors import TerminalError
from lakeloader.execution.executor import Executor
from lakeloader.execution.stream import Writer
from lakeloader.lakehouse import delta, storage
from lakeloader.lakehouse.delta import CommitResult
from lakeloader.sources.postgres import connection as conn
from lakeloader.sources.postgres import evolve, keys
from lakeloader.sources.postgres.source import PostgresSource
from lakeloader.sources.postgres.typemap import schema_of
from lakeloader.sources.postgres.units import runs_on_executor, write_on_executor

Progress = Callable[[int, int], None]


def source_label(source: PostgresSource) -> str:
    """`_source`: server/db/table (or a hash of the query), never credentials."""
    return f"postgresql://{conn.server_label(source.opts.connection)}/{source.relation.name}"


def audit_columns(source: PostgresSource, batch_id: int) -> list[tuple[str, pa.DataType, Any]]:
    """The audit columns the options ask for, with this batch's values."""
    audit = source.opts.audit
    extra: list[tuple[str, pa.DataType, Any]] = []
    if audit.ingested_at:
        extra.append((audit.ingested_at, pa.timestamp("us", tz="UTC"), datetime.now(UTC)))
    if audit.source:
        extra.append((audit.source, pa.string(), source_label(source)))
    if audit.batch_id:
        extra.append((audit.batch_id, pa.int64(), batch_id))
    return extra


def _with_audit(
    data: pa.RecordBatchReader, source: PostgresSource, batch_id: int, progress: Progress | None
) -> pa.RecordBatchReader:
    extra = audit_columns(source, batch_id)
    schema = data.schema
    for name, typ, _ in extra:
        schema = schema.append(pa.field(name, typ))
    seen = [0, 0]

    def batches() -> Iterator[pa.RecordBatch]:
        for batch in data:
            arrays = list(batch.columns)
            arrays += [pa.repeat(pa.scalar(value, typ), batch.num_rows) for _, typ, value in extra]
            seen[0] += batch.num_rows
            seen[1] += batch.nbytes
            if progress is not None:
                progress(seen[0], seen[1])
            yield pa.RecordBatch.from_arrays(arrays, schema=schema)

    return pa.RecordBatchReader.from_batches(schema, batches())


def _drop_already_ingested(
    data: pa.RecordBatchReader, location: storage.Location, source: PostgresSource, plan: dict[str, Any]
) -> pa.RecordBatchReader:
    """Drop re-read row versions (primary key + cursor) the table already holds.

    A later batch compares from the lowest cursor value its lookback re-reads; a stream's first increment
    compares with the whole table (a full load into it, or the rows of a stream that was started over).
    """
    if not delta.is_delta_table(location):
        return data
    import pyarrow.dataset as ds

    low = source.lookback_low(plan)
    cursor = source.cursor_column()
    names = list(dict.fromkeys([*source.opts.primary_key, cursor.name]))
    dataset = delta.dataset(location)
    if not set(names) <= set(dataset.schema.names):
        return data
    bound = None if low is None else ds.field(cursor.name) >= pa.scalar(low, cursor.arrow_type)
    existing = dataset.to_table(columns=names, filter=bound)
    if existing.num_rows == 0:
        return data
    existing = existing.cast(pa.schema([data.schema.field(k) for k in names]))

    def batches() -> Iterator[pa.RecordBatch]:
        for batch in data:
            kept = pa.Table.from_batches([batch]).join(existing, keys=names, join_type="left anti")
            yield from kept.select(data.schema.names).cast(data.schema).to_batches()

    return pa.RecordBatchReader.from_batches(data.schema, batches())


def _refuse_reappending(location: storage.Location, source: PostgresSource, plan: dict[str, Any], target: str) -> None:
    """A first increment without a primary key into a table that has rows would append them a second time."""
    if plan.get("kind") != "range" or plan.get("lo") is not None or not delta.is_delta_table(location):
        return
    rows = delta.dataset(location).count_rows()
    if rows:
        raise TerminalError(
            f"postgres source {source.opts.label}: table {target} already holds {rows:,} rows (a full load, or "
            "another stream) and this stream's first incremental batch would append them again; pass --primary-key "
            "so that rows already there are skipped, or load into an empty table"
        )


def make_writer(
    location: storage.Location,
    *,
    table_name: str,
    stream_id: str,
    source: PostgresSource,
    progress: Progress | None,
    stream_metadata: Mapping[str, Any] | None = None,
    executor: Executor | None = None,
) -> Writer:
    """The commit step for the source's mode: append, overwrite or merge, with the batch's transaction.

    `stream_metadata` joins each commit's info (the stream's checkpoint and source: the log names the stream)."""
    opts = source.opts

    def fail(error: TerminalError) -> TerminalError:
        source.stats.failure = error  # delta-rs hands a reader's error back as text: the retry logic reads this
        return error

    def write(data: pa.RecordBatchReader, batch_id: int, plan: dict[str, Any]) -> CommitResult:
        metadata = {"source": source_label(source), "postgres.mode": opts.mode, "postgres.hwm": plan.get("hi")}
        metadata.update(stream_metadata or {})
        if runs_on_executor(executor, opts):
            assert executor is not None
            extra = audit_columns(source, batch_id)
            schema = schema_of(source.columns())
            for name, typ, _ in extra:
                schema = schema.append(pa.field(name, typ))
            if opts.mode == "incremental":
                _refuse_reappending(location, source, plan, table_name)
            declared = {c.name: c.declared for c in source.columns()}
            evolve.widen_target(location, schema, table_name=table_name, where=opts.label, declared=declared)
            return write_on_executor(executor, source, plan, location=location, audit=extra, schema=schema,
                                     stream=(stream_id, batch_id), mode=opts.write_mode if opts.mode == "full"
                                     else "append", metadata=metadata, table_name=table_name)  # fmt: skip
        if opts.mode == "incremental":
            if opts.primary_key:
                data = keys.checked(data, keys=opts.primary_key, unique=False, where=opts.label, fail=fail)
                data = _drop_already_ingested(data, location, source, plan)
            else:
                _refuse_reappending(location, source, plan, table_name)
        data = _with_audit(data, source, batch_id, progress)
        declared = {c.name: c.declared for c in source.columns()}
        evolve.widen_target(location, data.schema, table_name=table_name, where=opts.label, declared=declared)
        if opts.mode == "merge":
            merged: pa.RecordBatchReader | pa.Table = data
            if opts.sequence_by:
                merged = keys.latest_per_key(
                    data.read_all(), keys=opts.primary_key, sequence_by=opts.sequence_by, where=opts.label
                )
            else:
                merged = keys.checked(data, keys=opts.primary_key, unique=True, where=opts.label, fail=fail)
            return delta.merge(
                location,
                merged,
                keys=list(opts.primary_key),
                delete_predicate=opts.delete_when,
                stream_id=stream_id,
                batch_id=batch_id,
                metadata=metadata,
                table_name=table_name,
            )
        return delta.commit_batch(
            location,
            data,
            stream_id=stream_id,
            batch_id=batch_id,
            mode=opts.write_mode if opts.mode == "full" else "append",
            metadata=metadata,
            table_name=table_name,
        )

    return write
