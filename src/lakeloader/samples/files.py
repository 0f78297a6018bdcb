"""Shared pieces of the sample file writers: fault options, the write summary, and the faults themselves."""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from lakeloader.errors import ConfigError

DUPLICATE_FOLDER = "reupload"  # not "_..." or ".…": Spark-style listings skip those, and the copy must be seen

OnFile = Callable[[Path], None]
"""Called after each file is written (for progress bars)."""


@dataclass(frozen=True)
class Faults:
    """Deterministic faults injected into a set of sample files, for tests and demos.

    Attributes:
        late_files: the last N data files carry older timestamps and an mtime in the past.
        new_column_after: files numbered above K carry one extra column (None: never).
        malformed: N malformed records: broken lines in JSON; for Avro and Parquet, N extra truncated files.
        duplicate_file: also write a byte-identical copy of the first file under `reupload/`.
        glitches: telematics only: N readings a device got wrong, spread over the files — every other one at
            (0, 0) ("null island", a GPS fix lost), the others at an impossible 999.9 km/h.
    """

    late_files: int = 0
    new_column_after: int | None = None
    malformed: int = 0
    duplicate_file: bool = False
    glitches: int = 0

    def check(self, *, files: int, what: str) -> None:
        """Refuse options that cannot apply to `files` files, naming the option and the fix."""
        if self.late_files < 0 or self.malformed < 0 or self.glitches < 0:
            raise ConfigError(f"samples {what}: --late-files and --malformed must be >= 0; pass a count like 1")
        if self.late_files > files:
            raise ConfigError(
                f"samples {what}: --late-files {self.late_files} exceeds --files {files}; "
                "pass at most as many late files as files"
            )
        if self.new_column_after is not None and self.new_column_after < 0:
            raise ConfigError(f"samples {what}: --new-column-after must be >= 0; pass the file number K")

    def is_late(self, number: int, files: int) -> bool:
        return number > files - self.late_files

    def has_new_column(self, number: int) -> bool:
        return self.new_column_after is not None and number > self.new_column_after


@dataclass
class WriteSummary:
    """What a sample writer produced; `rows` counts good records only (not malformed ones)."""

    files: list[Path] = field(default_factory=list)
    rows: int = 0
    bytes: int = 0
    late_files: list[Path] = field(default_factory=list)
    new_column_files: list[Path] = field(default_factory=list)
    malformed_files: list[Path] = field(default_factory=list)
    malformed_records: int = 0
    duplicate_file: Path | None = None

    def add(self, path: Path) -> None:
        self.files.append(path)
        self.bytes += path.stat().st_size

    def to_dict(self) -> dict[str, object]:
        return {
            "files": [str(p) for p in self.files],
            "rows": self.rows,
            "bytes": self.bytes,
            "late_files": [str(p) for p in self.late_files],
            "new_column_files": [str(p) for p in self.new_column_files],
            "malformed_files": [str(p) for p in self.malformed_files],
            "malformed_records": self.malformed_records,
            "duplicate_file": None if self.duplicate_file is None else str(self.duplicate_file),
        }


def prepare_dir(out_dir: Path, *, what: str) -> Path:
    """Create `out_dir` (and parents); refuse a path that is a file."""
    if out_dir.exists() and not out_dir.is_dir():
        raise ConfigError(f"samples {what}: --out {out_dir} is a file, not a folder; pass a folder path")
    out_dir.mkdir(parents=True, exist_ok=True)
    return out_dir


def check_counts(*, files: int, rows_per_file: int, what: str) -> None:
    if files < 1 or rows_per_file < 1:
        raise ConfigError(f"samples {what}: --files and --rows-per-file must be >= 1; pass positive counts")


def set_mtime(path: Path, when: datetime) -> None:
    """Set the file's access and modification times (a late file looks written in the past)."""
    stamp = when.timestamp()
    os.utime(path, (stamp, stamp))


def truncate_at(path: Path, size: int) -> None:
    """Cut the file to `size` bytes, as an interrupted upload would leave it."""
    with path.open("r+b") as handle:
        handle.truncate(size)


def duplicate(path: Path, out_dir: Path) -> Path:
    """A byte-identical copy of `path` in `out_dir/reupload/`, as a re-uploaded file would be."""
    target = out_dir / DUPLICATE_FOLDER / path.name
    target.parent.mkdir(exist_ok=True)
    shutil.copyfile(path, target)
    return target
