"""Format readers: one module per format, one `read(path, options, schema)` each, behind a plain dict registry.

A reader never raises for bad input: it returns the rows it could decode and a `BadRecord` for each malformed
line, row, row group or whole file; the source applies the parse mode (PERMISSIVE, DROPMALFORMED, FAILFAST).
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import pyarrow as pa

if TYPE_CHECKING:
    from lakeloader.sources.files.options import FilesOptions


@dataclass(frozen=True)
class BadRecord:
    """Input that did not become a row: where it was, its raw text when there is one, and why."""

    file_path: str
    reason: str
    line: int | None = None
    offset: int | None = None
    raw: str | None = None
    rows: int | None = None  # source rows it stands for, when known (a lost row group, a whole file)


@dataclass
class FileRead:
    """What a reader got out of one file."""

    table: pa.Table | None
    bad: list[BadRecord] = field(default_factory=list)


Reader = Callable[[str, "FilesOptions", "pa.Schema | None"], FileRead]

_READERS: dict[str, str] = {
    "avro": "lakeloader.sources.files.formats.avro:read",
    "parquet": "lakeloader.sources.files.formats.parquet:read",
    "json": "lakeloader.sources.files.formats.json:read",
    "csv": "lakeloader.sources.files.formats.csv:read",
    "text": "lakeloader.sources.files.formats.text:read_text",
    "binaryFile": "lakeloader.sources.files.formats.text:read_binary",
}


def create_reader(fmt: str) -> Reader:
    module, attr = _READERS[fmt].split(":")
    reader: Reader = getattr(importlib.import_module(module), attr)
    return reader


VANISHED = "file vanished before it could be read"


def is_panic(exc: BaseException) -> bool:
    """True for a Rust panic surfacing through pyo3 (`PanicException`, a BaseException): a reader bug, per file."""
    return type(exc).__name__ == "PanicException"


def read_file(reader: Reader, path: str, options: FilesOptions, schema: pa.Schema | None) -> FileRead:
    """Run `reader` on one file; anything it raises (vanished, unreadable, corrupt, a panic) is one bad record.

    An object on an object store is read through a local copy (sources/files/objects.py); what the reader reports
    names the object."""
    if "://" in path:
        return _read_object(reader, path, options, schema)
    try:
        return reader(path, options, schema)
    except Exception as exc:  # corrupt input shows up as any exception type of any library
        return FileRead(None, [bad_file(path, exc)])
    except BaseException as exc:
        if not is_panic(exc):
            raise
        return FileRead(None, [bad_file(path, exc)])


def _read_object(reader: Reader, url: str, options: FilesOptions, schema: pa.Schema | None) -> FileRead:
    from dataclasses import replace

    from lakeloader.sources.files.objects import local_copy

    try:
        with local_copy(url) as local:
            got = read_file(reader, local, options, schema)
    except Exception as exc:
        return FileRead(None, [bad_file(url, exc)])
    got.bad = [replace(b, file_path=url) if b.file_path == local else b for b in got.bad]
    return got


def bad_file(path: str, exc: BaseException) -> BadRecord:
    """The bad record for a whole file that could not be read: vanished, not readable, or corrupt."""
    if isinstance(exc, FileNotFoundError):
        return BadRecord(path, VANISHED)
    if isinstance(exc, PermissionError):
        return BadRecord(path, f"file is not readable ({exc.strerror})")
    text = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    if is_panic(exc):
        return BadRecord(path, f"unreadable file: the reader panicked: {text[:500]}")
    return BadRecord(path, f"unreadable file: {type(exc).__name__}: {text[:500]}")


def read_bytes(path: str) -> bytes:
    """The file's bytes, decompressed when the name says so (.gz, .zst, .bz2, .lz4)."""
    with pa.input_stream(path, compression="detect") as stream:
        data: bytes = stream.read()
    return data


def probe_schema(fmt: str, path: str, options: FilesOptions, *, sample_bytes: int = 256 << 10) -> pa.Schema | None:
    """A cheap look at a file's schema: the Parquet footer, the Avro header, the first 256 KiB of JSON/CSV.

    None when the file cannot be probed (it will be reported bad when read, or read whole to learn it).
    """
    try:
        if "://" in path:
            from lakeloader.sources.files.objects import local_copy

            with local_copy(path) as local:
                return _probe(fmt, local, options, sample_bytes)
        return _probe(fmt, path, options, sample_bytes)
    except Exception:
        return None
    except BaseException as exc:
        if not is_panic(exc):
            raise
        return None


def _probe(fmt: str, path: str, options: FilesOptions, sample_bytes: int) -> pa.Schema | None:
    if fmt == "parquet":
        from lakeloader.sources.files.formats import parquet

        return parquet.probe(path)
    if fmt == "avro":
        from lakeloader.sources.files.formats import avro

        return avro.probe(path)
    if fmt in ("json", "csv"):
        with pa.input_stream(path, compression="detect") as stream:
            data: bytes = stream.read(sample_bytes)
            more = bool(stream.read(1))
        if more and not options.multi_line:
            data = data[: data.rfind(b"\n") + 1] or data
        elif more:
            return None  # a multi-line document cannot be cut: read it whole
        if fmt == "json":
            from lakeloader.sources.files.formats import json as fjson

            got = fjson.parse(path, data, options, None)
        else:
            from lakeloader.sources.files.formats import csv as fcsv

            got = fcsv.parse(path, data, options, None)
        return None if got.table is None else got.table.schema
    got = read_file(create_reader(fmt), path, options, None)
    return None if got.table is None else got.table.schema
