"""The metastore: catalogs, schemas, tables and volumes in SQLite inside the root (WAL, busy timeout).

Besides the objects of the `catalog.schema.table` namespace it keeps generic records (`kind`, `scope`, `name`,
JSON properties) for what other layers register without the lakehouse knowing them: connections, the cached
metadata of foreign catalogs. Records scoped to a catalog are dropped with it.
"""

from __future__ import annotations

import getpass
import json
import os
import sqlite3
import threading
import time
import urllib.parse
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal

from lakeloader.errors import AlreadyExistsError, NotFoundError, ReadOnlyError
from lakeloader.paths import create_private_file, make_private_dir

Kind = Literal["catalog", "schema", "table", "volume"]
ObjectType = Literal["MANAGED", "EXTERNAL"]

_DDL = """
CREATE TABLE IF NOT EXISTS objects (
    full_name   TEXT PRIMARY KEY,
    kind        TEXT NOT NULL CHECK (kind IN ('catalog', 'schema', 'table', 'volume')),
    catalog     TEXT NOT NULL,
    schema      TEXT,
    name        TEXT NOT NULL,
    type        TEXT NOT NULL CHECK (type IN ('MANAGED', 'EXTERNAL')),
    location    TEXT,
    comment     TEXT,
    owner       TEXT NOT NULL,
    created_at  TEXT NOT NULL,
    properties  TEXT NOT NULL DEFAULT '{}',
    format      TEXT
);
CREATE INDEX IF NOT EXISTS objects_parent ON objects (kind, catalog, schema);
CREATE TABLE IF NOT EXISTS settings (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS records (
    kind        TEXT NOT NULL,
    scope       TEXT NOT NULL,
    name        TEXT NOT NULL,
    properties  TEXT NOT NULL DEFAULT '{}',
    owner       TEXT NOT NULL,
    created_at  TEXT NOT NULL,
    PRIMARY KEY (kind, scope, name)
);
"""


@dataclass(frozen=True)
class ObjectInfo:
    """One row of the metastore."""

    full_name: str
    kind: Kind
    catalog: str
    schema: str | None
    name: str
    type: ObjectType
    location: str | None
    comment: str | None
    owner: str
    created_at: str
    properties: dict[str, str] = field(default_factory=dict)
    format: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "full_name": self.full_name,
            "kind": self.kind,
            "catalog": self.catalog,
            "schema": self.schema,
            "name": self.name,
            "type": self.type,
            "location": self.location,
            "comment": self.comment,
            "owner": self.owner,
            "created_at": self.created_at,
            "properties": self.properties,
            "format": self.format,
        }


@dataclass(frozen=True)
class Record:
    """One generic record: a connection, a foreign table's cached metadata... (`scope` groups them, e.g. a catalog)."""

    kind: str
    scope: str
    name: str
    properties: dict[str, Any]
    owner: str
    created_at: str


def _owner() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return "unknown"


class Metastore:
    """A SQLite metastore that several processes may use at once.

    Each thread has its own connection, in autocommit mode: every read sees what is committed when it runs.
    WAL lets readers run beside one writer, and `BEGIN IMMEDIATE` plus a busy timeout makes concurrent writers
    wait their turn instead of failing or corrupting the file. (A connection per call cost ~0.25 ms: an update
    of a pipeline makes dozens of calls.)
    """

    BUSY_TIMEOUT_S = 60.0

    def __init__(self, path: Path) -> None:
        self.path = path
        self._local = threading.local()
        # a lakehouse this user may read but not write: reading commands work, writing ones say why they cannot
        self.read_only = path.exists() and not (os.access(path, os.W_OK) and os.access(path.parent, os.W_OK))
        if self.read_only:
            return
        make_private_dir(path.parent)
        create_private_file(path)
        with self._connect() as con:
            con.executescript(_DDL)

    def _open(self) -> sqlite3.Connection:
        if not self.read_only:
            con = sqlite3.connect(self.path, timeout=self.BUSY_TIMEOUT_S, isolation_level=None)
            con.execute("PRAGMA journal_mode=WAL")
            con.execute("PRAGMA synchronous=NORMAL")
            return con
        uri = "file:" + urllib.parse.quote(str(self.path)) + "?mode=ro"
        try:
            con = sqlite3.connect(uri, uri=True, timeout=self.BUSY_TIMEOUT_S, isolation_level=None)
            con.execute("SELECT count(*) FROM sqlite_master").fetchone()
        except sqlite3.OperationalError:
            # WAL without its -shm file, in a folder this user cannot create it in: nobody writes it meanwhile
            # (whoever could would have left the file), so it is read as it is
            con = sqlite3.connect(uri + "&immutable=1", uri=True, isolation_level=None)
        return con

    @contextmanager
    def _connect(self) -> Iterator[sqlite3.Connection]:
        con = getattr(self._local, "con", None)
        if con is None or self._local.pid != os.getpid():  # never a connection made before a fork
            con = self._open()
            con.execute(f"PRAGMA busy_timeout={int(self.BUSY_TIMEOUT_S * 1000)}")
            self._local.con, self._local.pid = con, os.getpid()
        yield con

    def close(self) -> None:
        """Close this thread's connection (the last one to close folds the WAL back into the file)."""
        con = getattr(self._local, "con", None)
        if con is not None:
            self._local.con = None
            con.close()

    @contextmanager
    def _write(self) -> Iterator[sqlite3.Connection]:
        if self.read_only:
            raise ReadOnlyError(
                f"lakehouse {self.path.parent.parent} is read-only for user {_owner()}: no write permission on "
                f"{self.path}; this command changes the lakehouse, so run it as the lakehouse's owner or grant "
                "write permission (reading commands work as they are)"
            )
        with self._connect() as con:
            for attempt in range(50):
                try:
                    con.execute("BEGIN IMMEDIATE")
                    break
                except sqlite3.OperationalError as exc:  # "database is locked" past the busy timeout
                    if "locked" not in str(exc) or attempt == 49:
                        raise
                    time.sleep(0.05)
            try:
                yield con
                con.execute("COMMIT")
            except BaseException:
                con.execute("ROLLBACK")
                raise

    def create(
        self,
        *,
        kind: Kind,
        catalog: str,
        schema: str | None,
        name: str,
        type: ObjectType = "MANAGED",
        location: str | None = None,
        comment: str | None = None,
        properties: dict[str, str] | None = None,
        format: str | None = None,
        if_not_exists: bool = False,
    ) -> ObjectInfo:
        """Insert an object; an existing one is returned with `if_not_exists`, else refused."""
        full_name = {"catalog": catalog, "schema": f"{catalog}.{schema}"}.get(kind, f"{catalog}.{schema}.{name}")
        with self._write() as con:
            row = con.execute("SELECT * FROM objects WHERE full_name = ?", (full_name,)).fetchone()
            if row is not None:
                existing = _row_to_info(row)
                if if_not_exists and existing.kind == kind:
                    return existing
                also = f" (it is a {existing.kind})" if existing.kind != kind else ""
                keep = " pass --if-not-exists (if_not_exists=True in Python) to go on with it," if not also else ""
                raise AlreadyExistsError(
                    f"{kind} {full_name} already exists{also};{keep} drop it first or pick another name"
                )
            created_at = datetime.now(UTC).isoformat(timespec="milliseconds")
            con.execute(
                "INSERT INTO objects VALUES (?,?,?,?,?,?,?,?,?,?,?,?)",
                (
                    full_name,
                    kind,
                    catalog,
                    schema,
                    name,
                    type,
                    location,
                    comment,
                    _owner(),
                    created_at,
                    json.dumps(properties or {}, sort_keys=True),
                    format,
                ),
            )
        found = self.get(full_name)
        assert found is not None
        return found

    def get(self, full_name: str) -> ObjectInfo | None:
        with self._connect() as con:
            row = con.execute("SELECT * FROM objects WHERE full_name = ?", (full_name,)).fetchone()
        return _row_to_info(row) if row else None

    def require(self, full_name: str, *, kind: Kind, hint: str) -> ObjectInfo:
        """Return the object or raise a not-found error that says how to create it and lists close matches."""
        info = self.get(full_name)
        if info is not None and info.kind == kind:
            return info
        close = self.close_matches(full_name, kind=kind)
        also = f" (did you mean {', '.join(close)}?)" if close else ""
        raise NotFoundError(f"{kind} {full_name} does not exist{also}; {hint}")

    def close_matches(self, full_name: str, *, kind: Kind, n: int = 3) -> list[str]:
        import difflib

        names = [o.full_name for o in self.find(kind=kind)]
        return difflib.get_close_matches(full_name, names, n=n, cutoff=0.6)

    def find(self, *, kind: Kind, catalog: str | None = None, schema: str | None = None) -> list[ObjectInfo]:
        query, args = "SELECT * FROM objects WHERE kind = ?", [str(kind)]
        if catalog is not None:
            query += " AND catalog = ?"
            args.append(catalog)
        if schema is not None:
            query += " AND schema = ?"
            args.append(schema)
        with self._connect() as con:
            rows = con.execute(query + " ORDER BY full_name", args).fetchall()
        return [_row_to_info(r) for r in rows]

    def children(self, *, catalog: str, schema: str | None = None) -> list[ObjectInfo]:
        """Every object inside a catalog (or inside one schema of it)."""
        with self._connect() as con:
            if schema is None:
                rows = con.execute(
                    "SELECT * FROM objects WHERE catalog = ? AND kind != 'catalog'", (catalog,)
                ).fetchall()
            else:
                rows = con.execute(
                    "SELECT * FROM objects WHERE catalog = ? AND schema = ? AND kind IN ('table', 'volume')",
                    (catalog, schema),
                ).fetchall()
        return [_row_to_info(r) for r in rows]

    def delete(self, full_names: list[str]) -> None:
        with self._write() as con:
            con.executemany("DELETE FROM objects WHERE full_name = ?", [(n,) for n in full_names])

    def set_properties(self, full_name: str, properties: dict[str, str]) -> None:
        with self._write() as con:
            row = con.execute("SELECT properties FROM objects WHERE full_name = ?", (full_name,)).fetchone()
            merged = {**json.loads(row[0]), **properties} if row else properties
            con.execute(
                "UPDATE objects SET properties = ? WHERE full_name = ?",
                (json.dumps(merged, sort_keys=True), full_name),
            )

    # -- generic records ------------------------------------------------------------------------------
    def put_record(
        self, *, kind: str, name: str, properties: dict[str, Any], scope: str = "", replace: bool = False
    ) -> Record:
        """Insert a record; an existing one is refused unless `replace` (then its properties are replaced)."""
        with self._write() as con:
            row = con.execute(
                "SELECT owner, created_at FROM records WHERE kind = ? AND scope = ? AND name = ?", (kind, scope, name)
            ).fetchone()
            if row is not None and not replace:
                where = f" in {scope}" if scope else ""
                raise AlreadyExistsError(f"{kind} {name}{where} already exists; drop it first or pick another name")
            owner, created_at = row if row else (_owner(), datetime.now(UTC).isoformat(timespec="milliseconds"))
            con.execute(
                "INSERT OR REPLACE INTO records VALUES (?,?,?,?,?,?)",
                (kind, scope, name, json.dumps(properties, sort_keys=True), owner, created_at),
            )
        return Record(kind, scope, name, properties, owner, created_at)

    def get_record(self, kind: str, name: str, *, scope: str = "") -> Record | None:
        with self._connect() as con:
            row = con.execute(
                "SELECT * FROM records WHERE kind = ? AND scope = ? AND name = ?", (kind, scope, name)
            ).fetchone()
        return _row_to_record(row) if row else None

    def find_records(self, kind: str, *, scope: str | None = None) -> list[Record]:
        query, args = "SELECT * FROM records WHERE kind = ?", [kind]
        if scope is not None:
            query += " AND scope = ?"
            args.append(scope)
        with self._connect() as con:
            rows = con.execute(query + " ORDER BY scope, name", args).fetchall()
        return [_row_to_record(r) for r in rows]

    def delete_records(self, kind: str | None = None, *, scope: str, names: list[str] | None = None) -> None:
        """Delete the records of `scope` (of one kind, or of every kind), or only those named."""
        query, args = "DELETE FROM records WHERE scope = ?", [scope]
        if kind is not None:
            query += " AND kind = ?"
            args.append(kind)
        with self._write() as con:
            if names is None:
                con.execute(query, args)
            else:
                con.executemany(query + " AND name = ?", [(*args, n) for n in names])

    def replace_records(self, kind: str, *, scope: str, records: dict[str, dict[str, Any]]) -> None:
        """Make `records` (name -> properties) the only records of `kind` in `scope`, in one transaction."""
        created_at = datetime.now(UTC).isoformat(timespec="milliseconds")
        with self._write() as con:
            con.execute("DELETE FROM records WHERE kind = ? AND scope = ?", (kind, scope))
            con.executemany(
                "INSERT INTO records VALUES (?,?,?,?,?,?)",
                [
                    (kind, scope, name, json.dumps(props, sort_keys=True), _owner(), created_at)
                    for name, props in records.items()
                ],
            )

    def get_setting(self, key: str) -> str | None:
        with self._connect() as con:
            row = con.execute("SELECT value FROM settings WHERE key = ?", (key,)).fetchone()
        return str(row[0]) if row else None

    def set_setting(self, key: str, value: str) -> None:
        with self._write() as con:
            con.execute("INSERT OR REPLACE INTO settings VALUES (?, ?)", (key, value))


def _row_to_info(row: tuple[Any, ...]) -> ObjectInfo:
    (full_name, kind, catalog, schema, name, type_, location, comment, owner, created_at, props, fmt) = row
    return ObjectInfo(
        full_name=full_name,
        kind=kind,
        catalog=catalog,
        schema=schema,
        name=name,
        type=type_,
        location=location,
        comment=comment,
        owner=owner,
        created_at=created_at,
        properties=json.loads(props),
        format=fmt,
    )


def _row_to_record(row: tuple[Any, ...]) -> Record:
    kind, scope, name, props, owner, created_at = row
    return Record(kind=kind, scope=scope, name=name, properties=json.loads(props), owner=owner, created_at=created_at)
