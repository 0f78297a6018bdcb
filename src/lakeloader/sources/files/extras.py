"""The columns a stream adds to file data: `_metadata` (Databricks' struct), audit columns, `_corrupt_record`."""

from __future__ import annotations

import os
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

import pyarrow as pa

from lakeloader.lakehouse import delta, storage

if TYPE_CHECKING:
    from lakeloader.sources.files.formats import BadRecord
    from lakeloader.sources.files.options import FilesOptions
    from lakeloader.sources.files.schema import SchemaFitter

METADATA_TYPE = pa.struct(
    [
        ("file_path", pa.string()),
        ("file_name", pa.string()),
        ("file_size", pa.int64()),
        ("file_modification_time", pa.timestamp("us", tz="UTC")),
    ]
)


def extra_names(opts: FilesOptions) -> set[str]:
    names = {"_metadata", opts.corrupt_record_column}
    if opts.audit_columns:
        names |= {opts.ingested_at_column, opts.source_column, opts.batch_id_column}
    if opts.rescued_data_column:
        names.add(opts.rescued_data_column)
    names.add("_rescued_data")
    return names


def table_schema(location: storage.Location) -> pa.Schema:
    return pa.schema(delta.open_table(location).schema().to_arrow())


def merge_table_schema(current: pa.Schema | None, location: storage.Location, opts: FilesOptions) -> pa.Schema | None:
    """The stream schema grown by the Delta table's own columns (its types win: that is what is stored).

    None when neither has a data column (a first batch of unreadable files made a table of extra columns
    only): the next readable files are inferred.
    """
    skip = extra_names(opts)
    table = [f for f in table_schema(location) if f.name not in skip]
    by_name = {f.name.lower(): f for f in table}
    fields = [by_name.pop(f.name.lower(), f) for f in current] if current is not None else []
    fields += [f for f in table if f.name.lower() in by_name]
    return pa.schema(fields) if fields else None


def output_schema(fitter: SchemaFitter, opts: FilesOptions, *, corrupt: bool) -> pa.Schema:
    assert fitter.schema is not None
    fields = list(fitter.schema)
    if fitter.rescue_column:
        fields.append(pa.field(fitter.rescue_column, pa.string()))
    if corrupt:
        fields.append(pa.field(opts.corrupt_record_column, pa.string()))
    if opts.with_metadata:
        fields.append(pa.field("_metadata", METADATA_TYPE))
    if opts.audit_columns:
        fields += [
            pa.field(opts.ingested_at_column, pa.timestamp("us", tz="UTC")),
            pa.field(opts.source_column, pa.string()),
            pa.field(opts.batch_id_column, pa.int64()),
        ]
    return pa.schema(fields)


def append_corrupt(table: pa.Table | None, schema: pa.Schema, bad: list[BadRecord], column: str) -> pa.Table:
    """Add PERMISSIVE's rows for malformed input: every column null but `column`, which holds the raw text."""
    raw = pa.array([b.raw for b in bad], pa.string())
    base = table.schema if table is not None else schema
    if not len(base):
        return pa.table({column: raw})
    corrupt = pa.table([pa.nulls(len(bad), f.type) for f in base], schema=base).append_column(column, raw)
    if table is None:
        return corrupt
    table = table.append_column(column, pa.nulls(table.num_rows, pa.string()))
    return pa.concat_tables([table, corrupt])


def add_columns(
    table: pa.Table, file: list[Any], opts: FilesOptions, *, batch_id: int, ingested_at: datetime
) -> pa.Table:
    n = table.num_rows
    path, size, mtime_ns = file[0], file[1], file[2]
    if opts.with_metadata:
        meta = {
            "file_path": path,
            "file_name": os.path.basename(path),
            "file_size": size,
            "file_modification_time": datetime.fromtimestamp(mtime_ns / 1e9, UTC),
        }
        table = table.append_column(pa.field("_metadata", METADATA_TYPE), pa.repeat(pa.scalar(meta, METADATA_TYPE), n))
    if opts.audit_columns:
        table = table.append_column(
            pa.field(opts.ingested_at_column, pa.timestamp("us", tz="UTC")),
            pa.repeat(pa.scalar(ingested_at, pa.timestamp("us", tz="UTC")), n),
        )
        table = table.append_column(pa.field(opts.source_column, pa.string()), pa.repeat(pa.scalar(path), n))
        table = table.append_column(pa.field(opts.batch_id_column, pa.int64()), pa.repeat(batch_id, n))
    return table


def conform(table: pa.Table, out: pa.Schema) -> pa.Table:
    """`table` with exactly `out`'s columns, in order (missing ones null)."""
    if table.schema == out:
        return table
    names = set(table.column_names)
    cols = [table[f.name].cast(f.type) if f.name in names else pa.nulls(table.num_rows, f.type) for f in out]
    return pa.table(cols, schema=out)
