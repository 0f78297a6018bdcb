"""Landing folders on an object store: listing by prefix, reading a file through a local copy, cleanSource.

Listing is the cost that grows. An object store has keys, not folders: the watched URL is listed by its prefix,
and a glob in the path is pushed into the listing one level at a time (`LIST ?delimiter=/` per matching common
prefix), so `s3://b/landing/2026-*/*.json` never lists the keys of other years. Below the last glob (or with
none), one LIST with a delimiter, then each folder's keys flat (1,000 per request), 16 folders at a time: a LIST
is a round trip, and 100,000 keys listed one request after the other took 3.4 s on a local server. Keys under a
name starting with `_` or `.` are skipped, as locally (checkpoints, `_SUCCESS`).

No stability check is needed: an object becomes visible only once its upload is complete (S3, ADLS and GCS all
publish a PUT or a multipart upload atomically), so a listed object is never half-written.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import tempfile
from collections.abc import Container, Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import cached_property
from typing import Any

from lakeloader.lakehouse import storage
from lakeloader.sources.files.discovery import FileEntry, Listing, glob_regex, has_glob

LIST_THREADS = 16  # folders listed at once: a LIST is a round trip, 1,000 keys at most


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

    def listing(self, *, known: Container[str] | None = None, start_after: str | None = None) -> Listing:
        """The matching objects; with `start_after` (a URL under the root: useIncrementalListing=true), only the
        keys that sort after it, in one listing from there: keys that sort before it are not seen."""
        found: dict[str, FileEntry] = {}
        if start_after is not None and not self.segments and start_after.startswith(str(self.root) + "/"):
            after = start_after[len(self.root.bucket_url) + 1 :]
            self._incremental(after, found, known)
            return Listing(list(found.values()), [])
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
        if deep or (depth >= len(segs) and self.recursive):  # everything below: flat listings, in parallel
            deep_re = glob_regex("/".join(segs)) if deep else None

            def take(rows: Iterable[tuple[str, int, int]]) -> None:
                for path, size, mtime_ns in rows:
                    below = path[len(prefix) + 1 :] if prefix else path
                    if below[:1] in ("_", ".") or "/_" in below or "/." in below:
                        continue
                    full = rel + below
                    if deep_re is None or deep_re.match(full):
                        self._take(path, size, mtime_ns, full, found, known)

            level = self._list_level(prefix)  # one LIST with a delimiter, then each folder's keys at once
            take(_rows(level["objects"]))
            folders = [c.rstrip("/") for c in level["common_prefixes"] if c.rstrip("/").rsplit("/", 1)[-1][:1]
                       not in ("_", ".") and f"{self.root.bucket_url}/{c.rstrip('/')}" not in self.exclude]  # fmt: skip
            with ThreadPoolExecutor(max_workers=min(LIST_THREADS, max(1, len(folders)))) as pool:
                for rows in pool.map(self._list_flat, folders):
                    take(rows)
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
        for path, size, mtime_ns in _rows(listed["objects"]):
            name = path.rsplit("/", 1)[-1]
            if name[:1] in ("_", ".") or (seg_re is not None and (not last or not seg_re.match(name))):
                continue
            self._take(path, size, mtime_ns, rel + name, found, known)

    def _take(self, path: str, size: int, mtime_ns: int, rel: str, found: dict[str, FileEntry], known: Any) -> None:
        url = f"{self.root.bucket_url}/{path}"
        if known is not None and url in known:  # first: a no-op rerun does only this per key
            return
        if self.name_filter:
            name_re = glob_regex(self.name_filter)
            if not name_re.match(rel if "/" in self.name_filter else rel.rsplit("/", 1)[-1]):
                return
        if any(url.startswith(ex + "/") for ex in self.exclude):
            return
        after, before = self.modified_after_ns, self.modified_before_ns
        if (after is not None and mtime_ns <= after) or (before is not None and mtime_ns >= before):
            return
        found[url] = FileEntry(url, size, mtime_ns)

    def _incremental(self, after: str, found: dict[str, FileEntry], known: Any) -> None:
        import obstore
        import pyarrow as pa

        prefix = self.root.key
        try:
            pages = obstore.list(storage.store(self.root), prefix=f"{prefix}/" if prefix else None, offset=after,
                                 chunk_size=1000, return_arrow=True)  # fmt: skip
            for page in pages:
                batch = pa.record_batch(page)
                mtimes = batch.column("last_modified").cast(pa.timestamp("ns", "UTC")).cast(pa.int64())
                rows = zip(batch.column("path").to_pylist(), batch.column("size").to_pylist(), mtimes.to_pylist(),
                           strict=True)  # fmt: skip
                for path, size, mtime_ns in rows:
                    below = path[len(prefix) + 1 :] if prefix else path
                    if below[:1] in ("_", ".") or "/_" in below or "/." in below:
                        continue
                    if self.recursive or "/" not in below:
                        self._take(path, size, mtime_ns, below, found, known)
        except Exception as exc:
            raise storage.failure(self.root, "list", exc) from None

    def _list_flat(self, prefix: str) -> list[tuple[str, int, int]]:
        """Every key under `prefix/` as (key, size, mtime in ns), read from Arrow pages (no object per key)."""
        import obstore
        import pyarrow as pa

        out: list[tuple[str, int, int]] = []
        try:
            pages = obstore.list(storage.store(self.root), prefix=f"{prefix}/" if prefix else None, chunk_size=1000,
                                 return_arrow=True)  # fmt: skip
            for page in pages:
                batch = pa.record_batch(page)
                mtimes = batch.column("last_modified").cast(pa.timestamp("ns", "UTC")).cast(pa.int64())
                out += zip(batch.column("path").to_pylist(), batch.column("size").to_pylist(), mtimes.to_pylist(),
                           strict=True)  # fmt: skip
        except Exception as exc:
            raise storage.failure(self.root, "list", exc) from None
        return out

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


def _rows(objects: Iterable[Any]) -> list[tuple[str, int, int]]:
    """(key, size, mtime in ns) of listed objects' metadata."""
    return [(str(m["path"]), int(m["size"]), _mtime_ns(m["last_modified"])) for m in objects]


def _mtime_ns(modified: Any) -> int:
    """Exact nanoseconds (as the Arrow listing gives them): no float on the way."""
    if isinstance(modified, datetime):
        return (modified - _EPOCH) // timedelta(microseconds=1) * 1000
    return int(modified)


_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def _entry(bucket_url: str, meta: dict[str, Any]) -> FileEntry:
    return FileEntry(f"{bucket_url}/{meta['path']}", int(meta["size"]), _mtime_ns(meta["last_modified"]))


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
