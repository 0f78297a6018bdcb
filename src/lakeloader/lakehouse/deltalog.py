"""Reading a Delta table's commits one by one (`_delta_log/<version>.json`): what streaming from a table needs.

Only reads; the `delta` package stays the one place that commits. A commit is an *append* when every action that changes
data (`dataChange: true`) adds a file: OPTIMIZE (dataChange false) is no change; a commit that removes data files
(UPDATE, DELETE, MERGE, overwrite) is a change a stream of appends cannot carry.
"""

from __future__ import annotations

import contextlib
import json
import os
from dataclasses import dataclass, field
from typing import Any

from lakeloader.errors import NotFoundError
from lakeloader.lakehouse import storage


@dataclass(frozen=True)
class AddedFile:
    path: str  # relative to the table folder (URL-decoded)
    size: int
    partition_values: dict[str, str | None] = field(default_factory=dict)


@dataclass
class Commit:
    """One version of a table, as a stream reads it."""

    version: int
    operation: str
    added: list[AddedFile]
    removes_data: bool  # removes a data file with dataChange (a change, not an append)

    @property
    def is_append(self) -> bool:
        return not self.removes_data


def _log_file(location: storage.Location, version: int) -> storage.Location:
    return location / "_delta_log" / f"{version:020d}.json"


def read_commit(location: str | os.PathLike[str], version: int, *, table_name: str) -> Commit:
    """The actions of one version; a version whose log file was cleaned up is an error saying how to recover."""
    from urllib.parse import unquote

    path = _log_file(storage.path(location), version)
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except FileNotFoundError:
        raise NotFoundError(
            f"table {table_name}: version {version} is no longer in its log (log retention cleaned it up), so a "
            "stream cannot read it; run a full refresh of the tables that stream from it"
        ) from None
    added: list[AddedFile] = []
    removes = False
    operation = ""
    for line in lines:
        if not line.strip():
            continue
        action: dict[str, Any] = json.loads(line)
        if "add" in action:
            add = action["add"]
            if add.get("dataChange", True):
                added.append(
                    AddedFile(unquote(add["path"]), int(add.get("size", 0)), dict(add.get("partitionValues") or {}))
                )
        elif "remove" in action:
            if action["remove"].get("dataChange", True):
                removes = True
        elif "commitInfo" in action:
            operation = str(action["commitInfo"].get("operation", ""))
    return Commit(version, operation, added, removes)


def recent_commit_infos(location: str | os.PathLike[str], *, latest: int, limit: int = 50) -> list[dict[str, Any]]:
    """The `commitInfo` of the commits after the log's last checkpoint, up to version `latest` (at most `limit`,
    oldest first): what a Delta checkpoint does not carry, read from the few JSON commits written since."""
    log_dir = storage.path(location) / "_delta_log"
    start = 0
    with contextlib.suppress(OSError, ValueError, KeyError, TypeError):  # no checkpoint yet: from version 0
        start = int(json.loads((log_dir / "_last_checkpoint").read_text())["version"]) + 1
    infos: list[dict[str, Any]] = []
    for version in range(max(start, latest - limit + 1, 0), latest + 1):
        try:
            lines = _log_file(storage.path(location), version).read_text(encoding="utf-8").splitlines()
        except FileNotFoundError:
            continue
        for line in lines:
            if '"commitInfo"' in line:
                info = json.loads(line).get("commitInfo")
                if isinstance(info, dict):
                    infos.append({**info, "version": version})
                break
    return infos
