"""Run a files stream: resolve paths, open the checkpoint, drive the trigger, clean the source, summarise.

Triggers: `availableNow` (the backlog in as many batches as needed, then stop), `once` (one batch with
everything, limits ignored, as Spark's Trigger.Once) and `processingTime` (every interval until SIGINT or
SIGTERM, which stop the loop after the batch in flight).
"""

from __future__ import annotations

import logging
import os
import re
import threading
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from lakeloader import units
from lakeloader.errors import ConfigError, LakeloaderError
from lakeloader.execution import registry, stream
from lakeloader.execution.checkpoint import Checkpoint
from lakeloader.execution.executor import ExecutorSettings, open_executor
from lakeloader.execution.executor import settings as executor_settings
from lakeloader.execution.second_stream import refuse_second_stream
from lakeloader.execution.triggers import StopFlag, Trigger
from lakeloader.lakehouse import storage
from lakeloader.lakehouse.names import FullName
from lakeloader.lakehouse.root import Lakehouse
from lakeloader.sources.files.cleaning import clean_source
from lakeloader.sources.files.discovery import make_lister
from lakeloader.sources.files.options import parse_options
from lakeloader.sources.files.source import FilesSource
from lakeloader.sources.files.stats import RunStats

if TYPE_CHECKING:
    import pyarrow as pa

log = logging.getLogger(__name__)


@dataclass
class IngestSummary:
    """What a files ingest did."""

    table: str
    checkpoint: str
    trigger: str
    stats: RunStats
    table_version: int | None
    seconds: float
    cleaned: int = 0
    bad_records_table: str = ""
    stop_signal: int | None = None  # the signal (Ctrl-C, SIGTERM) that stopped the run after a batch, if one did
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def interrupted(self) -> bool:
        return self.stop_signal is not None

    def to_dict(self) -> dict[str, Any]:
        out = asdict(self)
        out.update(out.pop("stats"))
        out["interrupted"] = self.interrupted
        return out

    def line(self) -> str:
        s = self.stats
        parts = [
            f"{self.table}: {s.files:,} files, {s.rows:,} rows in {s.batches} batch{'es' if s.batches != 1 else ''}",
            f"table version {self.table_version}" if self.table_version is not None else "no new version",
        ]
        if s.bad_records:
            parts.append(f"{s.bad_records:,} bad records ({s.bad_files} files) → {self.bad_records_table}")
        if s.schema_pending and s.files:
            parts.append("no file could be read yet, so no schema was inferred: the next readable files set it")
        if s.refused_links:
            parts.append(f"{s.refused_links} symlinks leading outside the folder refused")
        if s.copied_files:
            parts.append(f"{s.copied_files:,} Parquet files copied as they were")
        if s.rescued_rows:
            parts.append(f"{s.rescued_rows:,} rows with rescued data")
        if s.duplicates:
            parts.append(f"{s.duplicates} files skipped as byte-identical duplicates")
        if s.waiting:
            parts.append(f"{s.waiting} files still being written, left for the next run")
        if s.schema_versions:
            parts.append(f"schema version {s.schema_versions[-1]} stored")
        if self.cleaned:
            parts.append(f"{self.cleaned} source files cleaned")
        if s.units:
            parts.append(f"on Ray: {s.units:,} work units on {len(s.nodes)} node{'s' if len(s.nodes) != 1 else ''}")
        if s.rows and self.seconds > 0:
            parts.append(f"{s.bytes / 1e6 / self.seconds:,.1f} MB/s, {s.rows / self.seconds:,.0f} rows/s")
        stopped = "interrupted, the rest is left for the next run: " if self.interrupted else ""
        return stopped + ", ".join(parts) + f" ({self.seconds:.1f} s)"


def _resolve(lakehouse: Lakehouse, value: str | os.PathLike[str] | None) -> Path | None:
    return None if value is None else lakehouse.resolve_path(value)


def _resolve_location(lakehouse: Lakehouse, value: str | os.PathLike[str] | None) -> storage.Location | None:
    return None if value is None else lakehouse.resolve_location(value)


def register_bad_records(lh: Lakehouse, table: FullName, location: storage.Location) -> str:
    """Register a stream's bad-records table as `<table>_bad_records` (queryable with `lakeloader sql`).

    Returns its name, or its location when that name is taken by another table (said in the log).
    """
    if not (location / "_delta_log").is_dir():
        return str(location)
    full = FullName(table.catalog, table.schema, f"{table.name}_bad_records")
    name = str(full)
    info = lh.metastore.get(name)
    if info is not None:
        if info.location is not None and storage.path(info.location) == location.absolute():
            return name
        log.warning("bad records of %s stay unregistered at %s: table %s exists already", table, location, name)
        return str(location)
    try:
        lh.create_table(full.sql, location=location, comment=f"bad records of the files stream into {table}")
    except LakeloaderError as exc:  # a name over the limits: the path is shown instead
        log.warning("bad records of %s stay unregistered at %s: %s", table, location, exc)
        return str(location)
    return name


def _drive(cp: Checkpoint, location: storage.Location, source: FilesSource, how: Trigger, flag: StopFlag) -> int | None:
    """Run the trigger's batches through the commit protocol; returns the last table version written."""
    version: int | None = None
    while True:
        source.lister.check_root()
        if how.kind == "once":
            expected, pending = stream.start_run(cp)
            if pending is not None:
                result = stream.run_batch(cp, location, *pending, source, source.write)
                version = result.version if result.version is not None else version
            plan = source.plan_next(cp, unlimited=True)
            if plan is not None:
                batch_id = stream.plan_batch(cp, plan, expected=expected)
                result = stream.run_batch(cp, location, batch_id, plan, source, source.write)
                version = result.version if result.version is not None else version
        else:
            for result in stream.run_available_now(cp, location, source, source.write, stop=flag):
                version = result.version if result.version is not None else version
                if flag.event.is_set():
                    break
        if how.kind != "processingTime" or flag.event.is_set():
            return version
        source.reset_listing()
        if flag.event.wait(how.interval):
            return version


def ingest_files(
    target: str,
    *,
    path: str | os.PathLike[str],
    checkpoint: str | os.PathLike[str] | None = None,
    schema: Any = None,
    trigger: str = "availableNow",
    lakehouse: Lakehouse | None = None,
    on_batch: Callable[[int, RunStats], None] | None = None,
    on_read: Callable[[RunStats], None] | None = None,
    stop: threading.Event | None = None,
    wait_for_lock: float | str = 0,
    allow_second_stream: bool = False,
    transform: Callable[[pa.RecordBatchReader], pa.RecordBatchReader] | None = None,
    executor: ExecutorSettings | None = None,
    **options: Any,
) -> IngestSummary:
    """Ingest new files under `path` into table `target`, exactly once (Auto Loader's `cloudFiles`).

    Args:
        target: `[catalog.]schema.table`; created on first write.
        path: a folder or `/Volumes/...` path, globs allowed (`/landing/*/2024/*.json`).
        checkpoint: the stream's checkpoint folder (default: under the lakehouse state folder).
        schema: a declared schema: Arrow schema, DDL text, or a path to an .avsc file.
        trigger: "availableNow", "once" or "interval=30s".
        on_batch: called after each committed batch with its id and the run's figures.
        on_read: called as each file of a batch is read, with the run's figures so far (the batch in flight too).
        wait_for_lock: how long to wait when another run holds the stream ('10m', seconds); 0 fails at once.
        allow_second_stream: let a new checkpoint fill a table that another stream already fills from `path`
            (refused by default: it would load every file again).
        transform: what to do to each batch's rows before its commit (a writeStream's query); with it, Parquet
            files are always decoded (no copy-through).
        executor: who reads and writes the batches' rows (default: LAKELOADER_EXECUTOR, else this process);
            with Ray, units of at most its max_bytes_per_task of files each, the commits still made here.
        options: Auto Loader options (format=..., maxFilesPerTrigger=..., schemaEvolutionMode=...).
    """
    import pyarrow as pa

    from lakeloader.sources.files.schema import load_declared_schema

    started = time.monotonic()
    lh = lakehouse or Lakehouse()
    if transform is not None:
        options = {**options, "copyThroughMinFileSize": "off"}
    opts = parse_options(options)
    how = Trigger.parse(trigger)
    table = lh.table_for_write(target, writer="ingest files")
    name = str(table.name)
    source_path = lh.resolve_location(path)
    make_lister(source_path).check_root()
    cp_path = _resolve_location(lh, checkpoint) or lh.state_dir / "checkpoints" / re.sub(r"[^\w.-]", "_", name)
    destination = _resolve_location(lh, opts.clean_source_move_destination)
    if opts.clean_source == "MOVE" and (destination is None or destination.is_relative_to(source_path)):
        raise ConfigError(
            f"stream into {name}: cleanSource MOVE needs cleanSource.moveDestination outside {source_path}; "
            "set it to an archive folder"
        )
    declared = schema if isinstance(schema, pa.Schema) else (load_declared_schema(schema) if schema else None)
    cp = Checkpoint(cp_path, target=name, source=f"files:{opts.format}:{source_path}")

    def committed(batch_id: int, stats: RunStats) -> None:
        nonlocal table
        table = lh.register_written(table)  # a new table is registered with its first commit, never before
        if on_batch is not None:
            on_batch(batch_id, stats)

    with cp.exclusive(wait=units.parse_seconds(wait_for_lock, option="wait_for_lock")):
        stream.check_target(cp, table.location)  # dropped or replaced since the last run: start over, never skip
        refuse_second_stream(lh, cp, table.location, allow=allow_second_stream, again="load every file again")
        registry.register(lh.metastore, cp, kind="files")  # where `lakeloader streams` finds it
        source = FilesSource(
            path=source_path,
            options=opts,
            checkpoint=cp,
            table_location=table.location,
            table_name=name,
            declared_schema=declared,
            bad_records_location=_resolve_location(lh, opts.bad_records_path),
            schema_location=_resolve_location(lh, opts.schema_location),
            on_batch=committed,
            on_read=on_read,
        )
        source.transform = transform  # a notebook's writeStream query over each batch (copy-through off then)
        chosen = executor or executor_settings()
        source.executor = open_executor(chosen) if chosen.distributed else None

        def left() -> str:
            queued = len(source.planner.queue or ())
            return f"stopping after batch {cp.latest_planned()}: {queued:,} files left for the next run"

        flag = StopFlag(stop, announce=left)
        try:
            with flag:
                version = _drive(cp, table.location, source, how, flag)
        finally:
            table = lh.register_written(table)
            bad_table = register_bad_records(lh, table.name, source.bad_sink.location)
        cleaned = clean_source(source.ledger, opts, source.lister.root, destination)
    return IngestSummary(
        table=name,
        checkpoint=str(cp.path),
        trigger=how.kind if how.kind != "processingTime" else f"interval={how.interval:g}s",
        stats=source.stats,
        table_version=version,
        seconds=time.monotonic() - started,
        cleaned=cleaned,
        bad_records_table=bad_table,
        stop_signal=flag.interrupted_by(how),
    )
