"""CSV through pyarrow: header, sep, quote, escape, encoding, multiLine; rows with the wrong column count are bad.

Without `inferColumnTypes` every column is read as text (Auto Loader's default); a declared schema is applied
afterwards by the source, so one bad value costs one row, not the file.
"""

from __future__ import annotations

import csv as _csv
import io
from typing import TYPE_CHECKING, Any

import pyarrow as pa

from lakeloader.sources.files.formats import BadRecord, FileRead, read_bytes

if TYPE_CHECKING:
    from lakeloader.sources.files.options import FilesOptions


def _first_record(data: bytes, options: FilesOptions) -> list[str]:
    text = data[: 1 << 20].decode(options.encoding, errors="replace")
    reader = _csv.reader(
        io.StringIO(text),
        delimiter=options.delimiter,
        quotechar=options.quote or None,
        escapechar=options.escape,
    )
    return next(reader, [])


def read(path: str, options: FilesOptions, schema: pa.Schema | None) -> FileRead:
    return parse(path, read_bytes(path), options, schema)


def parse(path: str, data: bytes, options: FilesOptions, schema: pa.Schema | None) -> FileRead:
    import pyarrow.csv as pcsv

    if not data.strip():
        return FileRead(pa.table({}))
    first = _first_record(data, options)
    if options.header:
        names = [n or f"_c{i}" for i, n in enumerate(first)]
    elif schema is not None and len(schema) >= len(first):
        names = schema.names[: len(first)]
    else:
        names = [f"_c{i}" for i in range(len(first))]
    bad: list[BadRecord] = []

    def on_invalid(row: Any) -> str:
        reason = f"expected {row.expected_columns} columns, found {row.actual_columns}"
        bad.append(BadRecord(path, f"malformed CSV row: {reason}", row.number, None, row.text, rows=1))
        return "skip"

    read_options = pcsv.ReadOptions(
        column_names=names,
        skip_rows=1 if options.header else 0,
        encoding=options.encoding,
        block_size=16 << 20,
        use_threads=False,
    )
    parse_options = pcsv.ParseOptions(
        delimiter=options.delimiter,
        quote_char=options.quote or False,
        escape_char=options.escape or False,
        newlines_in_values=options.multi_line,
        invalid_row_handler=on_invalid,
    )
    types = None if options.infer_column_types else {n: pa.string() for n in names}
    convert = pcsv.ConvertOptions(column_types=types, strings_can_be_null=options.infer_column_types)
    table = pcsv.read_csv(io.BytesIO(data), read_options, parse_options, convert)
    return FileRead(table, bad)
