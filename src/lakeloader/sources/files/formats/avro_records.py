"""Avro files polars cannot read — maps, unions of several types — as fastavro records turned into Arrow.

Types follow spark-avro: a map is `map<string, V>`; a union of null and one type is that type; `int`+`long` is a
long, `float`+`double` a double; any other union is `struct<member0, member1, ...>` (one member per non-null
branch, the one a value took set). Every other type maps as polars maps it, so files read either way share
one table.
"""

from __future__ import annotations

import datetime as _dt
import decimal
import io
from typing import Any

import pyarrow as pa

from lakeloader.sources.files.formats import BadRecord, FileRead

_PRIMITIVE = {
    "null": pa.null(),
    "boolean": pa.bool_(),
    "int": pa.int32(),
    "long": pa.int64(),
    "float": pa.float32(),
    "double": pa.float64(),
    "bytes": pa.binary(),
    "string": pa.string(),
}
_TIMESTAMPS = {
    "timestamp-millis": ("ms", "UTC"),
    "timestamp-micros": ("us", "UTC"),
    "timestamp-nanos": ("ns", "UTC"),
    "local-timestamp-millis": ("ms", None),
    "local-timestamp-micros": ("us", None),
    "local-timestamp-nanos": ("ns", None),
}


def _kind(schema: Any) -> str:
    return schema if isinstance(schema, str) else ("union" if isinstance(schema, list) else str(schema["type"]))


def _branches(schema: list[Any]) -> list[Any]:
    return [b for b in schema if _kind(b) != "null"]


def needs_records(schema: Any) -> bool:
    """True if the (expanded) schema holds a map or a union of several non-null types anywhere."""
    kind = _kind(schema)
    if kind == "union":
        branches = _branches(schema)
        return len(branches) > 1 or any(needs_records(b) for b in branches)
    if kind == "map":
        return True
    if kind == "record":
        return any(needs_records(f["type"]) for f in schema["fields"])
    if kind == "array":
        return needs_records(schema["items"])
    return False


def _members(branches: list[Any]) -> bool:
    """True if a union of these non-null branches is a struct of members (not one type, int+long, float+double)."""
    kinds = {_kind(b) for b in branches}
    return len(branches) > 1 and not (len(branches) == 2 and kinds in ({"int", "long"}, {"float", "double"}))


def arrow_type(schema: Any) -> pa.DataType:
    """The Arrow type of an expanded Avro schema (see the module docstring)."""
    kind = _kind(schema)
    if kind == "union":
        branches = _branches(schema)
        if not branches:
            return pa.null()
        if len(branches) == 1:
            return arrow_type(branches[0])
        if not _members(branches):
            return pa.int64() if {_kind(b) for b in branches} == {"int", "long"} else pa.float64()
        return pa.struct([pa.field(f"member{i}", arrow_type(b)) for i, b in enumerate(branches)])
    logical = schema.get("logicalType") if isinstance(schema, dict) else None
    if logical == "date":
        return pa.date32()
    if logical in ("time-millis", "time-micros"):
        return pa.time64("ns") if logical == "time-millis" else pa.time64("us")
    if logical in _TIMESTAMPS:
        unit, tz = _TIMESTAMPS[logical]
        return pa.timestamp(unit, tz=tz)
    if logical == "decimal":
        precision, scale = int(schema["precision"]), int(schema.get("scale", 0))
        return pa.decimal128(precision, scale) if precision <= 38 else pa.decimal256(precision, scale)
    if logical == "uuid":
        return pa.string()
    if kind in _PRIMITIVE:
        return _PRIMITIVE[kind]
    if kind == "record":
        return pa.struct([pa.field(f["name"], arrow_type(f["type"])) for f in schema["fields"]])
    if kind == "enum":
        return pa.string()
    if kind == "fixed":
        return pa.binary()
    if kind == "array":
        return pa.list_(arrow_type(schema["items"]))
    if kind == "map":
        return pa.map_(pa.string(), arrow_type(schema["values"]))
    raise ValueError(f"Avro type {kind!r} is not supported")


def _accepts(value: Any, schema: Any) -> bool:
    """True if a value fastavro decoded can have come from union branch `schema`."""
    kind = _kind(schema)
    if isinstance(value, tuple) and len(value) == 2 and isinstance(value[0], str):  # a named type in a union
        return isinstance(schema, dict) and kind in ("record", "enum", "fixed") and schema.get("name") == value[0]
    logical = schema.get("logicalType") if isinstance(schema, dict) else None
    if logical == "date":
        return isinstance(value, _dt.date) and not isinstance(value, _dt.datetime)
    if logical in _TIMESTAMPS:
        return isinstance(value, _dt.datetime)
    if logical in ("time-millis", "time-micros"):
        return isinstance(value, _dt.time)
    if logical == "decimal":
        return isinstance(value, decimal.Decimal)
    checks: dict[str, Any] = {
        "null": lambda v: v is None,
        "boolean": lambda v: isinstance(v, bool),
        "int": lambda v: isinstance(v, int) and not isinstance(v, bool),
        "long": lambda v: isinstance(v, int) and not isinstance(v, bool),
        "float": lambda v: isinstance(v, float),
        "double": lambda v: isinstance(v, float),
        "string": lambda v: isinstance(v, str) or logical == "uuid",
        "bytes": lambda v: isinstance(v, bytes),
        "array": lambda v: isinstance(v, list),
        "map": lambda v: isinstance(v, dict),
        "record": lambda v: isinstance(v, dict),
        "enum": lambda v: isinstance(v, str),
        "fixed": lambda v: isinstance(v, bytes),
    }
    return bool(checks.get(kind, lambda v: False)(value))


def convert(value: Any, schema: Any) -> Any:
    """A value fastavro decoded, as `pa.array` takes it for `arrow_type(schema)`."""
    kind = _kind(schema)
    if kind == "union":
        if value is None:
            return None
        branches = _branches(schema)
        member = next((i for i, b in enumerate(branches) if _accepts(value, b)), None)
        if isinstance(value, tuple) and len(value) == 2 and isinstance(value[0], str):
            value = value[1]  # fastavro's (name, value) for a named type in a union
        if member is None and len(branches) == 1:
            member = 0
        if member is None:
            raise ValueError(f"a {type(value).__name__} value matches no branch of union {schema}")
        if not _members(branches):
            return convert(value, branches[member])
        return {f"member{i}": convert(value, b) if i == member else None for i, b in enumerate(branches)}
    if value is None:
        return None
    if kind == "record":
        return {f["name"]: convert(value.get(f["name"]), f["type"]) for f in schema["fields"]}
    if kind == "array":
        return [convert(v, schema["items"]) for v in value]
    if kind == "map":
        return [(k, convert(v, schema["values"])) for k, v in value.items()]
    if isinstance(schema, dict) and schema.get("logicalType") == "uuid":
        return str(value)
    return value


def writer_schema(data: bytes) -> Any:
    """The container's schema, expanded (named types written out wherever they are used)."""
    import fastavro
    from fastavro.schema import expand_schema

    return expand_schema(fastavro.reader(io.BytesIO(data)).writer_schema)


def read(path: str, data: bytes) -> FileRead:
    """Every record fastavro decodes (up to any damage, reported as one bad record), as an Arrow table."""
    import fastavro

    reader = fastavro.reader(io.BytesIO(data), return_named_type=True)
    schema = writer_schema(data)
    struct = arrow_type(schema)
    rows: list[Any] = []
    bad: list[BadRecord] = []
    try:
        for record in reader:
            rows.append(convert(record, schema))
    except Exception as exc:
        text = (str(exc).strip().splitlines() or [type(exc).__name__])[0][:300]
        bad.append(BadRecord(path, f"corrupt Avro after record {len(rows)}: {text}", offset=len(rows)))
        if not rows:
            return FileRead(None, bad)
    return FileRead(pa.Table.from_struct_array(pa.array(rows, struct)), bad)
