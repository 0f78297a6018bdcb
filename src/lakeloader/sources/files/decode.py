"""The row-wise part of a files batch: decode one file, fit it to the stream's schema, add the per-file columns.

The same code runs on the driver's decode threads (the local executor) and inside a work unit on another process
or node (`units.py`, the Ray executor): a `Decoder` holds only what it needs (options, the batch's fitter and
output schema) and pickles. A file whose columns the schema lacks raises `SchemaGrew`: the batch is read again.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import pyarrow as pa

from lakeloader.errors import TerminalError
from lakeloader.sources.files import extras
from lakeloader.sources.files.fitter import SchemaFitter
from lakeloader.sources.files.formats import VANISHED, BadRecord, FileRead, Reader, create_reader, read_file
from lakeloader.sources.files.options import FilesOptions
from lakeloader.sources.files.stats import BatchStats

ROW_LEVEL = ("json", "csv", "text")
OUTSIDE = "file resolves outside the watched folder (a symlink); it is never read"
STREAM_FILE_BYTES = 256 << 20  # Parquet files this big are read row group by row group: memory stays bounded


class SchemaGrew(Exception):
    """A file brought columns the batch's schema lacks (or malformed rows need the corrupt-record column)."""

    def __init__(self, path: str, *, corrupt: bool = False) -> None:
        super().__init__(path)
        self.corrupt = corrupt


class Streamed:
    """A big Parquet file, to be read row group by row group as it is written."""


@dataclass
class FileOutcome:
    """What one file gave: rows kept, bad records."""

    rows: int = 0
    bad: list[BadRecord] = field(default_factory=list)
    kept_rows: bool = False

    @property
    def whole_file_bad(self) -> bool:
        return not self.kept_rows and bool(self.bad)


@dataclass
class Decoder:
    """Decode and fit the files of batch `batch_id` to `out` (the batch's columns), as `fitter` says."""

    options: FilesOptions
    declared: pa.Schema | None
    fitter: SchemaFitter
    out: pa.Schema
    batch_id: int
    ingested_at: datetime
    _reader: Reader | None = field(default=None, repr=False)

    def __getstate__(self) -> dict[str, Any]:
        return {**self.__dict__, "_reader": None}  # the format's reader is a function: found again where unpickled

    @property
    def reader(self) -> Reader:
        if self._reader is None:
            self._reader = create_reader(self.options.format)
        return self._reader

    def decode(self, f: list[Any]) -> FileRead | Streamed:
        """Decode one planned file `[path, size, mtime_ns, replaced]` (a big Parquet file is left to `pieces`)."""
        if f[1] == 0:
            reason = "zero-byte file" if os.path.exists(f[0]) else VANISHED
            return FileRead(None, [BadRecord(f[0], reason, rows=0)])
        if self.options.format == "parquet" and f[1] >= STREAM_FILE_BYTES:
            return Streamed()
        got = read_file(self.reader, f[0], self.options, self.declared)
        if got.table is not None and got.table.num_columns:
            # casts run in parallel, here; a failure is met again by fit(), which reports the file
            with contextlib.suppress(pa.ArrowException, ValueError, TypeError):
                got.table = self.fitter.normalise_table(got.table)
        return got

    def pieces(self, got: FileRead | Streamed, path: str) -> Iterator[FileRead]:
        if isinstance(got, Streamed):
            from lakeloader.sources.files.formats import parquet

            yield from parquet.read_row_groups(path)
        else:
            yield got

    def fit_piece(self, piece: FileRead, path: str, stats: BatchStats) -> tuple[pa.Table | None, list[BadRecord]]:
        """Fit one decoded file (or row group) to the stream: (rows to write or None, its bad records)."""
        opts, fitter, out = self.options, self.fitter, self.out
        bad = list(piece.bad)
        table = piece.table
        if table is not None and table.num_columns:
            if fitter.observe(table.schema, path):
                raise SchemaGrew(path)
            try:
                fitted = fitter.fit(table, path)
            except (pa.ArrowException, ValueError, TypeError) as exc:  # never block the batch
                text = (str(exc).splitlines() or [type(exc).__name__])[0][:300]
                bad.append(BadRecord(path, f"rows do not fit the table: {text}", rows=table.num_rows))
                table = None
            else:
                bad += fitted.bad
                stats.rescued_rows += fitted.rescued_rows
                table = fitted.table
        elif table is not None:
            table = None
        fatal = [b for b in bad if b.reason != VANISHED]  # removing a bad file is a way out: it is not fatal
        if fatal and opts.mode == "FAILFAST":
            first = fatal[0]
            where = f" line {first.line}" if first.line else ""
            raise TerminalError(
                f"file {first.file_path}{where}: {first.reason}; mode is FAILFAST so batch {self.batch_id} "
                "was not committed — fix or remove the file, or use mode PERMISSIVE/DROPMALFORMED"
            )
        # with badRecordsPath set, malformed input goes there only, as Databricks documents
        keep_corrupt = opts.mode == "PERMISSIVE" and opts.bad_records_path is None
        corrupt = [b for b in bad if b.raw is not None and b.rows == 1] if keep_corrupt else []
        if corrupt and opts.format in ROW_LEVEL:
            if opts.corrupt_record_column not in out.names:
                raise SchemaGrew(path, corrupt=True)
            table = extras.append_corrupt(table, fitter.schema, corrupt, opts.corrupt_record_column)
        return table, bad

    def batches(
        self, f: list[Any], got: FileRead | Streamed, stats: BatchStats, outcome: FileOutcome
    ) -> Iterator[pa.RecordBatch]:
        """The rows of one decoded file in the batch's columns; `outcome` counts them and its bad records."""
        path = f[0]
        for piece in self.pieces(got, path):  # the file, or its row groups one by one (big Parquet)
            table, bad = self.fit_piece(piece, path, stats)
            outcome.bad += bad
            if table is not None:
                outcome.kept_rows = True
                outcome.rows += table.num_rows
                if table.num_rows:
                    table = extras.add_columns(
                        table, f, self.options, batch_id=self.batch_id, ingested_at=self.ingested_at
                    )
                    yield from extras.conform(table, self.out).to_batches(max_chunksize=64 * 1024)
