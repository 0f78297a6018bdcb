"""Avro: `polars.read_avro` (fast, Arrow out); codecs polars lacks (zstandard, bzip2, xz) go through fastavro.

Files whose schema polars cannot read (maps, unions of several types: polars panics or fails) are decoded
by fastavro into spark-avro's types (`avro_records.py`); the header says which, before polars is called.
"""

from __future__ import annotations

import io
from typing import TYPE_CHECKING, Any

import pyarrow as pa

from lakeloader.sources.files.formats import BadRecord, FileRead, avro_records, read_bytes

if TYPE_CHECKING:
    from lakeloader.sources.files.options import FilesOptions


def _transcode(data: bytes) -> bytes:
    """Re-encode an Avro container with the null codec, so polars can decode it."""
    import fastavro

    reader = fastavro.reader(io.BytesIO(data))
    out = io.BytesIO()
    fastavro.writer(out, reader.writer_schema, reader, codec="null")
    return out.getvalue()


def _needs_records(data: bytes) -> bool:
    """True if the container's schema has types polars cannot read (it would panic or fail on them)."""
    try:
        return avro_records.needs_records(avro_records.writer_schema(data))
    except Exception:  # fastavro cannot read this header (polars may: non-UTF-8 metadata, say)
        return False


def read(path: str, options: FilesOptions, schema: pa.Schema | None) -> FileRead:
    import polars as pl

    data = read_bytes(path)
    if data[:4] != b"Obj\x01":
        raise ValueError("not an Avro container file (no 'Obj' magic bytes)")
    if _needs_records(data):
        return avro_records.read(path, data)
    try:
        return FileRead(pl.read_avro(io.BytesIO(data)).to_arrow())
    except Exception as exc:
        if "codec" not in str(exc):
            return _salvage(path, data, exc)
    return FileRead(pl.read_avro(io.BytesIO(_transcode(data))).to_arrow())


def _salvage(path: str, data: bytes, first: Exception) -> FileRead:
    """A corrupt or truncated container: keep every record before the damage, report the rest."""
    import fastavro
    import polars as pl

    reader = fastavro.reader(io.BytesIO(data))
    records: list[Any] = []
    try:
        for record in reader:
            records.append(record)
    except Exception as exc:
        text = (str(exc).strip().splitlines() or [type(exc).__name__])[0][:300]
        bad = BadRecord(path, f"corrupt Avro after record {len(records)}: {text}", offset=len(records))
    else:
        raise first  # fastavro reads it all: the problem is polars', not the file's
    if not records:
        return FileRead(None, [bad])
    out = io.BytesIO()
    fastavro.writer(out, reader.writer_schema, records, codec="null")
    return FileRead(pl.read_avro(io.BytesIO(out.getvalue())).to_arrow(), [bad])


def probe(path: str) -> pa.Schema:
    """The Arrow schema of an Avro file, from its header (and one record, through polars, when it can)."""
    import polars as pl

    with open(path, "rb") as fh:
        head = fh.read(4)
    if head != b"Obj\x01":
        raise ValueError("not an Avro container file (no 'Obj' magic bytes)")
    with open(path, "rb") as fh:
        head = fh.read(1 << 20)  # the header: its schema, and often the first block
    if _needs_records(head):
        return pa.schema(list(avro_records.arrow_type(avro_records.writer_schema(head))))
    return pl.read_avro(path, n_rows=1).to_arrow().schema


def avsc_to_arrow(avsc: dict[str, Any] | str) -> pa.Schema:
    """The Arrow schema our Avro reader produces for files written with `avsc` (a declared schema)."""
    import json

    import fastavro
    import polars as pl
    from fastavro.schema import expand_schema

    parsed = fastavro.parse_schema(json.loads(avsc) if isinstance(avsc, str) else avsc)
    if avro_records.needs_records(expand_schema(parsed)):
        return pa.schema(list(avro_records.arrow_type(expand_schema(parsed))))
    out = io.BytesIO()
    fastavro.writer(out, parsed, [])
    out.seek(0)
    return pl.read_avro(out).to_arrow().schema
