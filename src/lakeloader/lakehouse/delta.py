"""The ONE place that commits to Delta: append, overwrite, merge, idempotent batches, maintenance.

Every write goes through `_commit`, which retries lost optimistic-concurrency races with backoff and jitter,
stamps lakeloader's commit metadata (secrets redacted) and, for stream batches, carries the
`Transaction(app_id=stream_id, version=batch_id)` that makes a replayed batch a no-op.
"""

from __future__ import annotations

import logging
import os
import random
import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal, TypeAlias

import pyarrow as pa

from lakeloader.errors import (
    CommitConflictError,
    ConfigError,
    NotFoundError,
    SchemaMismatchError,
    TerminalError,
)
from lakeloader.lakehouse import types
from lakeloader.secrets.redact import redact, redact_obj

if TYPE_CHECKING:
    from lakeloader.lakehouse.datafiles import DataFile

log = logging.getLogger(__name__)

Data: TypeAlias = pa.RecordBatchReader | pa.Table | pa.RecordBatch
WriteMode = Literal["append", "overwrite"]

DEFAULT_TABLE_PROPERTIES = {
    "delta.checkpointInterval": "10",  # keep the log short: a checkpoint every 10 commits, as Spark does
}
MAX_ATTEMPTS = 8
_TXN_RETENTION = "delta.setTransactionRetentionDuration"
# Table features under which a plain append of Parquet files with add actions is still correct.
_APPEND_SAFE_FEATURES = {"timestampNtz", "appendOnly", "deletionVectors"}


@dataclass(frozen=True)
class CommitResult:
    """What one write did: the new table version (None when skipped), and the rows it wrote."""

    table: str
    version: int | None
    rows: int
    skipped: bool = False
    operation: str = "WRITE"
    metrics: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {
            "table": self.table,
            "version": self.version,
            "rows": self.rows,
            "skipped": self.skipped,
            "operation": self.operation,
            "metrics": self.metrics,
        }


class _RowCounter:
    """Wraps a reader so rows are counted as they stream past, without holding them."""

    def __init__(self, reader: pa.RecordBatchReader, target: pa.Schema) -> None:
        self.rows = 0
        self._reader = reader
        self.schema = target

    def batches(self) -> Iterator[pa.RecordBatch]:
        for batch in types.cast_batches(self._reader, self.schema):
            self.rows += batch.num_rows
            yield batch

    def reader(self) -> pa.RecordBatchReader:
        return pa.RecordBatchReader.from_batches(self.schema, self.batches())


def _as_reader(data: Data) -> pa.RecordBatchReader:
    if isinstance(data, pa.RecordBatchReader):
        return data
    if isinstance(data, pa.RecordBatch):
        return pa.RecordBatchReader.from_batches(data.schema, [data])
    if isinstance(data, pa.Table):
        return data.to_reader()
    if hasattr(data, "__arrow_c_stream__"):
        return pa.RecordBatchReader.from_stream(data)
    raise TypeError(f"expected Arrow data, got {type(data).__name__}")


def _replayable(data: Data) -> bool:
    return isinstance(data, pa.Table | pa.RecordBatch)


def _label(location: str | os.PathLike[str], table_name: str | None) -> str:
    return table_name or os.fspath(location)


def is_delta_table(location: str | os.PathLike[str]) -> bool:
    return (Path(location) / "_delta_log").is_dir()


def open_table(location: str | os.PathLike[str], *, table_name: str | None = None) -> Any:
    """Open a Delta table, or raise a one-line not-found error."""
    from deltalake import DeltaTable

    if not is_delta_table(location):
        raise NotFoundError(f"table {_label(location, table_name)} has no Delta log at {location}; write to it first")
    return DeltaTable(os.fspath(location))


def dataset(location: str | os.PathLike[str], *, table_name: str | None = None) -> Any:
    """A `pyarrow.dataset.Dataset` over the table's current files, safe for filter pushdown.

    delta-rs' `to_pyarrow_dataset()` turns each file's log statistics into a guarantee that Arrow uses to skip
    files, and some statistics come out as null bounds (decimals in exponent form, a column without min/max)
    or as inward-rounded bounds (timestamps cut to milliseconds) — so a filter can silently drop matching
    rows. For unpartitioned tables we scan the files as plain Parquet instead (the footers' own statistics
    still prune row groups); partitioned tables need delta-rs' partition values.
    """
    import pyarrow.dataset as ds

    dt = open_table(location, table_name=table_name)
    if dt.metadata().partition_columns:
        return dt.to_pyarrow_dataset()
    schema = pa.schema(dt.schema().to_arrow())
    return ds.dataset(dt.file_uris(), schema=schema, format="parquet")


def transaction_version(location: str | os.PathLike[str], stream_id: str) -> int | None:
    """The last batch id committed by `stream_id` to this table (None if never)."""
    if not is_delta_table(location):
        return None
    version = open_table(location).transaction_version(stream_id)
    return None if version is None else int(version)


def _commit_properties(*, stream_id: str | None, batch_id: int | None, metadata: Mapping[str, Any] | None) -> Any:
    from deltalake import CommitProperties, Transaction

    custom: dict[str, Any] = {"lakeloader.engine": "lakeloader"}
    if metadata:
        custom.update({f"lakeloader.{k}": v for k, v in redact_obj(dict(metadata)).items()})
    txns = None
    retries = 50
    if stream_id is not None and batch_id is not None:
        custom["lakeloader.stream_id"] = stream_id
        custom["lakeloader.batch_id"] = batch_id
        txns = [Transaction(app_id=stream_id, version=batch_id)]
        # delta-rs would rebase a stream batch onto a concurrent commit without looking at that commit's
        # transactions, landing a batch another run committed meanwhile a second time: a lost race comes
        # back to us instead, and every retry first re-reads the stream's version (_already_in)
        retries = 0
    return CommitProperties(custom_metadata=custom, max_commit_retries=retries, app_transactions=txns)


def _already_in(dt: Any, stream_id: str | None, batch_id: int | None) -> bool:
    """True if the table (as `dt` sees it) already holds batch `batch_id` of `stream_id`, or a later one."""
    if stream_id is None or batch_id is None:
        return False
    done = dt.transaction_version(stream_id)
    return done is not None and int(done) >= batch_id


def _check_txn_retention(dt: Any, label: str) -> None:
    retention = dt.metadata().configuration.get(_TXN_RETENTION)
    if retention:
        raise ConfigError(
            f"table {label}: {_TXN_RETENTION}={retention} could expire stream identifiers and let a batch be "
            f"written twice; unset it (ALTER TABLE ... UNSET TBLPROPERTIES) before streaming into this table"
        )


def _backoff(attempt: int) -> None:
    time.sleep(min(2.0, 0.05 * 2**attempt) * (0.5 + random.random()))


def _translate(exc: Exception, label: str) -> Exception:
    """Turn delta-rs exceptions into one-line lakeloader errors (or return the original)."""
    from deltalake.exceptions import CommitFailedError
    from deltalake.exceptions import SchemaMismatchError as DeltaSchemaMismatch

    text = redact(str(exc)).splitlines()[0] if str(exc) else type(exc).__name__
    if isinstance(exc, CommitFailedError):
        return CommitConflictError(f"table {label}: commit lost a concurrent-write race ({text}); run it again")
    if isinstance(exc, DeltaSchemaMismatch) or "Cast error" in text or "schema" in text.lower():
        return SchemaMismatchError(
            f"table {label}: data does not fit the table schema ({text}); cast it in the source or evolve the table"
        )
    return exc


def _with_retries(label: str, replayable: bool, attempt_once: Callable[[], CommitResult]) -> CommitResult:
    from deltalake.exceptions import CommitFailedError

    for attempt in range(MAX_ATTEMPTS):
        try:
            return attempt_once()
        except CommitFailedError as exc:
            if not replayable or attempt == MAX_ATTEMPTS - 1:
                raise _translate(exc, label) from exc
            log.info("table %s: commit race lost (attempt %d), retrying", label, attempt + 1)
            _backoff(attempt)
        except Exception as exc:
            if isinstance(exc, TerminalError):
                raise
            translated = _translate(exc, label)
            if translated is exc:
                raise
            raise translated from exc
    raise AssertionError("unreachable")


def _last_operation(dt: Any) -> tuple[int, str, dict[str, Any]]:
    entry = dt.history(limit=1)[0]
    return int(dt.version()), str(entry.get("operation", "")), dict(entry.get("operationMetrics", {}))


def write(
    location: str | os.PathLike[str],
    data: Data,
    *,
    mode: WriteMode = "append",
    schema_evolution: bool = True,
    overwrite_schema: bool = False,
    predicate: str | None = None,
    partition_by: list[str] | None = None,
    stream_id: str | None = None,
    batch_id: int | None = None,
    metadata: Mapping[str, Any] | None = None,
    table_name: str | None = None,
    properties: Mapping[str, str] | None = None,
    copied_files: list[DataFile] | None = None,
) -> CommitResult:
    """Write `data` to the Delta table at `location` in one commit (creating the table on first write).

    Args:
        mode: "append", or "overwrite" (with `predicate`: replace only the rows matching it, Databricks'
            replaceWhere, in the same commit).
        schema_evolution: add columns the table lacks (append); an incompatible type is always refused.
        overwrite_schema: with mode="overwrite", replace the table schema by the data's.
        stream_id, batch_id: make the write an idempotent stream batch; see `commit_batch`.
        copied_files: data files already in the table folder (Parquet files a source copied as they were, see
            `datafiles.copy_parquet_file`), which the source adds to this list while `data` is read; they join
            the same commit. Only for plain appends to a table `appends_files` accepts.
    """
    from deltalake import DeltaTable, write_deltalake

    label = _label(location, table_name)
    uri = os.fspath(location)

    def attempt() -> CommitResult:
        exists = is_delta_table(uri)
        dt = DeltaTable(uri) if exists else None
        if dt is not None and stream_id is not None and batch_id is not None:
            _check_txn_retention(dt, label)
            if _already_in(dt, stream_id, batch_id):
                log.info("table %s: batch %d of stream %s already committed, skipped", label, batch_id, stream_id)
                return CommitResult(label, None, 0, skipped=True, operation="SKIPPED")
        reader = _as_reader(data)
        table_schema = dt.schema().to_arrow() if dt is not None else None
        if table_schema is not None and not isinstance(table_schema, pa.Schema):
            table_schema = pa.schema(table_schema)
        replacing = mode == "overwrite" and (overwrite_schema or (predicate is None and table_schema is None))
        target = types.plan_append(
            reader.schema,
            None if replacing else table_schema,
            table_name=label,
            evolve=schema_evolution,
        )
        counter = _RowCounter(reader, target)
        props = _commit_properties(stream_id=stream_id, batch_id=batch_id, metadata=metadata)
        if mode == "append" and predicate is None and not partition_by and _parallel_ok(dt, target):
            return _append_files(
                uri,
                dt,
                counter,
                props,
                label=label,
                table_name=table_name,
                properties=properties,
                copied=copied_files,
                stream=(stream_id, batch_id),
            )
        if copied_files is not None:
            raise TerminalError(
                f"table {label}: copied Parquet files can only join a plain append to an unpartitioned table; "
                "set the source option copyThroughMinFileSize=off"
            )
        kwargs: dict[str, Any] = {}
        if predicate is not None:
            kwargs["predicate"] = predicate
        write_deltalake(
            dt if dt is not None else uri,
            counter.reader(),
            mode=mode,
            schema_mode="overwrite" if overwrite_schema else ("merge" if schema_evolution else None),
            partition_by=partition_by if dt is None else None,
            configuration={**DEFAULT_TABLE_PROPERTIES, **(properties or {})} if dt is None else None,
            name=table_name if dt is None else None,
            commit_properties=props,
            **kwargs,
        )
        version, operation, metrics = _last_operation(DeltaTable(uri))
        return CommitResult(label, version, counter.rows, operation=operation, metrics=metrics)

    return _with_retries(label, _replayable(data), attempt)


def appends_files(location: str | os.PathLike[str], schema: pa.Schema) -> bool:
    """True if appending `schema`'s rows to the table (or creating it) commits plain Parquet data files."""
    from deltalake import DeltaTable

    return not is_delta_table(location) or _parallel_ok(DeltaTable(os.fspath(location)), schema)


def create_table(
    location: str | os.PathLike[str],
    schema: pa.Schema,
    *,
    configuration: Mapping[str, str] | None = None,
    table_name: str | None = None,
) -> Any:
    """Create an empty table (one CREATE TABLE commit at version 0); when another writer created it first, open it.

    delta-rs would retry a lost creation as a second CREATE TABLE commit on top of the winner's (a metadata
    action that replaces the schema): a creation is tried once, at version 0.
    """
    from deltalake import CommitProperties, DeltaTable

    uri = os.fspath(location)
    try:
        return DeltaTable.create(
            uri,
            schema=schema,
            mode="error",
            configuration=configuration,
            name=table_name,
            commit_properties=CommitProperties(max_commit_retries=0),
        )
    except Exception as exc:  # "already exists", or a lost race at version 0
        for _ in range(50):  # created by someone else meanwhile: open theirs once its first commit is there
            if is_delta_table(uri):
                try:
                    return DeltaTable(uri)
                except Exception:
                    pass
            time.sleep(0.02)
        raise _translate(exc, _label(location, table_name)) from exc


def _parallel_ok(dt: Any, target: pa.Schema) -> bool:
    """Plain appends to unpartitioned tables of the basic protocol, whose schema already holds every column as is."""
    if dt is None:
        return True
    protocol = dt.protocol()
    features = set(protocol.writer_features or [])
    if protocol.min_writer_version == 7:
        if not features <= _APPEND_SAFE_FEATURES:
            return False
    elif protocol.min_writer_version > 2:  # legacy check constraints, generated columns, column mapping...
        return False
    if dt.metadata().partition_columns:
        return False
    return types.fits_table(target, pa.schema(dt.schema().to_arrow()))  # else the schema grows: a merge write


def _append_files(
    uri: str,
    dt: Any,
    counter: _RowCounter,
    props: Any,
    *,
    label: str,
    table_name: str | None,
    properties: Mapping[str, str] | None,
    copied: list[DataFile] | None = None,
    stream: tuple[str | None, int | None] = (None, None),
) -> CommitResult:
    """Encode the data files on every core, then commit them (and the stream transaction) in ONE commit.

    A new table gets its own CREATE TABLE commit first (as a Databricks streaming table does), once the files
    are written. A lost race is retried with the same files after re-reading the table: if another run
    committed this stream batch meanwhile, our files are removed and the batch is skipped.
    """
    from deltalake import DeltaTable
    from deltalake.exceptions import CommitFailedError
    from deltalake.transaction import AddAction

    from lakeloader.lakehouse.datafiles import write_data_files

    started = time.perf_counter()
    files = write_data_files(uri, counter.batches(), counter.schema)
    copies = list(copied or [])  # complete now: the source adds to it while its batches are read
    rows = counter.rows + sum(f.rows for f in copies)
    if dt is None:  # created only once the data is written: a failed read leaves no table behind
        configuration = {**DEFAULT_TABLE_PROPERTIES, **(properties or {})}
        dt = create_table(uri, counter.schema, configuration=configuration, table_name=table_name)
        if not _parallel_ok(dt, counter.schema):  # another writer created it first, with other columns
            for f in files + copies:
                (Path(uri) / f.path).unlink(missing_ok=True)
            raise SchemaMismatchError(
                f"table {label}: was created concurrently with a different schema; run the write again"
            )
    actions = [AddAction(f.path, f.size, {}, f.modification_time, True, f.stats) for f in files + copies]
    metrics = {
        "num_added_files": len(files) + len(copies),
        "num_added_rows": rows,
        "num_added_bytes": sum(f.size for f in files + copies),
        "num_copied_files": len(copies),
        "execution_time_ms": int((time.perf_counter() - started) * 1000),
    }
    props.custom_metadata["operationMetrics"] = metrics

    def remove_files() -> None:
        for f in files + copies:
            (Path(uri) / f.path).unlink(missing_ok=True)

    stream_id, batch_id = stream
    for attempt in range(MAX_ATTEMPTS):
        if _already_in(dt, stream_id, batch_id):
            remove_files()
            log.info("table %s: batch %s of stream %s committed by another run meanwhile", label, batch_id, stream_id)
            return CommitResult(label, None, 0, skipped=True, operation="SKIPPED")
        try:
            dt.create_write_transaction(
                actions, mode="append", schema=pa.schema(dt.schema().to_arrow()), commit_properties=props
            )
            break
        except CommitFailedError as exc:
            dt = DeltaTable(uri)
            if attempt == MAX_ATTEMPTS - 1 or not _parallel_ok(dt, counter.schema):
                remove_files()
                raise _translate(exc, label) from exc
            log.info("table %s: commit race lost (attempt %d), retrying", label, attempt + 1)
            _backoff(attempt)
    version = int(DeltaTable(uri).version())
    return CommitResult(label, version, rows, operation="WRITE", metrics=metrics)


def commit_batch(
    location: str | os.PathLike[str],
    data: Data,
    *,
    stream_id: str,
    batch_id: int,
    mode: WriteMode = "append",
    schema_evolution: bool = True,
    predicate: str | None = None,
    metadata: Mapping[str, Any] | None = None,
    table_name: str | None = None,
    partition_by: list[str] | None = None,
    copied_files: list[DataFile] | None = None,
) -> CommitResult:
    """Commit batch `batch_id` of stream `stream_id` exactly once.

    The data and `Transaction(app_id=stream_id, version=batch_id)` land in ONE commit. If the table already
    records `batch_id` (or a later one) for this stream, nothing is written and the result says skipped.
    """
    if batch_id < 0:
        raise ConfigError(f"stream {stream_id}: batch id {batch_id} is negative; batch ids start at 0")
    return write(
        location,
        data,
        mode=mode,
        schema_evolution=schema_evolution,
        predicate=predicate,
        stream_id=stream_id,
        batch_id=batch_id,
        metadata=metadata,
        table_name=table_name,
        partition_by=partition_by,
        copied_files=copied_files,
    )


def merge(
    location: str | os.PathLike[str],
    data: Data,
    *,
    keys: list[str],
    delete_predicate: str | None = None,
    schema_evolution: bool = True,
    stream_id: str | None = None,
    batch_id: int | None = None,
    metadata: Mapping[str, Any] | None = None,
    table_name: str | None = None,
) -> CommitResult:
    """Upsert `data` into the table by `keys` in one commit: matched rows are updated, new rows inserted.

    `delete_predicate` (over source columns, alias `s`) deletes matched target rows instead of updating them.
    A table that does not exist yet is created from the data.
    """
    from deltalake import DeltaTable

    label = _label(location, table_name)
    if not keys:
        raise ConfigError(f"table {label}: merge needs at least one key column; pass primary_key")
    if not is_delta_table(location):
        return write(location, data, stream_id=stream_id, batch_id=batch_id, metadata=metadata, table_name=table_name)
    uri = os.fspath(location)

    def attempt() -> CommitResult:
        dt = DeltaTable(uri)
        if stream_id is not None and batch_id is not None:
            _check_txn_retention(dt, label)
            if _already_in(dt, stream_id, batch_id):
                return CommitResult(label, None, 0, skipped=True, operation="SKIPPED")
        reader = _as_reader(data)
        table_schema = pa.schema(dt.schema().to_arrow())
        missing = [k for k in keys if k not in reader.schema.names]
        if missing:
            raise ConfigError(f"table {label}: merge key {', '.join(missing)} is not in the incoming data")
        target = types.plan_append(reader.schema, table_schema, table_name=label, evolve=schema_evolution)
        counter = _RowCounter(reader, target)
        predicate = " AND ".join(f"t.{_q(k)} = s.{_q(k)}" for k in keys)
        merger = dt.merge(
            counter.reader(),
            predicate=predicate,
            source_alias="s",
            target_alias="t",
            merge_schema=schema_evolution,
            commit_properties=_commit_properties(stream_id=stream_id, batch_id=batch_id, metadata=metadata),
        )
        if delete_predicate:
            merger = merger.when_matched_delete(predicate=delete_predicate)
        metrics = merger.when_matched_update_all().when_not_matched_insert_all().execute()
        version = int(DeltaTable(uri).version())
        return CommitResult(label, version, counter.rows, operation="MERGE", metrics=dict(metrics))

    return _with_retries(label, _replayable(data), attempt)


def _q(column: str) -> str:
    return "`" + column.replace("`", "``") + "`"


# -- maintenance -------------------------------------------------------------------------------------------
def optimize(location: str | os.PathLike[str], *, table_name: str | None = None) -> dict[str, Any]:
    """Compact small files into larger ones (one commit)."""
    dt = open_table(location, table_name=table_name)
    return dict(dt.optimize.compact(commit_properties=_commit_properties(stream_id=None, batch_id=None, metadata=None)))


def vacuum(
    location: str | os.PathLike[str],
    *,
    retention_hours: int = 168,
    dry_run: bool = True,
    force: bool = False,
    table_name: str | None = None,
) -> list[str]:
    """Delete files no longer referenced by versions newer than the retention; a short retention needs `force`."""
    label = _label(location, table_name)
    if retention_hours < 168 and not force:
        raise ConfigError(
            f"table {label}: vacuum retention {retention_hours}h is under the 168h (7 day) safety minimum and "
            "could break readers and time travel; pass --force if you are sure"
        )
    dt = open_table(location, table_name=table_name)
    return list(
        dt.vacuum(
            retention_hours=retention_hours,
            dry_run=dry_run,
            enforce_retention_duration=not force,
            commit_properties=_commit_properties(stream_id=None, batch_id=None, metadata=None),
        )
    )


def checkpoint(location: str | os.PathLike[str], *, table_name: str | None = None) -> int:
    """Write a log checkpoint at the current version and clean expired log files; returns the version."""
    dt = open_table(location, table_name=table_name)
    dt.create_checkpoint()
    dt.cleanup_metadata()
    return int(dt.version())


def describe(location: str | os.PathLike[str], *, table_name: str | None = None) -> dict[str, Any]:
    """Version, row count (from the log's statistics), files, bytes, columns and properties of a table."""
    dt = open_table(location, table_name=table_name)
    schema = pa.schema(dt.schema().to_arrow())
    actions = pa.table(dt.get_add_actions(flatten=True))
    return {
        "version": int(dt.version()),
        "rows": int(dt.count()),
        "files": actions.num_rows,
        "size_bytes": sum(actions.column("size_bytes").to_pylist()) if actions.num_rows else 0,
        "partition_columns": list(dt.metadata().partition_columns),
        "properties": dict(dt.metadata().configuration),
        "columns": [{"name": f.name, "type": types.sql_type(f.type), "nullable": f.nullable} for f in schema],
    }


def history(
    location: str | os.PathLike[str], *, limit: int | None = None, table_name: str | None = None
) -> list[dict[str, Any]]:
    return [redact_obj(h) for h in open_table(location, table_name=table_name).history(limit=limit)]
