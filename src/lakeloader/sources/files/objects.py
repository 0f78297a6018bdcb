"""Landing folders on an object store: listing by prefix, reading a file through a local copy, cleanSource.

Listing is the cost that grows. An object store has keys, not folders: the watched URL is listed by its prefix,
and a glob in the path is pushed into the listing one level at a time (`LIST ?delimiter=/` per matching common
prefix), so `s3://b/landing/2026-*/*.json` never lists the keys of other years. Without a glob, one flat
listing of the prefix (1,000 keys per request) is the fewest requests there are. Keys under a name starting with
`_` or `.` are skipped, as locally (checkpoints, `_SUCCESS`).

No stability check is needed: an object becomes visible only once its upload is complete (S3, ADLS and GCS all
publish a PUT or a multipart upload atomically), so a listed object is never half-written.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import tempfile
from collections.abc import Container, Iterator
from dataclasses import dataclass
from datetime import datetime
from functools import cached_property
from typing import Any

from lakeloader.lakehouse import storage
from lakeloader.sources.files.discovery import FileEntry, Listing, glob_regex, has_glob


@dataclass(frozen=True)
class ObjectLister:
    """`discovery.Lister`'s interface for a URL: the files under `root` matching the path globs and the filter."""

    root: storage.ObjectPath
    segments: tuple[str, ...] = ()
    name_filter: str | None = None
    recursive: bool = True
    modified_after_ns: int | None = None
    modified_before_ns: int | None = None
    exclude: frozenset[str] = frozenset()  # URL prefixes never listed: the stream's checkpoint, bad records...

    @classmethod
    def create(cls, url: str, **options: Any) -> ObjectLister:
        text = storage.check_url(url, what="files source")
        head, _, rest = text.partition("://")
        bucket, _, key = rest.partition("/")
        parts = key.split("/") if key else []
        literal: list[str] = []
        for part in parts:
            if has_glob(part):
                break
            literal.append(part)
        segments = parts[len(literal) :]
        return cls(root=storage.ObjectPath(f"{head}://{bucket}/" + "/".join(literal)), segments=tuple(segments),
                   **options)  # fmt: skip

    @cached_property
    def real_root(self) -> str:
        return str(self.root)

    def check_root(self) -> None:
        """Nothing to check: an empty prefix is an empty landing folder (Auto Loader waits for files too)."""

    def contains(self, path: str, folders: dict[str, bool] | None = None) -> bool:
        return True  # no symlinks on an object store

    def list_files(self, *, known: Container[str] | None = None) -> list[FileEntry]:
        return self.listing(known=known).files

    def listing(self, *, known: Container[str] | None = None) -> Listing:
        found: dict[str, FileEntry] = {}
        if self.root.key and not self.segments:  # a single object named directly
            meta = _head(self.root)
            if meta is not None:
                return Listing([_entry(self.root.bucket_url, meta)], [])
        self._walk(self.root.key, 0, "", found, known)
        return Listing(list(found.values()), [])

    # -- walking -----------------------------------------------------------------------------------------------
    def _walk(self, prefix: str, depth: int, rel: str, found: dict[str, FileEntry], known: Any) -> None:
        segs = self.segments
        deep = any(s.startswith("**") for s in segs[: depth + 1])
        if deep or (depth >= len(segs) and self.recursive):  # everything below: one flat listing
            deep_re = glob_regex("/".join(segs)) if deep else None
            for meta in self._list(prefix, delimiter=False):
                below = meta["path"][len(prefix) + 1 :] if prefix else meta["path"]
                if any(part[:1] in ("_", ".") for part in below.split("/")):
                    continue
                full = rel + below
                if deep_re is not None and not deep_re.match(full):
                    continue
                self._take(meta, full, found, known)
            return
        seg = segs[depth] if depth < len(segs) else None
        seg_re = glob_regex(seg) if seg is not None else None
        last = seg is None or depth == len(segs) - 1
        listed = self._list_level(prefix)
        for common in listed["common_prefixes"]:
            name = common.rstrip("/").rsplit("/", 1)[-1]
            if name[:1] in ("_", ".") or f"{self.root.bucket_url}/{common.rstrip('/')}" in self.exclude:
                continue
            if seg_re is not None and (last or not seg_re.match(name)):
                continue  # pruned: nothing below can match
            if seg is None and not self.recursive:
                continue
            self._walk(common.rstrip("/"), depth + 1, f"{rel}{name}/", found, known)
        for meta in listed["objects"]:
            name = meta["path"].rsplit("/", 1)[-1]
            if name[:1] in ("_", ".") or (seg_re is not None and (not last or not seg_re.match(name))):
                continue
            self._take(meta, rel + name, found, known)

    def _take(self, meta: dict[str, Any], rel: str, found: dict[str, FileEntry], known: Any) -> None:
        if self.name_filter:
            name_re = glob_regex(self.name_filter)
            if not name_re.match(rel if "/" in self.name_filter else rel.rsplit("/", 1)[-1]):
                return
        url = f"{self.root.bucket_url}/{meta['path']}"
        if any(url.startswith(ex + "/") for ex in self.exclude):
            return
        if known is not None and url in known:
            return
        entry = _entry(self.root.bucket_url, meta)
        after, before = self.modified_after_ns, self.modified_before_ns
        if (after is not None and entry.mtime_ns <= after) or (before is not None and entry.mtime_ns >= before):
            return
        found[url] = entry

    def _list(self, prefix: str, *, delimiter: bool) -> Iterator[dict[str, Any]]:
        folder = storage.ObjectPath(f"{self.root.bucket_url}/{prefix}") if prefix else self.root
        yield from folder.walk_keys()

    def _list_level(self, prefix: str) -> dict[str, Any]:
        import obstore

        try:
            listed: Any = obstore.list_with_delimiter(storage.store(self.root), prefix=f"{prefix}/" if prefix else None)
        except Exception as exc:
            raise storage.failure(self.root, "list", exc) from None
        return dict(listed)


def _head(where: storage.ObjectPath) -> dict[str, Any] | None:
    """The object's metadata, or None when no object has that exact key (a prefix, or nothing)."""
    import obstore

    try:
        return dict(obstore.head(storage.store(where), where.key))
    except FileNotFoundError:
        return None
    except Exception as exc:
        raise storage.failure(where, "read", exc) from None


def _entry(bucket_url: str, meta: dict[str, Any]) -> FileEntry:
    modified = meta["last_modified"]
    mtime_ns = int(modified.timestamp() * 1e9) if isinstance(modified, datetime) else int(modified)
    return FileEntry(f"{bucket_url}/{meta['path']}", int(meta["size"]), mtime_ns)


@contextlib.contextmanager
def local_copy(url: str) -> Iterator[str]:
    """The object at `url` downloaded to a private temporary file (same base name: `.gz` still says gzip), removed
    afterwards: the format readers read local files. FileNotFoundError when it vanished."""
    import obstore

    where = storage.ObjectPath(url)
    folder = tempfile.mkdtemp(prefix="lakeloader-object-")
    try:
        local = os.path.join(folder, where.name or "object")
        try:
            result = obstore.get(storage.store(where), where.key)
            with open(local, "wb") as out:
                for chunk in result:
                    out.write(chunk)
        except FileNotFoundError:
            raise
        except Exception as exc:
            raise storage.failure(where, "read", exc) from None
        yield local
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def ends(url: str, head: int, tail: int) -> tuple[bytes, int, bytes]:
    """(first `head` bytes, size, last `tail` bytes) of an object: one HEAD and two ranged GETs."""
    import obstore

    where = storage.ObjectPath(url)
    try:
        size = int(obstore.head(storage.store(where), where.key)["size"])
        first, last = obstore.get_ranges(
            storage.store(where), where.key, starts=[0, max(0, size - tail)], ends=[min(head, size), size]
        )
    except FileNotFoundError:
        raise
    except Exception as exc:
        raise OSError(str(exc)) from None
    return bytes(first), size, bytes(last)


def clean(url: str, *, destination: str | None) -> str | None:
    """cleanSource on an object store: copy to `destination` (MOVE) then delete; the new URL, or None (DELETE)."""
    import obstore

    source = storage.ObjectPath(url)
    if destination is not None:
        target = storage.ObjectPath(destination)
        if target.bucket_url != source.bucket_url:
            raise ValueError(f"cleanSource MOVE from {source.bucket_url} to {target.bucket_url}: another bucket")
        obstore.copy(storage.store(source), source.key, target.key)
    source.unlink()
    return destination
