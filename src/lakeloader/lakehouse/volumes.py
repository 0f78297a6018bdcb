"""`/Volumes/<catalog>/<schema>/<volume>/<path>` resolution, refusing any path that escapes its volume."""

from __future__ import annotations

import os
from pathlib import PurePosixPath

from lakeloader.errors import ConfigError, NameError_
from lakeloader.lakehouse import storage

VOLUMES_PREFIX = "/Volumes/"


def is_volume_path(path: str | os.PathLike[str]) -> bool:
    return str(path).startswith(VOLUMES_PREFIX) or str(path) == VOLUMES_PREFIX.rstrip("/")


def split_volume_path(path: str) -> tuple[str, str, str, PurePosixPath]:
    """Split `/Volumes/c/s/v/rest` into (c, s, v, rest); `rest` is relative and never climbs out with '..'."""
    parts = PurePosixPath(path).parts  # ('/', 'Volumes', c, s, v, ...)
    if len(parts) < 5 or parts[1] != "Volumes":
        raise NameError_(f"volume path '{path}' is incomplete; write /Volumes/<catalog>/<schema>/<volume>/<path>")
    catalog, schema, volume, *rest = parts[2:]
    depth = 0
    for part in rest:
        depth += -1 if part == ".." else (0 if part == "." else 1)
        if depth < 0:
            raise ConfigError(
                f"volume path '{path}' climbs out of volume {catalog}.{schema}.{volume} with '..'; "
                "use a path inside the volume"
            )
    return catalog, schema, volume, PurePosixPath(*rest) if rest else PurePosixPath(".")


def resolve_inside(
    volume_root: storage.Location, rest: PurePosixPath, *, original: str, volume: str
) -> storage.Location:
    """Join `rest` to the volume folder and check, after resolving symlinks, that it stays inside."""
    base = volume_root.resolve()
    target = (base / rest).resolve()
    if target != base and base not in target.parents:
        raise ConfigError(
            f"volume path '{original}' resolves to {target}, outside volume {volume} (a symlink or '..'); "
            "use a path inside the volume"
        )
    return target
