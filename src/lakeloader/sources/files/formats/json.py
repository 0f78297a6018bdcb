"""JSON: newline-delimited through pyarrow (fast path); line by line when a file has malformed lines or mixed types.

`multiLine` files (one document, or an array of records) are parsed whole and fed to the same path.

Numbers keep what the file says. Without `inferColumnTypes` (and under a declared schema, which is applied to
the text) a number is its source text (`19.90` stays "19.90", `1e400` stays "1e400"): pyarrow would parse it
into a double first, so a file whose numbers are not all plain integers is parsed by Python with the text kept.
With `inferColumnTypes`, integers beyond int64 become `decimal(p,0)`, as Spark infers them: pyarrow reads such an
integer as a double, at least 2**63 in size, so only a file with a double that large is parsed again by Python.
"""

from __future__ import annotations

import json as _json
import re
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

import pyarrow as pa

from lakeloader.sources.files.formats import BadRecord, FileRead, read_bytes

if TYPE_CHECKING:
    from lakeloader.sources.files.options import FilesOptions

_NEG_ZERO = re.compile(rb"-0(?![.\deE])")  # "-0" would read back as "0" from an int64
_INT64_SIZE = float(2**63)  # pyarrow reads an integer beyond int64 as a double at least this large


class RawNumber(str):
    """A JSON number kept as the text the file has."""


def _fast(data: bytes) -> pa.Table:
    import pyarrow.json as pj

    # a BufferReader, not a BytesIO: pyarrow reads it without the GIL and without a copy
    table = pj.read_json(pa.BufferReader(data), read_options=pj.ReadOptions(block_size=16 << 20))
    for i, f in enumerate(table.schema):
        if _has_list(f.type):
            # pyarrow (26) builds invalid list arrays when a list starts with null before its type is known;
            # a full validation of those columns catches it and the caller takes the slow path
            table.column(i).validate(full=True)
    return table


def _has_list(t: pa.DataType) -> bool:
    if pa.types.is_list(t) or pa.types.is_large_list(t):
        return True
    if pa.types.is_struct(t):
        return any(_has_list(t.field(i).type) for i in range(t.num_fields))
    return False


def _has_float(t: pa.DataType) -> bool:
    if pa.types.is_floating(t):
        return True
    if pa.types.is_struct(t):
        return any(_has_float(t.field(i).type) for i in range(t.num_fields))
    if pa.types.is_list(t) or pa.types.is_large_list(t):
        return _has_float(t.value_type)
    return False


def _float_values(values: pa.Array) -> Iterator[pa.Array]:
    """The floating-point values of an array, at any depth of structs and lists."""
    t = values.type
    if pa.types.is_floating(t):
        yield values
    elif pa.types.is_struct(t):
        for i in range(t.num_fields):
            yield from _float_values(values.field(i))
    elif pa.types.is_list(t) or pa.types.is_large_list(t):
        yield from _float_values(values.flatten())


def _beyond_int64(table: pa.Table) -> bool:
    """True if a double holds what may be an integer past int64 (or infinity: a harmless false alarm).

    A scan of the values, not of the text: a regex over the bytes (`\\d{19}`) held the GIL for as long as
    pyarrow took to parse the file, and the decode workers queued on it (JSON ingest 5.2x its raw read).
    """
    import pyarrow.compute as pc

    for column in table.columns:
        for chunk in column.chunks:
            for values in _float_values(chunk):
                top = pc.max(pc.abs(values)).as_py()
                if top is not None and top >= _INT64_SIZE:
                    return True
    return False


def _no_repeats(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    out = dict(pairs)
    if len(out) != len(pairs):
        seen: set[str] = set()
        for key, _ in pairs:
            if key in seen:
                raise ValueError(f"key {key!r} appears twice in one object (no column could hold both values)")
            seen.add(key)
    return out


def loads(text: str | bytes, *, raw: bool, checked: bool = False) -> Any:
    """Parse JSON (numbers as their text when `raw`); unless `checked` (pyarrow read it), a key twice is an error."""
    hook = None if checked else _no_repeats
    if raw:
        return _json.loads(
            text, parse_float=RawNumber, parse_int=RawNumber, parse_constant=RawNumber, object_pairs_hook=hook
        )
    return _json.loads(text, object_pairs_hook=hook)


def dumps_raw(value: Any) -> str:
    """JSON text of a parsed value, its numbers exactly as the file wrote them."""
    if isinstance(value, RawNumber):
        return str(value)
    if isinstance(value, dict):
        return "{" + ",".join(f"{_json.dumps(k)}:{dumps_raw(v)}" for k, v in value.items()) + "}"
    if isinstance(value, list):
        return "[" + ",".join(dumps_raw(v) for v in value) + "]"
    return _json.dumps(value)


def _big_integers(values: list[Any]) -> pa.Array | None:
    """Integers beyond int64 as decimal(p,0) when they fit 38 digits, else doubles (Spark's inference)."""
    numbers = [v for v in values if v is not None]
    if not numbers or not all(isinstance(v, int | float) and not isinstance(v, bool) for v in numbers):
        return None
    if all(isinstance(v, int) for v in numbers):
        digits = max(len(str(abs(v))) for v in numbers)
        if digits <= 38:
            return pa.array(values, pa.decimal128(digits, 0))
    return pa.array([None if v is None else float(v) for v in values], pa.float64())


def rows_to_table(rows: list[dict[str, Any]], *, raw: bool = False) -> pa.Table:
    """Python records → Arrow, column by column; a column whose values disagree in type becomes JSON text."""
    names: dict[str, None] = {}
    for row in rows:
        names.update(dict.fromkeys(row))
    columns: dict[str, pa.Array] = {}
    for name in names:
        values = [row.get(name) for row in rows]
        try:
            columns[name] = pa.array(values)
            continue
        except (pa.ArrowInvalid, pa.ArrowTypeError, OverflowError):
            pass
        big = None if raw else _big_integers(values)
        if big is not None:
            columns[name] = big
            continue
        text = dumps_raw if raw else _json.dumps
        columns[name] = pa.array([v if v is None or isinstance(v, str) else text(v) for v in values], pa.string())
    return pa.table(columns) if columns else pa.table({})


def _line_by_line(path: str, data: bytes, *, raw: bool) -> FileRead:
    good: list[bytes] = []
    records: list[dict[str, Any]] = []
    bad: list[BadRecord] = []
    offset = 0
    for number, line_bytes in enumerate(data.splitlines(keepends=True), start=1):
        line = line_bytes.strip()
        if line:
            try:
                value = loads(line, raw=raw)
                if not isinstance(value, dict):
                    raise ValueError(f"a JSON {type(value).__name__}, not an object")
                good.append(line)
                records.append(value)
            except ValueError as exc:
                text = line.decode("utf-8", errors="replace")
                bad.append(BadRecord(path, f"malformed JSON: {exc}", number, offset, text, rows=1))
        offset += len(line_bytes)
    if not good:
        return FileRead(None, bad)
    joined = b"\n".join(good)
    try:
        table = _fast(joined)
        if _needs_python(table, joined, raw=raw):
            table = rows_to_table(records, raw=raw)
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):  # valid JSON, but types change between lines
        table = rows_to_table(records, raw=raw)
    return FileRead(table, bad)


def _needs_python(table: pa.Table, data: bytes, *, raw: bool) -> bool:
    """True if pyarrow's numbers are not what the file says (see the module docstring)."""
    if raw:
        return any(_has_float(f.type) for f in table.schema) or _NEG_ZERO.search(data) is not None
    return _beyond_int64(table)


def read(path: str, options: FilesOptions, schema: pa.Schema | None) -> FileRead:
    return parse(path, read_bytes(path), options, schema)


def parse(path: str, data: bytes, options: FilesOptions, schema: pa.Schema | None) -> FileRead:
    raw = schema is not None or not options.infer_column_types
    if options.encoding.lower().replace("-", "") not in ("utf8", "ascii"):
        data = data.decode(options.encoding).encode()
    if options.multi_line:
        try:
            doc = loads(data, raw=raw)
        except ValueError as exc:
            text = data.decode("utf-8", errors="replace")[:10000]
            return FileRead(None, [BadRecord(path, f"malformed JSON document: {exc}", 1, 0, text)])
        docs = doc if isinstance(doc, list) else [doc]
        if raw or not all(isinstance(d, dict) for d in docs):
            data = b"\n".join((dumps_raw(d) if raw else _json.dumps(d)).encode() for d in docs)
            return _line_by_line(path, data, raw=raw)
        data = b"\n".join(_json.dumps(d).encode() for d in docs)
    if not data or data.isspace():  # no stripped copy of the whole file
        return FileRead(pa.table({}))
    try:
        table = _fast(data)
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
        return _line_by_line(path, data, raw=raw)
    if _needs_python(table, data, raw=raw):  # valid NDJSON (pyarrow read it): one object per non-empty line
        lines = [line for line in (raw_line.strip() for raw_line in data.splitlines()) if line]
        return FileRead(rows_to_table(loads(b"[" + b",".join(lines) + b"]", raw=raw, checked=True), raw=raw))
    return FileRead(table)
