"""`schemaHints`: type overrides and additions, top-level or nested (`s.c STRING`, `arr.element INT`, `m.value.x INT`).

As Databricks' schema hints: a dotted path reaches into structs, `element` into arrays, `key`/`value` into maps;
a hinted name the schema lacks is added (nested names inside new structs).
"""

from __future__ import annotations

import re

import pyarrow as pa

from lakeloader.errors import ConfigError
from lakeloader.sources.files.ddl import parse_type

_PART = re.compile(r"`((?:[^`]|``)*)`|([^.`\s]+)")


def _split_top(text: str) -> list[str]:
    """Split at commas outside <...>, (...) and backticks."""
    out, depth, quoted, start = [], 0, False, 0
    for i, ch in enumerate(text):
        if ch == "`":
            quoted = not quoted
        elif not quoted and ch in "<(":
            depth += 1
        elif not quoted and ch in ">)":
            depth -= 1
        elif not quoted and ch == "," and depth == 0:
            out.append(text[start:i])
            start = i + 1
    out.append(text[start:])
    return [p.strip() for p in out if p.strip()]


def parse_hints(text: str) -> list[tuple[list[str], pa.DataType]]:
    """'a BIGINT, s.c STRING' → [(['a'], int64), (['s', 'c'], string)]."""
    hints = []
    for piece in _split_top(text):
        path: list[str] = []
        i = 0
        while True:
            m = _PART.match(piece, i)
            if m is None:
                raise ConfigError(
                    f"schemaHints {text!r}: cannot read a column name in {piece!r}; write it like "
                    "'amount DECIMAL(12,2), address.city STRING'"
                )
            path.append(m.group(1).replace("``", "`") if m.group(1) is not None else m.group(2))
            i = m.end()
            if i < len(piece) and piece[i] == ".":
                i += 1
                continue
            break
        rest = piece[i:].strip()
        if not rest:
            raise ConfigError(f"schemaHints {text!r}: {piece!r} has no type; write it like 'address.city STRING'")
        hints.append((path, parse_type(rest, what=f"schemaHints {piece!r}:")))
    if not hints:
        raise ConfigError("schemaHints is empty; write it like 'amount DECIMAL(12,2), address.city STRING'")
    return hints


def _new(path: list[str], t: pa.DataType) -> pa.DataType:
    for name in reversed(path):
        t = pa.struct([pa.field(name, t)])
    return t


def _set(t: pa.DataType, path: list[str], to: pa.DataType, where: str) -> pa.DataType:
    head, rest = path[0], path[1:]
    if pa.types.is_list(t) or pa.types.is_large_list(t):
        if head.lower() != "element":
            raise ConfigError(f"schemaHints: {where} is an array; reach into it with {where}.element")
        inner = to if not rest else _set(t.value_type, rest, to, f"{where}.element")
        return pa.list_(t.value_field.with_type(inner))
    if pa.types.is_map(t):
        if head.lower() not in ("key", "value"):
            raise ConfigError(f"schemaHints: {where} is a map; reach into it with {where}.key or {where}.value")
        key, item = t.key_field, t.item_field
        if head.lower() == "key":
            key = key.with_type(to if not rest else _set(key.type, rest, to, f"{where}.key"))
        else:
            item = item.with_type(to if not rest else _set(item.type, rest, to, f"{where}.value"))
        return pa.map_(key, item)
    if not pa.types.is_struct(t):
        raise ConfigError(f"schemaHints: {where} is {t}, not a struct; hint {where} itself or fix the path")
    fields = [t.field(i) for i in range(t.num_fields)]
    for i, f in enumerate(fields):
        if f.name.lower() == head.lower():
            at = f"{where}.{f.name}" if where else f.name
            fields[i] = f.with_type(to if not rest else _set(f.type, rest, to, at))
            return pa.struct(fields)
    return pa.struct([*fields, pa.field(head, _new(rest, to))])


def apply_hints(schema: pa.Schema, hints: str | None) -> pa.Schema:
    """`schema` with each hint's path set to its type (names matched in any case; missing ones added)."""
    if not hints:
        return schema
    t: pa.DataType = pa.struct(list(schema))
    for path, to in parse_hints(hints):
        t = _set(t, path, to, "")
    return pa.schema([t.field(i) for i in range(t.num_fields)], metadata=schema.metadata)
