"""Avro: `polars.read_avro` (fast, Arrow out); codecs polars lacks (zstandard, bzip2, xz) go through fastavro."""

from __future__ import annotations

import io
from typing import TYPE_CHECKING, Any

import pyarrow as pa

from lakeloader.sources.files.formats import FileRead, read_bytes

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
            raise
    return FileRead(pl.read_avro(io.BytesIO(_transcode(data))).to_arrow())


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
