"""`ingest_postgres`: one Postgres table or query into one Delta table, exactly once, through the protocol.

full → append (the seed's behaviour) or overwrite; incremental → append of new row versions (a lookback
re-reads recent rows and the primary key drops those already in the table); merge → upsert by primary key.
A lost connection fails the batch as a whole; the pending plan is replayed after a backoff.
"""

from __future__ import annotations

import hashlib
import logging
import random
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pyarrow as pa
from pydantic import ValidationError

from lakeloader import units
from lakeloader.errors import ConfigError, LakeloaderError
from lakeloader.execution.checkpoint import Checkpoint
from lakeloader.execution.stream import Writer, check_target, run_available_now
from lakeloader.lakehouse import delta
from lakeloader.lakehouse.delta import CommitResult
from lakeloader.secrets.redact import redact
from lakeloader.sources.postgres import connection as conn
from lakeloader.sources.postgres.options import ConnectionOptions, PostgresSourceOptions
from lakeloader.sources.postgres.source import PostgresSource

log = logging.getLogger(__name__)
Progress = Callable[[int, int], None]


@dataclass
class IngestSummary:
    """What one ingest run did."""

    table: str
    rows: int = 0
    bytes: int = 0
    seconds: float = 0.0
    version: int | None = None
    batches: int = 0
    skipped: int = 0
    retries: int = 0
    results: list[CommitResult] = field(default_factory=list)

    @property
    def rows_per_second(self) -> float:
        return self.rows / self.seconds if self.seconds > 0 else 0.0

    def line(self) -> str:
        return (
            f"{self.table}: {self.rows:,} rows, {self.bytes / 1e6:,.1f} MB in {self.seconds:.2f}s "
            f"({self.rows_per_second:,.0f} rows/s), {self.batches} batch(es), table version {self.version}"
        )

    def to_dict(self) -> dict[str, Any]:
        return {
            "table": self.table,
            "rows": self.rows,
            "bytes": self.bytes,
            "seconds": round(self.seconds, 3),
            "rows_per_second": round(self.rows_per_second),
            "version": self.version,
            "batches": self.batches,
            "skipped": self.skipped,
            "retries": self.retries,
        }


def source_label(opts: PostgresSourceOptions) -> str:
    """`_source`: server/db/table (or a hash of the query), never credentials."""
    what = opts.table or "query:" + hashlib.sha256((opts.query or "").encode()).hexdigest()[:12]
    return f"postgresql://{conn.server_label(opts.connection)}/{what}"


def _with_audit(
    data: pa.RecordBatchReader, opts: PostgresSourceOptions, batch_id: int, progress: Progress | None
) -> pa.RecordBatchReader:
    audit = opts.audit
    extra: list[tuple[str, pa.DataType, Any]] = []
    now = datetime.now(UTC)
    if audit.ingested_at:
        extra.append((audit.ingested_at, pa.timestamp("us", tz="UTC"), now))
    if audit.source:
        extra.append((audit.source, pa.string(), source_label(opts)))
    if audit.batch_id:
        extra.append((audit.batch_id, pa.int64(), batch_id))
    schema = data.schema
    for name, typ, _ in extra:
        schema = schema.append(pa.field(name, typ))
    seen = [0, 0]

    def batches() -> Iterator[pa.RecordBatch]:
        for batch in data:
            arrays = list(batch.columns)
            arrays += [pa.repeat(pa.scalar(value, typ), batch.num_rows) for _, typ, value in extra]
            seen[0] += batch.num_rows
            seen[1] += batch.nbytes
            if progress is not None:
                progress(seen[0], seen[1])
            yield pa.RecordBatch.from_arrays(arrays, schema=schema)

    return pa.RecordBatchReader.from_batches(schema, batches())


def _drop_already_ingested(
    data: pa.RecordBatchReader, location: Path, source: PostgresSource, plan: dict[str, Any]
) -> pa.RecordBatchReader:
    """Incremental + lookback: drop re-read row versions (primary key + cursor) the table already holds."""
    low = source.lookback_low(plan)
    if low is None or not delta.is_delta_table(location):
        return data
    import pyarrow.dataset as ds

    cursor = source.cursor_column()
    keys = list(dict.fromkeys([*source.opts.primary_key, cursor.name]))
    dataset = delta.dataset(location)
    existing = dataset.to_table(columns=keys, filter=ds.field(cursor.name) >= pa.scalar(low, cursor.arrow_type))
    if existing.num_rows == 0:
        return data
    existing = existing.cast(pa.schema([data.schema.field(k) for k in keys]))

    def batches() -> Iterator[pa.RecordBatch]:
        for batch in data:
            kept = pa.Table.from_batches([batch]).join(existing, keys=keys, join_type="left anti")
            yield from kept.select(data.schema.names).cast(data.schema).to_batches()

    return pa.RecordBatchReader.from_batches(data.schema, batches())


def make_writer(
    location: Path, *, table_name: str, stream_id: str, source: PostgresSource, progress: Progress | None
) -> Writer:
    """The commit step for the source's mode: append, overwrite or merge, with the batch's transaction."""
    opts = source.opts

    def write(data: pa.RecordBatchReader, batch_id: int, plan: dict[str, Any]) -> CommitResult:
        metadata = {"source": source_label(opts), "postgres.mode": opts.mode, "postgres.hwm": plan.get("hi")}
        if opts.mode == "incremental" and opts.primary_key:
            data = _drop_already_ingested(data, location, source, plan)
        data = _with_audit(data, opts, batch_id, progress)
        if opts.mode == "merge":
            return delta.merge(
                location,
                data,
                keys=list(opts.primary_key),
                delete_predicate=opts.delete_when,
                stream_id=stream_id,
                batch_id=batch_id,
                metadata=metadata,
                table_name=table_name,
            )
        return delta.commit_batch(
            location,
            data,
            stream_id=stream_id,
            batch_id=batch_id,
            mode=opts.write_mode if opts.mode == "full" else "append",
            metadata=metadata,
            table_name=table_name,
        )

    return write


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
    """
    from lakeloader.lakehouse.root import Lakehouse

    house = lakehouse if lakehouse is not None else Lakehouse()
    opts = build_options(options, dict(fields))
    opts = opts.model_copy(update={"connection": conn.resolve_secrets(opts.connection, root=house.root)})
    full = house.parse_table_name(target)
    table = house.create_table(str(full), if_not_exists=True)
    location = table.location
    cp_path = Path(checkpoint) if checkpoint else house.state_dir / "checkpoints" / str(full) / "postgres"
    cp = Checkpoint(cp_path, target=str(full), source=source_label(opts))
    source = PostgresSource(opts)
    with cp.exclusive(wait=units.parse_seconds(wait_for_lock, option="wait_for_lock")):
        check_target(cp, location)  # dropped or replaced since the last run: start over, never skip
        writer = make_writer(location, table_name=str(full), stream_id=cp.stream_id, source=source, progress=progress)
        try:
            return _run(cp, location, source, writer, summary=IngestSummary(str(full)), max_batches=max_batches)
        finally:
            source.close()


def _run(
    cp: Checkpoint,
    location: Path,
    source: PostgresSource,
    writer: Writer,
    *,
    summary: IngestSummary,
    max_batches: int | None,
) -> IngestSummary:
    """The stream's batches until nothing is new, retrying a lost connection with backoff."""
    opts = source.opts
    started = time.perf_counter()
    attempt = 0
    while True:
        try:
            for result in run_available_now(cp, location, source, writer, max_batches=max_batches):
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
                if isinstance(exc, LakeloaderError) and not conn.is_connection_loss(cause):
                    raise
                raise conn.translate(cause, where=opts.label) from cause  # --debug shows the chain, redacted
            attempt += 1
            delay = min(10.0, 0.25 * 2**attempt) * (0.5 + random.random())
            log.warning("%s; batch retried in %.1fs", redact(str(conn.translate(cause, where=opts.label))), delay)
            time.sleep(delay)
    summary.retries = attempt
    summary.bytes = source.stats.bytes
    summary.seconds = time.perf_counter() - started
    if summary.version is None and delta.is_delta_table(location):
        summary.version = int(delta.open_table(location).version())
    return summary
