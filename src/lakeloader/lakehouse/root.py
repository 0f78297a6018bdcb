"""The lakehouse: one root folder holding the metastore, managed tables and volumes, and the object API."""

from __future__ import annotations

import contextlib
import os
import shutil
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from lakeloader.errors import (
    AlreadyExistsError,
    ConfigError,
    LakeloaderError,
    NotFoundError,
    ReadOnlyError,
    TerminalError,
)
from lakeloader.lakehouse import names, storage, volumes
from lakeloader.lakehouse.metastore import Metastore, ObjectInfo, ObjectType
from lakeloader.paths import DEFAULT_ROOT, ROOT_ENV, STATE_DIR, resolve_root, root_url

__all__ = [
    "DEFAULT_ROOT",
    "FOREIGN_CATALOG",
    "ROOT_ENV",
    "STATE_DIR",
    "Lakehouse",
    "Table",
    "require_table_exists",
    "resolve_root",
]
# Unity Catalog's catalog_type of a catalog whose schemas and tables live in another database (a connection's):
# read-only here, its metadata kept by whoever registered it (federation/) as records scoped to the catalog.
FOREIGN_CATALOG = "FOREIGN_CATALOG"


@dataclass(frozen=True)
class Table:
    """A table known to the metastore, with its Delta location."""

    info: ObjectInfo
    registered: bool = True  # False: a new table that `Lakehouse.register_written` registers at its first commit

    @property
    def name(self) -> names.FullName:
        assert self.info.schema is not None
        return names.FullName(self.info.catalog, self.info.schema, self.info.name)

    @property
    def location(self) -> storage.Location:
        """The table's folder: a local `Path`, or an `ObjectPath` on an object store."""
        assert self.info.location is not None
        return storage.path(self.info.location)


class Lakehouse:
    """Catalogs, schemas, tables and volumes under one root, Unity Catalog style."""

    def __init__(self, root: str | os.PathLike[str] | None = None) -> None:
        url = root_url(root)
        # On an object store the data lives at the URL and the state (metastore, secrets, checkpoints) in a
        # private local folder (paths.resolve_root): SQLite and file locks need a local disk.
        self.root: storage.Location = storage.ObjectPath(url) if url is not None else resolve_root(root)
        home = resolve_root(root)
        if home.exists() and not home.is_dir():
            raise ConfigError(f"lakehouse root {home} is a file; point --root at a folder")
        self.home = home  # the local folder of its state: the root itself, for a lakehouse on a local disk
        self.state_dir = home / STATE_DIR
        fresh = not (self.state_dir / "metastore.db").exists()
        self.metastore = Metastore(self.state_dir / "metastore.db")
        if fresh:  # as in a new Unity Catalog workspace: catalog `main`, current, with its schema `default`
            self.create_catalog(names.DEFAULT_CATALOG, comment="the default catalog", if_not_exists=True)
            self.create_schema(f"{names.DEFAULT_CATALOG}.{names.DEFAULT_SCHEMA}", if_not_exists=True)
        else:  # its storage credentials, for this process (lakehouse/credentials.py)
            from lakeloader.lakehouse import credentials

            credentials.apply(self)

    # -- current catalog -------------------------------------------------------------------------------
    @property
    def current_catalog(self) -> str:
        return self.metastore.get_setting("current_catalog") or names.DEFAULT_CATALOG

    def use_catalog(self, name: str) -> None:
        catalog = names.check_name(name, kind="catalog")
        self._require_catalog(catalog)
        self.metastore.set_setting("current_catalog", catalog)

    def parse_table_name(self, text: str, *, kind: str = "table") -> names.FullName:
        return names.parse_object_name(text, kind=kind, current_catalog=self.current_catalog)

    # -- catalogs ---------------------------------------------------------------------------------------
    def create_catalog(self, name: str, *, comment: str | None = None, if_not_exists: bool = False) -> ObjectInfo:
        catalog = names.check_name(name, kind="catalog")
        location = self.root / catalog
        info = self.metastore.create(
            kind="catalog",
            catalog=catalog,
            schema=None,
            name=catalog,
            location=str(location),
            comment=comment,
            if_not_exists=if_not_exists,
        )
        location.mkdir(parents=True, exist_ok=True)
        return info

    def create_foreign_catalog(
        self, name: str, *, connection: str, properties: dict[str, str] | None = None, comment: str | None = None
    ) -> ObjectInfo:
        """Register a catalog whose tables live behind `connection` (no folder: nothing of it is stored here)."""
        catalog = names.check_name(name, kind="catalog")
        return self.metastore.create(
            kind="catalog",
            catalog=catalog,
            schema=None,
            name=catalog,
            type="EXTERNAL",
            comment=comment,
            properties={**(properties or {}), "catalog_type": FOREIGN_CATALOG, "connection_name": connection},
        )

    def foreign_catalog(self, name: str) -> ObjectInfo | None:
        """The catalog `name` when it is a foreign catalog, else None."""
        info = self.metastore.get(name.strip().lower())
        if info is not None and info.kind == "catalog" and info.properties.get("catalog_type") == FOREIGN_CATALOG:
            return info
        return None

    def refuse_if_foreign(self, written: str, *, doing: str, parts: int = 3) -> None:
        """Refuse `doing` on `written` (a name of `parts` parts at most) when its catalog is a foreign catalog."""
        try:
            split = names.split_parts(written)
        except LakeloaderError:
            return
        catalog = split[0] if len(split) >= parts else self.current_catalog
        info = self.foreign_catalog(catalog)
        if info is not None:
            connection = info.properties.get("connection_name")
            raise ReadOnlyError(
                f"{doing}: catalog {info.name} is a foreign catalog (connection {connection}), read-only here; "
                f"change the remote database itself (then 'lakeloader foreign-catalogs refresh {info.name}'), "
                "or write to a catalog of the lakehouse"
            )

    def list_catalogs(self) -> list[ObjectInfo]:
        return self.metastore.find(kind="catalog")

    def drop_catalog(self, name: str, *, cascade: bool = False) -> None:
        catalog = names.check_name(name, kind="catalog")
        info = self._require_catalog(catalog)
        inside = self.metastore.children(catalog=catalog)
        if inside and not cascade:
            raise TerminalError(
                f"catalog {catalog} is not empty ({len(inside)} objects); drop them first or pass --cascade"
            )
        self._drop([*inside, info])

    # -- schemas ----------------------------------------------------------------------------------------
    def create_schema(self, name: str, *, comment: str | None = None, if_not_exists: bool = False) -> ObjectInfo:
        self.refuse_if_foreign(name, doing=f"create schema {name}", parts=2)
        schema = names.parse_schema_name(name, current_catalog=self.current_catalog)
        self._require_catalog(schema.catalog)
        location = self.root / schema.catalog / schema.schema
        info = self.metastore.create(
            kind="schema",
            catalog=schema.catalog,
            schema=schema.schema,
            name=schema.schema,
            location=str(location),
            comment=comment,
            if_not_exists=if_not_exists,
        )
        location.mkdir(parents=True, exist_ok=True)
        return info

    def list_schemas(self, catalog: str | None = None) -> list[ObjectInfo]:
        chosen = names.check_name(catalog, kind="catalog") if catalog else self.current_catalog
        self._require_catalog(chosen)
        return self.metastore.find(kind="schema", catalog=chosen)

    def drop_schema(self, name: str, *, cascade: bool = False) -> None:
        self.refuse_if_foreign(name, doing=f"drop schema {name}", parts=2)
        schema = names.parse_schema_name(name, current_catalog=self.current_catalog)
        info = self._require_schema(schema)
        inside = self.metastore.children(catalog=schema.catalog, schema=schema.schema)
        if inside and not cascade:
            raise TerminalError(
                f"schema {schema} is not empty ({len(inside)} objects); drop them first or pass --cascade"
            )
        self._drop([*inside, info])

    # -- tables -----------------------------------------------------------------------------------------
    def create_table(
        self,
        name: str,
        *,
        location: str | os.PathLike[str] | None = None,
        comment: str | None = None,
        properties: dict[str, str] | None = None,
        if_not_exists: bool = False,
    ) -> Table:
        """Register a Delta table: managed under the schema's folder, or external at `location`.

        The Delta log is created by the first write (lakehouse/delta/); until then the table has no version.
        """
        self.refuse_if_foreign(name, doing=f"create table {name}")
        full = self.parse_table_name(name)
        self._require_schema(full.schema_name)
        kind: ObjectType = "EXTERNAL" if location is not None else "MANAGED"
        path = self._external(location if location else self._managed_table_path(full), kind="table", name=str(full))
        info = self.metastore.create(
            kind="table",
            catalog=full.catalog,
            schema=full.schema,
            name=full.name,
            type=kind,
            location=str(path),
            comment=comment,
            properties=properties,
            format="delta",
            if_not_exists=if_not_exists,
        )
        return Table(info)

    def table_for_write(self, name: str, *, writer: str) -> Table:
        """The table an ingest writes: the registered one, or a new one registered only at its first commit.

        A run that fails before it commits (a path that does not exist, a refused file) leaves no table behind;
        `register_written` registers it once its Delta log exists. A table a pipeline owns is refused: only the
        pipeline's updates write it, as Databricks refuses writes to a pipeline's datasets.
        """
        self.refuse_if_foreign(name, doing=f"{writer} into {name}")
        full = self.parse_table_name(name)
        self._require_schema(full.schema_name)
        info = self.metastore.get(str(full))
        if info is not None and info.kind == "table":
            refuse_if_pipeline_owned(Table(info), writer=writer)
            return Table(info)
        if info is not None:
            raise AlreadyExistsError(f"{info.kind} {full} already exists; {writer} writes tables: pick another name")
        path = self._external(self._managed_table_path(full), kind="table", name=str(full))
        planned = ObjectInfo(
            full_name=str(full),
            kind="table",
            catalog=full.catalog,
            schema=full.schema,
            name=full.name,
            type="MANAGED",
            location=str(path),
            comment=None,
            owner="",
            created_at="",
            format="delta",
        )
        table = Table(planned, registered=False)
        return self.register_written(table)  # a crash after an earlier first commit: its table is registered now

    def register_written(self, table: Table) -> Table:
        """Register a new table once its first commit is in (its Delta log exists); else return it as it is."""
        if table.registered or not (table.location / "_delta_log").is_dir():
            return table
        return self.create_table(str(table.name), if_not_exists=True)

    def table(self, name: str) -> Table:
        self.refuse_if_foreign(name, doing=f"table {name} is a foreign table, not a Delta table of the lakehouse")
        full = self.parse_table_name(name)
        info = self.metastore.require(
            str(full),
            kind="table",
            hint="check the name with 'lakeloader tables list', or ingest into it first",
        )
        return Table(info)

    def list_tables(self, schema: str | None = None) -> list[Table]:
        if schema is None:
            return [Table(i) for i in self.metastore.find(kind="table")]
        parsed = names.parse_schema_name(schema, current_catalog=self.current_catalog)
        self._require_schema(parsed)
        return [Table(i) for i in self.metastore.find(kind="table", catalog=parsed.catalog, schema=parsed.schema)]

    def drop_table(self, name: str) -> None:
        self.refuse_if_foreign(name, doing=f"drop table {name}")
        self._drop([self.table(name).info])

    # -- volumes ----------------------------------------------------------------------------------------
    def create_volume(
        self,
        name: str,
        *,
        location: str | os.PathLike[str] | None = None,
        comment: str | None = None,
        if_not_exists: bool = False,
    ) -> ObjectInfo:
        self.refuse_if_foreign(name, doing=f"create volume {name}")
        full = self.parse_table_name(name, kind="volume")
        self._require_schema(full.schema_name)
        kind: ObjectType = "EXTERNAL" if location is not None else "MANAGED"
        path = self._external(location if location else self._managed_volume_path(full), kind="volume", name=str(full))
        info = self.metastore.create(
            kind="volume",
            catalog=full.catalog,
            schema=full.schema,
            name=full.name,
            type=kind,
            location=str(path),
            comment=comment,
            if_not_exists=if_not_exists,
        )
        path.mkdir(parents=True, exist_ok=True)
        return info

    def list_volumes(self, schema: str | None = None) -> list[ObjectInfo]:
        if schema is None:
            return self.metastore.find(kind="volume")
        parsed = names.parse_schema_name(schema, current_catalog=self.current_catalog)
        self._require_schema(parsed)
        return self.metastore.find(kind="volume", catalog=parsed.catalog, schema=parsed.schema)

    def drop_volume(self, name: str) -> None:
        self.refuse_if_foreign(name, doing=f"drop volume {name}")
        full = self.parse_table_name(name, kind="volume")
        info = self.metastore.require(str(full), kind="volume", hint="check the name with 'lakeloader volumes list'")
        self._drop([info])

    def resolve_path(self, path: str | os.PathLike[str]) -> Path:
        """`resolve_location`, for what reads and writes files on this machine's disks: an object store location is
        refused in one line (never taken for a relative folder)."""
        where = self.resolve_location(path)
        if isinstance(where, storage.ObjectPath):
            raise ConfigError(
                f"{os.fspath(path)}: on an object store ({where}); lakeloader keeps tables there but does not read "
                "or write other files on object stores yet (docs/object_storage.md): use a volume on a local disk"
            )
        return where

    @contextlib.contextmanager
    def working_folder(self, path: str | os.PathLike[str], *, fetch: bool = True) -> Iterator[Path]:
        """A local folder for `path` (a `/Volumes/...` path too) to read and write files in: the folder itself on a
        local disk; on an object store, a private temporary folder holding a copy of what is under it (`fetch`;
        else empty: only new files are written), whose new and changed files are uploaded when the block ends
        without an error (as `dbutils.fs.cp` would put them; each object appears whole)."""
        where = self.resolve_location(path)
        if isinstance(where, Path):
            where.mkdir(parents=True, exist_ok=True)
            yield where
            return
        with tempfile.TemporaryDirectory(prefix="lakeloader-volume-") as tmp:
            local = Path(tmp)
            seen: dict[str, tuple[int, int]] = {}
            for meta in where.walk_keys() if fetch else ():
                rel = meta["path"][len(where.key) + 1 :]
                target = local / rel
                target.parent.mkdir(parents=True, exist_ok=True)
                target.write_bytes((where / rel).read_bytes())
                st = target.stat()
                seen[rel] = (st.st_size, st.st_mtime_ns)
            yield local
            for file in sorted(p for p in local.rglob("*") if p.is_file()):
                rel = file.relative_to(local).as_posix()
                st = file.stat()
                if seen.get(rel) != (st.st_size, st.st_mtime_ns):
                    (where / rel).write_bytes(file.read_bytes())

    def resolve_location(self, path: str | os.PathLike[str]) -> storage.Location:
        """Where `path` is: `/Volumes/...` inside its volume, a URL on its object store, else a local path."""
        text = os.fspath(path)
        if not volumes.is_volume_path(text):
            return storage.path(text)
        catalog, schema, volume, rest = volumes.split_volume_path(text)
        full = names.FullName(
            names.check_name(catalog, kind="catalog"),
            names.check_name(schema, kind="schema"),
            names.check_name(volume, kind="volume"),
        )
        info = self.metastore.require(
            str(full), kind="volume", hint=f"create it with 'lakeloader volumes create {full.sql}'"
        )
        assert info.location is not None
        return volumes.resolve_inside(storage.path(info.location), rest, original=text, volume=str(full))

    def volume_path(self, path: str | os.PathLike[str], *, where: str) -> Path:
        """`volume_location` on this machine's disks (a volume on an object store refused in one line)."""
        resolved = self.volume_location(path, where=where)
        if isinstance(resolved, storage.ObjectPath):
            self.resolve_path(resolved)  # the one-line refusal
        assert isinstance(resolved, Path)
        return resolved

    def volume_location(self, path: str | os.PathLike[str], *, where: str) -> storage.Location:
        """`resolve_location`, for what pipeline code reads or writes by path: only inside a volume (a
        `/Volumes/...` path, a local path in a volume's folder after symlinks, a URL below a volume's), as
        `lakeloader sql` reads files. Elsewhere, refused in one line: `read_files('/etc/passwd')` or the
        lakehouse's own key file would land in a table."""
        resolved = self.resolve_location(path)
        real = resolved.resolve()
        for volume in self.list_volumes():
            if not volume.location:
                continue
            folder = storage.path(volume.location).resolve()
            if real == folder or folder in real.parents:
                return resolved
        raise ConfigError(
            f"{where}: {os.fspath(path)} is outside every volume of the lakehouse; pipeline code reads and writes "
            "files in volumes only: put them in one (lakeloader volumes create ...) and name /Volumes/<catalog>/"
            "<schema>/<volume>/..."
        )

    def pipeline_storage(self, location: str | os.PathLike[str], *, pipeline: str) -> storage.Location:
        """A pipeline's `storage:` folder (its checkpoints, state, event log): anywhere, inside a volume too, but
        not in the lakehouse's state folder, in or over a table, or over a volume (its updates would write into
        them). Compared after symlinks are resolved. On an object store too (pipelines/ works on it in a mirror)."""
        path = self.resolve_location(location)
        real = path.resolve()
        state = self.state_dir.resolve()
        if real == state or state in real.parents or real in state.parents:
            raise ConfigError(
                f"pipeline {pipeline}: storage {os.fspath(location)} overlaps the lakehouse's own state folder "
                f"{self.state_dir}; choose a folder outside it (or leave storage out: lakeloader keeps it there)"
            )
        for other in [*self.metastore.find(kind="table"), *self.metastore.find(kind="volume")]:
            if not other.location:
                continue
            folder = storage.path(other.location).resolve()
            inside_volume = other.kind == "volume" and folder in real.parents
            if not inside_volume and (real == folder or folder in real.parents or real in folder.parents):
                raise ConfigError(
                    f"pipeline {pipeline}: storage {os.fspath(location)} overlaps {other.kind} {other.full_name} at "
                    f"{other.location}; give the pipeline a folder of its own (a folder inside a volume is fine)"
                )
        return path

    # -- internals --------------------------------------------------------------------------------------
    def _external(self, location: str | os.PathLike[str], *, kind: str, name: str) -> storage.Location:
        """A table's or volume's folder, refused when it overlaps the lakehouse's own state, a table or a volume.

        A volume over `.lakeloader` let `cleanSource=DELETE` delete the secret store; a volume over a table lets a
        stream read, or delete, the table's own files. Compared after symlinks are resolved.
        """
        text = os.fspath(location)
        if volumes.is_volume_path(text):
            raise ConfigError(f"{kind} {name}: location {text} is a volume path; give a folder of its own")
        path = storage.path(text, what=f"{kind} {name}")
        real = path.resolve()

        def overlaps(other: storage.Location) -> bool:
            return real == other or other in real.parents or real in other.parents

        state = self.state_dir.resolve()
        if overlaps(state):
            raise ConfigError(
                f"{kind} {name}: location {path} overlaps the lakehouse's own state folder {self.state_dir} "
                "(metastore, secrets, checkpoints); choose a folder outside it"
            )
        for other in [*self.metastore.find(kind="table"), *self.metastore.find(kind="volume")]:
            if other.full_name != name and other.location and overlaps(storage.path(other.location).resolve()):
                raise ConfigError(
                    f"{kind} {name}: location {path} overlaps {other.kind} {other.full_name} at {other.location}; "
                    "give each table and volume a folder of its own"
                )
        return path

    def _managed_table_path(self, full: names.FullName) -> storage.Location:
        return self.root / full.catalog / full.schema / "tables" / full.name

    def _managed_volume_path(self, full: names.FullName) -> storage.Location:
        return self.root / full.catalog / full.schema / "volumes" / full.name

    def _require_catalog(self, catalog: str) -> ObjectInfo:
        return self.metastore.require(
            catalog,
            kind="catalog",
            hint=f"create it with 'lakeloader catalogs create {names.quote(catalog)}'",
        )

    def _require_schema(self, schema: names.SchemaName) -> ObjectInfo:
        self._require_catalog(schema.catalog)
        sql = f"{names.quote(schema.catalog)}.{names.quote(schema.schema)}"
        return self.metastore.require(
            str(schema), kind="schema", hint=f"create it with 'lakeloader schemas create {sql}'"
        )

    def _drop(self, objects: list[ObjectInfo]) -> None:
        """Forget the objects (and the records scoped to a dropped catalog), then delete the data of the managed
        ones (external data is left alone)."""
        self.metastore.delete([o.full_name for o in objects])
        for obj in objects:
            if obj.kind == "catalog":
                self.metastore.delete_records(scope=obj.full_name)
        for obj in objects:
            if obj.type != "MANAGED" or not obj.location:
                continue
            where = storage.path(obj.location)
            if isinstance(where, storage.ObjectPath) and where.is_relative_to(self.root):
                where.delete_tree()
            elif isinstance(where, Path) and isinstance(self.root, Path) and where.is_relative_to(self.root):
                shutil.rmtree(where, ignore_errors=True)


def refuse_if_pipeline_owned(table: Table, *, writer: str) -> None:
    """Refuse `writer` on a pipeline's dataset (or its quarantine): only the pipeline's updates write those."""
    props = table.info.properties
    pipeline = props.get("pipelines.pipeline")
    if pipeline is None and "pipelines.quarantine_of" not in props:
        return
    what = (
        f"a {props.get('pipelines.type', 'dataset').replace('_', ' ')} of pipeline {pipeline}"
        if pipeline
        else (f"the quarantine of pipeline dataset {props['pipelines.quarantine_of']}")
    )
    raise ReadOnlyError(
        f"{writer} into {table.name}: the table is {what}, and only that pipeline's updates write it (as in "
        "Databricks); change the pipeline's definition and run it, or write to another table"
    )


def require_table_exists(table: Table) -> None:
    """Raise if the table has no Delta log yet."""
    if not (table.location / "_delta_log").is_dir():
        raise NotFoundError(f"table {table.name} has no data yet at {table.location}; ingest into it first")
