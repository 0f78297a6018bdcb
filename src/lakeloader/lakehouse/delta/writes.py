"""Appends and overwrites in one commit: parallel data files for plain appends, delta-rs for the rest, and the
idempotent stream batch (`commit_batch`)."""

from __future__ import annotations

import itertools
import logging
import os
import time
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

import pyarrow as pa

from lakeloader.errors import (
    ConfigError,
    SchemaMismatchError,
    TerminalError,
)
from lakeloader.lakehouse import storage, types
from lakeloader.lakehouse.delta.core import (
    _APPEND_SAFE_FEATURES,
    DEFAULT_TABLE_PROPERTIES,
    CommitResult,
    Data,
    WriteMode,
    _already_in,
    _as_reader,
    _backoff,
    _check_txn_retention,
    _commit_properties,
    _label,
    _last_operation,
    _replayable,
    _RowCounter,
    _translate,
    _with_retries,
    give_up,
    is_delta_table,
    open_table,
)

if TYPE_CHECKING:
    from lakeloader.lakehouse.datafiles import DataFile

log = logging.getLogger(__name__)


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
    not_null: Sequence[str] = (),
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
            the same commit. Only for plain appends (or whole-table overwrites) of a table `appends_files` accepts.
        not_null: columns the table declares NOT NULL (non-nullable in its schema; a NULL fails the write).
    """
    from deltalake import DeltaTable, write_deltalake

    label = _label(location, table_name)
    where = storage.path(location)
    if isinstance(where, storage.ObjectPath):
        storage.require_conditional_writes(where)
    uri = os.fspath(where)

    def attempt() -> CommitResult:
        exists = is_delta_table(uri)
        dt = DeltaTable(uri, storage_options=storage.delta_options(uri)) if exists else None
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
        if not_null:
            required = {c.lower() for c in not_null}
            target = pa.schema([f.with_nullable(False) if f.name.lower() in required else f for f in target])
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
        if (
            mode == "overwrite" and predicate is None and not partition_by and _replace_ok(dt, target)
        ):  # a whole-table replace (a materialized view's refresh, work units' files): every core, one commit
            return _append_files(uri, dt, counter, props, label=label, table_name=table_name, properties=properties,
                                 copied=copied_files, stream=(stream_id, batch_id), mode="overwrite")  # fmt: skip
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
            storage_options=storage.delta_options(uri),
            **kwargs,
        )
        version, operation, metrics = _last_operation(DeltaTable(uri, storage_options=storage.delta_options(uri)))
        return CommitResult(label, version, counter.rows, operation=operation, metrics=metrics)

    return _with_retries(label, _replayable(data), attempt)


def appends_files(location: str | os.PathLike[str], schema: pa.Schema) -> bool:
    """True if appending `schema`'s rows to the table (or creating it) commits plain Parquet data files."""

    return not is_delta_table(location) or _parallel_ok(open_table(location), schema)


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

    uri = os.fspath(storage.path(location))
    try:
        return DeltaTable.create(
            uri,
            storage_options=storage.delta_options(uri),
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
                    return DeltaTable(uri, storage_options=storage.delta_options(uri))
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


def _replace_ok(dt: Any, target: pa.Schema) -> bool:
    """A whole-table replace by plain Parquet data files: a table of the basic protocol with the same columns."""
    return (
        dt is not None
        and _parallel_ok(dt, target)
        and types.fits_table(pa.schema(dt.schema().to_arrow()), target)  # the same columns: no schema change
    )


def replaces_files(location: str | os.PathLike[str], schema: pa.Schema, *, not_null: Sequence[str] = ()) -> bool:
    """True if overwriting the table (`overwrite_schema`) with `schema`'s rows commits plain Parquet data files, so
    data files written elsewhere can be the new table (`copied_files`)."""
    if not is_delta_table(location):
        return False
    target = types.plan_append(schema, None, table_name=str(location), evolve=True)
    required = {c.lower() for c in not_null}
    target = pa.schema([f.with_nullable(False) if f.name.lower() in required else f for f in target])
    return _replace_ok(open_table(location), target)


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
    mode: str = "append",
) -> CommitResult:
    """Encode the data files on every core, then commit them (and the stream transaction) in ONE commit
    (`mode="overwrite"`: the commit also removes every file the table had).

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
                (storage.path(uri) / f.path).unlink(missing_ok=True)
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
            (storage.path(uri) / f.path).unlink(missing_ok=True)

    stream_id, batch_id = stream
    first_try = time.monotonic()
    for attempt in itertools.count():
        if _already_in(dt, stream_id, batch_id):
            remove_files()
            log.info("table %s: batch %s of stream %s committed by another run meanwhile", label, batch_id, stream_id)
            return CommitResult(label, None, 0, skipped=True, operation="SKIPPED")
        try:
            dt.create_write_transaction(
                actions, mode=mode, schema=pa.schema(dt.schema().to_arrow()), commit_properties=props
            )
            break
        except CommitFailedError as exc:
            dt = DeltaTable(uri, storage_options=storage.delta_options(uri))
            if give_up(attempt, first_try) or not _parallel_ok(dt, counter.schema):
                remove_files()
                raise _translate(exc, label) from exc
            log.info("table %s: commit race lost (attempt %d), retrying", label, attempt + 1)
            _backoff(attempt)
    dt.update_incremental()  # our commit and any after it: ~1 ms, where opening the table again costs 2-5
    version = int(dt.version())
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
