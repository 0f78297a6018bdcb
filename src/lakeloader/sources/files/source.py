"""The files source behind the commit protocol: plan a batch of files, read it into one Delta commit, record it.

Planning takes files from ONE listing per run (Spark's availableNow: what is there at the start), minus the
ledger; a second look at each planned file keeps files still being written for the next run. Reading decodes
files in parallel (threads) while delta-rs writes what is already decoded, so reading and writing overlap.
"""

from __future__ import annotations

import contextlib
import logging
import os
from collections import deque
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pyarrow as pa

from lakeloader.errors import ConfigError, TerminalError
from lakeloader.execution.checkpoint import Checkpoint
from lakeloader.lakehouse import datafiles, delta, types
from lakeloader.lakehouse.datafiles import DataFile
from lakeloader.lakehouse.delta import CommitResult
from lakeloader.sources.files import discovery, extras
from lakeloader.sources.files.bad_records import BadRecordsSink
from lakeloader.sources.files.discovery import FileEntry, Lister
from lakeloader.sources.files.formats import BadRecord, FileRead, create_reader, probe_schema, read_file
from lakeloader.sources.files.ledger import FileLedger, LedgerEntry
from lakeloader.sources.files.options import FilesOptions
from lakeloader.sources.files.schema import SchemaFitter, SchemaStore

log = logging.getLogger(__name__)
_FIXED_SCHEMAS = {"text": pa.schema([("value", pa.string())])}
_ROW_LEVEL = ("json", "csv", "text")
_INFERENCE_SAMPLE_FILES = 16
STREAM_FILE_BYTES = 256 << 20  # Parquet files this big are read row group by row group: memory stays bounded


def content_hash(path: str) -> str | None:
    """blake2b of the file's bytes (`contentHash` option), None if it cannot be read any more."""
    import hashlib

    digest = hashlib.blake2b(digest_size=16)
    try:
        with open(path, "rb") as fh:
            for block in iter(lambda: fh.read(1 << 20), b""):
                digest.update(block)
    except OSError:
        return None
    return digest.hexdigest()


class _SchemaGrew(Exception):
    """A file had columns the probe did not see: abort this write and retry with every file probed fully."""


@dataclass(frozen=True)
class _Streamed:
    """A Parquet file too big to decode whole: the writer's thread reads it row group by row group."""


@dataclass(frozen=True)
class _Copied:
    """A Parquet file copied into the table folder as it was (see `FilesSource._copy_columns`)."""

    data_file: DataFile


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
    schema_versions: list[int] = field(default_factory=list)


class FilesSource:
    """One files stream: `plan_next`, `read`, `committed` for execution/stream.py, and its writer."""

    def __init__(
        self,
        *,
        path: Path,
        options: FilesOptions,
        checkpoint: Checkpoint,
        table_location: Path,
        table_name: str,
        declared_schema: pa.Schema | None = None,
        bad_records_location: Path | None = None,
        schema_location: Path | None = None,
        on_batch: Callable[[int, RunStats], None] | None = None,
    ) -> None:
        self.path = path
        self.options = options
        self.checkpoint = checkpoint
        self.table_location = table_location
        self.table_name = table_name
        self.declared = declared_schema
        self.on_batch = on_batch
        state = checkpoint.source_state_path("files")
        self.ledger = FileLedger(state / "ledger.db")
        self.schemas = SchemaStore(schema_location or checkpoint.path)
        self.bad_sink = BadRecordsSink(
            bad_records_location or checkpoint.path / "bad_records",
            state / "staged",
            stream_id=checkpoint.stream_id,
        )
        self.lister = Lister.create(
            path,
            path_glob_filter=options.path_glob_filter,
            recursive=options.recursive_file_lookup,
            modified_after=options.modified_after,
            modified_before=options.modified_before,
            exclude=(checkpoint.path, self.bad_sink.location, self.schemas.folder.parent),
        )
        self.reader = create_reader(options.format)
        self.stats = RunStats()
        self._queue: deque[tuple[FileEntry, bool]] | None = None
        self._fitter: SchemaFitter | None = None
        self._outcome: dict[int, dict[str, Any]] = {}
        self._abort: BaseException | None = None
        self._need_corrupt = False
        self._hashes: dict[str, str | None] = {}
        self._copy_columns: dict[str, pa.DataType] | None = None  # set per read when files may be copied
        self._copied: dict[int, list[DataFile]] = {}  # files copied for a batch (decode threads add): its commit

    # -- planning ---------------------------------------------------------------------------------------
    def _discover(self) -> deque[tuple[FileEntry, bool]]:
        seen: dict[str, tuple[int, int]] | set[str]
        if self.options.allow_overwrites:  # a known path may come back changed: look at every file
            versions = self.ledger.seen()
            listed = self.lister.list_files()
            new = [(e, e.path in versions) for e in listed if versions.get(e.path) != (e.size, e.mtime_ns)]
            seen = versions
        else:  # one listing and a set lookup per file; known files are not even stat'ed
            seen = self.ledger.paths()
            new = [(e, False) for e in self.lister.list_files(known=seen)]
        if not self.options.include_existing_files and not seen and self.checkpoint.latest_planned() is None:
            self.ledger.record(LedgerEntry(e.path, e.size, e.mtime_ns, -1, "skipped") for e, _ in new)
            return deque()
        new.sort(key=lambda item: (item[0].mtime_ns, item[0].path))
        return deque(new)

    def plan_next(self, checkpoint: Checkpoint, *, unlimited: bool = False) -> dict[str, Any] | None:
        if self._queue is None:
            self._queue = self._discover()
        files: list[list[Any]] = []
        size = 0
        max_files = None if unlimited else self.options.max_files_per_trigger
        max_bytes = None if unlimited else self.options.max_bytes_per_trigger
        while self._queue and (max_files is None or len(files) < max_files):
            if max_bytes is not None and files and size >= max_bytes:
                break
            take: list[tuple[FileEntry, bool]] = []
            while self._queue and len(take) < 256:
                take.append(self._queue.popleft())
            stable, waiting, empty = discovery.split_stable(
                [e for e, _ in take], zero_byte_grace=self.options.zero_byte_file_grace
            )
            self.stats.waiting += len(waiting)
            ok = {e.path: e for e in stable + empty}
            leftover: list[tuple[FileEntry, bool]] = []
            for entry, replace in take:
                got = ok.get(entry.path)
                if got is None:
                    continue
                if (max_files is not None and len(files) >= max_files) or (
                    max_bytes is not None and files and size >= max_bytes
                ):
                    leftover.append((entry, replace))
                    continue
                files.append([got.path, got.size, got.mtime_ns, replace])
                size += got.size
            self._queue.extendleft(reversed(leftover))  # next batch starts where this one stopped
        if not files:
            return None
        return {"batch_id": checkpoint.next_batch_id(), "files": files, "bytes": size}

    def reset_listing(self) -> None:
        """Forget this run's listing so the next plan lists the folder again (processingTime triggers)."""
        self._queue = None

    # -- reading ------------------------------------------------------------------------------------------
    def _new_fitter(self) -> SchemaFitter:
        opts = self.options
        declared = self.declared is not None
        current = self.declared if declared else self.schemas.latest()
        if delta.is_delta_table(self.table_location):
            current = extras.merge_table_schema(current, self.table_location, opts)
        return SchemaFitter(
            schema=current,
            mode=opts.evolution_mode(declared=declared),
            rescue_column=opts.rescue_column(declared=declared),
            strings_only=opts.format in ("json", "csv") and not opts.infer_column_types and not declared,
            text_format=opts.format in ("json", "csv", "text"),
            hints=opts.schema_hints,
            table_name=self.table_name,
        )

    def _probe(self, fitter: SchemaFitter, files: list[list[Any]], *, attempt: int) -> None:
        fmt = self.options.format
        if fmt == "binaryFile":
            from lakeloader.sources.files.formats.text import BINARY_SCHEMA

            fitter.observe(BINARY_SCHEMA, "")
            return
        if fmt in _FIXED_SCHEMAS:
            fitter.observe(_FIXED_SCHEMAS[fmt], "")
            return
        if fitter.schema is not None and attempt == 0:
            return  # known schema: a file with new columns aborts the write and the retry probes (rare)
        if attempt == 0:
            files = files[:_INFERENCE_SAMPLE_FILES]  # inference from a sample; later files may still grow it
        full = attempt >= 2

        def look(path: str) -> pa.Schema | None:
            if full:
                got = read_file(self.reader, path, self.options, None)
                return None if got.table is None else got.table.schema
            return probe_schema(fmt, path, self.options)

        with ThreadPoolExecutor(self._threads()) as pool:
            for (path, *_), schema in zip(files, pool.map(look, [f[0] for f in files]), strict=True):
                if schema is not None and len(schema):
                    fitter.observe(schema, path)

    def _table_has(self, column: str) -> bool:
        if not delta.is_delta_table(self.table_location):
            return False
        return column in extras.table_schema(self.table_location).names

    def _threads(self) -> int:
        return self.options.read_threads or max(2, min(8, os.cpu_count() or 2))

    def read(self, plan: dict[str, Any], *, attempt: int = 0) -> pa.RecordBatchReader:
        """Open batch `plan` for reading: probe schemas, then stream the decoded, fitted files.

        Attempt 0 probes a sample only when there is no schema yet; a retry after a file brought new columns
        probes every file cheaply (footers, headers, the first 256 KiB), the next one decodes them all.
        """
        batch_id = int(plan["batch_id"])
        self.discard_copies(batch_id)  # a re-read: the copies of the aborted attempt go
        fitter = self._new_fitter()
        self._probe(fitter, plan["files"], attempt=attempt)
        if fitter.schema is None:  # every file unreadable: the batch only has bad records
            fitter.schema = pa.schema([])
        self._fitter = fitter
        self._abort = None
        corrupt = self._need_corrupt or self._table_has(self.options.corrupt_record_column)
        out_schema = extras.output_schema(fitter, self.options, corrupt=corrupt)
        self._copy_columns = self._copyable_columns(plan, fitter, out_schema)
        self._copied[batch_id] = []
        batches = self._stream(plan, fitter, out_schema)
        return pa.RecordBatchReader.from_batches(out_schema, batches)

    def _copyable_columns(
        self, plan: dict[str, Any], fitter: SchemaFitter, out: pa.Schema
    ) -> dict[str, pa.DataType] | None:
        """The columns a Parquet file may have to be copied into the table as it is; None: re-encode every file.

        A copied file must stand for exactly the rows the decode path would write: so no per-file columns
        (`_metadata`, audit columns), no replaced files (allowOverwrites), no content hashing, and a plain
        append (an unpartitioned table that already has every column).
        """
        opts = self.options
        if opts.format != "parquet" or opts.copy_through_min_file_size is None or fitter.schema is None:
            return None
        if opts.with_metadata or opts.audit_columns or opts.hashing or any(f[3] for f in plan["files"]):
            return None
        if not len(fitter.schema) or not delta.appends_files(self.table_location, out):
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
            (self.table_location / data_file.path).unlink(missing_ok=True)

    def _decoded(
        self, files: list[list[Any]], copied_files: list[DataFile]
    ) -> Iterator[tuple[list[Any], FileRead | _Copied | _Streamed]]:
        """Decode (or copy) files on a thread pool, a few ahead of the writer, yielding them in plan order."""
        fitter = self._fitter
        min_copy = self.options.copy_through_min_file_size

        def one(f: list[Any]) -> FileRead | _Copied | _Streamed:
            if f[1] == 0:
                return FileRead(None, [BadRecord(f[0], "zero-byte file", rows=0)])
            if self._copy_columns is not None and fitter is not None and min_copy is not None and f[1] >= min_copy:
                copied = datafiles.copy_parquet_file(
                    self.table_location, f[0], size=f[1], conforms=self._conforms, normalise=fitter.normalise_table
                )
                if copied is not None:
                    copied_files.append(copied)  # list.append is atomic; the batch commits or deletes these
                    return _Copied(copied)
            if self.options.hashing:  # before reading: the bytes hashed are the bytes read, unless rewritten
                self._hashes[f[0]] = content_hash(f[0])
            if self.options.format == "parquet" and f[1] >= STREAM_FILE_BYTES:
                return _Streamed()
            got = read_file(self.reader, f[0], self.options, self.declared)
            if fitter is not None and got.table is not None and got.table.num_columns:
                # casts run in parallel, here; a failure is met again by fit(), which reports the file
                with contextlib.suppress(pa.ArrowException, ValueError, TypeError):
                    got.table = fitter.normalise_table(got.table)
            return got

        pool = ThreadPoolExecutor(self._threads())
        window: deque[tuple[list[Any], Future[FileRead | _Copied | _Streamed]]] = deque()
        todo = iter(files)
        try:
            for f in todo:
                window.append((f, pool.submit(one, f)))
                if len(window) >= self._threads() + 1:
                    break
            while window:
                f, fut = window.popleft()
                nxt = next(todo, None)
                if nxt is not None:
                    window.append((nxt, pool.submit(one, nxt)))
                yield f, fut.result()
        finally:
            pool.shutdown(wait=True, cancel_futures=True)

    def _stream(self, plan: dict[str, Any], fitter: SchemaFitter, out: pa.Schema) -> Iterator[pa.RecordBatch]:
        opts = self.options
        batch_id = int(plan["batch_id"])
        ingested_at = datetime.now(UTC)
        bad_all: list[BadRecord] = []
        outcome: dict[str, Any] = {}
        known = self.ledger.hashes() if opts.skip_duplicate_files else set()
        try:
            for f, got in self._decoded(plan["files"], self._copied[batch_id]):
                path = f[0]
                if isinstance(got, _Copied):  # already in the table folder; the commit adds it
                    outcome[path] = ["ingested", got.data_file.rows, None]
                    self.stats.copied_files += 1
                    continue
                digest = self._hashes.pop(path, None)
                if opts.skip_duplicate_files and digest is not None:
                    if digest in known:
                        outcome[path] = ["duplicate", 0, digest]
                        self.stats.duplicates += 1
                        continue
                    known.add(digest)
                rows = 0
                file_bad: list[BadRecord] = []
                kept_rows = False
                for piece in self._pieces(got, path):  # the file, or its row groups one by one (big Parquet)
                    table, bad = self._fit_piece(piece, path, fitter, out, batch_id)
                    file_bad += bad
                    if table is not None:
                        kept_rows = True
                        rows += table.num_rows
                        if table.num_rows:
                            table = extras.add_columns(table, f, opts, batch_id=batch_id, ingested_at=ingested_at)
                            yield from extras.conform(table, out).to_batches(max_chunksize=64 * 1024)
                whole_file_bad = not kept_rows and bool(file_bad)
                outcome[path] = ["bad" if whole_file_bad else "ingested", rows, digest]
                bad_all += file_bad
                self.stats.bad_records += len(file_bad)
                self.stats.bad_files += int(whole_file_bad)
            self.bad_sink.stage(batch_id, bad_all, outcome)
            self._outcome[batch_id] = outcome
        except BaseException as exc:
            self._abort = exc
            raise

    def _pieces(self, got: FileRead | _Streamed, path: str) -> Iterator[FileRead]:
        if isinstance(got, _Streamed):
            from lakeloader.sources.files.formats import parquet

            yield from parquet.read_row_groups(path)
        else:
            yield got

    def _fit_piece(
        self, piece: FileRead, path: str, fitter: SchemaFitter, out: pa.Schema, batch_id: int
    ) -> tuple[pa.Table | None, list[BadRecord]]:
        """Fit one decoded file (or row group) to the stream: (rows to write or None, its bad records)."""
        opts = self.options
        bad = list(piece.bad)
        table = piece.table
        if table is not None and table.num_columns:
            if fitter.observe(table.schema, path):
                raise _SchemaGrew(path)
            try:
                fitted = fitter.fit(table, path)
            except (pa.ArrowException, ValueError, TypeError) as exc:  # never block the batch
                text = (str(exc).splitlines() or [type(exc).__name__])[0][:300]
                bad.append(BadRecord(path, f"rows do not fit the table: {text}", rows=table.num_rows))
                table = None
            else:
                bad += fitted.bad
                self.stats.rescued_rows += fitted.rescued_rows
                table = fitted.table
        elif table is not None:
            table = None
        if bad and opts.mode == "FAILFAST":
            first = bad[0]
            where = f" line {first.line}" if first.line else ""
            raise TerminalError(
                f"file {first.file_path}{where}: {first.reason}; mode is FAILFAST so batch {batch_id} "
                "was not committed — fix or remove the file, or use mode PERMISSIVE/DROPMALFORMED"
            )
        corrupt = [b for b in bad if b.raw is not None and b.rows == 1] if opts.mode == "PERMISSIVE" else []
        if corrupt and opts.format in _ROW_LEVEL:
            if opts.corrupt_record_column not in out.names:
                self._need_corrupt = True
                raise _SchemaGrew(path)
            table = extras.append_corrupt(table, fitter.schema, corrupt, opts.corrupt_record_column)
        return table, bad

    # -- writing ------------------------------------------------------------------------------------------
    def write(self, reader: pa.RecordBatchReader, batch_id: int, plan: dict[str, Any]) -> CommitResult:
        """Commit batch N in one Delta commit; rewritten files (allowOverwrites) replace their own rows."""
        replaced = [f[0] for f in plan["files"] if f[3]]
        predicate = None
        has_metadata = (
            delta.is_delta_table(self.table_location) and "_metadata" in extras.table_schema(self.table_location).names
        )
        if replaced and not has_metadata:
            raise ConfigError(
                f"table {self.table_name}: allowOverwrites finds a rewritten file's rows by _metadata.file_path "
                "but the table has no _metadata column; ingest with allowOverwrites from the start"
            )
        if replaced:
            paths = ", ".join("'" + p.replace("'", "''") + "'" for p, *_ in plan["files"])
            predicate = f"_metadata['file_path'] IN ({paths})"
        for attempt in range(3):
            if attempt:
                reader = self.read(plan, attempt=attempt)
            copies = self._copied.get(batch_id) if self._copy_columns is not None else None
            try:
                result = delta.commit_batch(
                    self.table_location,
                    reader,
                    stream_id=self.checkpoint.stream_id,
                    batch_id=batch_id,
                    mode="overwrite" if predicate else "append",
                    predicate=predicate,
                    table_name=self.table_name,
                    metadata={"source": "files", "files": len(plan["files"])},
                    copied_files=copies,
                )
                self._copied.pop(batch_id, None)  # committed: the table owns them now
                return result
            except BaseException as exc:
                if not self._committed(batch_id):  # never delete a file a commit references
                    self.discard_copies(batch_id)
                abort, self._abort = self._abort, None
                if isinstance(abort, _SchemaGrew):
                    log.info("batch %d: file %s has columns the probe missed, re-reading", batch_id, abort)
                    continue
                if abort is not None and abort is not exc:
                    raise abort from None
                raise
        raise ConfigError(f"batch {batch_id}: the schema kept changing while reading; run it again")

    def _committed(self, batch_id: int) -> bool:
        """True unless the table positively does not hold batch `batch_id` (when in doubt, keep the files)."""
        try:
            if not delta.is_delta_table(self.table_location):
                return False
            done = delta.transaction_version(self.table_location, self.checkpoint.stream_id)
        except Exception:
            return True
        return done is not None and done >= batch_id

    # -- recording ----------------------------------------------------------------------------------------
    def committed(self, checkpoint: Checkpoint, batch_id: int, plan: dict[str, Any], result: CommitResult) -> None:
        staged = self.bad_sink.staged(batch_id)
        self.bad_sink.commit(batch_id)
        outcome = self._outcome.pop(batch_id, None) or (staged or {}).get("files", {})
        entries = []
        for path, size, mtime_ns, _ in plan["files"]:
            status, rows, digest = outcome.get(path, ["ingested", None, None])
            entries.append(LedgerEntry(path, size, mtime_ns, batch_id, status, rows, digest))
        self.ledger.record(entries)
        if self._fitter is not None and self._fitter.schema is not None and self.declared is None:
            version = self.schemas.save(self._fitter.schema, reason=f"batch {batch_id}")
            if version is not None:
                self.stats.schema_versions.append(version)
        self.bad_sink.forget(batch_id)
        self.stats.batches += 1
        self.stats.files += len(plan["files"])
        self.stats.bytes += int(plan.get("bytes", 0))
        self.stats.rows += result.rows
        if self.on_batch is not None:
            self.on_batch(batch_id, self.stats)
