"""The file ledger: every file the stream has taken (path, size, mtime, hash, batch, status), in the checkpoint.

It is one SQLite file (`<checkpoint>/sources/files/ledger.db`) rather than Parquet segments because entries
change after they are written (cleanSource marks them archived, allowOverwrites re-ingests a path), SQLite
makes each batch's entries one atomic transaction, and anyone can query it. A run loads it ONCE into a dict
keyed by path (~50 ms for 100,000 files), so a no-op run is one listing plus one set lookup per file.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal

from lakeloader.errors import NotFoundError

Status = Literal["ingested", "bad", "deleted", "moved", "skipped", "duplicate"]
LEDGER_FILE = "ledger.db"
COLUMNS = (
    "path",
    "size",
    "modification_time",
    "content_hash",
    "batch_id",
    "status",
    "rows",
    "ingested_at",
    "archived_at",
    "archive_path",
)

_DDL = """
CREATE TABLE IF NOT EXISTS files (
    path TEXT PRIMARY KEY,
    size INTEGER NOT NULL,
    mtime_ns INTEGER NOT NULL,
    content_hash TEXT,
    batch_id INTEGER NOT NULL,
    status TEXT NOT NULL,
    rows INTEGER,
    ingested_at TEXT NOT NULL,
    archived_at TEXT,
    archive_path TEXT
);
CREATE INDEX IF NOT EXISTS files_batch ON files(batch_id);
CREATE TABLE IF NOT EXISTS stream (key TEXT PRIMARY KEY, value TEXT NOT NULL);
"""


def ledger_of(checkpoint: str | Path) -> Path:
    """Where a files stream keeps its ledger inside its checkpoint folder."""
    return Path(checkpoint) / "sources" / "files" / LEDGER_FILE


@dataclass(frozen=True)
class LedgerEntry:
    path: str
    size: int
    mtime_ns: int
    batch_id: int
    status: Status
    rows: int | None = None
    content_hash: str | None = None


class FileLedger:
    """The ledger of one stream; `seen()` is the whole table as a dict, loaded once per run."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with self._connect() as con:
            con.executescript(_DDL)

    @classmethod
    def open_existing(cls, path: str | Path) -> FileLedger:
        if not Path(path).is_file():
            raise NotFoundError(f"file ledger {path} does not exist; pass the checkpoint folder of a files stream")
        return cls(path)

    @contextmanager
    def _connect(self) -> Iterator[sqlite3.Connection]:
        con = sqlite3.connect(self.path, timeout=30)
        try:
            con.execute("PRAGMA synchronous=FULL")
            with con:
                yield con
        finally:
            con.close()

    def seen(self) -> dict[str, tuple[int, int]]:
        """path → (size, mtime_ns) for every file the stream has taken."""
        with self._connect() as con:
            return {p: (s, m) for p, s, m in con.execute("SELECT path, size, mtime_ns FROM files")}

    def paths(self) -> set[str]:
        """Every path the stream has taken (all a no-op check needs without allowOverwrites)."""
        with self._connect() as con:
            return {p for (p,) in con.execute("SELECT path FROM files").fetchall()}

    def hashes(self) -> set[str]:
        """Content hashes of the files ingested so far (for skipDuplicateFiles)."""
        with self._connect() as con:
            sql = "SELECT content_hash FROM files WHERE content_hash IS NOT NULL AND status = 'ingested'"
            return {h for (h,) in con.execute(sql).fetchall()}

    def record(self, entries: Iterable[LedgerEntry]) -> None:
        """Record a committed batch's files in one transaction (idempotent: a replay rewrites the same rows)."""
        now = datetime.now(UTC).isoformat()
        rows = [(e.path, e.size, e.mtime_ns, e.content_hash, e.batch_id, e.status, e.rows, now) for e in entries]
        with self._connect() as con:
            con.executemany(
                "INSERT OR REPLACE INTO files (path, size, mtime_ns, content_hash, batch_id, status, rows, "
                "ingested_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                rows,
            )

    def started(self) -> bool:
        """True once the stream has started (its first run listed the folder), whatever that run found."""
        with self._connect() as con:
            if con.execute("SELECT 1 FROM stream WHERE key = 'started_at'").fetchone():
                return True
            return con.execute("SELECT 1 FROM files LIMIT 1").fetchone() is not None  # an older ledger

    def start(self, skipped: Iterable[LedgerEntry] = ()) -> None:
        """Mark the stream started, with the files present then that it skips (includeExistingFiles=false),
        in one transaction."""
        now = datetime.now(UTC).isoformat()
        rows = [(e.path, e.size, e.mtime_ns, None, -1, "skipped", None, now) for e in skipped]
        with self._connect() as con:
            con.executemany(
                "INSERT OR REPLACE INTO files (path, size, mtime_ns, content_hash, batch_id, status, rows, "
                "ingested_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                rows,
            )
            con.execute("INSERT OR IGNORE INTO stream (key, value) VALUES ('started_at', ?)", (now,))

    def archivable(self, older_than: datetime) -> list[tuple[str, int]]:
        """(path, batch_id) of ingested or bad files recorded before `older_than`, not yet cleaned."""
        with self._connect() as con:
            return list(
                con.execute(
                    "SELECT path, batch_id FROM files WHERE status IN ('ingested', 'bad') AND ingested_at < ? "
                    "ORDER BY batch_id",
                    (older_than.isoformat(),),
                )
            )

    def mark_archived(self, path: str, status: Status, archive_path: str | None) -> None:
        with self._connect() as con:
            con.execute(
                "UPDATE files SET status = ?, archived_at = ?, archive_path = ? WHERE path = ?",
                (status, datetime.now(UTC).isoformat(), archive_path, path),
            )

    def rows(self, *, status: str | None = None, limit: int | None = None) -> list[dict[str, Any]]:
        """The ledger as rows, like Databricks' `cloud_files_state`."""
        sql = (
            "SELECT path, size, mtime_ns, content_hash, batch_id, status, rows, ingested_at, archived_at, "
            "archive_path FROM files"
        )
        args: list[Any] = []
        if status:
            sql += " WHERE status = ?"
            args.append(status)
        sql += " ORDER BY batch_id, path"
        if limit:
            sql += " LIMIT ?"
            args.append(limit)
        with self._connect() as con:
            out = []
            for r in con.execute(sql, args):
                row = dict(zip(COLUMNS, r, strict=True))
                row["modification_time"] = datetime.fromtimestamp(r[2] / 1e9, UTC).isoformat()
                out.append(row)
            return out

    def counts(self) -> dict[str, int]:
        with self._connect() as con:
            return {s: n for s, n in con.execute("SELECT status, count(*) FROM files GROUP BY status")}
