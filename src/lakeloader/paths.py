"""The lakehouse root folder and its state folder: the bottom layer `lakehouse/`, `secrets/` and `embedded/` share."""

from __future__ import annotations

import contextlib
import os
from pathlib import Path

ROOT_ENV = "LAKELOADER_ROOT"
DEFAULT_ROOT = "./lakehouse"
STATE_DIR = ".lakeloader"  # metastore, secrets, embedded Postgres state: never inside a table or volume


def resolve_root(root: str | os.PathLike[str] | None = None) -> Path:
    """The lakehouse root: the argument, else $LAKELOADER_ROOT, else ./lakehouse."""
    chosen = root if root is not None else os.environ.get(ROOT_ENV, DEFAULT_ROOT)
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
