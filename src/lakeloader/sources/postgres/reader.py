"""The bulk read: ADBC (COPY binary → Arrow) streams, one per partition, all inside ONE exported snapshot.

Each partition is a thread with its own session that imports the coordinator's snapshot
(`pg_export_snapshot` + `SET TRANSACTION SNAPSHOT`, REPEATABLE READ), so partitions see the same database
state. Batches flow through a bounded queue: memory stays bounded whatever the table size.

Behind a transaction pooler the partitions are read one after another in ONE transaction instead: the exporting
transaction would hold a pooled server connection while its partitions wait for others, and with as many
concurrent reads as the pool has connections nobody could go on (600 concurrent reads through a pool of 3 hung).
"""

from __future__ import annotations

import contextlib
import logging
import queue
import threading
from collections.abc import Generator, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

import pyarrow as pa

from lakeloader.sources.postgres import connection as conn
from lakeloader.sources.postgres.options import PostgresSourceOptions
from lakeloader.sources.postgres.typemap import Column, convert_batch, schema_of

log = logging.getLogger(__name__)
BATCH_SIZE_HINT_BYTES = 16 * 1024 * 1024
QUEUED_BATCHES_PER_PARTITION = 2  # batches waiting for the writer: bounds memory, keeps readers busy
_DONE = object()


@dataclass
class _Failure:
    error: BaseException


@dataclass
class ReadStats:
    """Rows and Arrow bytes read so far, and the first failure a partition met (for the retry decision)."""

    rows: int = 0
    bytes: int = 0
    failure: BaseException | None = None
    lock: threading.Lock = field(default_factory=threading.Lock)


def partition_batches(
    opts: PostgresSourceOptions, sqls: Sequence[str], snapshot: str | None, columns: Sequence[Column]
) -> Generator[pa.RecordBatch, None, None]:
    """Run `sqls` in one session inside `snapshot` (when given), yielding converted Arrow batches; used by the
    driver's partition threads and by a work unit on another node alike."""
    where = opts.label
    schema = schema_of(columns)
    con = conn.adbc_connect(opts.connection, where=where)
    try:
        con.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
        if snapshot is not None:
            con.execute(f"SET TRANSACTION SNAPSHOT '{snapshot}'")
        for statement in conn.setup_statements(opts.connection, local=True):
            con.execute(statement)
        for sql in sqls:  # several only behind a transaction pooler: one transaction, one snapshot
            reader = con.stream(sql, batch_size_hint_bytes=BATCH_SIZE_HINT_BYTES)
            for batch in reader:
                yield convert_batch(batch, columns, schema, where=where)
        con.rollback()
    finally:
        con.close()


def _read_partition(
    opts: PostgresSourceOptions,
    sqls: Sequence[str],
    snapshot: str | None,
    columns: Sequence[Column],
    out: queue.Queue[Any],
    stop: threading.Event,
) -> None:
    batches = partition_batches(opts, sqls, snapshot, columns)
    try:
        for converted in batches:
            if stop.is_set():
                return
            while not stop.is_set():
                try:
                    out.put(converted, timeout=0.2)
                    break
                except queue.Full:
                    continue
    except BaseException as exc:  # handed to the consumer, which decides retry or stop
        out.put(_Failure(exc))
    finally:
        batches.close()  # the session ends here, before the consumer hears this partition is done
        out.put(_DONE)


def stream(
    opts: PostgresSourceOptions, queries: Sequence[str], columns: Sequence[Column], stats: ReadStats
) -> pa.RecordBatchReader:
    """Run `queries` (one per partition) in parallel in one snapshot; stream their batches as one reader."""
    schema = schema_of(columns)
    out: queue.Queue[Any] = queue.Queue(maxsize=len(queries) * QUEUED_BATCHES_PER_PARTITION + 2)
    stop = threading.Event()

    def batches() -> Iterator[pa.RecordBatch]:
        coordinator = None
        snapshot = None
        threads: list[threading.Thread] = []
        try:
            pooled = opts.connection.pooler_mode
            groups = [list(queries)] if pooled else [[sql] for sql in queries]
            if len(groups) > 1:
                coordinator = conn.psycopg_connect(opts.connection, where=opts.label)
                coordinator.execute("BEGIN ISOLATION LEVEL REPEATABLE READ, READ ONLY")
                snapshot = str(coordinator.execute("SELECT pg_export_snapshot()").fetchone()[0])
            for sqls in groups:
                t = threading.Thread(
                    target=_read_partition, args=(opts, sqls, snapshot, columns, out, stop), daemon=True
                )
                t.start()
                threads.append(t)
            running = len(threads)
            while running:
                item = out.get()
                if item is _DONE:
                    running -= 1
                elif isinstance(item, _Failure):
                    stats.failure = item.error
                    raise conn.translate(item.error, where=opts.label)
                else:
                    with stats.lock:
                        stats.rows += item.num_rows
                        stats.bytes += item.nbytes
                    yield item
        except GeneratorExit:
            raise
        except BaseException as exc:
            if stats.failure is None:
                stats.failure = exc
            raise
        finally:
            stop.set()
            for t in threads:  # a partition may still be closing its session after its last batch
                while t.is_alive():
                    with contextlib.suppress(queue.Empty):  # drain, so that a producer blocked on put can finish
                        out.get_nowait()
                    t.join(timeout=0.005)
            if coordinator is not None:
                with contextlib.suppress(Exception):  # lost with the server; the snapshot dies with it
                    coordinator.close()

    return pa.RecordBatchReader.from_batches(schema, batches())
