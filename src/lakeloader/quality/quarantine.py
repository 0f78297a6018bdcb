"""The quarantine: rows a DROP ROW expectation dropped, kept in `<table>_quarantine` beside the target with the
constraints they failed, the update, the flow, the batch and where they came from — never lost, never twice.

A streaming flow stages a batch's dropped rows in its checkpoint while the batch is written, and commits them with
`Transaction(<stream>:quarantine, N)` once the batch is recorded, as bad records are: a crash in between is repaired
when the batch is replayed or recorded again. A materialized view replaces its quarantine at every refresh.
"""

from __future__ import annotations

import threading
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pyarrow as pa

from lakeloader.lakehouse import delta, storage

SUFFIX = "_quarantine"
ID = "_quarantine_id"
COLUMNS = [
    pa.field(ID, pa.string()),
    pa.field("_failed_expectations", pa.list_(pa.string())),
    pa.field("_update_id", pa.string()),
    pa.field("_flow", pa.string()),
    pa.field("_batch_id", pa.int64()),
    pa.field("_source", pa.string()),
    pa.field("_quarantined_at", pa.timestamp("us", tz="UTC")),
]
NAMES = {f.name for f in COLUMNS}


def enabled(properties: dict[str, str], configuration: dict[str, str]) -> bool:
    """On unless the table (TBLPROPERTIES) or the pipeline (configuration) says `pipelines.quarantine = false`."""
    value = properties.get("pipelines.quarantine", configuration.get("pipelines.quarantine", "true"))
    return str(value).strip().lower() not in ("false", "off", "no", "0")


@dataclass
class Collector:
    """The dropped rows of one batch, as the expectations find them (thread-safe)."""

    update_id: str
    flow: str
    batch_id: int
    source: str
    tables: list[pa.Table] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def __call__(self, rows: pa.RecordBatch, failed: list[list[str]]) -> None:
        n = rows.num_rows
        now = datetime.now(UTC)
        extra = {
            ID: pa.array([str(uuid.uuid4()) for _ in range(n)], pa.string()),
            "_failed_expectations": pa.array(failed, pa.list_(pa.string())),
            "_update_id": pa.array([self.update_id] * n, pa.string()),
            "_flow": pa.array([self.flow] * n, pa.string()),
            "_batch_id": pa.array([self.batch_id] * n, pa.int64()),
            "_source": pa.array([self.source] * n, pa.string()),
            "_quarantined_at": pa.array([now] * n, pa.timestamp("us", tz="UTC")),
        }
        table = pa.Table.from_batches([rows])
        for f in COLUMNS:
            table = table.append_column(f, extra[f.name])
        with self._lock:
            self.tables.append(table)

    def table(self) -> pa.Table | None:
        with self._lock:
            return pa.concat_tables(self.tables, promote_options="permissive") if self.tables else None


class Staged:
    """A streaming flow's quarantine: batch N staged in the checkpoint, committed after the batch is recorded."""

    def __init__(self, staging: Path, location: storage.Location, *, table_name: str, stream_id: str) -> None:
        self.staging = staging
        self.location = location
        self.table_name = table_name
        self.stream_id = f"{stream_id}:quarantine"

    def stage(self, batch_id: int, rows: pa.Table | None) -> None:
        import pyarrow.parquet as pq

        self.staging.mkdir(parents=True, exist_ok=True)
        final = self.staging / f"{batch_id}.parquet"
        if rows is None or rows.num_rows == 0:
            final.unlink(missing_ok=True)
            return
        temp = self.staging / f".{batch_id}.{uuid.uuid4().hex}.parquet"
        pq.write_table(rows, temp)
        temp.replace(final)

    def commit(self, batch_id: int) -> int:
        """Commit batch N's staged rows (none: nothing to do); exactly once by the quarantine's transaction."""
        import pyarrow.parquet as pq

        path = self.staging / f"{batch_id}.parquet"
        if not path.exists():
            return 0
        rows = pq.read_table(path)
        done = delta.transaction_version(self.location, self.stream_id)
        if done is None or done < batch_id:
            delta.commit_batch(
                self.location, rows, stream_id=self.stream_id, batch_id=batch_id, table_name=self.table_name
            )
        path.unlink(missing_ok=True)
        return int(rows.num_rows)


def replace(location: storage.Location, rows: pa.Table | None, *, table_name: str, schema: pa.Schema) -> None:
    """A materialized view's quarantine: the rows its latest refresh dropped (an empty table when none)."""
    if rows is None:
        if not delta.is_delta_table(location):
            return
        rows = pa.schema([*schema, *COLUMNS]).empty_table()
    delta.write(location, rows, mode="overwrite", overwrite_schema=True, table_name=table_name)


def data_columns(table: pa.Table) -> list[str]:
    return [c for c in table.column_names if c not in NAMES]


def describe_source(plan: dict[str, Any]) -> str:
    """Where a batch's rows came from, for the `_source` column."""
    if "table" in plan:
        return f"{plan['table']}@{plan.get('from')}-{plan.get('to')}"
    files = plan.get("files") or []
    if files:
        return ", ".join(str(f[0]) for f in files[:20]) + (f" (+{len(files) - 20} files)" if len(files) > 20 else "")
    return str({k: v for k, v in plan.items() if k in ("kind", "lo", "hi", "version")})
