"""cleanSource DELETE / MOVE, never outside the watched folder: each path is walked from the folder one name at a
time without following symlinks (`O_NOFOLLOW`), so a folder swapped for a link after the ingest leads nowhere.
"""

from __future__ import annotations

import contextlib
import errno
import logging
import os
import shutil
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

from lakeloader.lakehouse import storage
from lakeloader.sources.files.ledger import FileLedger
from lakeloader.sources.files.options import FilesOptions

log = logging.getLogger(__name__)


class Outside(Exception):
    """The path does not lead to a file inside the watched folder without a symlink on the way."""


@contextlib.contextmanager
def _parent(root: Path, path: Path) -> Iterator[tuple[int, str]]:
    """(fd of the folder holding `path`, its name), reached from `root` without following any symlink."""
    try:
        parts = path.relative_to(root).parts
    except ValueError:
        raise Outside(f"{path} is not below {root}") from None
    if not parts or any(p in ("..", ".") for p in parts):
        raise Outside(f"{path} is not a file below {root}")
    flags = os.O_RDONLY | os.O_DIRECTORY | getattr(os, "O_CLOEXEC", 0)
    fd = os.open(root, flags)
    try:
        for part in parts[:-1]:
            try:
                nxt = os.open(part, flags | os.O_NOFOLLOW, dir_fd=fd)
            except OSError as exc:
                if exc.errno in (errno.ELOOP, errno.ENOTDIR):
                    raise Outside(f"{path}: {part} is a symlink or not a folder") from None
                raise
            os.close(fd)
            fd = nxt
        yield fd, parts[-1]
    finally:
        os.close(fd)


def unlink_inside(root: Path, path: Path) -> None:
    """Delete file `path` below `root` (a symlink in its place is removed itself, never its target)."""
    with _parent(root, path) as (fd, name):
        os.unlink(name, dir_fd=fd)


def move_inside(root: Path, path: Path, target: Path) -> None:
    """Move file `path` below `root` to `target`, reading it only through folders that are not symlinks."""
    target.parent.mkdir(parents=True, exist_ok=True)
    with _parent(root, path) as (fd, name):
        try:
            os.rename(name, target, src_dir_fd=fd)
            return
        except OSError as exc:
            if exc.errno != errno.EXDEV:
                raise
        src = os.open(name, os.O_RDONLY | os.O_NOFOLLOW | getattr(os, "O_CLOEXEC", 0), dir_fd=fd)
        with os.fdopen(src, "rb") as fh, open(target, "wb") as out:
            shutil.copyfileobj(fh, out, 1 << 20)
        os.unlink(name, dir_fd=fd)


def clean_source(
    ledger: FileLedger, options: FilesOptions, root: storage.Location, destination: storage.Location | None
) -> int:
    """cleanSource DELETE or MOVE: files ingested more than the retention ago leave the landing folder."""
    if options.clean_source == "OFF":
        return 0
    cutoff = datetime.now(UTC) - timedelta(seconds=options.clean_source_retention)
    if isinstance(root, storage.ObjectPath):
        return _clean_objects(ledger, options, root, destination, cutoff)
    assert destination is None or isinstance(destination, Path)
    done = 0
    for path, _batch in ledger.archivable(cutoff):
        src = Path(path)
        try:
            if options.clean_source == "DELETE":
                unlink_inside(root, src)
                ledger.mark_archived(path, "deleted", None)
            else:
                assert destination is not None
                target = destination / (src.relative_to(root) if src.is_relative_to(root) else src.name)
                move_inside(root, src, target)
                ledger.mark_archived(path, "moved", str(target))
            done += 1
        except FileNotFoundError:
            ledger.mark_archived(path, "deleted", None)
        except Outside as exc:
            log.warning("cleanSource: left %s alone: %s (never cleaned outside the watched folder)", path, exc)
        except OSError as exc:
            log.warning("cleanSource: could not %s %s (%s); will retry next run", options.clean_source, path, exc)
    return done


def _clean_objects(
    ledger: FileLedger,
    options: FilesOptions,
    root: storage.ObjectPath,
    destination: storage.Location | None,
    cutoff: datetime,
) -> int:
    """cleanSource on an object store: DELETE deletes the object, MOVE copies it below the destination (same
    bucket: a server-side copy) and deletes it. Only objects below the watched prefix are ever touched."""
    from lakeloader.sources.files.objects import clean

    if destination is not None and not isinstance(destination, storage.ObjectPath):
        raise ValueError("cleanSource MOVE from an object store needs a destination on the same store")
    done = 0
    for path, _batch in ledger.archivable(cutoff):
        source = storage.path(path)
        if not isinstance(source, storage.ObjectPath) or not source.is_relative_to(root) or source == root:
            log.warning("cleanSource: left %s alone: not below %s", path, root)
            continue
        try:
            if options.clean_source == "DELETE":
                clean(path, destination=None)
                ledger.mark_archived(path, "deleted", None)
            else:
                assert destination is not None
                target = destination / str(source.relative_to(root))
                clean(path, destination=str(target))
                ledger.mark_archived(path, "moved", str(target))
            done += 1
        except FileNotFoundError:
            ledger.mark_archived(path, "deleted", None)
        except Exception as exc:
            log.warning("cleanSource: could not %s %s (%s); will retry next run", options.clean_source, path, exc)
    return done
