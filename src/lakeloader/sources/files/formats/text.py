"""`text` (one row per line, or per file with `wholetext`) and `binaryFile` (one row per file, Spark's columns)."""

from __future__ import annotations

import os
from datetime import UTC, datetime
from typing import TYPE_CHECKING

import pyarrow as pa

from lakeloader.sources.files.formats import BadRecord, FileRead, read_bytes

if TYPE_CHECKING:
    from lakeloader.sources.files.options import FilesOptions


def read_text(path: str, options: FilesOptions, schema: pa.Schema | None) -> FileRead:
    data = read_bytes(path)
    if options.whole_text:
        try:
            return FileRead(pa.table({"value": [data.decode(options.encoding)]}))
        except UnicodeDecodeError as exc:
            return FileRead(None, [BadRecord(path, f"not valid {options.encoding}: {exc.reason}", rows=1)])
    values: list[str] = []
    bad: list[BadRecord] = []
    offset = 0
    for number, raw in enumerate(data.splitlines(keepends=True), start=1):
        line = raw.rstrip(b"\r\n")
        try:
            values.append(line.decode(options.encoding))
        except UnicodeDecodeError as exc:
            bad.append(
                BadRecord(
                    path, f"not valid {options.encoding}: {exc.reason}", number, offset, line.decode("latin-1"), rows=1
                )
            )
        offset += len(raw)
    return FileRead(pa.table({"value": pa.array(values, pa.string())}), bad)


BINARY_SCHEMA = pa.schema(
    [
        ("path", pa.string()),
        ("modificationTime", pa.timestamp("us", tz="UTC")),
        ("length", pa.int64()),
        ("content", pa.binary()),
    ]
)


def read_binary(path: str, options: FilesOptions, schema: pa.Schema | None) -> FileRead:
    with open(path, "rb") as fh:
        st = os.fstat(fh.fileno())
        content = fh.read()
    row = {
        "path": [path],
        "modificationTime": [datetime.fromtimestamp(st.st_mtime_ns / 1e9, UTC)],
        "length": [len(content)],
        "content": [content],
    }
    return FileRead(pa.table(row, schema=BINARY_SCHEMA))
