"""JSON: newline-delimited through pyarrow (fast path); line by line when a file has malformed lines or mixed types.

`multiLine` files (one document, or an array of records) are parsed whole and fed to the same path.
"""

from __future__ import annotations

import io
import json as _json
from typing import TYPE_CHECKING, Any

import pyarrow as pa

from lakeloader.sources.files.formats import BadRecord, FileRead, read_bytes

if TYPE_CHECKING:
    from lakeloader.sources.files.options import FilesOptions


def _fast(data: bytes) -> pa.Table:
    import pyarrow.json as pj

    table = pj.read_json(io.BytesIO(data), read_options=pj.ReadOptions(block_size=16 << 20))
    if any(_has_list(f.type) for f in table.schema):
        # pyarrow (26) builds invalid list arrays when a list starts with null before its type is known;
        # a full validation catches it and the caller takes the slow path
        table.validate(full=True)
    return table


def _has_list(t: pa.DataType) -> bool:
    if pa.types.is_list(t) or pa.types.is_large_list(t):
        return True
    if pa.types.is_struct(t):
        return any(_has_list(t.field(i).type) for i in range(t.num_fields))
    return False


def rows_to_table(rows: list[dict[str, Any]]) -> pa.Table:
    """Python records → Arrow, column by column; a column whose values disagree in type becomes JSON text."""
    names: dict[str, None] = {}
    for row in rows:
        names.update(dict.fromkeys(row))
    columns: dict[str, pa.Array] = {}
    for name in names:
        values = [row.get(name) for row in rows]
        try:
            columns[name] = pa.array(values)
        except (pa.ArrowInvalid, pa.ArrowTypeError, OverflowError):
            columns[name] = pa.array(
                [v if v is None or isinstance(v, str) else _json.dumps(v) for v in values], pa.string()
            )
    return pa.table(columns) if columns else pa.table({})


def _line_by_line(path: str, data: bytes) -> FileRead:
    good: list[bytes] = []
    records: list[dict[str, Any]] = []
    bad: list[BadRecord] = []
    offset = 0
    for number, raw in enumerate(data.splitlines(keepends=True), start=1):
        line = raw.strip()
        if line:
            try:
                value = _json.loads(line)
                if not isinstance(value, dict):
                    raise ValueError(f"a JSON {type(value).__name__}, not an object")
                good.append(line)
                records.append(value)
            except ValueError as exc:
                text = line.decode("utf-8", errors="replace")
                bad.append(BadRecord(path, f"malformed JSON: {exc}", number, offset, text, rows=1))
        offset += len(raw)
    if not good:
        return FileRead(None, bad)
    try:
        table = _fast(b"\n".join(good))
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):  # valid JSON, but types change between lines
        table = rows_to_table(records)
    return FileRead(table, bad)


def read(path: str, options: FilesOptions, schema: pa.Schema | None) -> FileRead:
    return parse(path, read_bytes(path), options)


def parse(path: str, data: bytes, options: FilesOptions) -> FileRead:
    if options.encoding.lower().replace("-", "") not in ("utf8", "ascii"):
        data = data.decode(options.encoding).encode()
    if options.multi_line:
        try:
            doc = _json.loads(data)
        except ValueError as exc:
            raw = data.decode("utf-8", errors="replace")[:10000]
            return FileRead(None, [BadRecord(path, f"malformed JSON document: {exc}", 1, 0, raw)])
        docs = doc if isinstance(doc, list) else [doc]
        data = b"\n".join(_json.dumps(d).encode() for d in docs)
    if not data.strip():
        return FileRead(pa.table({}))
    try:
        return FileRead(_fast(data))
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
        return _line_by_line(path, data)
