"""Avro schemas made plain for decoding, and their Arrow types as spark-avro maps them.

`normalise` expands every named type where it is used (each copy renamed: names never change how data is
encoded), drops what decoding ignores (defaults, aliases, docs, order), and keeps only the logical types
spark-avro maps: date, timestamp-millis/micros and local-timestamp-millis/micros, decimal. Others (time-*,
*-nanos, uuid, duration, an invalid decimal) read as their underlying type, as in spark-avro. polars reads
what `Plain.fast` allows; the rest goes through fastavro (`avro_records.py`).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import pyarrow as pa

PRIMITIVES = ("null", "boolean", "int", "long", "float", "double", "bytes", "string")
_LOGICAL = {
    "date": "int",
    "timestamp-millis": "long",
    "timestamp-micros": "long",
    "local-timestamp-millis": "long",
    "local-timestamp-micros": "long",
}
_PRIMITIVE_ARROW = {
    "null": pa.null(),
    "boolean": pa.bool_(),
    "int": pa.int32(),
    "long": pa.int64(),
    "float": pa.float32(),
    "double": pa.float64(),
    "bytes": pa.binary(),
    "string": pa.string(),
}
MAX_DECIMAL = 38  # Delta's (and Spark's) widest decimal; wider Avro decimals are kept exact as text


class SchemaError(ValueError):
    """The schema is not valid Avro, or is one no table column can hold (a recursive type)."""


def kind(schema: Any) -> str:
    if isinstance(schema, str):
        return schema
    return "union" if isinstance(schema, list) else str(schema["type"])


def logical(schema: Any) -> str | None:
    return schema.get("logicalType") if isinstance(schema, dict) else None


def non_null(branches: list[Any]) -> list[Any]:
    return [b for b in branches if kind(b) != "null"]


def merged(branches: list[Any]) -> bool:
    """True if spark-avro reads a union of these non-null branches as one type (int+long, float+double)."""
    kinds = {kind(b) for b in branches}
    return len(branches) == 2 and kinds in ({"int", "long"}, {"float", "double"})


@dataclass
class _Walk:
    names: dict[str, tuple[dict[str, Any], str]] = field(default_factory=dict)  # fullname → (definition, namespace)
    count: int = 0

    def fullname(self, name: str, namespace: str) -> str:
        return name if "." in name or not namespace else f"{namespace}.{name}"

    def walk(self, schema: Any, namespace: str, stack: tuple[str, ...]) -> Any:
        if isinstance(schema, list):
            branches = [self.walk(b, namespace, stack) for b in schema]
            if any(isinstance(b, list) for b in branches):
                raise SchemaError("a union holds a union directly, which Avro does not allow")
            return branches
        if isinstance(schema, str):
            if schema in PRIMITIVES:
                return schema
            full = self.fullname(schema, namespace)
            found = self.names.get(full) or self.names.get(schema)
            if found is None:
                raise SchemaError(f"unknown type {schema!r}")
            if full in stack or schema in stack:
                raise SchemaError(f"recursive type {schema!r}: a table column cannot hold it (spark-avro refuses it)")
            return self.walk(found[0], found[1], stack)
        if not isinstance(schema, dict) or "type" not in schema:
            raise SchemaError(f"not an Avro schema: {str(schema)[:100]}")
        base = schema["type"]
        if isinstance(base, (dict, list)) or (base not in PRIMITIVES and base not in _COMPLEX):
            return self.walk(base, namespace, stack)  # {"type": {...}} or {"type": "SomeName"}
        if base in PRIMITIVES:
            return self._primitive(schema)
        if base == "array":
            return {"type": "array", "items": self.walk(schema["items"], namespace, stack)}
        if base == "map":
            return {"type": "map", "values": self.walk(schema["values"], namespace, stack)}
        name = str(schema.get("name", ""))  # polars writes records named "": lenient, names do not decode
        full = self.fullname(name, str(schema.get("namespace", namespace)))
        inner = full.rpartition(".")[0]
        self.names.setdefault(full, (schema, namespace))
        self.count += 1
        plain: dict[str, Any] = {"type": base, "name": f"n{self.count}"}
        if base == "record":
            fields = schema.get("fields")
            if not isinstance(fields, list):
                raise SchemaError(f"record {full} has no fields list")
            plain["fields"] = [
                {"name": str(f["name"]), "type": self.walk(f["type"], inner, (*stack, full))} for f in fields
            ]
        elif base == "enum":
            plain["symbols"] = list(schema["symbols"])
        else:
            plain["size"] = int(schema["size"])
            if logical(schema) == "decimal" and _decimal_ok(schema, int(schema["size"])):
                plain.update(logicalType="decimal", precision=schema["precision"], scale=schema.get("scale", 0))
        return plain

    def _primitive(self, schema: dict[str, Any]) -> Any:
        base, lt = schema["type"], logical(schema)
        if lt in _LOGICAL and _LOGICAL[lt] == base:
            return {"type": base, "logicalType": lt}
        if lt == "decimal" and base == "bytes" and _decimal_ok(schema, None):
            return {"type": "bytes", "logicalType": "decimal", "precision": schema["precision"],
                    "scale": schema.get("scale", 0)}  # fmt: skip
        return base


_COMPLEX = ("record", "enum", "fixed", "array", "map")


def _decimal_ok(schema: dict[str, Any], size: int | None) -> bool:
    """The spec's checks: else the logical type is ignored and the bytes are read as they are."""
    precision, scale = schema.get("precision"), schema.get("scale", 0)
    if not isinstance(precision, int) or not isinstance(scale, int) or isinstance(precision, bool):
        return False
    if precision < 1 or scale < 0 or scale > precision:
        return False
    return size is None or precision <= math.floor(math.log10(2 ** (8 * size - 1) - 1))


def logical_ok(schema: dict[str, Any]) -> bool:
    """True if the schema's logical type is one spark-avro maps, on the type the spec puts it on, valid."""
    base, lt = schema.get("type"), schema.get("logicalType")
    if lt == "decimal" and base in ("bytes", "fixed"):
        return _decimal_ok(schema, int(schema["size"]) if base == "fixed" else None)
    return lt in _LOGICAL and _LOGICAL[lt] == base


def normalise(schema: Any) -> Any:
    """The schema expanded, renamed and stripped for decoding (see the module docstring)."""
    return _Walk().walk(schema, "", ())


def arrow_type(schema: Any) -> pa.DataType:
    """spark-avro's type for a normalised schema, in Arrow."""
    k = kind(schema)
    if k == "union":
        branches = non_null(schema)
        if not branches:
            return pa.null()
        if len(branches) == 1:
            return arrow_type(branches[0])
        if merged(branches):
            return pa.int64() if {kind(b) for b in branches} == {"int", "long"} else pa.float64()
        return pa.struct([pa.field(f"member{i}", arrow_type(b)) for i, b in enumerate(branches)])
    lt = logical(schema)
    if lt == "date":
        return pa.date32()
    if lt is not None and lt.startswith("timestamp"):
        return pa.timestamp("us", tz="UTC")
    if lt is not None and lt.startswith("local-timestamp"):
        return pa.timestamp("us")
    if lt == "decimal":
        precision, scale = int(schema["precision"]), int(schema["scale"])
        return pa.decimal128(precision, scale) if precision <= MAX_DECIMAL else pa.string()
    if k in _PRIMITIVE_ARROW:
        return _PRIMITIVE_ARROW[k]
    if k == "record":
        return pa.struct([pa.field(f["name"], arrow_type(f["type"])) for f in schema["fields"]])
    if k == "enum":
        return pa.string()
    if k == "fixed":
        return pa.binary()
    if k == "array":
        return pa.list_(arrow_type(schema["items"]))
    return pa.map_(pa.string(), arrow_type(schema["values"]))


def arrow_schema(schema: Any) -> pa.Schema:
    """The table schema of a normalised top-level schema (a record's fields; any other type is one `value`)."""
    if kind(schema) == "record":
        return pa.schema([pa.field(f["name"], arrow_type(f["type"])) for f in schema["fields"]])
    return pa.schema([pa.field("value", arrow_type(schema))])


def fast(schema: Any) -> bool:
    """True if polars reads this normalised schema: no map, no union but [null, x], no null type, no wide decimal."""
    k = kind(schema)
    if k == "union":
        branches = non_null(schema)
        return len(schema) == 2 and len(branches) == 1 and fast(branches[0])
    if k in ("map", "null"):
        return False
    if k == "record":
        return bool(schema["fields"]) and all(fast(f["type"]) for f in schema["fields"])
    if k == "array":
        return fast(schema["items"])
    return not (logical(schema) == "decimal" and int(schema["precision"]) > MAX_DECIMAL)


def wrap_unions(schema: Any) -> Any:
    """The schema with each branch of a many-typed union wrapped in a one-field record `u<k>m<i>`.

    A record of one field encodes exactly as the field's type, so the bytes read the same; fastavro then
    names the record, which tells which branch a value was written with (an int and a long look alike).
    """
    count = [0]

    def wrap(s: Any) -> Any:
        k = kind(s)
        if k == "union":
            branches = non_null(s)
            if len(branches) < 2 or merged(branches):
                return [wrap(b) for b in s]
            count[0] += 1
            out: list[Any] = []
            member = 0
            for b in s:
                if kind(b) == "null":
                    out.append("null")
                    continue
                name = f"u{count[0]}m{member}"
                out.append({"type": "record", "name": name, "fields": [{"name": "v", "type": wrap(b)}]})
                member += 1
            return out
        if k == "record":
            return {**s, "fields": [{"name": f["name"], "type": wrap(f["type"])} for f in s["fields"]]}
        if k == "array":
            return {"type": "array", "items": wrap(s["items"])}
        if k == "map":
            return {"type": "map", "values": wrap(s["values"])}
        return s

    return wrap(schema)
