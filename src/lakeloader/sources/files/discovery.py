"""File discovery: one recursive directory walk with the globs pushed into it, and the stability check.

Globs in the path (`/landing/*/2024/*.json`) prune directories while walking; `pathGlobFilter` is matched on the
file name (or on the path below the root when it holds a `/`). Names starting with `_` or `.` are skipped, as
Spark does (checkpoints, `_SUCCESS`, temp files of writers).
"""

from __future__ import annotations

import os
import re
import time
from collections.abc import Container
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache
from pathlib import Path

from lakeloader.errors import NotFoundError

_GLOB_CHARS = set("*?[{")


@dataclass(frozen=True)
class FileEntry:
    """One listed file: absolute path, size in bytes, modification time in nanoseconds since the epoch."""

    path: str
    size: int
    mtime_ns: int


@lru_cache(maxsize=64)
def glob_regex(pattern: str) -> re.Pattern[str]:
    """Hadoop-style glob → regex: `*`, `**`, `?`, `[abc]`, `[!a]`, `{a,b}`."""
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
    return re.compile("".join(out) + r"\Z")


def has_glob(text: str) -> bool:
    return any(ch in _GLOB_CHARS for ch in text)


def split_glob_path(path: str) -> tuple[Path, list[str]]:
    """`/a/b/*/c/*.json` → (`/a/b`, ['*', 'c', '*.json']): the literal base and the pattern segments."""
    parts = Path(path).parts
    for i, part in enumerate(parts):
        if has_glob(part):
            return Path(*parts[:i]), list(parts[i:])
    return Path(path), []


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
        return cls(
            root=root,
            segments=tuple(segments),
            name_filter=path_glob_filter,
            recursive=recursive,
            modified_after_ns=int(modified_after.timestamp() * 1e9) if modified_after else None,
            modified_before_ns=int(modified_before.timestamp() * 1e9) if modified_before else None,
            exclude=frozenset(os.path.abspath(p) for p in exclude),
        )

    def check_root(self) -> None:
        if not self.root.is_dir() and not (self.root.is_file() and not self.segments):
            raise NotFoundError(f"files source: folder {self.root} does not exist; create it or check --path")

    def list_files(self, *, known: Container[str] | None = None) -> list[FileEntry]:
        """Every matching file (unordered): one `scandir` per folder and one `stat` per file, nothing more.

        Files in `known` (the ledger's paths) are not even stat'ed: a no-op run costs the directory reads.
        """
        self.check_root()
        if self.root.is_file():  # a single file named directly
            st = self.root.stat()
            return [FileEntry(str(self.root), st.st_size, st.st_mtime_ns)]
        out: list[FileEntry] = []
        stack: list[tuple[str, int, str]] = [(str(self.root), 0, "")]
        while stack:
            folder, depth, rel = stack.pop()
            self._scan(folder, depth, rel, stack, out, known)
        return out

    def _scan(
        self,
        folder: str,
        depth: int,
        rel: str,
        stack: list[tuple[str, int, str]],
        out: list[FileEntry],
        known: Container[str] | None,
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
                    is_dir = entry.is_dir()
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
                if known is not None and path in known:
                    continue
                try:
                    st = entry.stat()
                except OSError:
                    continue  # vanished between listing and stat: the next run will not see it either
                mtime = st.st_mtime_ns
                if (after is not None and mtime <= after) or (before is not None and mtime >= before):
                    continue
                out.append(FileEntry(path, st.st_size, mtime))


def restat(entries: list[FileEntry]) -> list[FileEntry | None]:
    """A second look at `entries` (None for a file that vanished)."""
    out: list[FileEntry | None] = []
    for e in entries:
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
