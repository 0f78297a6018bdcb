"""Avro: `polars.read_avro` (fast, Arrow out) on a header polars can read, else fastavro; spark-avro's types both ways.

The header's schema is made plain (`avro_schema.normalise`) and, when polars would refuse or misread it (field
defaults, a named type used twice, time or nanosecond logical types), written back into the header: data blocks
do not depend on it. Codecs polars lacks are decompressed block by block. What polars cannot read at all (maps,
many-typed unions) or refuses goes through fastavro (`avro_records.py`); a file is bad only when its bytes break
the spec, and then the records before the damage are kept.
"""

from __future__ import annotations

import io
import json
from typing import TYPE_CHECKING, Any

import pyarrow as pa

from lakeloader.sources.files.formats import BadRecord, FileRead, is_panic, read_bytes
from lakeloader.sources.files.formats import avro_container as container
from lakeloader.sources.files.formats import avro_schema as schemas

if TYPE_CHECKING:
    from lakeloader.sources.files.options import FilesOptions

AVRO_SCHEMA_KEY = b"avro.schema"  # Arrow schema metadata: the declared Avro schema, for schema resolution


def read(path: str, options: FilesOptions, schema: pa.Schema | None) -> FileRead:
    data = read_bytes(path)
    header = container.parse_header(data)
    plain = schemas.normalise(header.schema)
    declared = declared_avro(schema)
    if declared is not None:
        from lakeloader.sources.files.formats import avro_resolve

        return avro_resolve.read(path, data, header, plain, declared)
    return decode(path, data, header, plain)


def declared_avro(schema: pa.Schema | None) -> Any:
    """The declared Avro schema (`avsc_to_arrow` keeps it in the Arrow schema's metadata), or None."""
    if schema is None or not schema.metadata or AVRO_SCHEMA_KEY not in schema.metadata:
        return None
    return json.loads(schema.metadata[AVRO_SCHEMA_KEY])


def decode(path: str, data: bytes, header: container.Header, plain: Any) -> FileRead:
    """The file's records in the Arrow types of its own (normalised) writer schema."""
    target = schemas.arrow_schema(plain)
    damage = container.check_blocks(data, header)
    if schemas.kind(plain) == "record" and schemas.fast(plain):
        got = _polars(path, data, header, plain, target, damage)
        if got is not None:
            return got
    return records(path, data, header, plain)


def _polars(
    path: str, data: bytes, header: container.Header, plain: Any, target: pa.Schema, damage: str | None
) -> FileRead | None:
    """polars' read, cast to `target`; None if polars refuses it (the exact reader then decides)."""
    import polars as pl

    kept = None
    if damage is None and header.codec in container.FAST_CODECS and _as_is(header.schema):
        fed = data
    elif damage is None and header.codec in container.FAST_CODECS:
        fed = container.header_bytes(plain, header.codec, header.sync) + data[header.end :]
    else:
        kept = container.rewrite(data, header, plain, keep_codec=header.codec in container.FAST_CODECS)
        fed = kept.data
    try:
        table = pl.read_avro(io.BytesIO(fed)).to_arrow()
        if table.column_names != target.names:
            return None
        table = table.cast(target)
    except Exception:
        return None
    except BaseException as exc:
        if not is_panic(exc):
            raise
        return None
    if kept is None or kept.damage is None:
        return FileRead(table)
    if table.num_rows != kept.records:
        return None
    return FileRead(table, [_corrupt(path, kept.records, kept.damage)])


def _corrupt(path: str, records: int, why: str) -> BadRecord:
    return BadRecord(path, f"corrupt Avro after record {records}: {why}", offset=records)


def records(path: str, data: bytes, header: container.Header, plain: Any) -> FileRead:
    """Every record fastavro decodes, up to any damage (one bad record for the rest)."""
    from lakeloader.sources.files.formats import avro_records

    kept = container.rewrite(data, header, schemas.wrap_unions(plain), keep_codec=False)
    table, error = avro_records.decode(kept.data, plain)
    why = error or kept.damage
    if why is None:
        return FileRead(table)
    return FileRead(table if table.num_rows else None, [_corrupt(path, table.num_rows, why)])


def _as_is(raw: Any) -> bool:
    """True if polars reads the header's own schema exactly as its plain form (so the bytes need no rewrite)."""
    if isinstance(raw, str):
        return raw in schemas.PRIMITIVES
    if isinstance(raw, list):
        return all(_as_is(b) for b in raw)
    if not isinstance(raw, dict) or "default" in raw:
        return False
    base, lt = raw.get("type"), raw.get("logicalType")
    if lt is not None and not schemas.logical_ok(raw):
        return False  # a logical type spark-avro ignores (polars reads time and duration its own way), or invalid
    if isinstance(base, (dict, list)):
        return _as_is(base)
    if base == "record":
        return all("default" not in f and _as_is(f["type"]) for f in raw.get("fields", []))
    if base == "array":
        return _as_is(raw["items"])
    return base in schemas.PRIMITIVES or base in ("enum", "fixed")


def probe(path: str) -> pa.Schema:
    """The Arrow schema of an Avro file, from its header alone."""
    with open(path, "rb") as fh:
        head = fh.read(1 << 20)
    try:
        header = container.parse_header(head)
    except container.ContainerError:
        if len(head) < 1 << 20:
            raise
        header = container.parse_header(read_bytes(path))  # a header bigger than 1 MiB
    return schemas.arrow_schema(schemas.normalise(header.schema))


def avsc_to_arrow(avsc: dict[str, Any] | str) -> pa.Schema:
    """The Arrow schema our Avro reader produces for files read with `avsc` (a declared schema).

    The Avro schema rides along in the schema's metadata: files are then resolved against it as Avro
    specifies (defaults for missing fields, aliases, promotions).
    """
    raw = json.loads(avsc) if isinstance(avsc, str) else avsc
    arrow = schemas.arrow_schema(schemas.normalise(raw))
    return arrow.with_metadata({AVRO_SCHEMA_KEY: json.dumps(raw).encode()})
