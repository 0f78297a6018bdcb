"""Parallel Parquet data files for a Delta commit: encode on every core, return add actions with statistics.

delta-rs encodes a write on one thread; Parquet encoding is most of a write's CPU. Here the incoming stream
is cut into chunks that worker threads encode at once (pyarrow releases the GIL), and `delta/` commits all
the files in ONE transaction. Nothing here touches the Delta log.
"""

from __future__ import annotations

import decimal
import json
import math
import os
import shutil
import time
import uuid
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from lakeloader.lakehouse import storage

CHUNK_BYTES = 32 * 1024 * 1024  # Arrow bytes per data file: bounded memory, files of a few to ~20 MB compressed


def default_workers() -> int:
    return max(1, min(4, os.cpu_count() or 1))


@dataclass(frozen=True)
class DataFile:
    """One written Parquet file, relative to the table root, with its Delta statistics JSON."""

    path: str
    size: int
    rows: int
    stats: str
    modification_time: int


_LAST_MS = datetime(9999, 12, 31, 23, 59, 59, 999000)  # a max past it cannot be rounded up in the log's form


def _outward(value: float, *, up: bool) -> float:
    return math.nextafter(value, math.inf if up else -math.inf)


def _bound(value: Any, arrow_type: pa.DataType, *, up: bool) -> Any:
    """One min (up=False) or max (up=True) in delta-rs' stats JSON form, rounded outward where it is inexact."""
    if isinstance(value, bool) or pa.types.is_integer(arrow_type) or pa.types.is_string(arrow_type):
        return value
    if pa.types.is_floating(arrow_type):
        return float(value)
    if pa.types.is_decimal(arrow_type):  # JSON numbers are doubles to the reader: never round inward
        approx = float(value)
        # readers parse the JSON text (the shortest repr of the double), so check that text, not the double
        while (decimal.Decimal(repr(approx)) < value) if up else (decimal.Decimal(repr(approx)) > value):
            approx = _outward(approx, up=up)
        return approx
    if pa.types.is_date32(arrow_type):
        return value.isoformat()
    if pa.types.is_timestamp(arrow_type):  # the log keeps milliseconds: floor the min, ceil the max
        micros = value.microsecond % 1000
        if micros and up and value < _LAST_MS.replace(tzinfo=value.tzinfo):
            value += timedelta(microseconds=1000 - micros)
        elif micros:
            value -= timedelta(microseconds=micros)
        if arrow_type.tz is not None:
            return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.") + f"{value.microsecond // 1000:03d}Z"
        return value.strftime("%Y-%m-%d %H:%M:%S.") + f"{value.microsecond // 1000:03d}"
    return None


def parquet_string_bounds(metadata: pq.FileMetaData) -> dict[str, tuple[str, str] | None]:
    """Min and max of each top-level string column from the footer the writer just computed (free, unlike a scan).

    None when a row group with values has no bounds (the writer drops statistics of very long values).
    """
    out: dict[str, tuple[str, str] | None] = {}
    for i in range(metadata.num_columns):
        column = metadata.schema.column(i)
        if "." in column.path or column.logical_type.type != "STRING":
            continue
        low: str | None = None
        high: str | None = None
        known = True
        for rg in range(metadata.num_row_groups):
            chunk = metadata.row_group(rg).column(i)
            stats = chunk.statistics
            if stats is None or not stats.has_null_count:
                known = False
                break
            if not stats.has_min_max:
                if stats.null_count != chunk.num_values:
                    known = False
                    break
                continue
            low = stats.min if low is None or stats.min.encode() < low.encode() else low
            high = stats.max if high is None or stats.max.encode() > high.encode() else high
        out[column.path] = (low, high) if known and low is not None and high is not None else None
    return out


def _column_stats(array: pa.ChunkedArray, arrow_type: pa.DataType) -> tuple[Any, Any, Any]:
    """(min, max, nullCount) of one column; struct columns give nested dicts, lists and binary no bounds."""
    if pa.types.is_struct(arrow_type):
        mins: dict[str, Any] = {}
        maxs: dict[str, Any] = {}
        nulls: dict[str, Any] = {}
        children = [c.flatten() for c in array.chunks]  # flatten() applies the struct's own nulls
        flat = [
            pa.chunked_array([c[i] for c in children], arrow_type.field(i).type) for i in range(arrow_type.num_fields)
        ]
        for i, child in enumerate(flat):
            name = arrow_type.field(i).name
            lo, hi, nc = _column_stats(child, arrow_type.field(i).type)
            if nc is not None:
                nulls[name] = nc
            if lo is not None:
                mins[name], maxs[name] = lo, hi
        return mins or None, maxs or None, nulls or None
    null_count = array.null_count
    if not (
        pa.types.is_integer(arrow_type)
        or pa.types.is_floating(arrow_type)
        or pa.types.is_decimal(arrow_type)
        or pa.types.is_string(arrow_type)
        or pa.types.is_boolean(arrow_type)
        or pa.types.is_date32(arrow_type)
        or pa.types.is_timestamp(arrow_type)
    ):
        return None, None, None if pa.types.is_nested(arrow_type) else null_count
    values = array
    if pa.types.is_floating(arrow_type):  # NaN never bounds a range
        values = pc.if_else(pc.is_nan(array), pa.scalar(None, arrow_type), array)
    extremes = pc.min_max(values)
    try:
        low, high = extremes["min"].as_py(), extremes["max"].as_py()
    except (OverflowError, ValueError):  # a date or instant outside Python's years 1-9999: no bounds (safe)
        return None, None, null_count
    if low is None:
        return None, None, null_count
    return _bound(low, arrow_type, up=False), _bound(high, arrow_type, up=True), null_count


def _stats(table: pa.Table, string_bounds: dict[str, tuple[str, str] | None] | None = None) -> str:
    """Delta statistics as delta-rs writes them: numRecords, and per column nullCount and min/max.

    Bounds are exact or rounded outward (never inward), so a reader that skips files by them never skips a
    matching row. (lakeloader's own reads do not depend on them: see `delta.dataset`.)
    """
    mins: dict[str, Any] = {}
    maxs: dict[str, Any] = {}
    nulls: dict[str, Any] = {}
    for field, column in zip(table.schema, table.columns, strict=True):
        if string_bounds is not None and field.name in string_bounds and pa.types.is_string(field.type):
            bounds = string_bounds[field.name]  # from the Parquet footer: no second pass over the strings
            low, high = bounds if bounds is not None else (None, None)
            null_count = column.null_count
        else:
            low, high, null_count = _column_stats(column, field.type)
        if null_count is not None:
            nulls[field.name] = null_count
        if low is not None:
            mins[field.name], maxs[field.name] = low, high
    return json.dumps(
        {"numRecords": table.num_rows, "minValues": mins, "maxValues": maxs, "nullCount": nulls},
        separators=(",", ":"),
        default=str,
    )


def merge_stats(a: dict[str, Any], b: dict[str, Any], schema: pa.Schema) -> dict[str, Any]:
    """The statistics of two parts of one file (row groups read one at a time), from the stats of each part.

    Counts add up; bounds take the lower min and the higher max (the log's forms order like their values:
    numbers, ISO dates and fixed-width timestamps, strings by code point). A column loses its bounds when a
    part holding non-null values has none for it, so merged bounds are never narrower than the values — except
    a floating column, whose part without bounds held only NaN, which never bounds a range (as in `_stats`).
    """

    def bounds(lo_a: Any, hi_a: Any, lo_b: Any, hi_b: Any, na: Any, nb: Any, t: pa.DataType) -> Any:
        if pa.types.is_struct(t):
            parts = (lo_a, hi_a, lo_b, hi_b, na, nb)
            lo_a, hi_a, lo_b, hi_b, na, nb = (x if isinstance(x, dict) else {} for x in parts)
            lows: dict[str, Any] = {}
            highs: dict[str, Any] = {}
            for i in range(t.num_fields):
                key = t.field(i).name
                got = bounds(lo_a.get(key), hi_a.get(key), lo_b.get(key), hi_b.get(key), na.get(key), nb.get(key),
                             t.field(i).type)  # fmt: skip
                if got is not None:
                    lows[key], highs[key] = got
            return (lows, highs) if lows else None
        nan_only = pa.types.is_floating(t)  # no bounds with values: only NaN
        has_a = not nan_only and (not isinstance(na, int) or na < rows_a)  # unknown null count: assume values
        has_b = not nan_only and (not isinstance(nb, int) or nb < rows_b)
        if (lo_a is None and has_a) or (lo_b is None and has_b):
            return None  # a part with values but no bounds: the merge cannot bound them
        if lo_a is None:
            return None if lo_b is None else (lo_b, hi_b)
        if lo_b is None:
            return lo_a, hi_a
        return min(lo_a, lo_b), max(hi_a, hi_b)

    def add_nulls(x: Any, y: Any) -> Any:
        if isinstance(x, dict) and isinstance(y, dict):
            return {k: v for k in x.keys() & y.keys() if (v := add_nulls(x[k], y[k])) is not None}
        if isinstance(x, int) and isinstance(y, int):
            return x + y
        return None

    rows_a, rows_b = int(a["numRecords"]), int(b["numRecords"])
    mins: dict[str, Any] = {}
    maxs: dict[str, Any] = {}
    na, nb = a.get("nullCount", {}), b.get("nullCount", {})
    for field in schema:
        name = field.name
        got = bounds(
            a.get("minValues", {}).get(name),
            a.get("maxValues", {}).get(name),
            b.get("minValues", {}).get(name),
            b.get("maxValues", {}).get(name),
            na.get(name),
            nb.get(name),
            field.type,
        )
        if got is not None:
            mins[name], maxs[name] = got
    nulls = {k: v for k in na.keys() & nb.keys() if (v := add_nulls(na[k], nb[k])) is not None}
    return {"numRecords": rows_a + rows_b, "minValues": mins, "maxValues": maxs, "nullCount": nulls}


def footer_statistics_columns(schema: pa.Schema) -> list[str]:
    """Leaf columns that get Parquet footer statistics: all but those inside lists and maps.

    Readers prune row groups by top-level and struct leaves; min/max of list elements prunes nothing useful and
    costs ~6 % of the encode on the claims bench (bench/files_to_delta.py).
    """

    def leaves(prefix: str, t: pa.DataType) -> Iterator[str]:
        if pa.types.is_struct(t):
            for i in range(t.num_fields):
                yield from leaves(f"{prefix}.{t.field(i).name}", t.field(i).type)
        elif not (pa.types.is_list(t) or pa.types.is_large_list(t) or pa.types.is_map(t)):
            yield prefix

    return [leaf for f in schema for leaf in leaves(f.name, f.type)]


def _write_one(root: storage.Location, batches: list[pa.RecordBatch], schema: pa.Schema) -> DataFile:
    name = f"part-{uuid.uuid4()}-c000.snappy.parquet"
    remote = isinstance(root, storage.ObjectPath)
    # on an object store: encoded in memory (one chunk, ~CHUNK_BYTES before compression), then one upload
    path: Any = pa.BufferOutputStream() if remote else root / name
    table = pa.Table.from_batches(batches, schema=schema)
    # A small dictionary page limit makes high-cardinality columns fall back to plain encoding early: ~15 %
    # less encoding CPU and no bigger files on the claims bench (bench/files_to_delta.py).
    collector: list[pq.FileMetaData] = []
    pq.write_table(
        table,
        path,
        compression="snappy",
        row_group_size=256 * 1024,
        dictionary_pagesize_limit=64 * 1024,
        write_statistics=footer_statistics_columns(schema),
        metadata_collector=collector,
    )
    stats = _stats(table, parquet_string_bounds(collector[0]))
    if isinstance(root, storage.ObjectPath):
        data = path.getvalue().to_pybytes()
        (root / name).write_bytes(data)
        return DataFile(name, len(data), table.num_rows, stats, now_millis())
    stat = path.stat()
    return DataFile(name, stat.st_size, table.num_rows, stats, int(stat.st_mtime * 1000))


def _chunks(batches: Iterable[pa.RecordBatch], chunk_bytes: int) -> Iterator[list[pa.RecordBatch]]:
    chunk: list[pa.RecordBatch] = []
    size = 0
    for batch in batches:
        if batch.num_rows == 0:
            continue
        chunk.append(batch)
        size += batch.nbytes
        if size >= chunk_bytes:
            yield chunk
            chunk, size = [], 0
    if chunk:
        yield chunk


def write_data_files(
    root: str | os.PathLike[str],
    batches: Iterable[pa.RecordBatch],
    schema: pa.Schema,
    *,
    workers: int | None = None,
    chunk_bytes: int = CHUNK_BYTES,
) -> list[DataFile]:
    """Write `batches` as Parquet files under `root` with `workers` threads; at most workers+1 chunks in memory.

    If anything fails, the files already written are deleted (they were never committed) and the error raised.
    """
    folder = storage.path(root)
    folder.mkdir(parents=True, exist_ok=True)
    threads = workers or default_workers()
    done: list[DataFile] = []
    pending: list[Future[DataFile]] = []
    with ThreadPoolExecutor(max_workers=threads, thread_name_prefix="lakeloader-parquet") as pool:
        try:
            for chunk in _chunks(batches, chunk_bytes):
                pending.append(pool.submit(_write_one, folder, chunk, schema))
                while len(pending) > threads:
                    done.append(pending.pop(0).result())
            done.extend(f.result() for f in pending)
        except BaseException:
            for f in pending:
                f.cancel()
            for f in pending:
                if not f.cancelled() and f.exception() is None:
                    done.append(f.result())
            for data_file in done:
                (folder / data_file.path).unlink(missing_ok=True)
            raise
    return done


# Codecs and encodings every Delta reader decodes (Spark 3.x, Databricks, DuckDB, Polars, delta-rs); a file using
# anything else (BROTLI or LZ4 codecs, BYTE_STREAM_SPLIT encoding...) is re-encoded instead of copied.
PORTABLE_CODECS = frozenset({"UNCOMPRESSED", "SNAPPY", "GZIP", "ZSTD"})
PORTABLE_ENCODINGS = frozenset(
    {
        "PLAIN",
        "PLAIN_DICTIONARY",
        "RLE_DICTIONARY",
        "RLE",
        "BIT_PACKED",
        "DELTA_BINARY_PACKED",
        "DELTA_LENGTH_BYTE_ARRAY",
        "DELTA_BYTE_ARRAY",
    }
)


def portable(metadata: pq.FileMetaData) -> bool:
    """True if every column chunk of the file uses codecs and encodings every Delta reader decodes."""
    for rg in range(metadata.num_row_groups):
        group = metadata.row_group(rg)
        for c in range(metadata.num_columns):
            chunk = group.column(c)
            if chunk.compression not in PORTABLE_CODECS or not set(chunk.encodings) <= PORTABLE_ENCODINGS:
                return False
    return True


def copy_parquet_file(
    root: str | os.PathLike[str],
    source: str | os.PathLike[str],
    *,
    size: int,
    conforms: Callable[[pa.Schema], bool],
    normalise: Callable[[pa.Table], pa.Table],
) -> DataFile | None:
    """Copy a Parquet file into the table folder byte for byte, as a data file for the next commit.

    What is checked, decoded and described by the statistics is the COPY, so a source file rewritten meanwhile
    cannot slip other bytes into the table: the copy must still be `size` bytes, use portable codecs and
    encodings, have a schema `conforms` accepts and decode fully. The statistics come from the decoded rows, in
    the types Delta stores (`normalise`), and from the footer for strings. None, with nothing left behind, when
    the file must be re-encoded instead (or is bad: the normal path reads it again and reports it).
    """
    folder = storage.path(root)
    if isinstance(folder, storage.ObjectPath):  # re-encoded instead: a copy would be a download and an upload
        return None
    folder.mkdir(parents=True, exist_ok=True)
    name = f"part-{uuid.uuid4()}-c000.parquet"
    target = folder / name
    try:
        with pq.ParquetFile(source) as before:  # the footer alone: most files that cannot be copied never are
            if not portable(before.metadata) or not conforms(before.schema_arrow):
                return None
        shutil.copyfile(source, target)
        with pq.ParquetFile(target) as pf:
            if target.stat().st_size != size or not portable(pf.metadata) or not conforms(pf.schema_arrow):
                target.unlink(missing_ok=True)
                return None
            strings = parquet_string_bounds(pf.metadata)
            merged: dict[str, Any] | None = None
            for i in range(pf.num_row_groups):  # one row group in memory at a time, however big the file
                # small groups: one thread each (files are copied in parallel); big ones: every core
                big = pf.metadata.row_group(i).total_byte_size >= CHUNK_BYTES
                group = pf.read_row_group(i, use_threads=big)
                group.validate(full=False)
                group = normalise(group)
                part = json.loads(_stats(group, strings))
                merged = part if merged is None else merge_stats(merged, part, group.schema)
            if merged is None or merged["numRecords"] != pf.metadata.num_rows:
                target.unlink(missing_ok=True)
                return None
        mtime = int(target.stat().st_mtime * 1000)
    except Exception:  # vanished, unreadable, corrupt
        target.unlink(missing_ok=True)
        return None
    stats = json.dumps(merged, separators=(",", ":"))
    return DataFile(name, size, int(merged["numRecords"]), stats, mtime)


def now_millis() -> int:
    return int(time.time() * 1000)
