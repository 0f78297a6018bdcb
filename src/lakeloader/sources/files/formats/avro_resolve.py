"""Avro schema resolution against a declared schema (`schema=` an .avsc, or `avroSchema`), as the Avro spec says.

The table gets exactly the declared fields: a field the file lacks takes its default, an alias finds a renamed
field, int/long/float widen; fields only the file has are ignored. When the file differs from the declared schema
only at the top level, its columns are read fast and resolved in Arrow; otherwise fastavro resolves each record.
"""

from __future__ import annotations

import io
from typing import Any

import pyarrow as pa

from lakeloader.sources.files.formats import BadRecord, FileRead
from lakeloader.sources.files.formats import avro_container as container
from lakeloader.sources.files.formats import avro_schema as schemas

_PROMOTIONS = {("int", "long"), ("int", "float"), ("int", "double"), ("long", "float"), ("long", "double"),
               ("float", "double")}  # fmt: skip


def read(path: str, data: bytes, header: container.Header, plain: Any, declared: Any) -> FileRead:
    from lakeloader.sources.files.formats.avro import decode

    reader = schemas.normalise(declared)
    if same_shape(plain, reader):
        return decode(path, data, header, plain)
    plan = _plan(plain, declared, reader) if schemas.kind(plain) == schemas.kind(reader) == "record" else None
    if plan is None:
        return _each_record(path, data, header, declared, reader)
    if isinstance(plan, str):
        return FileRead(None, [BadRecord(path, plan)])
    got = decode(path, data, header, plain)
    if got.table is None:
        return got
    n = got.table.num_rows
    columns = [step(got.table, n) for step in plan]
    return FileRead(pa.table(columns, schema=schemas.arrow_schema(reader)), got.bad)


def same_shape(a: Any, b: Any) -> bool:
    """True if two normalised schemas decode alike and map to one Arrow type (their made-up names aside)."""
    if isinstance(a, dict) and isinstance(b, dict):
        keys = (set(a) | set(b)) - {"name"}
        return all(same_shape(a.get(k), b.get(k)) for k in keys)
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(same_shape(x, y) for x, y in zip(a, b, strict=True))
    return bool(a == b)


_Step = Any  # (table, rows) -> the column of one declared field


def _plan(plain: Any, declared: Any, reader: Any) -> list[_Step] | str | None:
    """Per declared field, how to fill its column from the file's columns; None if it takes more than that.

    A string is why the file does not resolve (a declared field without a default that the file lacks).
    """
    writer = {f["name"]: f["type"] for f in plain["fields"]}
    raw_fields = [f for f in _record(declared)["fields"]]
    steps: list[_Step] = []
    for raw, field in zip(raw_fields, reader["fields"], strict=True):
        rtype = field["type"]
        source = next((n for n in [field["name"], *raw.get("aliases", [])] if n in writer), None)
        if source is None:
            if "default" not in raw:
                return (
                    f"the declared Avro schema's field {field['name']} has no default and the file's schema "
                    "lacks it: give it a default, or fix the producer"
                )
            steps.append(_default(rtype, raw["default"]))
            continue
        wtype = writer[source]
        if not _simple(wtype, rtype):
            return None
        target = schemas.arrow_type(rtype)
        steps.append(lambda t, n, s=source, to=target: t.column(s).cast(to, safe=not pa.types.is_floating(to)))
    return steps


def _record(declared: Any) -> Any:
    return declared if isinstance(declared, dict) and declared.get("type") == "record" else declared["type"]


def _simple(wtype: Any, rtype: Any) -> bool:
    """True if every writer value is the reader's value once cast in Arrow (same shape, or a widening)."""
    if same_shape(wtype, rtype) or (str(wtype), str(rtype)) in _PROMOTIONS:
        return True
    wk, rk = schemas.kind(wtype), schemas.kind(rtype)
    if rk == "union" and wk != "union":
        branches = schemas.non_null(rtype)
        return len(branches) == 1 and _simple(wtype, branches[0])
    if wk == rk == "union":
        wb, rb = schemas.non_null(wtype), schemas.non_null(rtype)
        nullable = len(wb) == len(wtype) or len(rb) < len(rtype)  # a writer's null needs a null branch
        return nullable and len(wb) == len(rb) == 1 and _simple(wb[0], rb[0])
    if wk == rk == "enum":
        return set(wtype["symbols"]) <= set(rtype["symbols"])
    return False


def _default(rtype: Any, default: Any) -> _Step:
    """The column of a field the file lacks: its default, read from JSON as the spec says."""
    one = pa.array([json_default(rtype, default)], schemas.arrow_type(rtype))
    return lambda t, n: one.take(pa.array([0] * n, pa.int32()))


def json_default(schema: Any, value: Any) -> Any:
    """A JSON default as `pa.array` takes it for `arrow_type(schema)` (a union's is its first branch's)."""
    import decimal

    k, lt = schemas.kind(schema), schemas.logical(schema)
    if k == "union":
        first, branches = schema[0], schemas.non_null(schema)
        if schemas.kind(first) == "null":
            return None
        inner = json_default(first, value)
        if len(branches) < 2 or schemas.merged(branches):
            return inner
        return {f"member{i}": inner if i == 0 else None for i in range(len(branches))}
    if value is None or k == "null":
        return None
    if k in ("bytes", "fixed"):
        raw = str(value).encode("latin-1")  # JSON strings whose code points 0-255 are the bytes
        if lt != "decimal":
            return raw
        number = decimal.Decimal(int.from_bytes(raw, "big", signed=True)).scaleb(-int(schema["scale"]))
        return number if int(schema["precision"]) <= schemas.MAX_DECIMAL else str(number)
    if lt is not None and lt.endswith("timestamp-millis"):
        return int(value) * 1000
    if k == "record":
        return {f["name"]: json_default(f["type"], value.get(f["name"])) for f in schema["fields"]}
    if k == "array":
        return [json_default(schema["items"], v) for v in value]
    if k == "map":
        return [(key, json_default(schema["values"], v)) for key, v in value.items()]
    if k in ("float", "double"):
        return float(value)
    return value


def _each_record(path: str, data: bytes, header: container.Header, declared: Any, reader: Any) -> FileRead:
    """fastavro resolves every record (names compared unqualified, as the spec does; the top one not at all)."""
    import fastavro

    from lakeloader.sources.files.formats.avro_records import decode

    wschema = for_fastavro(header.schema)
    rschema = for_fastavro(declared)
    if isinstance(wschema, dict) and isinstance(rschema, dict) and "name" in wschema:
        rschema = {**rschema, "name": wschema["name"]}
    kept = container.rewrite(data, header, wschema, keep_codec=False)
    try:
        fastavro.reader(io.BytesIO(kept.data), reader_schema=rschema)
    except Exception as exc:
        text = (str(exc).strip().splitlines() or [type(exc).__name__])[0][:300]
        return FileRead(None, [BadRecord(path, f"the file's Avro schema does not resolve to the declared one: {text}")])
    table, error = decode(kept.data, reader, wrapped=False, reader_schema=rschema)
    why = error or kept.damage
    if why is None:
        return FileRead(table)
    bad = BadRecord(path, f"corrupt Avro after record {table.num_rows}: {why}", offset=table.num_rows)
    return FileRead(table if table.num_rows else None, [bad])


def for_fastavro(raw: Any) -> Any:
    """A raw schema with unqualified names and without the logical types spark-avro ignores (they read as ints)."""
    if isinstance(raw, str):
        return raw if raw in schemas.PRIMITIVES else raw.rpartition(".")[2]
    if isinstance(raw, list):
        return [for_fastavro(b) for b in raw]
    if not isinstance(raw, dict):
        return raw
    out = {k: v for k, v in raw.items() if k != "namespace"}
    if "logicalType" in out and not schemas.logical_ok(out):
        del out["logicalType"]
    if out.get("type") in ("record", "enum", "fixed"):
        out["name"] = str(out["name"]).rpartition(".")[2]
        if "aliases" in out:
            out["aliases"] = [str(a).rpartition(".")[2] for a in out["aliases"]]
    else:
        out["type"] = for_fastavro(out["type"])
    if "fields" in out:
        out["fields"] = [{**f, "type": for_fastavro(f["type"])} for f in out["fields"]]
    for key in ("items", "values"):
        if key in out:
            out[key] = for_fastavro(out[key])
    return out
