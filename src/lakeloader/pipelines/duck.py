"""One DuckDB database per update, locked down once, a cursor (its own session) per flow.

Opening a DuckDB database costs 10-25 ms (its thread pool, its catalog): paid once per update instead of once
per flow and batch. Every flow still gets a session of its own — its registered Arrow data and its TEMP views are
the cursor's — and the guard is set before any user SQL runs: file access only below the lakehouse's catalog
folders (managed tables and volumes), the external volumes' and tables' folders, no extensions, no settings
changes. A table a flow reads outside those folders (an external table created during the update) is read
through Arrow instead of DuckDB's Parquet reader.
"""

from __future__ import annotations

import threading
from pathlib import Path
from typing import TYPE_CHECKING, Any

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
        self._con: Any = None
        self.folders: list[str] = []

    def _allowed(self) -> list[str]:
        lh = self.lakehouse
        root = Path(lh.root).resolve()
        folders = {str(root / name) + "/" for name in self.catalogs}
        for catalog in lh.list_catalogs():
            folders.add(str(Path(catalog.location).resolve() if catalog.location else root / catalog.name) + "/")
        for volume in lh.list_volumes():
            if volume.location:
                folders.add(str(Path(volume.location).resolve()) + "/")
        for table in lh.list_tables():
            if table.info.location and not any(str(Path(table.info.location).resolve()).startswith(f) for f in folders):
                folders.add(str(Path(table.info.location).resolve()) + "/")
        return sorted(folders)

    def cursor(self) -> Any:
        from lakeloader.lakehouse import guard

        with self._lock:
            if self._con is None:
                import duckdb

                con = duckdb.connect()
                con.execute("SET GLOBAL TimeZone = 'UTC'")
                self.folders = self._allowed()
                con.execute(f"SET allowed_directories = [{', '.join(_quote(f) for f in self.folders)}]")
                guard.lock_down_settings(con)
                self._con = con
            return self._con.cursor()

    def allows(self, path: str | Path) -> bool:
        resolved = str(Path(path).resolve()) + "/"
        return any(resolved.startswith(f) for f in self.folders)

    def close(self) -> None:
        with self._lock:
            if self._con is not None:
                self._con.close()
                self._con = None
