"""What a files run did, for its summary line: counted per batch, added to the run only once the batch is in."""

from __future__ import annotations

from dataclasses import dataclass, field, fields


@dataclass
class RunStats:
    """What a run did, for the summary line."""

    files: int = 0
    rows: int = 0
    bytes: int = 0
    bad_records: int = 0
    bad_files: int = 0
    rescued_rows: int = 0
    copied_files: int = 0
    waiting: int = 0
    duplicates: int = 0
    batches: int = 0
    refused_links: int = 0
    schema_pending: bool = False  # no file could be read yet, so no schema was inferred
    schema_versions: list[int] = field(default_factory=list)
    units: int = 0  # work units run by a distributed executor (execution/executor.py)
    nodes: list[str] = field(default_factory=list)  # the nodes they ran on


@dataclass
class BatchStats:
    """What reading one batch found; a re-read starts it over, a batch another run committed never counts."""

    bad_records: int = 0
    bad_files: int = 0
    rescued_rows: int = 0
    copied_files: int = 0
    duplicates: int = 0

    def add_to(self, run: RunStats) -> None:
        for f in fields(self):
            setattr(run, f.name, getattr(run, f.name) + getattr(self, f.name))
