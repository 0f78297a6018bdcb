"""The files source behind the commit protocol: plan a batch of files, read it into one Delta commit, record it.

Planning (`planning.py`) takes files from ONE listing per run, minus the ledger. Reading decodes files in
parallel (threads) while delta-rs writes what is already decoded, so reading and writing overlap. A file that
brings columns the batch's schema lacks aborts the write before it commits; the batch is read again with the
schema grown by what that read learned, until it stops growing.
"""

from __future__ import annotations

import logging
import os
from collections import deque
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pyarrow as pa

from lakeloader.errors import ConfigError, TerminalError
from lakeloader.execution.checkpoint import Checkpoint
from lakeloader.execution.executor import Executor
from lakeloader.execution.second_stream import commit_metadata
from lakeloader.lakehouse import datafiles, delta, storage, types
from lakeloader.lakehouse.datafiles import DataFile
from lakeloader.lakehouse.delta import CommitResult
from lakeloader.sources.files import extras
from lakeloader.sources.files.bad_records import BadRecordsSink
from lakeloader.sources.files.decode import OUTSIDE, Decoder, FileOutcome, SchemaGrew, Streamed
from lakeloader.sources.files.discovery import make_lister
from lakeloader.sources.files.formats import (
    VANISHED,
    BadRecord,
    FileRead,
    create_reader,
    probe_schema,
    read_file,
    sniff,
)
from lakeloader.sources.files.ledger import FileLedger, LedgerEntry
from lakeloader.sources.files.options import FilesOptions
from lakeloader.sources.files.planning import Planner, no_metadata_error, table_has_metadata
from lakeloader.sources.files.schema import SchemaFitter, SchemaStore
from lakeloader.sources.files.stats import BatchStats, RunStats

log = logging.getLogger(__name__)
_FIXED_SCHEMAS = {"text": pa.schema([("value", pa.string())])}
_MAX_READS = 64  # a batch is re-read at most this often (each re-read grows the schema; columns are finite)

__all__ = ["FilesSource", "RunStats", "content_hash"]


def content_hash(path: str) -> str | None:
    """blake2b of the file's bytes (`contentHash` option), None if it cannot be read any more."""
    import hashlib

    digest = hashlib.blake2b(digest_size=16)
    if "://" in path:
        from lakeloader.sources.files.objects import local_copy

        try:
            with local_copy(path) as local:
                return content_hash(local)
        except OSError:
            return None
    try:
        with open(path, "rb") as fh:
            for block in iter(lambda: fh.read(1 << 20), b""):
                digest.update(block)
    except OSError:
        return None
    return digest.hexdigest()


def _local(where: storage.Location) -> Path:
    """A schema location's local folder: itself, or the mirror of one on an object store (execution/mirror.py)."""
    if isinstance(where, storage.ObjectPath):
        from lakeloader.execution.mirror import open_mirror

        return open_mirror(where).local
    return where


@dataclass(frozen=True)
class _Copied:
    """A Parquet file copied into the table folder as it was (see `FilesSource._copy_columns`)."""

    data_file: DataFile


class FilesSource:
    """One files stream: `plan_next`, `read`, `committed` for execution/stream.py, and its writer."""

    def __init__(
        self,
        *,
        path: storage.Location,
        options: FilesOptions,
        checkpoint: Checkpoint,
        table_location: storage.Location | None,
        table_name: str,
        declared_schema: pa.Schema | None = None,
        bad_records_location: storage.Location | None = None,
        schema_location: storage.Location | None = None,
        on_batch: Callable[[int, RunStats], None] | None = None,
        on_read: Callable[[RunStats], None] | None = None,
    ) -> None:
        self.path = path
        self.options = options
        self.checkpoint = checkpoint
        self.table_location = table_location
        self.table_name = table_name
        self.declared = declared_schema
        self.on_batch = on_batch
        self.on_read = on_read  # each file read: the run's figures with the batch in flight (a progress bar)
        # what a writeStream's query does to each batch before it is committed (None: the rows as read)
        self.transform: Callable[[pa.RecordBatchReader], pa.RecordBatchReader] | None = None
        self._in_flight = RunStats()
        state = checkpoint.source_state_path("files")
        self.ledger = FileLedger(state / "ledger.db")
        self.schemas = SchemaStore(_local(schema_location) if schema_location else checkpoint.path)
        self.bad_sink = BadRecordsSink(
            bad_records_location or checkpoint.location / "bad_records",
            state / "staged",
            stream_id=checkpoint.stream_id,
        )
        self.lister = make_lister(
            path,
            path_glob_filter=options.path_glob_filter,
            recursive=options.recursive_file_lookup,
            modified_after=options.modified_after,
            modified_before=options.modified_before,
            exclude=(checkpoint.path, self.bad_sink.location, self.schemas.folder.parent),
        )
        self.planner = Planner(
            lister=self.lister,
            ledger=self.ledger,
            options=options,
            table_location=table_location,
            table_name=table_name,
        )
        self.reader = create_reader(options.format)
        self.stats = RunStats()
        self._fitter: SchemaFitter | None = None
        self._decoder: Decoder | None = None  # the batch being read: its fitter and columns
        self.executor: Executor | None = None  # a distributed one runs the batch's rows as work units
        self._learned: dict[int, pa.Schema] = {}  # per batch: the schema an aborted read grew to
        self._outcome: dict[int, dict[str, Any]] = {}
        self._batch_stats: dict[int, BatchStats] = {}
        self._abort: BaseException | None = None
        self._need_corrupt = False
        self._hashes: dict[str, str | None] = {}
        self._folders: dict[str, bool] = {}  # per read: parent folders found inside the watched folder
        self._copy_columns: dict[str, pa.DataType] | None = None  # set per read when files may be copied
        self._copied: dict[int, list[DataFile]] = {}  # files copied for a batch (decode threads add): its commit

    # -- planning ---------------------------------------------------------------------------------------
    def plan_next(self, checkpoint: Checkpoint, *, unlimited: bool = False) -> dict[str, Any] | None:
        plan = self.planner.plan_next(checkpoint, unlimited=unlimited)
        if plan is not None:
            self._check_formats(plan["files"])  # before the plan is written: a refused batch leaves no trace
        self.stats.waiting, self.stats.refused_links = self.planner.waiting, len(self.planner.refused)
        return plan

    def reset_listing(self) -> None:
        """Forget this run's listing so the next plan lists the folder again (processingTime triggers)."""
        self.planner.queue = None

    def _files(self, plan: dict[str, Any]) -> list[list[Any]]:
        """The planned files this batch reads: a planned rewrite is left alone once allowOverwrites is off.

        Such a plan was never committed (a rewrite of a table without `_metadata` cannot be), so leaving the
        rewritten file out changes nothing already in the table; its ledger entry stays as it was.
        """
        if self.options.allow_overwrites:
            return list(plan["files"])
        return [f for f in plan["files"] if not f[3]]

    # -- reading ------------------------------------------------------------------------------------------
    def _new_fitter(self, batch_id: int) -> SchemaFitter:
        opts = self.options
        declared = self.declared is not None
        current = self.declared if declared else self.schemas.latest()
        if self.table_location is not None and delta.is_delta_table(self.table_location):
            current = extras.merge_table_schema(current, self.table_location, opts)
        learned = self._learned.get(batch_id)
        fitter = SchemaFitter(
            schema=current,
            mode=opts.evolution_mode(declared=declared),
            rescue_column=opts.rescue_column(declared=declared),
            strings_only=opts.format in ("json", "csv") and not opts.infer_column_types and not declared,
            text_format=opts.format in ("json", "csv", "text"),
            hints=opts.schema_hints,
            table_name=self.table_name,
            case_sensitive=opts.reader_case_sensitive,
        )
        if learned is not None and len(learned):  # what an aborted read of this batch already learned
            fitter.schema = learned
        return fitter

    def _probe(self, fitter: SchemaFitter, files: list[list[Any]], *, attempt: int) -> None:
        fmt = self.options.format
        if fmt == "binaryFile":
            from lakeloader.sources.files.formats.text import BINARY_SCHEMA

            fitter.observe(BINARY_SCHEMA, "")
            return
        if fmt in _FIXED_SCHEMAS:
            fitter.observe(_FIXED_SCHEMAS[fmt], "")
            return
        if not fitter.empty and attempt != 1:
            return  # known schema: a file with new columns aborts the write and the re-read probes (rare)
        if attempt == 0:  # inference from a sample (later files may still grow it, as the mode says)
            most, budget = self.options.inference_sample(declared=self.declared is not None)
            sample: list[list[Any]] = []
            used = 0
            for f in files:
                if sample and (len(sample) >= most or used + int(f[1]) > budget):
                    break
                sample.append(f)
                used += int(f[1])
            files = sample

        def look(path: str) -> pa.Schema | None:
            schema = probe_schema(fmt, path, self.options)
            if schema is None and fitter.empty:  # too big to probe cheaply (one multi-line document): read it
                got = read_file(self.reader, path, self.options, self.declared)
                schema = None if got.table is None else got.table.schema
            return schema

        with ThreadPoolExecutor(self._threads()) as pool:
            for (path, *_), schema in zip(files, pool.map(look, [f[0] for f in files]), strict=True):
                if schema is not None and len(schema):
                    fitter.observe(schema, path)

    def _check_formats(self, files: list[list[Any]]) -> None:
        """Refuse a batch, before it is planned or read, if a file's bytes show another format than the stream's."""
        with ThreadPoolExecutor(self._threads()) as pool:
            for _ in pool.map(lambda f: sniff.check(f[0], self.options.format), files):
                pass

    def _table_has(self, column: str) -> bool:
        if self.table_location is None or not delta.is_delta_table(self.table_location):
            return False
        return column in extras.table_schema(self.table_location).names

    def _threads(self) -> int:
        return self.options.read_threads or max(2, min(8, os.cpu_count() or 2))

    def read(self, plan: dict[str, Any], *, attempt: int = 0) -> pa.RecordBatchReader:
        """Open batch `plan` for reading: probe schemas, then stream the decoded, fitted files.

        Attempt 0 probes a sample only when there is no schema yet; the first re-read after a file brought new
        columns probes every file cheaply (footers, headers, the first 256 KiB); each re-read starts from the
        schema the aborted one grew to.
        """
        batch_id = int(plan["batch_id"])
        self.discard_copies(batch_id)  # a re-read: the copies of the aborted attempt go
        fitter = self._new_fitter(batch_id)
        files = self._files(plan)
        self._probe(fitter, files, attempt=attempt)
        fitter.inferring = False  # the sample is in: from here on the mode decides
        if fitter.schema is None:  # every file unreadable: the batch only has bad records, no schema is stored
            fitter.schema = pa.schema([])
        self._fitter = fitter
        self._abort = None
        self._batch_stats[batch_id] = BatchStats()
        self._in_flight = RunStats()  # a re-read counts the batch again from nothing
        self._folders = {}
        corrupt = self._need_corrupt or self._table_has(self.options.corrupt_record_column)
        out_schema = extras.output_schema(fitter, self.options, corrupt=corrupt)
        self._copy_columns = self._copyable_columns(files, fitter, out_schema)
        self._copied[batch_id] = []
        self._decoder = Decoder(self.options, self.declared, fitter, out_schema, batch_id, datetime.now(UTC))
        batches = self._stream(batch_id, files, fitter, out_schema)
        return pa.RecordBatchReader.from_batches(out_schema, batches)

    def _copyable_columns(
        self, files: list[list[Any]], fitter: SchemaFitter, out: pa.Schema
    ) -> dict[str, pa.DataType] | None:
        """The columns a Parquet file may have to be copied into the table as it is; None: re-encode every file.

        A copied file must stand for exactly the rows the decode path would write: so no per-file columns
        (`_metadata`, audit columns), no replaced files (allowOverwrites), no content hashing, and a plain
        append (an unpartitioned table that already has every column).
        """
        opts = self.options
        if opts.format != "parquet" or opts.copy_through_min_file_size is None or fitter.schema is None:
            return None
        if opts.with_metadata or opts.audit_columns or opts.hashing or any(f[3] for f in files):
            return None
        if self.table_location is None or not len(fitter.schema) or not delta.appends_files(self.table_location, out):
            return None
        return {f.name: f.type for f in fitter.schema}

    def _conforms(self, file_schema: pa.Schema) -> bool:
        """True if the file's columns are stream columns, each stored exactly as the table stores it."""
        want = self._copy_columns
        names = file_schema.names
        if want is None or not names or len(set(names)) != len(names):
            return False
        return all(n in want and types.stored_as_is(file_schema.field(n).type, want[n]) for n in names)

    def discard_copies(self, batch_id: int) -> None:
        """Delete the files copied for `batch_id` (its commit did not happen, or is being read again)."""
        for data_file in self._copied.pop(batch_id, []):
            assert self.table_location is not None  # copies are made only into a target table
            (self.table_location / data_file.path).unlink(missing_ok=True)

    def _read_one(self, f: list[Any], copied_files: list[DataFile]) -> FileRead | _Copied | Streamed:
        """Decode (or copy) one planned file; on a worker thread."""
        decoder = self._decoder
        assert decoder is not None  # set by read()
        min_copy = self.options.copy_through_min_file_size
        if not self.lister.contains(f[0], self._folders):  # swapped for a link out since it was listed
            return FileRead(None, [BadRecord(f[0], VANISHED if not os.path.lexists(f[0]) else OUTSIDE)])
        if f[1] and self._copy_columns is not None and min_copy is not None and f[1] >= min_copy:
            assert self.table_location is not None  # _copy_columns is None without a target table
            copied = datafiles.copy_parquet_file(
                self.table_location,
                f[0],
                size=f[1],
                conforms=self._conforms,
                normalise=decoder.fitter.normalise_table,
            )
            if copied is not None:
                copied_files.append(copied)  # list.append is atomic; the batch commits or deletes these
                return _Copied(copied)
        if f[1] and self.options.hashing:  # before reading: the bytes hashed are the bytes read, unless rewritten
            self._hashes[f[0]] = content_hash(f[0])
        return decoder.decode(f)

    def _decoded(
        self, files: list[list[Any]], copied_files: list[DataFile]
    ) -> Iterator[tuple[list[Any], FileRead | _Copied | Streamed]]:
        """Decode (or copy) files on a thread pool, a few ahead of the writer, yielding them in plan order."""
        if self.executor is not None and self.executor.distributed and not self.options.hashing:
            yield from self._decoded_on_executor(files)
            return
        pool = ThreadPoolExecutor(self._threads())
        window: deque[tuple[list[Any], Future[FileRead | _Copied | Streamed]]] = deque()
        todo = iter(files)
        try:
            for f in todo:
                window.append((f, pool.submit(self._read_one, f, copied_files)))
                if len(window) >= self._threads() + 1:
                    break
            while window:
                f, fut = window.popleft()
                nxt = next(todo, None)
                if nxt is not None:
                    window.append((nxt, pool.submit(self._read_one, nxt, copied_files)))
                yield f, fut.result()
        finally:
            pool.shutdown(wait=True, cancel_futures=True)

    def _decoded_on_executor(self, files: list[list[Any]]) -> Iterator[tuple[list[Any], FileRead | Streamed]]:
        """Decode files in work units of the executor (a query over the batch runs here, on what they return)."""
        from lakeloader.execution.executor import units_by_bytes
        from lakeloader.sources.files.units import DecodeUnit, decode_unit

        assert self.executor is not None and self._decoder is not None
        outside = {f[0] for f in files if not self.lister.contains(f[0], self._folders)}
        parts = units_by_bytes([f for f in files if f[0] not in outside], lambda f: int(f[1]),
                               self.executor.max_bytes_per_task)  # fmt: skip
        work = [DecodeUnit(self._decoder, part) for part in parts]
        decoded = self.executor.map(decode_unit, work, label=f"a batch of the stream into {self.table_name}")
        for f in files:
            if f[0] in outside:
                yield f, FileRead(None, [BadRecord(f[0], VANISHED if not os.path.lexists(f[0]) else OUTSIDE)])
        nodes = set()
        for part, (node, got) in zip(parts, decoded, strict=True):
            nodes.add(node)
            yield from zip(part, got, strict=True)
        self.stats.units += len(work)
        self.stats.nodes = sorted(set(self.stats.nodes) | nodes)
        log.info("%s: %d files decoded in %d work units on %d Ray nodes", self.table_name, len(files), len(work),
                 len(nodes))  # fmt: skip

    def _stream(
        self, batch_id: int, files: list[list[Any]], fitter: SchemaFitter, out: pa.Schema
    ) -> Iterator[pa.RecordBatch]:
        opts = self.options
        stats = self._batch_stats[batch_id]
        bad_all: list[BadRecord] = []
        outcome: dict[str, Any] = {}
        known = self.ledger.hashes() if opts.skip_duplicate_files else set()
        try:
            for f, got in self._decoded(files, self._copied[batch_id]):
                path = f[0]
                if isinstance(got, _Copied):  # already in the table folder; the commit adds it
                    outcome[path] = ["ingested", got.data_file.rows, None]
                    stats.copied_files += 1
                    self._read_one_more(f, got.data_file.rows)
                    continue
                digest = self._hashes.pop(path, None)
                if opts.skip_duplicate_files and digest is not None:
                    if digest in known:
                        outcome[path] = ["duplicate", 0, digest]
                        stats.duplicates += 1
                        continue
                    known.add(digest)
                assert self._decoder is not None
                got_file = FileOutcome()
                yield from self._decoder.batches(f, got, stats, got_file)
                rows, file_bad = got_file.rows, got_file.bad
                outcome[path] = ["bad" if got_file.whole_file_bad else "ingested", rows, digest]
                bad_all += file_bad
                stats.bad_records += len(file_bad)
                stats.bad_files += int(got_file.whole_file_bad)
                self._read_one_more(f, rows, bad=len(file_bad))
            self.bad_sink.stage(batch_id, bad_all, outcome)
            self._outcome[batch_id] = outcome
        except BaseException as exc:
            if isinstance(exc, SchemaGrew) and exc.corrupt:
                self._need_corrupt = True  # the re-read adds the corrupt-record column
            self._abort = exc
            raise

    def _read_one_more(self, f: list[Any], rows: int, *, bad: int = 0) -> None:
        """Count one more file read in the batch in flight, and show the run's figures with it."""
        if self.on_read is None:
            return
        flight = self._in_flight
        flight.files, flight.bytes, flight.rows, flight.bad_records = (
            flight.files + 1,
            flight.bytes + int(f[1]),
            flight.rows + rows,
            flight.bad_records + bad,
        )
        done = self.stats
        self.on_read(
            RunStats(
                files=done.files + flight.files,
                bytes=done.bytes + flight.bytes,
                rows=done.rows + flight.rows,
                bad_records=done.bad_records + flight.bad_records,
                batches=done.batches,
            )
        )

    # -- writing ------------------------------------------------------------------------------------------
    def write(self, reader: pa.RecordBatchReader, batch_id: int, plan: dict[str, Any]) -> CommitResult:
        """Commit batch N in one Delta commit; rewritten files (allowOverwrites) replace their own rows."""
        if self.table_location is None:
            raise TerminalError(f"files source for {self.table_name}: it has no target table to write to")
        files = self._files(plan)
        replaced = [f[0] for f in files if f[3]]
        predicate = None
        if replaced and not table_has_metadata(self.table_location):
            raise no_metadata_error(self.table_name)
        if replaced:
            paths = ", ".join("'" + p.replace("'", "''") + "'" for p, *_ in files)
            predicate = f"_metadata['file_path'] IN ({paths})"
        elif self._on_executor():
            from lakeloader.sources.files.units import write_on_executor

            return write_on_executor(self, plan, batch_id)
        for attempt in range(_MAX_READS):
            if attempt:
                reader = self.read(plan, attempt=attempt)
            copies = self._copied.get(batch_id) if self._copy_columns is not None else None
            try:
                result = delta.commit_batch(
                    self.table_location,
                    self.transform(reader) if self.transform is not None else reader,
                    stream_id=self.checkpoint.stream_id,
                    batch_id=batch_id,
                    mode="overwrite" if predicate else "append",
                    predicate=predicate,
                    table_name=self.table_name,
                    metadata={"source": "files", "files": len(files), **commit_metadata(self.checkpoint)},
                    copied_files=copies,
                )
                self._copied.pop(batch_id, None)  # committed: the table owns them now
                return result
            except BaseException as exc:
                if not self._committed(batch_id):  # never delete a file a commit references
                    self.discard_copies(batch_id)
                abort, self._abort = self._abort, None
                if isinstance(abort, SchemaGrew):
                    assert self._fitter is not None and self._fitter.schema is not None
                    self._learned[batch_id] = self._fitter.schema  # the re-read starts where this one got
                    log.info("batch %d: file %s has columns the probe missed, re-reading", batch_id, abort)
                    continue
                if abort is not None and abort is not exc:
                    raise abort from None
                raise
        raise ConfigError(
            f"batch {batch_id}: the schema grew on each of {_MAX_READS} reads; check the files of "
            f"{self.checkpoint.path}/offsets/{batch_id}.json"
        )

    def _on_executor(self) -> bool:
        """True when this batch's rows are read and written by work units of a distributed executor.

        What needs the whole batch in one place stays on the driver: a writeStream query over the batch, content
        hashing (skipDuplicateFiles: the first file with given bytes wins), and rewritten files (replaceWhere)."""
        ex = self.executor
        if ex is None or not ex.distributed:
            return False
        opts = self.options
        if self.transform is not None or opts.hashing or opts.skip_duplicate_files:
            log.info("stream into %s: this batch is read on the driver (a query or content hashing)", self.table_name)
            return False
        return True

    def _committed(self, batch_id: int) -> bool:
        """True unless the table positively does not hold batch `batch_id` (when in doubt, keep the files)."""
        from lakeloader.execution.unit_files import holds_batch

        return holds_batch(self.table_location, self.checkpoint.stream_id, batch_id)

    # -- recording ----------------------------------------------------------------------------------------
    def committed(self, checkpoint: Checkpoint, batch_id: int, plan: dict[str, Any], result: CommitResult) -> None:
        staged = self.bad_sink.staged(batch_id)
        self.bad_sink.commit(batch_id)
        outcome = self._outcome.pop(batch_id, None) or (staged or {}).get("files", {})
        files = self._files(plan)
        entries = []
        for path, size, mtime_ns, _ in files:
            status, rows, digest = outcome.get(path, ["ingested", None, None])
            entries.append(LedgerEntry(path, size, mtime_ns, batch_id, status, rows, digest))
        self.ledger.record(entries)
        batch_stats = self._batch_stats.pop(batch_id, BatchStats())
        self._learned.pop(batch_id, None)
        fitter, self._fitter = self._fitter, None
        if fitter is not None and fitter.schema is not None and self.declared is None and not result.skipped:
            version = self.schemas.save(fitter.schema, reason=f"batch {batch_id}")
            if version is not None:
                self.stats.schema_versions.append(version)
        self.stats.schema_pending = self.declared is None and self.schemas.latest() is None
        self.bad_sink.forget(batch_id)
        if result.skipped:  # another run (or this stream before a crash) committed it: not this run's work
            return
        batch_stats.add_to(self.stats)
        self.stats.batches += 1
        self.stats.files += len(files)
        self.stats.bytes += sum(int(f[1]) for f in files)
        self.stats.rows += result.rows
        if self.on_batch is not None:
            self.on_batch(batch_id, self.stats)
