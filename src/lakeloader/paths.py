"""The lakehouse root folder and its state folder: the bottom layer `lakehouse/`, `secrets/` and `embedded/` share."""

from __future__ import annotations

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
