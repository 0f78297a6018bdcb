"""`dbutils` for notebooks: secrets (redacted when printed), fs over the volumes and a DBFS folder of the
lakehouse, widgets (`--param k=v`), and notebook.exit."""

from __future__ import annotations

import builtins
import os
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from lakeloader.errors import ConfigError, NotFoundError
from lakeloader.lakehouse import storage

if TYPE_CHECKING:
    from lakeloader.lakehouse.root import Lakehouse

DBFS_FOLDER = "dbfs"  # dbfs:/FileStore/x lives at <lakehouse root>/dbfs/FileStore/x


class NotebookExit(Exception):
    def __init__(self, value: str) -> None:
        super().__init__(value)
        self.value = value


@dataclass(frozen=True)
class FileInfo:
    path: str
    name: str
    size: int
    modificationTime: int


@dataclass(frozen=True)
class SecretScope:
    name: str


@dataclass(frozen=True)
class SecretMetadata:
    key: str


class _Secrets:
    def __init__(self, lakehouse: Lakehouse) -> None:
        self._lakehouse = lakehouse

    def _store(self) -> Any:
        from lakeloader.secrets import SecretStore

        return SecretStore(self._lakehouse.root)

    def get(self, scope: str, key: str) -> str:
        """The secret's value (registered with the redactor: printed, it shows as [REDACTED])."""
        return str(self._store().get_secret(scope, key))

    def getBytes(self, scope: str, key: str) -> bytes:
        return self.get(scope, key).encode()

    def list(self, scope: str) -> builtins.list[SecretMetadata]:
        return [SecretMetadata(s.key) for s in self._store().list_secrets(scope)]

    def listScopes(self) -> builtins.list[SecretScope]:
        return [SecretScope(s.name) for s in self._store().list_scopes()]


class _Fs:
    def __init__(self, lakehouse: Lakehouse) -> None:
        self._lakehouse = lakehouse

    def local(self, path: str) -> storage.Location:
        """Where a notebook's path is: /Volumes/... inside its volume (on a local disk or an object store);
        dbfs:/..., /dbfs/... and /FileStore/... in the lakehouse's DBFS folder; nothing else."""
        text = str(path)
        if text.startswith("dbfs:"):
            text = text[len("dbfs:") :] or "/"
        elif text.startswith("/dbfs/"):
            text = text[len("/dbfs") :]
        if text.startswith("/Volumes/"):
            return self._lakehouse.volume_location(text, where=f"dbutils.fs: {path}")
        if text.startswith("file:"):
            raise ConfigError(f"dbutils.fs: {path}: local files outside the lakehouse are not reachable; use /Volumes")
        if not text.startswith("/"):
            raise ConfigError(f"dbutils.fs: {path}: write an absolute path (/Volumes/..., dbfs:/FileStore/...)")
        base = (self._lakehouse.home / DBFS_FOLDER).resolve()  # the root, on a local disk
        local = (base / text.lstrip("/")).resolve()
        if local != base and base not in local.parents:
            raise ConfigError(f"dbutils.fs: {path} leaves DBFS; write a path under dbfs:/")
        return local

    def ls(self, path: str) -> list[FileInfo]:
        local = self.local(path)
        if not local.exists():
            raise NotFoundError(f"dbutils.fs.ls: {path} does not exist")
        prefix = path.rstrip("/")
        if isinstance(local, storage.ObjectPath):
            if not local.is_dir():
                return [FileInfo(path, local.name, len(local.read_bytes()), 0)]
            return [FileInfo(f"{prefix}/{name}{'/' if folder else ''}", name + ("/" if folder else ""), size, mtime)
                    for name, folder, size, mtime in sorted(local.entries())]  # fmt: skip
        entries = sorted(local.iterdir()) if local.is_dir() else [local]
        out = []
        for entry in entries:
            stat = entry.stat()
            name = entry.name + ("/" if entry.is_dir() else "")
            where = f"{prefix}/{name}" if local.is_dir() else path
            out.append(FileInfo(where, name, 0 if entry.is_dir() else stat.st_size, int(stat.st_mtime * 1000)))
        return out

    def mkdirs(self, path: str) -> bool:
        self.local(path).mkdir(parents=True, exist_ok=True)  # on an object store: nothing to make
        return True

    def put(self, file: str, contents: str, overwrite: bool = False) -> bool:
        local = self.local(file)
        if local.exists() and not overwrite:
            raise ConfigError(f"dbutils.fs.put: {file} exists; pass overwrite=True")
        local.parent.mkdir(parents=True, exist_ok=True)
        local.write_text(contents, encoding="utf-8")
        return True

    def head(self, file: str, maxBytes: int = 65536) -> str:
        local = self.local(file)
        if not local.is_file():
            raise NotFoundError(f"dbutils.fs.head: {file} is not a file")
        return local.read_bytes()[:maxBytes].decode("utf-8", errors="replace")

    def rm(self, dir: str, recurse: bool = False) -> bool:
        local = self.local(dir)
        if not local.exists():
            return False
        if local.is_dir():
            if not recurse and any(local.iterdir()):
                raise ConfigError(f"dbutils.fs.rm: {dir} is a folder with files; pass recurse=True")
            if isinstance(local, storage.ObjectPath):
                local.delete_tree()
            else:
                shutil.rmtree(local)
        else:
            local.unlink()
        return True

    def cp(self, from_: str, to: str, recurse: bool = False) -> bool:
        source, target = self.local(from_), self.local(to)
        if source.is_dir():
            if not recurse:
                raise ConfigError(f"dbutils.fs.cp: {from_} is a folder; pass recurse=True")
            _copy_tree(source, target)
        else:
            if not source.exists():
                raise NotFoundError(f"dbutils.fs.cp: {from_} does not exist")
            _copy_file(source, target)
        return True

    def mv(self, from_: str, to: str, recurse: bool = False) -> bool:
        source, target = self.local(from_), self.local(to)
        if source.is_dir() and not recurse:
            raise ConfigError(f"dbutils.fs.mv: {from_} is a folder; pass recurse=True")
        if not source.exists():
            raise NotFoundError(f"dbutils.fs.mv: {from_} does not exist")
        if isinstance(source, Path) and isinstance(target, Path):
            target.parent.mkdir(parents=True, exist_ok=True)
            os.replace(source, target) if not target.is_dir() else shutil.move(os.fspath(source), os.fspath(target))
            return True
        self.cp(from_, to, recurse=recurse)  # across stores, or on one: copied, then deleted
        return self.rm(from_, recurse=True)


def _copy_file(source: storage.Location, target: storage.Location) -> None:
    if (
        isinstance(source, storage.ObjectPath)
        and isinstance(target, storage.ObjectPath)
        and (source.bucket_url == target.bucket_url)
    ):
        source.copy_to(target)
        return
    if isinstance(source, Path) and isinstance(target, Path):
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(source, target)
        return
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_bytes(source.read_bytes())


def _copy_tree(source: storage.Location, target: storage.Location) -> None:
    if isinstance(source, Path) and isinstance(target, Path):
        shutil.copytree(source, target, dirs_exist_ok=True)
        return
    if isinstance(source, storage.ObjectPath):
        for meta in source.walk_keys():
            rel = meta["path"][len(source.key) + 1 :]
            _copy_file(source / rel, target / rel)
        return
    for file in source.rglob("*"):
        if file.is_file():
            _copy_file(file, target / file.relative_to(source).as_posix())


class _Widgets:
    def __init__(self, params: dict[str, str]) -> None:
        self._values = dict(params)
        self._params = dict(params)

    def _define(self, name: str, defaultValue: str) -> None:
        self._values.setdefault(name, self._params.get(name, defaultValue))

    def text(self, name: str, defaultValue: str = "", label: str | None = None) -> None:
        self._define(name, defaultValue)

    def dropdown(self, name: str, defaultValue: str, choices: list[str], label: str | None = None) -> None:
        self._define(name, defaultValue)
        if self._values[name] not in choices:
            raise ConfigError(f"widget {name}: {self._values[name]!r} is not one of {choices}")

    combobox = text

    def multiselect(self, name: str, defaultValue: str, choices: list[str], label: str | None = None) -> None:
        self._define(name, defaultValue)

    def get(self, name: str) -> str:
        if name not in self._values:
            raise ConfigError(f"dbutils.widgets.get('{name}'): no such widget; define it or pass --param {name}=...")
        return self._values[name]

    getArgument = get

    def getAll(self) -> dict[str, str]:
        return dict(self._values)

    def remove(self, name: str) -> None:
        self._values.pop(name, None)

    def removeAll(self) -> None:
        self._values = {}


class _Notebook:
    def exit(self, value: Any = "") -> None:
        raise NotebookExit(str(value))

    def run(self, path: str, timeout_seconds: int = 0, arguments: dict[str, str] | None = None) -> str:
        raise ConfigError(f"dbutils.notebook.run('{path}'): run it with 'lakeloader notebooks run', or use %run")


class DBUtils:
    """Databricks' `dbutils`, over the lakehouse."""

    def __init__(self, lakehouse: Any = None, params: dict[str, str] | None = None) -> None:
        if lakehouse is None or not hasattr(lakehouse, "metastore"):  # DBUtils(spark), as a notebook writes it
            from lakeloader.spark import engine

            lakehouse = engine.current().lakehouse
        self.secrets = _Secrets(lakehouse)
        self.fs = _Fs(lakehouse)
        self.widgets = _Widgets(params or {})
        self.notebook = _Notebook()

    def __getattr__(self, name: str) -> Any:
        raise ConfigError(f"dbutils.{name} is not supported here; supported: secrets, fs, widgets, notebook")


class LazyDBUtils:
    """`dbutils` in pipeline code: made on first use, over the lakehouse the code runs on."""

    def __getattr__(self, name: str) -> Any:
        return getattr(DBUtils(), name)


dbutils: DBUtils | None = None  # `from pyspark.dbutils import DBUtils` / `databricks.sdk.runtime import dbutils`


def __getattr__(name: str) -> Any:
    if name == "spark":
        from lakeloader.spark.spark_session import SparkSession

        return SparkSession()
    if name == "display":
        from lakeloader.notebooks.display import display

        return display
    raise AttributeError(name)
