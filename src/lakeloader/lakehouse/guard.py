"""The guarded SQL session: user SQL reads the lakehouse's tables and volumes, and nothing else of the machine.

DuckDB can read any local file (`read_csv('/etc/...')`, `glob`, `read_text('/proc/self/environ')`), write files
(`COPY ... TO`), attach databases, install extensions and change its own settings. User SQL (`lakeloader sql`,
pipeline SQL) runs with:

- a statement check before anything runs: queries only (SELECT, VALUES, WITH, EXPLAIN of a query);
- `allowed_directories` = the volumes' folders, then `enable_external_access = false`, extension auto-loading
  off, and `lock_configuration = true`, so no statement can lift any of it;
- `/Volumes/...` strings resolved inside their volume (a glob expanded here, each match checked to stay in the
  volume after symlinks), so the paths DuckDB sees are the real ones it is allowed.

Tables are Arrow datasets registered by the caller (pyarrow reads their files, not DuckDB), so they stay
readable. `unsafe=True` in the callers lifts all of this.
"""

from __future__ import annotations

import glob
import os
import re
import threading
from pathlib import Path
from typing import TYPE_CHECKING, Any

from lakeloader.errors import ConfigError, LakeloaderError
from lakeloader.lakehouse import storage, volumes

if TYPE_CHECKING:
    from lakeloader.lakehouse.root import Lakehouse

_STRING = re.compile(r"'(?:[^']|'')*'|--[^\n]*|/\*.*?\*/", re.DOTALL)
_QUERIES = {"SELECT", "EXPLAIN"}
UNSAFE_HINT = "lakeloader sql reads only the lakehouse's tables and /Volumes paths; --unsafe lifts this guard"


def check_statements(con: Any, sql: str) -> None:
    """Refuse anything but queries, before any of it runs."""
    import duckdb

    try:
        statements = con.extract_statements(sql)
    except duckdb.Error as exc:
        raise ConfigError(f"query failed: {str(exc).splitlines()[0]}; fix the SQL") from None
    for statement in statements:
        kind = str(statement.type).rsplit(".", 1)[-1]
        if kind not in _QUERIES:
            shown = " ".join(statement.query.split())[:60]
            raise ConfigError(f"sql: {kind} statements are refused ({shown!r}); {UNSAFE_HINT}")


def volume_literals(sql: str) -> list[tuple[int, int, str]]:
    """(start, end, text) of every string literal that holds a `/Volumes/...` path (comments skipped)."""
    found = []
    for match in _STRING.finditer(sql):
        text = match.group()
        if text.startswith("'") and volumes.is_volume_path(text[1:-1].replace("''", "'")):
            found.append((match.start(), match.end(), text))
    return found


def _quote(path: str) -> str:
    return "'" + path.replace("'", "''") + "'"


def local_literal(lh: Lakehouse, literal: str) -> str:
    """A `/Volumes/...` literal as the SQL of the real path(s) inside its volume; escapes are refused."""
    text = literal[1:-1].replace("''", "'")
    if not any(ch in text for ch in "*?["):
        folder = "/" if text.endswith("/") else ""  # '/Volumes/c/s/v/' || 'f.csv' names a file in the volume
        return _quote(str(lh.resolve_path(text)) + folder)  # refuses '..' and symlinks out of the volume
    catalog, schema, volume, rest = volumes.split_volume_path(text)
    base = lh.resolve_path(f"/Volumes/{catalog}/{schema}/{volume}")
    pattern = str(base / rest)
    inside = []
    for match in sorted(glob.glob(pattern, recursive=True)):
        real = Path(match).resolve()
        if real != base and base not in real.parents:
            raise ConfigError(
                f"sql: {match} (from {text}) leads outside volume {catalog}.{schema}.{volume} through a symlink; "
                "remove the link or name the file"
            )
        inside.append(str(real))
    if not inside:
        return _quote(pattern)  # DuckDB then says that no file matches
    return "[" + ", ".join(_quote(p) for p in inside) + "]"


def _local(location: str | None) -> bool:
    """A location on this machine's disks (an object store's is read through Arrow, never by DuckDB by name: a
    URL taken for a path would allow a local folder named `s3:`)."""
    return bool(location) and not storage.is_url(str(location))


def volume_folders(lh: Lakehouse) -> list[str]:
    """The folders guarded SQL may read files of by name: the volumes' on local disks."""
    return sorted({str(Path(str(v.location)).resolve()) + "/" for v in lh.list_volumes() if _local(v.location)})


def lakehouse_folders(lh: Lakehouse, catalogs: set[str] | None = None) -> list[str]:
    """The volumes' folders and the tables' (the catalogs' folders, external tables' own): what a guarded session
    may read, so that tables are scanned by DuckDB's own Parquet reader. `catalogs` may not exist yet. Only local
    folders: tables and volumes on an object store are read through Arrow."""
    if isinstance(lh.root, storage.ObjectPath):
        folders: set[str] = set()
    else:
        root = Path(lh.root).resolve()
        folders = {str(root / name) + "/" for name in catalogs or ()}
    for catalog in lh.list_catalogs():
        if catalog.location and _local(catalog.location):
            folders.add(str(Path(catalog.location).resolve()) + "/")
        elif not catalog.location and isinstance(lh.root, Path):
            folders.add(str(lh.root.resolve() / catalog.name) + "/")
    folders.update(volume_folders(lh))
    for table in lh.list_tables():
        location = table.info.location
        if _local(location) and not any(str(Path(str(location)).resolve()).startswith(f) for f in folders):
            folders.add(str(Path(str(location)).resolve()) + "/")
    return sorted(folders)


def lock_down(con: Any, lh: Lakehouse, folders: list[str] | None = None) -> None:
    """Only the volumes' folders (or `folders`) are reachable from here on, and the settings can no longer change."""
    listed = ", ".join(_quote(f) for f in (volume_folders(lh) if folders is None else folders))
    con.execute(f"SET allowed_directories = [{listed}]")
    lock_down_settings(con)


_SHARED: dict[tuple[int, tuple[str, ...]], Any] = {}  # (process, readable folders, UTC) -> a database
_SHARED_LOCK = threading.Lock()
_SHARED_MAX = 4  # folder sets kept: the volumes changed, the older databases go when their last cursor does


def shared_cursor(folders: list[str], *, utc: bool = False) -> Any:
    """A session of its own (a cursor: its registered data and TEMP views are its alone) on a DuckDB database
    locked down to `folders`, made once per process and folder set: a new database costs ~8 ms, a cursor nothing.

    The lockdown holds for every cursor, for good (`lock_configuration`): no cursor can widen what another sees.
    """
    import duckdb

    from lakeloader.sql import runtime

    del utc  # always: a session's time zone is in the translated SQL, never the machine's
    key = (os.getpid(), tuple(folders))  # a database is never used across fork
    with _SHARED_LOCK:
        database = _SHARED.get(key)
        if database is None:
            database = duckdb.connect()
            database.execute("SET GLOBAL TimeZone = 'UTC'")
            runtime.prepare(database)  # the macros translated SQL calls: made in its catalog as queries need them
            database.execute(f"SET allowed_directories = [{', '.join(_quote(f) for f in folders)}]")
            lock_down_settings(database)
            if len(_SHARED) >= _SHARED_MAX:
                _SHARED.clear()
            _SHARED[key] = database
        return runtime.share(database, database.cursor())


def lock_down_settings(con: Any) -> None:
    """No extensions, no file access but `allowed_directories` (set before), and no setting can change again."""
    con.execute("SET autoinstall_known_extensions = false")
    con.execute("SET autoload_known_extensions = false")
    con.execute("SET enable_external_access = false")
    con.execute("SET lock_configuration = true")


def refused(exc: Exception) -> LakeloaderError:
    """The one-line error for a file or setting the guard kept out of reach."""
    first = str(exc).splitlines()[0]
    first = first.replace(" - file system operations are disabled by configuration", "")
    return ConfigError(f"sql: {first.removeprefix('Permission Error: ')}; {UNSAFE_HINT}")
