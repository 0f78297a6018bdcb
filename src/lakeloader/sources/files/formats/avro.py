"""Avro: `polars.read_avro` (fast, Arrow out); codecs polars lacks (zstandard, bzip2, xz) go through fastavro."""

from __future__ import annotations

import io
from typing import TYPE_CHECKING, Any

import pyarrow as pa

from lakeloader.sources.files.formats import BadRecord, FileRead, read_bytes

if TYPE_CHECKING:
    from lakeloader.sources.files.options import FilesOptions


def _transcode(data: bytes) -> bytes:
    """Re-encode an Avro container with the null codec, so polars can decode it."""
    import fastavro

    reader = fastavro.reader(io.BytesIO(data))
    out = io.BytesIO()
    fastavro.writer(out, reader.writer_schema, reader, codec="null")
    return out.getvalue()


def read(path: str, options: FilesOptions, schema: pa.Schema | None) -> FileRead:
    import polars as pl

    data = read_bytes(path)
    if data[:4] != b"Obj\x01":
        raise ValueError("not an Avro container file (no 'Obj' magic bytes)")
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


def avsc_to_arrow(avsc: dict[str, Any] | str) -> pa.Schema:
    """The Arrow schema our Avro reader produces for files written with `avsc` (a declared schema)."""
    import json

    import fastavro
    import polars as pl

    parsed = fastavro.parse_schema(json.loads(avsc) if isinstance(avsc, str) else avsc)
    out = io.BytesIO()
    fastavro.writer(out, parsed, [])
    out.seek(0)
    return pl.read_avro(out).to_arrow().schema
