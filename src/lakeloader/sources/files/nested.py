"""Nested types of the files source: growing the stream's type by a file's, and fitting values to it at every depth.

A file's value fits the stream's type field by field, at every depth. What does not fit — a field the type
lacks, a name that differs only by case, a value of another type — is the value's *residual*, kept in the same
nesting for `_rescued_data`: `{"customer": {"email": "b@x"}}`, `{"items": [null, {"qty": "3"}]}`.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import pyarrow as pa

from lakeloader.lakehouse import types


def _is_list(t: pa.DataType) -> bool:
    return bool(pa.types.is_list(t) or pa.types.is_large_list(t) or pa.types.is_fixed_size_list(t))


def is_nested(t: pa.DataType) -> bool:
    return bool(pa.types.is_struct(t) or _is_list(t) or pa.types.is_map(t))


def _children(t: pa.DataType) -> list[pa.Field]:
    return [t.field(i) for i in range(t.num_fields)]


def match(name: str, names: list[str], *, case_sensitive: bool) -> str | None:
    """The name in `names` a file's field `name` fills: the same spelling, or (not case-sensitive) any case."""
    if name in names:
        return name
    if case_sensitive:
        return None
    hits = [n for n in names if n.lower() == name.lower()]
    return hits[0] if len(hits) == 1 else None


def dedupe_case(t: pa.DataType) -> pa.DataType:
    """`t` without struct fields whose name repeats another's but for case (the first spelling is kept).

    Delta column names are case-insensitive at every depth; the dropped spellings' values are rescued.
    """
    if pa.types.is_struct(t):
        seen: set[str] = set()
        fields = []
        for f in _children(t):
            if f.name.lower() not in seen:
                seen.add(f.name.lower())
                fields.append(f.with_type(dedupe_case(f.type)))
        return pa.struct(fields)
    if _is_list(t):
        return pa.list_(t.value_field.with_type(dedupe_case(t.value_type)))
    if pa.types.is_map(t):
        return pa.map_(t.key_field, t.item_field.with_type(dedupe_case(t.item_type)), keys_sorted=t.keys_sorted)
    return t


def dedupe_schema(schema: pa.Schema) -> pa.Schema:
    return pa.schema(list(dedupe_case(pa.struct(list(schema)))), metadata=schema.metadata)


def repeated_name(t: pa.DataType, path: str = "") -> str | None:
    """The path of a name that occurs twice in one struct of `t` (exactly, not merely in another case)."""
    if pa.types.is_struct(t):
        names = [f.name for f in _children(t)]
        for name in names:
            if names.count(name) > 1:
                return f"{path}.{name}" if path else name
        for f in _children(t):
            found = repeated_name(f.type, f"{path}.{f.name}" if path else f.name)
            if found is not None:
                return found
    elif _is_list(t):
        return repeated_name(t.value_type, f"{path}.element")
    elif pa.types.is_map(t):
        return repeated_name(t.item_type, f"{path}.value")
    return None


def new_fields(file_t: pa.DataType, mine: pa.DataType, *, path: str = "", case_sensitive: bool) -> list[str]:
    """Paths (`customer.email`, `items.element.qty`) of the fields `file_t` has and `mine` lacks in any case.

    A field present in another case is not new (Delta could not add it): its values are rescued.
    """
    out: list[str] = []
    if pa.types.is_struct(file_t) and pa.types.is_struct(mine):
        names = [f.name for f in _children(mine)]
        lower = {n.lower() for n in names}
        for f in _children(file_t):
            at = f"{path}.{f.name}" if path else f.name
            target = match(f.name, names, case_sensitive=case_sensitive)
            if target is not None:
                out += new_fields(f.type, mine.field(target).type, path=at, case_sensitive=case_sensitive)
            elif f.name.lower() not in lower:
                out.append(at)
    elif _is_list(file_t) and _is_list(mine):
        out += new_fields(file_t.value_type, mine.value_type, path=f"{path}.element", case_sensitive=case_sensitive)
    elif pa.types.is_map(file_t) and pa.types.is_map(mine):
        out += new_fields(file_t.item_type, mine.item_type, path=f"{path}.value", case_sensitive=case_sensitive)
    return out


def grow(mine: pa.DataType, file_t: pa.DataType, *, case_sensitive: bool) -> pa.DataType:
    """`mine` with the fields only `file_t` has appended, at every depth; existing types never change."""
    if pa.types.is_struct(mine) and pa.types.is_struct(file_t):
        fields = _children(mine)
        names = [f.name for f in fields]
        lower = {n.lower() for n in names}
        for f in _children(file_t):
            target = match(f.name, names, case_sensitive=case_sensitive)
            if target is not None:
                i = names.index(target)
                fields[i] = fields[i].with_type(grow(fields[i].type, f.type, case_sensitive=case_sensitive))
            elif f.name.lower() not in lower:
                fields.append(types.delta_field(f))
                lower.add(f.name.lower())
        return pa.struct(fields)
    if _is_list(mine) and _is_list(file_t):
        return pa.list_(
            mine.value_field.with_type(grow(mine.value_type, file_t.value_type, case_sensitive=case_sensitive))
        )
    if pa.types.is_map(mine) and pa.types.is_map(file_t):
        item = grow(mine.item_type, file_t.item_type, case_sensitive=case_sensitive)
        return pa.map_(mine.key_field, mine.item_field.with_type(item), keys_sorted=mine.keys_sorted)
    return mine


def grow_schema(mine: pa.Schema, file_schema: pa.Schema, *, case_sensitive: bool) -> pa.Schema:
    grown = grow(pa.struct(list(mine)), pa.struct(list(file_schema)), case_sensitive=case_sensitive)
    return pa.schema(list(grown), metadata=mine.metadata)


@dataclass
class Residual:
    """What of a value did not fit: `value` (same nesting, None if all fitted), `misfit` if a value had the
    wrong type (not merely a field the type lacks)."""

    value: Any = None
    misfit: bool = False


class ValueFitter:
    """Fits Python values of one Arrow type to another, field by field; see the module docstring."""

    def __init__(self, *, case_sensitive: bool, text_format: bool) -> None:
        self.case_sensitive = case_sensitive
        self.text_format = text_format

    def column(self, col: pa.ChunkedArray, to: pa.DataType) -> tuple[pa.ChunkedArray, list[Residual | None]]:
        """`col` as `to`, and the residual of each row (None where all of it fitted)."""
        fitted: list[Any] = []
        residuals: list[Residual | None] = []
        for v in col.to_pylist():
            out, res = self.value(v, col.type, to)
            fitted.append(out)
            residuals.append(res if res.value is not None or res.misfit else None)
        return pa.chunked_array([pa.array(fitted, to)], to), residuals

    def value(self, v: Any, src: pa.DataType, dst: pa.DataType) -> tuple[Any, Residual]:
        if v is None:
            return None, Residual()
        if src == dst:
            return v, Residual()
        if pa.types.is_struct(src) and pa.types.is_struct(dst):
            return self._struct(v, src, dst)
        if _is_list(src) and _is_list(dst):
            return self._list(v, src.value_type, dst.value_type)
        if pa.types.is_map(src) and pa.types.is_map(dst):
            return self._map(v, src, dst)
        if is_nested(src) or is_nested(dst):
            if self.text_format and pa.types.is_string(dst) and not is_nested(dst):
                return dumps(v), Residual()  # JSON/CSV into a text column: its JSON text, as Spark does
            return None, Residual(v, misfit=True)
        return self._leaf(v, src, dst)

    def _struct(self, v: dict[str, Any], src: pa.DataType, dst: pa.DataType) -> tuple[Any, Residual]:
        names = [f.name for f in _children(dst)]
        src_types = {f.name: f.type for f in _children(src)}
        out: dict[str, Any] = {}
        rest: dict[str, Any] = {}
        misfit = False
        taken = {k for k in v if k in names}
        for key, value in v.items():
            target = match(key, names, case_sensitive=self.case_sensitive)
            if target is None or (target != key and target in taken) or (target in out and target != key):
                if value is not None:
                    rest[key] = value
                continue
            got, res = self.value(value, src_types[key], dst.field(target).type)
            out[target] = got
            misfit = misfit or res.misfit
            if res.value is not None:
                rest[key] = res.value
        return out, Residual(rest or None, misfit)

    def _list(self, v: list[Any], src: pa.DataType, dst: pa.DataType) -> tuple[Any, Residual]:
        out: list[Any] = []
        rest: list[Any] = []
        misfit = False
        for item in v:
            got, res = self.value(item, src, dst)
            out.append(got)
            rest.append(res.value)
            misfit = misfit or res.misfit
        return out, Residual(rest if any(r is not None for r in rest) else None, misfit)

    def _map(self, v: list[tuple[Any, Any]], src: pa.DataType, dst: pa.DataType) -> tuple[Any, Residual]:
        out: list[tuple[Any, Any]] = []
        rest: dict[str, Any] = {}
        misfit = False
        for key, item in v:
            got_key, key_res = self.value(key, src.key_type, dst.key_type)
            if key_res.value is not None:
                rest[str(key)] = item
                misfit = True
                continue
            got, res = self.value(item, src.item_type, dst.item_type)
            out.append((got_key, got))
            misfit = misfit or res.misfit
            if res.value is not None:
                rest[str(key)] = res.value
        return out, Residual(rest or None, misfit)

    def _leaf(self, v: Any, src: pa.DataType, dst: pa.DataType) -> tuple[Any, Residual]:
        text_source = pa.types.is_string(src) or pa.types.is_large_string(src)
        if text_source and not self.text_format and not pa.types.is_string(dst):
            return None, Residual(v, misfit=True)  # typed formats: text in a number column is a mismatch
        try:
            return pa.scalar(v, src).cast(dst, safe=True).as_py(), Residual()
        except (pa.ArrowInvalid, pa.ArrowNotImplementedError, pa.ArrowTypeError, ValueError, OverflowError):
            return None, Residual(v, misfit=True)


def _default(o: Any) -> Any:
    if isinstance(o, bytes):
        import base64

        return base64.b64encode(o).decode()
    return str(o)


def dumps(value: Any) -> str:
    """JSON text of a decoded value (bytes as base64; dates, times and decimals as their text)."""
    return json.dumps(value, default=_default)
