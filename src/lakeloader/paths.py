"""The lakehouse root folder and its state folder: the bottom layer `lakehouse/`, `secrets/` and `embedded/` share."""

from __future__ import annotations

import contextlib
import os
import re
from pathlib import Path
from urllib.parse import urlsplit

from lakeloader.errors import ConfigError

ROOT_ENV = "LAKELOADER_ROOT"
DEFAULT_ROOT = "./lakehouse"
STATE_DIR = ".lakeloader"  # metastore, secrets, embedded Postgres state: never inside a table or volume
# Where a lakehouse on an object store keeps its local state (metastore, secret store, locks, checkpoints)
STATE_HOME_ENV = "LAKELOADER_STATE_HOME"
DEFAULT_STATE_HOME = "~/.lakeloader/lakehouses"
# URL schemes lakeloader serves -> the store they name (delta-rs and obstore take them as they are, but s3a)
SERVED_SCHEMES = {"s3": "s3", "s3a": "s3", "abfss": "azure", "abfs": "azure", "az": "azure", "gs": "gcs"}
_URL = re.compile(r"^([A-Za-z][A-Za-z0-9+.-]*)://")


def scheme_of(text: str) -> str | None:
    """The URL scheme of `text` (lower case), or None for a path."""
    match = _URL.match(text)
    return match.group(1).lower() if match else None


def check_url(text: str, *, what: str) -> str:
    """`text` as the URL lakeloader uses (`s3a://` read as `s3://`, no trailing slash), or a one-line refusal of a
    URL it cannot serve (never taken for a relative folder: `s3://lake/x` must not become `./s3:/lake/x`)."""
    scheme = scheme_of(text)
    if scheme is None or scheme == "file":
        return text
    if scheme not in SERVED_SCHEMES:
        raise ConfigError(
            f"{what}: {text} is a {scheme}:// URL, which lakeloader cannot serve; give a local folder or an "
            "object store URL (s3://bucket/prefix, abfss://container@account.dfs.core.windows.net/prefix, "
            "gs://bucket/prefix)"
        )
    if not urlsplit(text).netloc:
        raise ConfigError(f"{what}: {text} names no bucket; write {scheme}://<bucket>/<prefix>")
    if scheme == "s3a":
        text = "s3" + text[3:]
    return text.rstrip("/")


def root_url(root: str | os.PathLike[str] | None = None) -> str | None:
    """The lakehouse root as an object store URL (the argument, else $LAKELOADER_ROOT), or None for a folder."""
    chosen = os.fspath(root) if root is not None else os.environ.get(ROOT_ENV, DEFAULT_ROOT)
    scheme = scheme_of(chosen)
    if scheme is None or scheme == "file":
        return None
    return check_url(chosen, what="lakehouse root")


def mirror_folder(url: str) -> Path:
    """The private local folder where a checkpoint at object store `url` is worked on (execution/mirror.py)."""
    parts = urlsplit(check_url(url, what="checkpoint"))
    home = Path(os.environ.get(STATE_HOME_ENV) or DEFAULT_STATE_HOME).expanduser().absolute()
    return home / "mirrors" / parts.scheme / parts.netloc / parts.path.strip("/")


def resolve_root(root: str | os.PathLike[str] | None = None) -> Path:
    """The lakehouse's local folder: the argument, else $LAKELOADER_ROOT, else ./lakehouse.

    For a lakehouse on an object store, the private local folder that holds its state (its data is on the store):
    `$LAKELOADER_STATE_HOME/<scheme>/<bucket>/<prefix>`, by default under ~/.lakeloader/lakehouses.
    """
    url = root_url(root)
    if url is not None:
        parts = urlsplit(url)
        home = Path(os.environ.get(STATE_HOME_ENV) or DEFAULT_STATE_HOME).expanduser().absolute()
        return home / parts.scheme / parts.netloc / parts.path.strip("/")
    chosen = os.fspath(root) if root is not None else os.environ.get(ROOT_ENV, DEFAULT_ROOT)
    if scheme_of(chosen) == "file":
        from urllib.request import url2pathname

        chosen = url2pathname(urlsplit(chosen).path)
    return Path(chosen).expanduser().absolute()


def state_dir(root: str | os.PathLike[str] | None = None) -> Path:
    """`<root>/.lakeloader`: the lakehouse's own state (metastore, secret store, embedded server state)."""
    return resolve_root(root) / STATE_DIR


def make_private_dir(path: Path) -> Path:
    """Create `path` (and missing parents) for its owner only: 0700. An existing folder's mode is left alone."""
    missing = [p for p in (path, *path.parents) if not p.exists()]
    path.mkdir(mode=0o700, parents=True, exist_ok=True)
    for folder in missing:  # parents made here are private too (mkdir applies its mode to the leaf only)
        os.chmod(folder, 0o700)
    return path


def make_state_dir(root: str | os.PathLike[str] | None = None) -> Path:
    """`<root>/.lakeloader`, created 0700 (with the root itself 0700 when it is new)."""
    return make_private_dir(state_dir(root))


def create_private_file(path: Path) -> None:
    """Create an empty file 0600 if it does not exist yet (SQLite then keeps that mode, also for -wal and -shm)."""
    with contextlib.suppress(FileExistsError):
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
