"""What every Delta write shares: the commit result, transactions in commit properties, lost-race retries,
error translation, and reading a table (open, dataset, files, a stream's transaction version)."""

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
    pass


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


def open_table(location: str | os.PathLike[str], *, table_name: str | None = None, version: int | None = None) -> Any:
    """Open a Delta table (at `version`, or its latest), or raise a one-line not-found error."""
    from deltalake import DeltaTable

    if not is_delta_table(location):
        raise NotFoundError(f"table {_label(location, table_name)} has no Delta log at {location}; write to it first")
    return DeltaTable(os.fspath(location), version=version)


def dataset(location: str | os.PathLike[str], *, table_name: str | None = None, version: int | None = None) -> Any:
    """A `pyarrow.dataset.Dataset` over the table's current files, safe for filter pushdown.

    delta-rs' `to_pyarrow_dataset()` turns each file's log statistics into a guarantee that Arrow uses to skip
    files, and some statistics come out as null bounds (decimals in exponent form, a column without min/max)
    or as inward-rounded bounds (timestamps cut to milliseconds) — so a filter can silently drop matching
    rows. For unpartitioned tables we scan the files as plain Parquet instead (the footers' own statistics
    still prune row groups); partitioned tables need delta-rs' partition values.
    """
    import pyarrow.dataset as ds

    dt = open_table(location, table_name=table_name, version=version)
    if dt.metadata().partition_columns:
        return dt.to_pyarrow_dataset()
    schema = pa.schema(dt.schema().to_arrow())
    return ds.dataset(dt.file_uris(), schema=schema, format="parquet")


def plain_files(dt: Any) -> list[str] | None:
    """The table's current data files as local paths, when reading them as plain Parquet is exact.

    None when it is not: partition values live in the log, deletion vectors hide rows, column mapping renames
    columns. DuckDB's own Parquet reader over these paths is faster than an Arrow dataset (bench/pipelines.py).
    """
    protocol = dt.protocol()
    features = set(protocol.reader_features or [])
    if dt.metadata().partition_columns or features & {"deletionVectors", "columnMapping"}:
        return None
    if dt.metadata().configuration.get("delta.columnMapping.mode", "none") != "none":
        return None
    return [str(u).removeprefix("file://") for u in dt.file_uris()]


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


def _q(column: str) -> str:
    return "`" + column.replace("`", "``") + "`"
