"""A stream's checkpoint folder: its stable stream id, the offsets log (planned batches) and the commits log.

Layout, as in Spark Structured Streaming: `metadata.json`, `offsets/<N>.json` (written durably BEFORE batch N
reads any data) and `commits/<N>.json` (written AFTER batch N is in Delta). Sources keep their own state in
`sources/` (the files source's ledger, the Postgres cursor). Nothing secret is ever written here.
"""

from __future__ import annotations

import json
import os
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from lakeloader.errors import ConfigError, TerminalError
from lakeloader.secrets.redact import redact_obj

FORMAT_VERSION = 1


def write_json_atomic(path: Path, obj: Any) -> None:
    """Write JSON to `path` durably: temp file, fsync, rename, fsync of the folder."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{uuid.uuid4().hex}.tmp")
    data = json.dumps(redact_obj(obj), sort_keys=True, default=str).encode()
    with open(tmp, "wb") as fh:
        fh.write(data)
        fh.flush()
        os.fsync(fh.fileno())
    os.replace(tmp, path)
    dir_fd = os.open(path.parent, os.O_RDONLY)
    try:
        os.fsync(dir_fd)
    finally:
        os.close(dir_fd)


def read_json(path: Path) -> Any:
    try:
        return json.loads(path.read_text())
    except json.JSONDecodeError as exc:
        raise TerminalError(
            f"checkpoint file {path} is corrupt ({exc.msg}); restore it or start a new checkpoint"
        ) from None


def _batch_ids(folder: Path) -> list[int]:
    if not folder.is_dir():
        return []
    return sorted(int(p.stem) for p in folder.glob("*.json") if p.stem.isdigit())


class Checkpoint:
    """The checkpoint of one stream (one source into one table)."""

    def __init__(self, path: str | os.PathLike[str], *, target: str, source: str) -> None:
        self.path = Path(path).absolute()
        meta_file = self.path / "metadata.json"
        if meta_file.exists():
            meta = read_json(meta_file)
            if meta.get("target") != target:
                raise ConfigError(
                    f"checkpoint {self.path} belongs to table {meta.get('target')}, not {target}; "
                    "give each stream its own checkpoint folder"
                )
            if meta.get("source") != source:
                raise ConfigError(
                    f"checkpoint {self.path} was made for source {meta.get('source')}, not {source}; "
                    "give each stream its own checkpoint folder"
                )
        else:
            meta = {
                "version": FORMAT_VERSION,
                "stream_id": str(uuid.uuid4()),
                "target": target,
                "source": source,
                "created_at": datetime.now(UTC).isoformat(),
            }
            write_json_atomic(meta_file, meta)
        self.stream_id: str = meta["stream_id"]
        self.target = target
        self.offsets_dir = self.path / "offsets"
        self.commits_dir = self.path / "commits"
        self.sources_dir = self.path / "sources"

    def latest_planned(self) -> int | None:
        ids = _batch_ids(self.offsets_dir)
        return ids[-1] if ids else None

    def latest_committed(self) -> int | None:
        ids = _batch_ids(self.commits_dir)
        return ids[-1] if ids else None

    def next_batch_id(self) -> int:
        planned = self.latest_planned()
        return 0 if planned is None else planned + 1

    def pending(self) -> tuple[int, dict[str, Any]] | None:
        """The last planned batch if it was never recorded as committed (a crash happened): replay it."""
        planned = self.latest_planned()
        if planned is None:
            return None
        committed = self.latest_committed()
        if committed is not None and committed >= planned:
            return None
        return planned, self.read_plan(planned)

    def read_plan(self, batch_id: int) -> dict[str, Any]:
        plan = read_json(self.offsets_dir / f"{batch_id}.json")
        return dict(plan["plan"])

    def write_plan(self, batch_id: int, plan: dict[str, Any]) -> None:
        """Step 1 of the protocol: record what batch N will read, before reading it."""
        expected = self.next_batch_id()
        if batch_id != expected:
            raise TerminalError(
                f"checkpoint {self.path}: batch {batch_id} planned out of order (next is {expected}); "
                "another process may be running this stream — run one at a time"
            )
        write_json_atomic(
            self.offsets_dir / f"{batch_id}.json",
            {"batch_id": batch_id, "planned_at": datetime.now(UTC).isoformat(), "plan": plan},
        )

    def record_commit(self, batch_id: int, info: dict[str, Any]) -> None:
        """Step 3 of the protocol: batch N is in Delta."""
        write_json_atomic(
            self.commits_dir / f"{batch_id}.json",
            {"batch_id": batch_id, "committed_at": datetime.now(UTC).isoformat(), **info},
        )

    def read_commit(self, batch_id: int) -> dict[str, Any] | None:
        path = self.commits_dir / f"{batch_id}.json"
        return dict(read_json(path)) if path.exists() else None

    def source_state_path(self, name: str) -> Path:
        """A place for the source's own state (ledger, cursor) inside this checkpoint."""
        self.sources_dir.mkdir(parents=True, exist_ok=True)
        return self.sources_dir / name
