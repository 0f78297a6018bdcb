"""`ingest_postgres`: one Postgres table or query into one Delta table, exactly once, through the protocol.

full → append (the seed's behaviour) or overwrite; incremental → append of new row versions (a lookback
re-reads recent rows and the primary key drops those already in the table); merge → upsert by primary key.
A lost connection fails the batch as a whole; the pending plan is replayed after a backoff.
"""

from __future__ import annotations

import hashlib
import logging
import random
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

from pydantic import ValidationError

from lakeloader import units
from lakeloader.errors import ConfigError, LakeloaderError
from lakeloader.execution import registry
from lakeloader.execution.checkpoint import Checkpoint, read_json, write_json_atomic
from lakeloader.execution.executor import ExecutorSettings, open_executor
from lakeloader.execution.executor import settings as executor_settings
from lakeloader.execution.second_stream import commit_metadata, refuse_second_stream
from lakeloader.execution.stream import Writer, check_target, run_available_now
from lakeloader.execution.triggers import StopFlag
from lakeloader.lakehouse import delta, storage
from lakeloader.lakehouse.delta import CommitResult
from lakeloader.secrets.redact import redact
from lakeloader.sources.postgres import connection as conn
from lakeloader.sources.postgres.options import ConnectionOptions, PostgresSourceOptions
from lakeloader.sources.postgres.source import PostgresSource
from lakeloader.sources.postgres.writer import Progress, make_writer

log = logging.getLogger(__name__)
T = TypeVar("T")


@dataclass
class IngestSummary:
    """What one ingest run did."""

    table: str
    rows: int = 0
    read: int = 0  # rows read from Postgres: with a lookback or a merge, not all of them change the table
    bytes: int = 0
    seconds: float = 0.0
    version: int | None = None
    batches: int = 0
    skipped: int = 0
    retries: int = 0
    results: list[CommitResult] = field(default_factory=list)
    stop_signal: int | None = None  # the signal (Ctrl-C, SIGTERM) that stopped the run after a batch, if one did

    @property
    def interrupted(self) -> bool:
        return self.stop_signal is not None

    def changes(self) -> dict[str, int]:
        """The rows that changed the table: inserted, updated, deleted (a merge's metrics; an append inserts)."""
        out = {"inserted": 0, "updated": 0, "deleted": 0}
        for result in self.results:
            if result.skipped:
                continue
            if result.operation != "MERGE":
                out["inserted"] += result.rows
                continue
            for kind in out:
                out[kind] += int(result.metrics.get(f"num_target_rows_{kind}", 0))
        return out

    @property
    def rows_per_second(self) -> float:
        return self.rows / self.seconds if self.seconds > 0 else 0.0

    def line(self) -> str:
        table = "no table yet (nothing to load)" if self.version is None else f"table version {self.version}"
        stopped = "interrupted, the rest is left for the next run: " if self.interrupted else ""
        rows = f"{self.rows:,} rows"
        changes = self.changes()
        if self.read != changes["inserted"] or changes["updated"] or changes["deleted"]:
            detail = ", ".join(f"{n:,} {kind}" for kind, n in changes.items() if n) or "none"
            rows = f"{self.read:,} rows read, {sum(changes.values()):,} changed the table ({detail})"
        return stopped + (
            f"{self.table}: {rows}, {self.bytes / 1e6:,.1f} MB in {self.seconds:.2f}s "
            f"({self.rows_per_second:,.0f} rows/s), {self.batches} batch(es), {table}"
        )

    def to_dict(self) -> dict[str, Any]:
        return {
            "table": self.table,
            "rows": self.rows,
            "read": self.read,
            **self.changes(),
            "bytes": self.bytes,
            "seconds": round(self.seconds, 3),
            "rows_per_second": round(self.rows_per_second),
            "version": self.version,
            "batches": self.batches,
            "skipped": self.skipped,
            "retries": self.retries,
            "interrupted": self.interrupted,
        }


def build_options(options: PostgresSourceOptions | None, fields: dict[str, Any]) -> PostgresSourceOptions:
    """Options from a model, or from keyword fields (`source_url` and connection fields go to `connection`)."""
    if options is not None:
        return options.model_copy(update=fields) if fields else options
    connection_keys = set(ConnectionOptions.model_fields)
    conn_fields = {k: v for k, v in fields.items() if k in connection_keys}
    if "source_url" in fields:
        conn_fields["url"] = fields.pop("source_url")
    rest = {k: v for k, v in fields.items() if k not in connection_keys}
    if isinstance(rest.get("primary_key"), str):
        rest["primary_key"] = [p.strip() for p in rest["primary_key"].split(",") if p.strip()]
    try:
        return PostgresSourceOptions(connection=ConnectionOptions(**conn_fields), **rest)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"]) or "options"
        known = sorted({*PostgresSourceOptions.model_fields, *ConnectionOptions.model_fields, "source_url"})
        hint = f"valid options: {', '.join(known)}" if first["type"] == "extra_forbidden" else "fix its value"
        raise ConfigError(f"postgres source option {where}: {first['msg']}; {hint}") from None


def ingest_postgres(
    target: str,
    *,
    options: PostgresSourceOptions | None = None,
    checkpoint: str | Path | None = None,
    lakehouse: Any = None,
    progress: Progress | None = None,
    max_batches: int | None = None,
    wait_for_lock: float | str = 0,
    allow_second_stream: bool = False,
    stop: threading.Event | StopFlag | None = None,
    executor: ExecutorSettings | None = None,
    **fields: Any,
) -> IngestSummary:
    """Ingest a Postgres table or query into the Delta table `target` (catalog.schema.table), exactly once.

    Args:
        target: the table to write; created (with its schema) if missing.
        options: a `PostgresSourceOptions`, or keyword fields (source_url=, table=, mode=, cursor=,
            primary_key=, lookback=, partition_column=, num_partitions=, ...; see docs/postgres_source.md).
        checkpoint: the stream's checkpoint folder (default: under the lakehouse's state folder).
        progress: called with (rows, bytes) read so far, after each Arrow batch.
        wait_for_lock: how long to wait when another run holds the stream ('10m', seconds); 0 fails at once.
        allow_second_stream: let a new incremental stream fill a table that another stream already fills from the
            same relation (refused by default: it would read the relation again from the start).
        stop: once set, the run ends after the batch in flight (the next run goes on from there).
        executor: who reads and writes the rows (default: LAKELOADER_EXECUTOR, else this process); with Ray, one
            work unit per partition, all inside the batch's snapshot, committed here in one commit.
    """
    from lakeloader.lakehouse.root import Lakehouse

    house = lakehouse if lakehouse is not None else Lakehouse()
    opts = build_options(options, dict(fields))
    opts = opts.model_copy(update={"connection": conn.resolve_secrets(opts.connection, root=house.root)})
    conn.warn_if_short_password(opts.connection, where=opts.label)
    full = house.parse_table_name(target)
    source = PostgresSource(opts)
    table = None
    try:
        # the stream is keyed on the database and the relation as Postgres resolves it (not on the address)
        identity = _retrying(opts, source.identity)
        table = house.table_for_write(str(full), writer="ingest postgres")
        location = table.location
        cp_path = storage.path(checkpoint) if checkpoint else house.state_dir / "checkpoints" / str(full) / "postgres"
        if isinstance(cp_path, Path):
            _adopt_legacy_checkpoint(cp_path, opts, identity)
        cp = Checkpoint(cp_path, target=str(full), source=identity, address=conn.address_label(opts.connection))
        with cp.exclusive(wait=units.parse_seconds(wait_for_lock, option="wait_for_lock")):
            check_target(cp, location)  # dropped or replaced since the last run: start over, never skip
            if opts.mode == "incremental":  # full reads it all on every run; merge cannot double a row
                again = f"read {source.relation.name} again from the start"
                refuse_second_stream(house, cp, location, allow=allow_second_stream, again=again)
            registry.register(house.metastore, cp, kind="postgres", settings=_settings(opts))
            writer = make_writer(
                location,
                table_name=str(full),
                stream_id=cp.stream_id,
                source=source,
                progress=progress,
                stream_metadata=commit_metadata(cp),
                executor=open_executor(chosen) if (chosen := executor or executor_settings()).distributed else None,
            )
            summary = IngestSummary(str(full))
            return _run(cp, location, source, writer, summary=summary, max_batches=max_batches, stop=stop)
    finally:
        source.close()
        if table is not None:
            house.register_written(table)  # a new table is registered with its first commit, never before


def _settings(opts: PostgresSourceOptions) -> dict[str, Any]:
    """What `lakeloader streams show` tells of a run's options (never the connection)."""
    return {
        "mode": opts.mode,
        "write_mode": opts.write_mode,
        "cursor": opts.cursor,
        "primary_key": list(opts.primary_key),
        "lookback": opts.lookback,
    }


def _adopt_legacy_checkpoint(path: Path, opts: PostgresSourceOptions, identity: str) -> None:
    """A checkpoint made before streams were keyed on database and relation named them postgresql://host:port/
    db/<table as typed, or a hash of the query>: rename it to the identity, whatever the address was then."""
    meta_file = path / "metadata.json"
    if not meta_file.exists():
        return
    meta = read_json(meta_file)
    old = str(meta.get("source", ""))
    what = opts.table or "query:" + hashlib.sha256((opts.query or "").encode()).hexdigest()[:12]
    database = opts.connection.parts()["dbname"]
    if old.startswith("postgresql://") and old.endswith(f"/{database}/{what}") and old != identity:
        meta["source"] = identity
        write_json_atomic(meta_file, meta)


def _retrying(opts: PostgresSourceOptions, action: Callable[[], T]) -> T:
    """`action()`, retried with backoff (up to `opts.retries` times) while the cause is a lost connection."""
    attempt = 0
    while True:
        try:
            return action()
        except Exception as exc:
            if not conn.is_connection_loss(exc) or attempt >= opts.retries:
                if isinstance(exc, LakeloaderError):
                    raise
                raise conn.translate(exc, where=opts.label) from exc
            attempt += 1
            delay = min(10.0, 0.25 * 2**attempt) * (0.5 + random.random())
            log.warning("%s; retried in %.1fs", redact(str(conn.translate(exc, where=opts.label))), delay)
            time.sleep(delay)


def _run(
    cp: Checkpoint,
    location: storage.Location,
    source: PostgresSource,
    writer: Writer,
    *,
    summary: IngestSummary,
    max_batches: int | None,
    stop: threading.Event | StopFlag | None = None,
) -> IngestSummary:
    """The stream's batches until nothing is new, retrying a lost connection with backoff."""
    opts = source.opts
    started = time.perf_counter()
    flag = stop if isinstance(stop, StopFlag) or stop is None else StopFlag(stop)
    attempt = 0
    while True:
        try:
            source.validate()  # every option checked against the catalog before the first plan or replay
            for result in run_available_now(cp, location, source, writer, max_batches=max_batches, stop=flag):
                summary.results.append(result)
                summary.batches += 1
                summary.rows += result.rows
                summary.skipped += int(result.skipped)
                if result.version is not None:
                    summary.version = result.version
            break
        except Exception as exc:
            cause = source.stats.failure or exc
            source.stats.failure = None
            if not conn.is_connection_loss(cause) or attempt >= opts.retries:
                if isinstance(cause, LakeloaderError):
                    raise cause from None if cause is exc else exc
                if isinstance(exc, LakeloaderError) and not conn.is_connection_loss(cause):
                    raise
                raise conn.translate(cause, where=opts.label) from cause  # --debug shows the chain, redacted
            attempt += 1
            delay = min(10.0, 0.25 * 2**attempt) * (0.5 + random.random())
            log.warning("%s; batch retried in %.1fs", redact(str(conn.translate(cause, where=opts.label))), delay)
            time.sleep(delay)
    summary.retries = attempt
    summary.bytes = source.stats.bytes
    summary.read = source.stats.rows
    summary.seconds = time.perf_counter() - started
    if summary.version is None and delta.is_delta_table(location):
        summary.version = int(delta.open_table(location).version())
    return summary
