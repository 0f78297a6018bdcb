"""What every Delta write shares: the commit result, transactions in commit properties, lost-race retries,
error translation, and reading a table (open, dataset, files, a stream's transaction version)."""

from __future__ import annotations

import itertools
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
from lakeloader.lakehouse import storage, types
from lakeloader.secrets.redact import redact, redact_obj

if TYPE_CHECKING:
    pass


log = logging.getLogger(__name__)


Data: TypeAlias = pa.RecordBatchReader | pa.Table | pa.RecordBatch
WriteMode = Literal["append", "overwrite"]

DEFAULT_TABLE_PROPERTIES = {
    "delta.checkpointInterval": "10",  # keep the log short: a checkpoint every 10 commits, as Spark does
}
MAX_ATTEMPTS = 8
# A lost race is retried at least MAX_ATTEMPTS times and for at least this long: an append never conflicts with
# another append, it only waits its turn. On an object store a commit takes several round trips, and 4 writers
# appending at once to one table made a writer lose 8 races in a row (the test in tests/storage).
RETRY_SECONDS = 120.0
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
    return (storage.path(location) / "_delta_log").is_dir()


def open_table(location: str | os.PathLike[str], *, table_name: str | None = None, version: int | None = None) -> Any:
    """Open a Delta table (at `version`, or its latest), or raise a one-line not-found error."""
    from deltalake import DeltaTable

    if not is_delta_table(location):
        raise NotFoundError(f"table {_label(location, table_name)} has no Delta log at {location}; write to it first")
    uri = os.fspath(storage.path(location))
    return DeltaTable(uri, version=version, storage_options=storage.delta_options(uri))


def dataset(location: str | os.PathLike[str], *, table_name: str | None = None, version: int | None = None) -> Any:
    """A `pyarrow.dataset.Dataset` over the table's current files, safe for filter pushdown.

    Built here, on Arrow's own local filesystem, rather than by delta-rs' `to_pyarrow_dataset()`:
    - that one reads through a Python filesystem (delta-rs' storage handler), so Arrow's I/O threads call into
      Python to read and to release each file; one still at work when the interpreter exits (a read-ahead past
      a LIMIT, a file released late) takes the GIL during finalization, and `lakeloader sql` aborted
      (`terminate called without an active exception`), crashed or hung after printing a correct result.
    - it turns each file's log statistics into a guarantee that Arrow uses to skip files, and some statistics
      come out as null bounds (decimals in exponent form, a column without min/max) or as inward-rounded bounds
      (timestamps cut to milliseconds), so a filter can silently drop matching rows. Here a fragment's
      guarantee is its partition values only (the footers' own statistics still prune row groups).
    - it costs ~0.6 ms per file to build (0.6 s for 1,000 files), this ~0.04 ms.
    """
    import pyarrow.dataset as ds
    import pyarrow.fs as pafs

    dt = open_table(location, table_name=table_name, version=version)
    schema = pa.schema(dt.schema().to_arrow())
    partition_columns = list(dt.metadata().partition_columns)
    where = storage.path(location)
    filesystem = storage.arrow_filesystem(where) if isinstance(where, storage.ObjectPath) else pafs.LocalFileSystem()
    files = _files_and_partitions(dt)
    if isinstance(where, storage.ObjectPath):  # pyarrow names an object `bucket/key`
        files = [(storage.arrow_path(path), values) for path, values in files]
    if not partition_columns:
        return ds.dataset([path for path, _ in files], schema=schema, format="parquet", filesystem=filesystem)
    _check_plain_read(dt, _label(location, table_name))
    parquet = ds.ParquetFileFormat()
    fragments = [
        parquet.make_fragment(path, filesystem=filesystem, partition_expression=_partition_guarantee(values, schema))
        for path, values in files
    ]
    return ds.FileSystemDataset(fragments, schema, parquet, filesystem)


def files_dataset(paths: list[str], *, schema: pa.Schema | None = None) -> Any:
    """A Parquet dataset over data files named by local paths or by object store URLs (all of one store)."""
    import pyarrow.dataset as ds

    if paths and storage.is_url(paths[0]):
        filesystem = storage.arrow_filesystem(storage.ObjectPath(paths[0]))
        return ds.dataset([storage.arrow_path(p) for p in paths], schema=schema, format="parquet",
                          filesystem=filesystem)  # fmt: skip
    return ds.dataset(paths, schema=schema, format="parquet")


def _check_plain_read(dt: Any, label: str) -> None:
    features = set(dt.protocol().reader_features or [])
    mapping = dt.metadata().configuration.get("delta.columnMapping.mode", "none") != "none"
    if "deletionVectors" in features or "columnMapping" in features or mapping:
        raise TerminalError(
            f"table {label}: lakeloader cannot read a partitioned table with deletion vectors or column mapping "
            "yet; rewrite it without them (REORG TABLE ... APPLY (PURGE) in Databricks)"
        )


def _partition_guarantee(values: Mapping[str, Any], schema: pa.Schema) -> Any:
    """What every row of a file holds in its partition columns, as an Arrow expression (Arrow fills the
    columns, which are not in the file, from it)."""
    import pyarrow.dataset as ds

    guarantee = None
    for name, value in values.items():
        kind = schema.field(name).type
        term = ds.field(name).is_null() if value is None else ds.field(name) == pa.scalar(value, type=kind)
        guarantee = term if guarantee is None else guarantee & term
    return guarantee


def _table_folder(dt: Any) -> storage.Location:
    """The folder of an open table. delta-rs gives it as a URI, percent-encoded (`lake%20house`)."""
    from urllib.parse import unquote, urlsplit
    from urllib.request import url2pathname

    uri = str(dt.table_uri)
    parts = urlsplit(uri)
    if parts.scheme == "file":
        return Path(url2pathname(parts.path))
    if not parts.scheme:
        return Path(uri)
    if parts.scheme in storage.SERVED:
        return storage.ObjectPath(unquote(uri))
    raise ConfigError(f"table at {uri}: lakeloader cannot read a {parts.scheme}:// location")


def _local_path(folder: storage.Location, logged: str) -> str:
    """A data file's local path from its add action: a URI-encoded path relative to the table (or a URI).

    Not `file_uris()`: it gives the table's folder percent-encoded but the file's path decoded, which no single
    decoding turns into the real path when both hold a `%`.
    """
    from urllib.parse import unquote, urlsplit
    from urllib.request import url2pathname

    if logged.startswith("file:"):
        return url2pathname(urlsplit(logged).path)
    if storage.is_url(logged):
        return logged
    return str(folder / unquote(logged))


def _files_and_partitions(dt: Any) -> list[tuple[str, dict[str, Any]]]:
    """The table's current data files as local paths, each with its partition values (typed, None for null)."""
    actions = pa.table(dt.get_add_actions(flatten=False))
    folder = _table_folder(dt)
    paths = [_local_path(folder, p) for p in actions.column("path").to_pylist()]
    if "partition" not in actions.column_names:
        return [(path, {}) for path in paths]
    return list(zip(paths, actions.column("partition").to_pylist(), strict=True))


def local_files(dt: Any) -> list[str]:
    """The table's current data files as local paths (what `file_uris()` should give: see `_local_path`)."""
    return [path for path, _ in _files_and_partitions(dt)]


def plain_files(dt: Any) -> list[str] | None:
    """The table's current data files as local paths, when reading them as plain Parquet is exact.

    None when it is not: partition values live in the log, deletion vectors hide rows, column mapping renames
    columns. DuckDB's own Parquet reader over these paths is faster than an Arrow dataset (bench/pipelines.py).
    """
    protocol = dt.protocol()
    features = set(protocol.reader_features or [])
    if isinstance(_table_folder(dt), storage.ObjectPath):  # DuckDB reads no object store offline: Arrow does
        return None
    if dt.metadata().partition_columns or features & {"deletionVectors", "columnMapping"}:
        return None
    if dt.metadata().configuration.get("delta.columnMapping.mode", "none") != "none":
        return None
    return local_files(dt)


def parquet_scan(paths: list[str]) -> str:
    """DuckDB's scan of these Parquet files (what a view over a table's plain files selects from).

    `can_have_nan`: Parquet's statistics leave NaN out of a float column's min/max (the spec says so, and every
    writer follows it), and DuckDB otherwise trusts them: it prunes row groups whose only match is a NaN, folds
    `x > 0` to false and answers `max(x)` from the footer. Spark puts NaN above every double; so do we.
    """
    listed = ", ".join("'" + p.replace("'", "''") + "'" for p in paths)
    return f"read_parquet([{listed}], union_by_name = true, can_have_nan = true)"


def transaction_version(location: str | os.PathLike[str], stream_id: str) -> int | None:
    """The last batch id committed by `stream_id` to this table (None if never)."""
    if not is_delta_table(location):
        return None
    version = open_table(location).transaction_version(stream_id)
    return None if version is None else int(version)


def version_before_batch(location: str | os.PathLike[str], stream_id: str, batch_id: int) -> int | None:
    """The table's version just before batch `batch_id` of `stream_id` was committed to it (-1: the batch
    created it), or None when the table does not hold that batch: what a replay of the batch must read."""
    done = transaction_version(location, stream_id)
    if done is None or done < batch_id:
        return None
    for entry in open_table(location).history():
        if entry.get("lakeloader.stream_id") == stream_id and str(entry.get("lakeloader.batch_id")) == str(batch_id):
            return int(entry["version"]) - 1
    return None


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


def give_up(attempt: int, started: float) -> bool:
    """After `attempt` (0-based) lost races since `started` (time.monotonic()): stop retrying?"""
    return attempt >= MAX_ATTEMPTS - 1 and time.monotonic() - started > RETRY_SECONDS


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

    started = time.monotonic()
    for attempt in itertools.count():
        try:
            return attempt_once()
        except CommitFailedError as exc:
            if not replayable or give_up(attempt, started):
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


def _q(column: str) -> str:
    return "`" + column.replace("`", "``") + "`"
