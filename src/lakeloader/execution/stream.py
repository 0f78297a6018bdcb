"""Run a stream's batches through the commit protocol: plan → one Delta commit with the transaction → record.

A crash between any two steps is recovered from the Delta log on the next run: a batch planned but not
recorded is replayed with the SAME plan, and skipped without reading if Delta already holds it.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

import pyarrow as pa

from lakeloader.execution.checkpoint import Checkpoint
from lakeloader.lakehouse import delta
from lakeloader.lakehouse.delta import CommitResult

log = logging.getLogger(__name__)


class BatchSource(Protocol):
    """What the protocol needs from a source: plan the next batch, read a planned batch, hear it committed."""

    def plan_next(self, checkpoint: Checkpoint) -> dict[str, Any] | None:
        """The plan (JSON-able: files, key or cursor ranges) of the next batch, or None when nothing is new."""
        ...

    def read(self, plan: dict[str, Any]) -> pa.RecordBatchReader:
        """Read exactly what `plan` names. A replayed plan must read the same input."""
        ...

    def committed(self, checkpoint: Checkpoint, batch_id: int, plan: dict[str, Any], result: CommitResult) -> None:
        """Record source state for a committed batch (ledger entries, cursor high-water mark)."""
        ...


Writer = Callable[[pa.RecordBatchReader, int, dict[str, Any]], CommitResult]


@dataclass
class StreamRun:
    """What one run of a stream did."""

    batches: list[CommitResult] = field(default_factory=list)
    replayed: int = 0

    @property
    def rows(self) -> int:
        return sum(b.rows for b in self.batches)

    @property
    def version(self) -> int | None:
        versions = [b.version for b in self.batches if b.version is not None]
        return versions[-1] if versions else None


def append_writer(location: str | Path, *, stream_id: str, table_name: str, schema_evolution: bool = True) -> Writer:
    """The default writer: append batch N with Transaction(stream_id, N)."""

    def write(data: pa.RecordBatchReader, batch_id: int, plan: dict[str, Any]) -> CommitResult:
        return delta.commit_batch(
            location,
            data,
            stream_id=stream_id,
            batch_id=batch_id,
            schema_evolution=schema_evolution,
            table_name=table_name,
        )

    return write


def run_batch(
    checkpoint: Checkpoint,
    location: str | Path,
    batch_id: int,
    plan: dict[str, Any],
    source: BatchSource,
    writer: Writer,
) -> CommitResult:
    """Steps 2 and 3 for a batch whose plan is already durable in the checkpoint."""
    done = delta.transaction_version(location, checkpoint.stream_id)
    if done is not None and done >= batch_id:
        log.info("stream %s: batch %d already in Delta, recording it", checkpoint.stream_id, batch_id)
        result = CommitResult(checkpoint.target, None, 0, skipped=True, operation="SKIPPED")
    else:
        result = writer(source.read(plan), batch_id, plan)
    source.committed(checkpoint, batch_id, plan, result)
    checkpoint.record_commit(
        batch_id, {"table_version": result.version, "rows": result.rows, "skipped": result.skipped}
    )
    return result


def run_available_now(
    checkpoint: Checkpoint,
    location: str | Path,
    source: BatchSource,
    writer: Writer,
    *,
    max_batches: int | None = None,
) -> Iterator[CommitResult]:
    """Replay a pending batch if a crash left one, then plan and commit batches until nothing is new."""
    pending = checkpoint.pending()
    if pending is not None:
        batch_id, plan = pending
        yield run_batch(checkpoint, location, batch_id, plan, source, writer)
    count = 0
    while max_batches is None or count < max_batches:
        next_plan = source.plan_next(checkpoint)
        if next_plan is None:
            return
        batch_id = checkpoint.next_batch_id()
        checkpoint.write_plan(batch_id, next_plan)
        yield run_batch(checkpoint, location, batch_id, next_plan, source, writer)
        count += 1
