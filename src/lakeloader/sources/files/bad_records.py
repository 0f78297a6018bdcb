"""The bad-records table: every malformed line, row, row group or unreadable file, with where and why.

Batch N's bad records are staged in the checkpoint (`sources/files/staged/<N>.json`) while the batch is read,
BEFORE the data commit, and committed to the bad-records Delta table with `Transaction(<stream>:bad_records,
N)` right after it: a crash in between is repaired on replay from the staged file, so they are exactly-once
too and nothing is lost.
"""

from __future__ import annotations

import json
from dataclasses import asdict
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pyarrow as pa

from lakeloader.execution.checkpoint import write_json_atomic
from lakeloader.lakehouse import delta, storage
from lakeloader.sources.files.formats import BadRecord

BAD_RECORDS_SCHEMA = pa.schema(
    [
        ("batch_id", pa.int64()),
        ("file_path", pa.string()),
        ("line", pa.int64()),
        ("offset", pa.int64()),
        ("raw", pa.string()),
        ("reason", pa.string()),
        ("rows", pa.int64()),
        ("recorded_at", pa.timestamp("us", tz="UTC")),
    ]
)


def stream_id_for(stream_id: str) -> str:
    return f"{stream_id}:bad_records"


class BadRecordsSink:
    """Stages and commits one stream's bad records."""

    def __init__(self, location: storage.Location, staging: Path, *, stream_id: str) -> None:
        self.location = location
        self.staging = staging
        self.stream_id = stream_id_for(stream_id)

    def stage(self, batch_id: int, bad: list[BadRecord], files: dict[str, Any]) -> None:
        """Durably keep batch N's bad records and per-file outcome before its data commit."""
        write_json_atomic(
            self.staging / f"{batch_id}.json",
            {"bad": [asdict(b) for b in bad], "files": files},
        )

    def staged(self, batch_id: int) -> dict[str, Any] | None:
        path = self.staging / f"{batch_id}.json"
        if not path.exists():
            return None
        data: dict[str, Any] = json.loads(path.read_text())
        return data

    def commit(self, batch_id: int) -> int:
        """Commit batch N's staged bad records (no-op when there are none or they are in already)."""
        staged = self.staged(batch_id)
        if not staged or not staged["bad"]:
            return 0
        done = delta.transaction_version(self.location, self.stream_id)
        if done is not None and done >= batch_id:
            return 0
        now = datetime.now(UTC)
        rows = [{**b, "batch_id": batch_id, "recorded_at": now} for b in staged["bad"]]
        table = pa.Table.from_pylist(rows, schema=BAD_RECORDS_SCHEMA)
        delta.commit_batch(self.location, table, stream_id=self.stream_id, batch_id=batch_id, table_name="bad_records")
        return len(rows)

    def forget(self, batch_id: int) -> None:
        (self.staging / f"{batch_id}.json").unlink(missing_ok=True)
