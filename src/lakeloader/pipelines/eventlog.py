"""The pipeline event log: a Delta table under the pipeline's storage with Databricks' event-log columns.

`id`, `sequence` (struct: `control_plane_seq_no`), `origin` (struct: `pipeline_id`, `pipeline_name`, `update_id`,
`flow_name`, `dataset_name`), `timestamp`, `level` (INFO, WARN, ERROR, METRICS), `maturity_level`, `message`,
`error` (struct: `fatal`, `exceptions`), `event_type` and `details` (a JSON string, as in Databricks, so
`details:flow_progress.metrics.num_output_rows` works). Messages and details are redacted before they are written.
"""

from __future__ import annotations

import json
import threading
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pyarrow as pa

from lakeloader.secrets.redact import redact, redact_obj

ORIGIN = pa.struct(
    [
        ("pipeline_id", pa.string()),
        ("pipeline_name", pa.string()),
        ("update_id", pa.string()),
        ("flow_name", pa.string()),
        ("dataset_name", pa.string()),
        ("batch_id", pa.int64()),
    ]
)
ERROR = pa.struct(
    [
        ("fatal", pa.bool_()),
        ("exceptions", pa.list_(pa.struct([("class_name", pa.string()), ("message", pa.string())]))),
    ]
)
SCHEMA = pa.schema(
    [
        ("id", pa.string()),
        ("sequence", pa.struct([("control_plane_seq_no", pa.int64())])),
        ("origin", ORIGIN),
        ("timestamp", pa.timestamp("us", tz="UTC")),
        ("level", pa.string()),
        ("maturity_level", pa.string()),
        ("message", pa.string()),
        ("error", ERROR),
        ("event_type", pa.string()),
        ("details", pa.string()),
    ]
)


@dataclass
class EventLog:
    """Events of one pipeline, buffered and appended to its Delta table (`flush`) as an update goes."""

    location: Path
    pipeline_id: str
    pipeline_name: str
    update_id: str
    _rows: list[dict[str, Any]] = field(default_factory=list)
    _seq: int = 0
    _lock: threading.Lock = field(default_factory=threading.Lock)
    listeners: list[Any] = field(default_factory=list)

    def emit(
        self,
        event_type: str,
        message: str,
        details: dict[str, Any],
        *,
        level: str = "INFO",
        flow: str | None = None,
        dataset: str | None = None,
        error: BaseException | None = None,
    ) -> dict[str, Any]:
        with self._lock:
            self._seq += 1
            row = {
                "id": str(uuid.uuid4()),
                "sequence": {"control_plane_seq_no": self._seq},
                "origin": {
                    "pipeline_id": self.pipeline_id,
                    "pipeline_name": self.pipeline_name,
                    "update_id": self.update_id,
                    "flow_name": flow,
                    "dataset_name": dataset,
                    "batch_id": None,
                },
                "timestamp": datetime.now(UTC),
                "level": level,
                "maturity_level": "STABLE",
                "message": redact(message),
                "error": None
                if error is None
                else {
                    "fatal": True,
                    "exceptions": [{"class_name": type(error).__name__, "message": redact(str(error))}],
                },
                "event_type": event_type,
                "details": json.dumps(redact_obj({event_type: details}), default=str, sort_keys=True),
            }
            self._rows.append(row)
        for listener in self.listeners:
            listener(row)
        return row

    def flush(self) -> None:
        """Append the buffered events in one commit (a plain append: events are never replayed)."""
        from lakeloader.lakehouse import delta

        with self._lock:
            rows, self._rows = self._rows, []
        if rows:
            delta.write(self.location, pa.Table.from_pylist(rows, schema=SCHEMA), table_name="event_log")


def read(location: Path) -> list[dict[str, Any]]:
    """Every event, oldest first, with `details` parsed."""
    from lakeloader.lakehouse import delta

    if not delta.is_delta_table(location):
        return []
    table = delta.dataset(location).to_table()
    rows = sorted(table.to_pylist(), key=lambda r: (r["timestamp"], r["sequence"]["control_plane_seq_no"]))
    for row in rows:
        row["details"] = json.loads(row["details"]) if row["details"] else {}
    return rows
