"""Paths as users type them: `/Volumes/<catalog>/<schema>/<volume>/...` resolves inside its volume everywhere."""

from __future__ import annotations

import os
from pathlib import Path

from lakeloader.cli.context import state


def local_path(text: str | os.PathLike[str]) -> Path:
    """The local path for a path option: a volume path resolved in the lakehouse, any other path as given.

    The lakehouse is opened only for volume paths, so `samples --out ./x` never creates one.
    """
    from lakeloader.lakehouse.volumes import is_volume_path

    if is_volume_path(os.fspath(text)):
        return state.lakehouse().resolve_path(text)
    return Path(text).expanduser().absolute()


def optional_local_path(text: str | os.PathLike[str] | None) -> Path | None:
    return None if text is None else local_path(text)
