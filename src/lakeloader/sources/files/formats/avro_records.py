"""Avro records fastavro decodes, turned into Arrow of spark-avro's types (`avro_schema.arrow_type`).

The exact reader for what polars cannot read (maps, unions of several types, null, decimals wider than 38) or
refuses; it keeps every record before any damage. Many-typed unions are read through `wrap_unions`, so each
value lands in the member of the branch it was written with.
"""

from __future__ import annotations

import datetime as _dt
import decimal
import io
from collections.abc import Callable
from typing import Any

import pyarrow as pa

from lakeloader.sources.files.formats.avro_schema import MAX_DECIMAL, arrow_schema, kind, logical, merged, non_null

Convert = Callable[[Any], Any]


def _union(schema: list[Any], wrapped: bool) -> Convert | None:
    branches = non_null(schema)
    if not branches:
        return lambda v: None
    if len(branches) == 1 or merged(branches):
        inner = converter(branches[0], wrapped=wrapped) if len(branches) == 1 else None
        if inner is None:
            return _named_value
        return lambda v: None if v is None else inner(_named_value(v))
    convs = [converter(b, wrapped=wrapped) or _same for b in branches]
    empty = {f"member{i}": None for i in range(len(branches))}

    def members(v: Any) -> Any:
        if v is None:
            return None
        if wrapped:  # ("u<k>m<i>", {"v": value}): the branch is in the wrapper's name
            name, record = v
            i = int(name.rpartition("m")[2])
            value = record["v"]
        else:
            value = _named_value(v)
            i = next((j for j, b in enumerate(branches) if _accepts(value, b)), -1)
            if i < 0:
                raise ValueError(f"a {type(value).__name__} value matches no branch of union {schema}")
        out = dict(empty)
        out[f"member{i}"] = convs[i](value)
        return out

    return members


def _same(v: Any) -> Any:
    return v


def _named_value(v: Any) -> Any:
    return v[1] if isinstance(v, tuple) else v  # fastavro's (name, record) for a record in a union


def converter(schema: Any, *, wrapped: bool = True) -> Convert | None:
    """A function turning what fastavro decoded into what `pa.array` takes for `arrow_type(schema)`; None: as is."""
    k = kind(schema)
    if k == "union":
        return _union(schema, wrapped)
    if k == "record":
        convs = [(f["name"], converter(f["type"], wrapped=wrapped)) for f in schema["fields"]]
        todo = [(name, c) for name, c in convs if c is not None]
        if not todo:
            return None

        def record(v: Any) -> Any:
            out = dict(v)
            for name, c in todo:
                value = out.get(name)
                out[name] = None if value is None else c(value)
            return out

        return record
    if k == "array":
        item = converter(schema["items"], wrapped=wrapped)
        if item is None:
            return None
        return lambda v: [None if x is None else item(x) for x in v]
    if k == "map":
        value = converter(schema["values"], wrapped=wrapped) or _same
        return lambda v: [(key, None if x is None else value(x)) for key, x in v.items()]
    if not wrapped and k in ("bytes", "fixed"):  # through a reader schema: fastavro leaves defaults as JSON
        from lakeloader.sources.files.formats.avro_resolve import json_default

        wide = logical(schema) == "decimal" and int(schema["precision"]) > MAX_DECIMAL
        return lambda v: json_default(schema, v) if isinstance(v, str) else str(v) if wide else v
    if logical(schema) == "decimal" and int(schema["precision"]) > MAX_DECIMAL:
        return str
    if logical(schema) == "timestamp-millis" or logical(schema) == "local-timestamp-millis":
        return lambda v: v * 1000 if isinstance(v, int) else v  # a plain long resolved to this type: millis
    return None


def _accepts(value: Any, schema: Any) -> bool:
    """True if a value fastavro decoded (through a reader schema) can come from union branch `schema`."""
    k, lt = kind(schema), logical(schema)
    if lt == "date":
        return isinstance(value, _dt.date) and not isinstance(value, _dt.datetime)
    if lt is not None and "timestamp" in lt:
        return isinstance(value, _dt.datetime)
    if lt == "decimal":
        return isinstance(value, decimal.Decimal)
    checks: dict[str, Callable[[Any], bool]] = {
        "boolean": lambda v: isinstance(v, bool),
        "int": lambda v: isinstance(v, int) and not isinstance(v, bool),
        "long": lambda v: isinstance(v, int) and not isinstance(v, bool),
        "float": lambda v: isinstance(v, float),
        "double": lambda v: isinstance(v, float),
        "string": lambda v: isinstance(v, str),
        "bytes": lambda v: isinstance(v, bytes),
        "array": lambda v: isinstance(v, list),
        "map": lambda v: isinstance(v, dict),
        "record": lambda v: isinstance(v, dict),
        "enum": lambda v: isinstance(v, str) and v in schema["symbols"],
        "fixed": lambda v: isinstance(v, bytes) and len(v) == schema["size"],
    }
    return bool(checks.get(k, lambda v: False)(value))


def decode(
    container: bytes, schema: Any, *, wrapped: bool = True, reader_schema: Any = None
) -> tuple[pa.Table, str | None]:
    """The records of a container as an Arrow table of `schema`'s types, and what stopped decoding early (or None).

    `schema` is the normalised schema of the records produced: the writer's (its many-typed unions wrapped
    in the container's header when `wrapped`), or the reader's when `reader_schema` resolves them.
    """
    import fastavro

    struct = pa.struct(list(arrow_schema(schema)))
    top = schema if kind(schema) == "record" else None
    convert = converter(schema, wrapped=wrapped)
    rows: list[Any] = []
    error: str | None = None
    try:
        reader = fastavro.reader(
            io.BytesIO(container), reader_schema=reader_schema, return_record_name=True,
            return_record_name_override=True,
        )  # fmt: skip
        for record in reader:
            value = record if convert is None else convert(record)
            rows.append(value if top is not None else {"value": value})
    except Exception as exc:  # a damaged record: any exception type of fastavro's
        error = (str(exc).strip().splitlines() or [type(exc).__name__])[0][:300]
    return pa.Table.from_struct_array(pa.array(rows, struct)), error
