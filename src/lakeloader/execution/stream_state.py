"""What a checkpoint says about its stream (batches planned and committed, the last commit, a run holding it) and
what its target holds of it, read without taking the stream's lock: `lakeloader streams show` and `list`."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from lakeloader.execution.checkpoint import LOCK_FILE, read_json
from lakeloader.lakehouse import delta, storage


def _ids(folder: Path) -> list[int]:
    if not folder.is_dir():
        return []
    return sorted(int(p.stem) for p in folder.glob("*.json") if p.stem.isdigit())


def checkpoint_state(folder: Path) -> dict[str, Any]:
    """The stream's own state: ids, batches, the last commit and a batch a crash left planned but not recorded."""
    meta = read_json(folder / "metadata.json")
    planned, committed = _ids(folder / "offsets"), _ids(folder / "commits")
    commits = [read_json(folder / "commits" / f"{n}.json") for n in committed]
    last = commits[-1] if commits else None
    pending = planned[-1] if planned and (not committed or planned[-1] > committed[-1]) else None
    return {
        "stream_id": meta.get("stream_id"),
        "created_at": meta.get("created_at"),
        "restarted_at": meta.get("restarted_at"),
        "restart_reason": meta.get("restart_reason"),
        "previous_stream_ids": list(meta.get("previous_stream_ids", [])),
        "batches": len(committed),
        "rows": sum(int(c.get("rows") or 0) for c in commits),
        "last_commit": None
        if last is None
        else {k: last.get(k) for k in ("batch_id", "committed_at", "table_version", "rows", "skipped")},
        "pending_batch": pending,
        "running": running(folder / LOCK_FILE),
    }


def last_plan(folder: Path, batch_id: int) -> dict[str, Any] | None:
    path = folder / "offsets" / f"{batch_id}.json"
    return dict(read_json(path).get("plan") or {}) if path.is_file() else None


def running(lock_file: Path) -> str | None:
    """Who holds the stream's lock now ("pid 12 on host, lakeloader, since ..."), or None.

    Read from /proc/locks (Linux) instead of trying the lock: a `show` must never make a starting run fail.
    """
    try:
        st = lock_file.stat()
        locks = Path("/proc/locks").read_text()
    except OSError:
        return None
    device = f"{os.major(st.st_dev):02x}:{os.minor(st.st_dev):02x}:{st.st_ino}"
    if not any(line.split()[1:2] == ["FLOCK"] and device in line.split() for line in locks.splitlines()):
        return None
    try:
        info = json.loads(lock_file.read_text() or "{}")
        return f"pid {info['pid']} on {info['host']}, {info['program']}, since {info['since']}"
    except (ValueError, KeyError, OSError):
        return "a run that did not say who it is"


def target_state(location: storage.Location | None, stream_ids: list[str]) -> dict[str, Any]:
    """The target table as the stream sees it: version, rows, and the last batch of the stream it holds."""
    if location is None or not delta.is_delta_table(location):
        return {"exists": False, "version": None, "rows": 0, "stream_batch": None}
    import pyarrow as pa

    table = delta.open_table(location)
    counts = pa.table(table.get_add_actions(flatten=True)).column("num_records").to_pylist()
    known = not any(n is None for n in counts)  # a file written without statistics: count its rows
    rows = int(sum(counts)) if known else int(delta.dataset(location).count_rows())
    held = None
    for stream_id in stream_ids:  # the current id first: a retired one counts only while the current has none
        done = table.transaction_version(stream_id)
        if done is not None:
            held = {"stream_id": stream_id, "batch_id": int(done)}
            break
    return {"exists": True, "version": int(table.version()), "rows": rows, "stream_batch": held}
