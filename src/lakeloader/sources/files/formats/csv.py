"""CSV through pyarrow, with Spark's reading rules: header, sep, quote, escape, encoding, multiLine.

As Spark: a UTF-8 BOM is not part of the first name; duplicate header names get their position (`val1`,
`val2`) and empty ones `_c<i>`; an unquoted empty field is null and a quoted `""` the empty string; a short row
fills its missing columns with null; a row with too many fields is a bad record (its physical line given).
Without `inferColumnTypes` every column is text (Auto Loader's default); with it, integers beyond int64 are
`decimal(p,0)`. A declared schema is applied afterwards by the source, so one bad value costs one row.
"""

from __future__ import annotations

import csv as _csv
import io
import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import pyarrow as pa

from lakeloader.sources.files.formats import BadRecord, FileRead, read_bytes

if TYPE_CHECKING:
    from lakeloader.sources.files.options import FilesOptions

_BOM = "\ufeff"
_LONG_DIGITS = re.compile(rb"\d{19}")
_INTEGER = re.compile(r"[+-]?\d+")
_NEWLINE = re.compile(r"\r\n|\r|\n")


def _text(data: bytes, options: FilesOptions, limit: int | None = None) -> str:
    text = (data if limit is None else data[:limit]).decode(options.encoding, errors="replace")
    return text[1:] if text.startswith(_BOM) else text


def _reader(text: str, options: FilesOptions) -> Any:
    return _csv.reader(
        io.StringIO(text, newline=""),
        delimiter=options.delimiter,
        quotechar=options.quote or None,
        escapechar=options.escape,
    )


def _first_record(data: bytes, options: FilesOptions) -> list[str]:
    for record in _reader(_text(data, options, 1 << 20), options):
        if record:
            return [str(name) for name in record]
    return []


def safe_header(names: list[str]) -> list[str]:
    """Spark's header names: empty ones `_c<i>`, duplicates (in any case) `<name><i>`, i the position."""
    lower = [n.lower() for n in names]
    seen: dict[str, int] = {}
    for n in lower:
        seen[n] = seen.get(n, 0) + 1
    return [f"_c{i}" if not n else (f"{n}{i}" if seen[n.lower()] > 1 else n) for i, n in enumerate(names)]


@dataclass(frozen=True)
class _Invalid:
    number: int  # pyarrow's record number: the header counts, empty lines do not
    text: str
    actual: int
    expected: int


def read(path: str, options: FilesOptions, schema: pa.Schema | None) -> FileRead:
    return parse(path, read_bytes(path), options, schema)


def parse(path: str, data: bytes, options: FilesOptions, schema: pa.Schema | None) -> FileRead:
    import pyarrow.csv as pcsv

    if not data.strip():
        return FileRead(pa.table({}))
    first = _first_record(data, options)
    if options.header:
        names = safe_header(first)
    elif schema is not None:
        names = schema.names + [f"_c{i}" for i in range(len(schema), len(first))]
    else:
        names = [f"_c{i}" for i in range(len(first))]
    invalid: list[_Invalid] = []

    def on_invalid(row: Any) -> str:
        invalid.append(_Invalid(row.number, row.text, row.actual_columns, row.expected_columns))
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
    column_types = None if options.infer_column_types else {n: pa.string() for n in names}
    convert = _convert(column_types)
    table = pcsv.read_csv(io.BytesIO(data), read_options, parse_options, convert)
    if options.infer_column_types and _LONG_DIGITS.search(data):
        table = _big_integers(table, data, read_options, parse_options)
    if not invalid:
        return FileRead(table)
    lines = _record_lines(data, options, {i.number for i in invalid})
    short = [i for i in invalid if i.actual < i.expected]
    bad = [i for i in invalid if i.actual >= i.expected]
    table, unfilled = _with_short_rows(table, short, invalid, names, options, first=2 if options.header else 1)
    return FileRead(
        table,
        [
            BadRecord(
                path,
                f"malformed CSV row: expected {i.expected} columns, found {i.actual}",
                lines.get(i.number),
                None,
                i.text,
                rows=1,
            )
            for i in sorted(bad + unfilled, key=lambda i: i.number)
        ],
    )


def _convert(column_types: dict[str, pa.DataType] | None) -> Any:
    import pyarrow.csv as pcsv

    # Spark: an unquoted empty field is null, a quoted "" is the empty string, no other text means null
    return pcsv.ConvertOptions(
        column_types=column_types, strings_can_be_null=True, quoted_strings_can_be_null=False, null_values=[""]
    )


def _big_integers(table: pa.Table, data: bytes, read_options: Any, parse_options: Any) -> pa.Table:
    """Double columns whose every value is an integer literal beyond int64: decimal(p,0), as Spark infers."""
    import pyarrow.csv as pcsv

    doubles = [f.name for f in table.schema if pa.types.is_floating(f.type)]
    if not doubles:
        return table
    texts = pcsv.read_csv(
        io.BytesIO(data),
        read_options,
        pcsv.ParseOptions(
            delimiter=parse_options.delimiter,
            quote_char=parse_options.quote_char,
            escape_char=parse_options.escape_char,
            newlines_in_values=parse_options.newlines_in_values,
            invalid_row_handler=lambda row: "skip",
        ),
        _convert({n: pa.string() for n in doubles}),
    )
    for name in doubles:
        values = [v for v in texts.column(name).to_pylist() if v is not None]
        if values and all(_INTEGER.fullmatch(v) for v in values):
            digits = max(len(v.lstrip("+-")) for v in values)
            if 18 < digits <= 38:
                column = texts.column(name).cast(pa.decimal128(digits, 0))
                table = table.set_column(table.schema.get_field_index(name), name, column)
    return table


def _record_lines(data: bytes, options: FilesOptions, numbers: set[int]) -> dict[int, int]:
    """Physical line (1-based) where each of pyarrow's record `numbers` starts."""
    text = _text(data, options)
    out: dict[int, int] = {}
    record = 0
    if not options.multi_line:  # every non-empty line is a record
        for line_no, line in enumerate(_NEWLINE.split(text), start=1):
            if line:
                record += 1
                if record in numbers:
                    out[record] = line_no
        return out
    reader = _reader(text, options)
    previous = 0
    for fields in reader:
        start, previous = previous + 1, reader.line_num
        if fields:
            record += 1
            if record in numbers:
                out[record] = start
    return out


def _with_short_rows(
    table: pa.Table, short: list[_Invalid], invalid: list[_Invalid], names: list[str], options: FilesOptions, first: int
) -> tuple[pa.Table, list[_Invalid]]:
    """`table` with the short rows put back where they were, missing columns null; (table, rows not fitted)."""
    import pyarrow.csv as pcsv

    if not short:
        return table, []
    # a column no full row gave a type (all null) takes the short rows' text
    schema = pa.schema([f.with_type(pa.string()) if pa.types.is_null(f.type) else f for f in table.schema])
    table = table.cast(schema)
    pieces: dict[int, pa.Table] = {}
    unfilled: list[_Invalid] = []
    for row in short:
        part = names[: row.actual]
        try:
            got = pcsv.read_csv(
                io.BytesIO(row.text.encode(options.encoding)),
                pcsv.ReadOptions(column_names=part, encoding=options.encoding, use_threads=False),
                pcsv.ParseOptions(
                    delimiter=options.delimiter,
                    quote_char=options.quote or False,
                    escape_char=options.escape or False,
                    newlines_in_values=options.multi_line,
                ),
                _convert({n: table.schema.field(n).type for n in part}),
            )
            if got.num_rows != 1:
                raise ValueError("not one row")
            columns = [got.column(f.name) if f.name in part else pa.nulls(1, f.type) for f in table.schema]
            pieces[row.number] = pa.table(columns, schema=table.schema)
        except (pa.ArrowInvalid, ValueError):
            unfilled.append(row)
    if not pieces:
        return table, unfilled
    skipped = {i.number for i in invalid} - set(pieces)
    order = sorted(pieces)
    parts = pa.concat_tables([table, *(pieces[n] for n in order)])
    extra = {n: table.num_rows + k for k, n in enumerate(order)}
    indices: list[int] = []
    good = 0
    for number in range(first, first + table.num_rows + len(invalid)):
        if number in extra:
            indices.append(extra[number])
        elif number not in skipped:
            indices.append(good)
            good += 1
    return parts.take(pa.array(indices, pa.int64())), unfilled
