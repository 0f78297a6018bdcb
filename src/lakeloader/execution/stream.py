"""Run a stream's batches through the commit protocol: plan → one Delta commit with the transaction → record.

A crash between any two steps is recovered from the Delta log on the next run: a batch planned but not
recorded is replayed with the SAME plan, and skipped without reading if Delta already holds it.
"""

from __future__ import annotations

import contextlib
import logging
import random
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any, Protocol

import pyarrow as pa

from lakeloader.errors import CommitConflictError, TerminalError
from lakeloader.execution.checkpoint import Checkpoint, StreamInUseError
from lakeloader.execution.triggers import StopFlag
from lakeloader.lakehouse import delta, storage
from lakeloader.lakehouse.delta import CommitResult

log = logging.getLogger(__name__)
COMMIT_ATTEMPTS = 6


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


def append_writer(
    location: str | storage.Location, *, stream_id: str, table_name: str, schema_evolution: bool = True
) -> Writer:
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
    location: str | storage.Location,
    batch_id: int,
    plan: dict[str, Any],
    source: BatchSource,
    writer: Writer,
) -> CommitResult:
    """Steps 2 and 3 for a batch whose plan is already durable in the checkpoint.

    A commit that lost a race to a concurrent writer is retried from the plan (re-read, re-checked): if the
    other writer committed this very batch, the retry finds it in Delta and skips it.
    """
    for attempt in range(COMMIT_ATTEMPTS):
        done = delta.transaction_version(location, checkpoint.stream_id)
        if done is not None and done >= batch_id:
            log.info("stream %s: batch %d already in Delta, recording it", checkpoint.stream_id, batch_id)
            result = CommitResult(checkpoint.target, None, 0, skipped=True, operation="SKIPPED")
            break
        try:
            result = writer(source.read(plan), batch_id, plan)
            break
        except CommitConflictError:
            if attempt == COMMIT_ATTEMPTS - 1:
                raise
            log.info("stream %s: batch %d lost a commit race, replaying it", checkpoint.stream_id, batch_id)
            time.sleep(min(2.0, 0.1 * 2**attempt) * (0.5 + random.random()))
    source.committed(checkpoint, batch_id, plan, result)
    checkpoint.record_commit(
        batch_id, {"table_version": result.version, "rows": result.rows, "skipped": result.skipped}
    )
    return result


def run_available_now(
    checkpoint: Checkpoint,
    location: str | storage.Location,
    source: BatchSource,
    writer: Writer,
    *,
    max_batches: int | None = None,
    stop: StopFlag | None = None,
) -> Iterator[CommitResult]:
    """Replay a pending batch if a crash left one, then plan and commit batches until nothing is new (or `stop`
    is set: no batch is planned after it, so the batch in flight is the last)."""
    expected, pending = start_run(checkpoint)
    if pending is not None:
        yield run_batch(checkpoint, location, *pending, source, writer)
    count = 0
    while max_batches is None or count < max_batches:
        with stop.planning if stop is not None else contextlib.nullcontext():  # a stop comes before or after
            if stop is not None and stop.event.is_set():
                return
            next_plan = source.plan_next(checkpoint)
            if next_plan is None:
                return
            batch_id = plan_batch(checkpoint, next_plan, expected=expected)
        yield run_batch(checkpoint, location, batch_id, next_plan, source, writer)
        expected = batch_id + 1
        count += 1


def check_target(checkpoint: Checkpoint, location: str | storage.Location) -> bool:
    """A stream's state belongs to its target: if the target lost the stream's history, start the stream over.

    Call it holding the stream's lock, before the source reads its state. The target lost the history when the
    checkpoint recorded commits but the table has no transaction of the stream (dropped and created again,
    or replaced): the source's state (ledger, high-water mark) describes rows that are no longer there, and
    going on from it would silently skip them. Returns True when the stream starts over (a full reload).
    A table that still holds an older batch of the stream (restored to an earlier version) is an error: a
    reload would duplicate the rows it kept.
    """
    recorded = checkpoint.latest_committed()
    if recorded is None:
        return False
    done = delta.transaction_version(location, checkpoint.stream_id)
    if done is not None and done >= recorded:
        return False
    if done is not None:
        raise TerminalError(
            f"table {checkpoint.target} holds batch {done} of this stream but its checkpoint {checkpoint.path} "
            f"recorded batch {recorded}: the table was restored to an older version; to load it again from "
            "the start, drop the table (the stream then reloads), or give the stream a new checkpoint"
        )
    aside = checkpoint.start_over(f"table {checkpoint.target} no longer holds this stream's batches")
    log.warning(
        "table %s was dropped or replaced since this stream last ran: starting the stream over from the "
        "beginning (old state kept in %s)",
        checkpoint.target,
        aside,
    )
    return True


def start_run(checkpoint: Checkpoint) -> tuple[int, tuple[int, dict[str, Any]] | None]:
    """(the batch id this run plans first, the batch a crash left planned but unrecorded, to replay first)."""
    expected = checkpoint.next_batch_id()  # read before the pending batch: a later one is another run's
    pending = checkpoint.pending()
    if pending is not None and pending[0] != expected - 1:
        raise StreamInUseError(
            f"checkpoint {checkpoint.path}: another run planned batch {pending[0]} of this stream meanwhile; "
            "run one at a time"
        )
    return expected, pending


def plan_batch(checkpoint: Checkpoint, plan: dict[str, Any], *, expected: int) -> int:
    """Step 1: write the plan of the next batch, which must be batch `expected`, the one after this run's last.

    A source plans from state it read at the start of this run (a listing, a ledger, a high-water mark); if
    another run planned batches meanwhile (a run that ignored the lock), this plan may overlap theirs under
    another batch id, which no Delta transaction could catch: refuse it instead.
    """
    batch_id = checkpoint.next_batch_id()
    if batch_id != expected:
        raise StreamInUseError(
            f"checkpoint {checkpoint.path}: another run planned batch {expected} of this stream meanwhile; "
            "run one at a time (what this run committed is in, exactly once)"
        )
    checkpoint.write_plan(batch_id, plan)
    return batch_id
