"""The update's DuckDB sessions: a cursor (a session of its own) per flow, on a database locked down once.

Opening a DuckDB database costs ~8 ms (its thread pool, its catalog): it is paid once per process and set of
readable folders (`guard.shared_cursor`), not once per flow and batch, and a continuous pipeline's updates share
it. Every flow still gets a session of its own (its registered Arrow data and its TEMP views are the cursor's),
and the guard is set before any user SQL runs: file access only below the lakehouse's catalog folders (managed
tables and volumes), the external volumes' and tables' folders, no extensions, no settings changes. A table a
flow reads outside those folders (an external table created during the update) is read through Arrow instead of
DuckDB's Parquet reader.
"""

from __future__ import annotations

import os
import threading
from pathlib import Path
from typing import TYPE_CHECKING, Any

from lakeloader.lakehouse import storage

if TYPE_CHECKING:
    from lakeloader.lakehouse.root import Lakehouse


def _quote(path: str) -> str:
    return "'" + path.replace("'", "''") + "'"


class SharedDatabase:
    """The update's DuckDB database: `cursor()` gives each flow session its own connection to it."""

    def __init__(self, lakehouse: Lakehouse, catalogs: set[str]) -> None:
        self.lakehouse = lakehouse
        self.catalogs = catalogs  # the pipeline's catalogs, whose folders may not exist yet
        self._lock = threading.Lock()
        self.folders: list[str] | None = None  # what the update may read, known at its first cursor

    def cursor(self) -> Any:
        from lakeloader.lakehouse import guard

        with self._lock:
            if self.folders is None:
                self.folders = guard.lakehouse_folders(self.lakehouse, self.catalogs)
        return guard.shared_cursor(self.folders, utc=True)

    def allows(self, path: str | os.PathLike[str]) -> bool:
        if storage.is_url(path):  # DuckDB reads no object store offline: Arrow reads it
            return False
        resolved = str(Path(path).resolve()) + "/"
        return any(resolved.startswith(f) for f in self.folders or [])
