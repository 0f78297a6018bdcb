"""File discovery: one recursive directory walk with the globs pushed into it, and the stability check.

Globs in the path (`/landing/*/2024/*.json`) prune directories while walking; `pathGlobFilter` is matched on the
file name (or on the path below the root when it holds a `/`). Names starting with `_` or `.` are skipped, as
Spark does (checkpoints, `_SUCCESS`, temp files of writers).

Symlinks never lead outside the watched folder: a linked folder is not followed (inside the folder its files
are listed anyway, outside it is refused; so no link makes a cycle), and a linked file is taken only when its
real path is inside the folder, under that path, so each real file is listed once.
"""

from __future__ import annotations

import os
import re
import time
from collections.abc import Container
from dataclasses import dataclass
from datetime import datetime
from functools import cached_property, lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeAlias

from lakeloader.errors import ConfigError, NotFoundError

if TYPE_CHECKING:
    from lakeloader.sources.files.objects import ObjectLister

_GLOB_CHARS = set("*?[{")


@dataclass(frozen=True)
class FileEntry:
    """One listed file: absolute path, size in bytes, modification time in nanoseconds since the epoch."""

    path: str
    size: int
    mtime_ns: int


@lru_cache(maxsize=64)
def glob_regex(pattern: str, *, what: str = "glob") -> re.Pattern[str]:
    """Hadoop-style glob → regex: `*`, `**`, `?`, `[abc]`, `[!a]`, `{a,b}`; a malformed one is a ConfigError."""
    out: list[str] = []
    i, depth = 0, 0
    while i < len(pattern):
        c = pattern[i]
        if c == "*":
            if pattern[i : i + 3] == "**/":
                out.append("(?:.*/)?")
                i += 3
                continue
            if pattern[i : i + 2] == "**":
                out.append(".*")
                i += 2
                continue
            out.append("[^/]*")
        elif c == "?":
            out.append("[^/]")
        elif c == "[":
            end = pattern.find("]", i + 1)
            if end == -1:
                out.append(re.escape(c))
            else:
                body = pattern[i + 1 : end]
                body = "^" + body[1:] if body.startswith(("!", "^")) else body
                out.append(f"[{body}]")
                i = end
        elif c == "{":
            depth += 1
            out.append("(?:")
        elif c == "}" and depth:
            depth -= 1
            out.append(")")
        elif c == "," and depth:
            out.append("|")
        elif c == "\\" and i + 1 < len(pattern):
            i += 1
            out.append(re.escape(pattern[i]))
        else:
            out.append(re.escape(c))
        i += 1
    try:
        return re.compile("".join(out) + r"\Z")
    except re.error as exc:
        raise ConfigError(
            f"{what} {pattern!r} is not a valid glob ({exc.msg}); write it like '*.json', '[a-c]*' or '{{a,b}}/*'"
        ) from None


def has_glob(text: str) -> bool:
    return any(ch in _GLOB_CHARS for ch in text)


def split_glob_path(path: str) -> tuple[Path, list[str]]:
    """`/a/b/*/c/*.json` → (`/a/b`, ['*', 'c', '*.json']): the literal base and the pattern segments."""
    parts = Path(path).parts
    for i, part in enumerate(parts):
        if has_glob(part):
            return Path(*parts[:i]), list(parts[i:])
    return Path(path), []


def make_lister(path: str | os.PathLike[str], **options: Any) -> AnyLister:
    """The lister of `path`: a local folder's (`Lister`), or an object store prefix's (`objects.ObjectLister`)."""
    text = os.fspath(path)
    if "://" in text and not text.startswith("file:"):
        from lakeloader.sources.files.objects import ObjectLister

        return ObjectLister.create(text, **_object_options(**options))
    return Lister.create(path, **options)


def _object_options(
    *,
    path_glob_filter: str | None = None,
    recursive: bool = True,
    modified_after: datetime | None = None,
    modified_before: datetime | None = None,
    exclude: tuple[str | os.PathLike[str], ...] = (),
) -> dict[str, Any]:
    if path_glob_filter:
        glob_regex(path_glob_filter, what="option pathGlobFilter")
    return {
        "name_filter": path_glob_filter,
        "recursive": recursive,
        "modified_after_ns": int(modified_after.timestamp() * 1e9) if modified_after else None,
        "modified_before_ns": int(modified_before.timestamp() * 1e9) if modified_before else None,
        "exclude": frozenset(os.fspath(p) for p in exclude if "://" in os.fspath(p)),
    }


@dataclass(frozen=True)
class Listing:
    """One walk's result: the files, and the symlinks refused because their real path is outside the folder."""

    files: list[FileEntry]
    refused: list[str]


def inside(path: str, folder: str) -> bool:
    """True if `path` is `folder` or below it (both real, absolute paths)."""
    return path == folder or path.startswith(folder.rstrip(os.sep) + os.sep)


@dataclass(frozen=True)
class Lister:
    """Lists the files under `root` that match the path segments and the name filter, in one walk."""

    root: Path
    segments: tuple[str, ...] = ()
    name_filter: str | None = None
    recursive: bool = True
    modified_after_ns: int | None = None
    modified_before_ns: int | None = None
    exclude: frozenset[str] = frozenset()  # folders never listed: the stream's own checkpoint, bad records...

    @classmethod
    def create(
        cls,
        path: str | os.PathLike[str],
        *,
        path_glob_filter: str | None = None,
        recursive: bool = True,
        modified_after: datetime | None = None,
        modified_before: datetime | None = None,
        exclude: tuple[str | os.PathLike[str], ...] = (),
    ) -> Lister:
        root, segments = split_glob_path(os.fspath(path))
        for seg in segments:  # a malformed glob is the user's mistake: say so now, not mid-walk
            if not seg.startswith("**"):
                glob_regex(seg, what=f"path glob in {os.fspath(path)!r}:")
        if path_glob_filter:
            glob_regex(path_glob_filter, what="option pathGlobFilter")
        return cls(
            root=root,
            segments=tuple(segments),
            name_filter=path_glob_filter,
            recursive=recursive,
            modified_after_ns=int(modified_after.timestamp() * 1e9) if modified_after else None,
            modified_before_ns=int(modified_before.timestamp() * 1e9) if modified_before else None,
            exclude=frozenset(os.path.abspath(p) for p in exclude),
        )

    @cached_property
    def real_root(self) -> str:
        """The watched folder after resolving symlinks: no file outside it is ever listed, read or cleaned."""
        return os.path.realpath(self.root)

    def check_root(self) -> None:
        if not self.root.is_dir() and not (self.root.is_file() and not self.segments):
            raise NotFoundError(f"files source: folder {self.root} does not exist; create it or check --path")

    def contains(self, path: str, folders: dict[str, bool] | None = None) -> bool:
        """True if `path` (a listed file) still resolves to a file inside the watched folder.

        `folders` remembers each parent folder's answer (one `lstat` per file, one `realpath` per folder).
        """
        if self.root.is_file():
            return True
        if os.path.islink(path):
            return inside(os.path.realpath(path), self.real_root)
        parent = os.path.dirname(path)
        ok = None if folders is None else folders.get(parent)
        if ok is None:
            ok = inside(os.path.realpath(parent), self.real_root)
            if folders is not None:
                folders[parent] = ok
        return ok

    def list_files(self, *, known: Container[str] | None = None) -> list[FileEntry]:
        """Every matching file (unordered): one `scandir` per folder and one `stat` per file, nothing more.

        Files in `known` (the ledger's paths) are not even stat'ed: a no-op run costs the directory reads.
        """
        return self.listing(known=known).files

    def listing(self, *, known: Container[str] | None = None, start_after: str | None = None) -> Listing:
        """`list_files`, with the symlinks refused for leading outside the folder (`start_after` is for object
        stores' incremental listing: a folder is always walked whole)."""
        self.check_root()
        if self.root.is_file():  # a single file named directly
            st = self.root.stat()
            return Listing([FileEntry(str(self.root), st.st_size, st.st_mtime_ns)], [])
        found: dict[str, FileEntry] = {}
        refused: list[str] = []
        real_root = self.real_root
        stack: list[tuple[str, int, str]] = [(str(self.root), 0, "")]
        while stack:
            folder, depth, rel = stack.pop()
            self._scan(folder, depth, rel, stack, found, refused, known, real_root)
        return Listing(list(found.values()), sorted(refused))

    def _scan(
        self,
        folder: str,
        depth: int,
        rel: str,
        stack: list[tuple[str, int, str]],
        found: dict[str, FileEntry],
        refused: list[str],
        known: Container[str] | None,
        real_root: str,
    ) -> None:
        segs = self.segments
        deep = any(s.startswith("**") for s in segs[: depth + 1])
        seg = segs[depth] if depth < len(segs) and not deep else None
        seg_re = glob_regex(seg) if seg is not None and not seg.startswith("**") else None
        last = depth == len(segs) - 1
        deep_re = glob_regex("/".join(segs)) if deep else None
        name_re = glob_regex(self.name_filter) if self.name_filter else None
        name_on_rel = bool(self.name_filter and "/" in self.name_filter)
        after, before = self.modified_after_ns, self.modified_before_ns
        descend = self.recursive or deep or seg is not None
        try:
            it = os.scandir(folder)
        except (FileNotFoundError, NotADirectoryError, PermissionError):
            return
        with it:
            for entry in it:
                name = entry.name
                if name[0] in "_.":
                    continue
                try:
                    link = entry.is_symlink()
                    is_dir = entry.is_dir(follow_symlinks=False)
                except OSError:
                    continue
                if is_dir:
                    if seg_re is not None and (last or not seg_re.match(name)):
                        continue  # pruned: this folder cannot hold a match
                    if descend and entry.path not in self.exclude:
                        stack.append((entry.path, depth + 1, f"{rel}{name}/"))
                    continue
                if seg is not None and (seg_re is None or not last or not seg_re.match(name)):
                    continue
                if deep_re is not None and not deep_re.match(f"{rel}{name}"):
                    continue
                if name_re is not None and not name_re.match(f"{rel}{name}" if name_on_rel else name):
                    continue
                path = entry.path
                if link:
                    target = self._link_target(path, real_root)
                    if target is None:
                        refused.append(path)
                        continue
                    if not target:
                        continue  # broken, a folder, or in an excluded folder: nothing to take
                    path = target
                if path in found or (known is not None and path in known):
                    continue
                try:
                    st = os.stat(path) if link else entry.stat()
                except OSError:
                    continue  # vanished between listing and stat: the next run will not see it either
                mtime = st.st_mtime_ns
                if (after is not None and mtime <= after) or (before is not None and mtime >= before):
                    continue
                found[path] = FileEntry(path, st.st_size, mtime)

    def _link_target(self, path: str, real_root: str) -> str | None:
        """The path (under `root`) of the file a symlink leads to; None if it leads outside; "" to skip it."""
        real = os.path.realpath(path)
        if not inside(real, real_root):
            try:
                os.stat(real)
            except OSError:
                return ""  # a broken link leads nowhere
            return None
        if not os.path.isfile(real):
            return ""  # a folder (not followed: inside the root it is walked anyway) or a broken link
        target = os.path.join(str(self.root), os.path.relpath(real, real_root))
        if any(inside(target, ex) for ex in self.exclude):
            return ""
        return target


def restat(entries: list[FileEntry]) -> list[FileEntry | None]:
    """A second look at `entries` (None for a file that vanished); an object is as listed (see objects.py)."""
    out: list[FileEntry | None] = []
    for e in entries:
        if "://" in e.path:
            out.append(e)
            continue
        try:
            st = os.stat(e.path)
        except OSError:
            out.append(None)
            continue
        out.append(FileEntry(e.path, st.st_size, st.st_mtime_ns))
    return out


def split_stable(
    entries: list[FileEntry], *, zero_byte_grace: float, now: float | None = None
) -> tuple[list[FileEntry], list[FileEntry], list[FileEntry]]:
    """(stable, still being written, zero-byte past its grace) after a second look at each candidate.

    A file whose size or mtime changed between the listing and this look, or that is empty and younger than
    `zero_byte_grace` seconds, is still being written: it waits for the next run.
    """
    now = time.time() if now is None else now
    stable: list[FileEntry] = []
    waiting: list[FileEntry] = []
    empty: list[FileEntry] = []
    for before, after in zip(entries, restat(entries), strict=True):
        if after is None:
            continue
        if after != before:
            waiting.append(after)
        elif after.size == 0:
            (empty if now - after.mtime_ns / 1e9 >= zero_byte_grace else waiting).append(after)
        else:
            stable.append(after)
    return stable, waiting, empty


AnyLister: TypeAlias = "Lister | ObjectLister"
