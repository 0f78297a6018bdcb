"""Triggered Postgres streams: `ingest_postgres` run as micro-batches (`interval=1m` until Ctrl-C or SIGTERM), or
as one batch (`once`). Each micro-batch is a whole run through the commit protocol: it plans what is new since
the stream's high-water mark, commits it exactly once, and leaves the stream ready for the next one."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

from lakeloader.execution.triggers import StopFlag, Trigger, run
from lakeloader.sources.postgres.ingest import IngestSummary, build_options, ingest_postgres
from lakeloader.sources.postgres.options import PostgresSourceOptions

_RUN_ARGUMENTS = ("checkpoint", "lakehouse", "progress", "wait_for_lock", "allow_second_stream", "executor")


def ingest_postgres_triggered(
    target: str,
    *,
    trigger: str = "availableNow",
    options: PostgresSourceOptions | None = None,
    stop: threading.Event | None = None,
    on_micro_batch: Callable[[IngestSummary], None] | None = None,
    **kwargs: Any,
) -> IngestSummary:
    """`ingest_postgres(target, ...)` under `trigger` ('availableNow', 'once', 'interval=1m'); the summary of all
    micro-batches. `on_micro_batch` sees each micro-batch's own summary; `stop` ends the run after the batch in
    flight, as a first Ctrl-C or SIGTERM does (a second aborts at once)."""
    how = Trigger.parse(trigger)
    run_kwargs = dict(kwargs)
    if how.kind == "once":  # one batch with everything new, row limits ignored (Spark's Trigger.Once)
        fields = {k: v for k, v in kwargs.items() if k not in _RUN_ARGUMENTS}
        base = build_options(options, fields)
        options = base.model_copy(update={"max_rows_per_batch": None})
        run_kwargs = {k: v for k, v in kwargs.items() if k not in fields}
        run_kwargs["max_batches"] = 1
    total = IngestSummary(table="")

    flag = StopFlag(stop, announce=lambda: f"stopping after the batch in flight ({total.rows:,} rows committed so far)")

    def micro_batch() -> IngestSummary:
        return ingest_postgres(target, options=options, stop=flag, **run_kwargs)

    def add(summary: IngestSummary) -> None:
        total.table = summary.table
        total.rows += summary.rows
        total.read += summary.read
        total.bytes += summary.bytes
        total.seconds += summary.seconds
        total.batches += summary.batches
        total.skipped += summary.skipped
        total.retries += summary.retries
        total.results += summary.results
        total.version = summary.version if summary.version is not None else total.version
        if on_micro_batch is not None:
            on_micro_batch(summary)

    with flag:
        run(how, micro_batch, flag=flag, on_result=add)
    total.stop_signal = flag.interrupted_by(how)
    return total
