"""Parquet through pyarrow: the whole file at once, else row group by row group so one bad group loses no more.

INT96 timestamps (Impala, Hive, older Spark) are instants: Spark reads them as `timestamp`, so they get
`tz=UTC` here (pyarrow reads them as time-zone-naive nanoseconds).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

import pyarrow as pa

from lakeloader.sources.files.formats import BadRecord, FileRead, bad_file

if TYPE_CHECKING:
    import pyarrow.parquet as pq

    from lakeloader.sources.files.options import FilesOptions


_WRAPPERS = {"list", "element", "item", "array", "bag", "key_value"}


def _int96_paths(pf: pq.ParquetFile) -> set[str]:
    """Leaf paths of the INT96 columns, list and map wrapper levels left out (`s.t`, `l`, `m.value`)."""
    out = set()
    for i in range(len(pf.schema)):
        column = pf.schema.column(i)
        if column.physical_type == "INT96":
            out.add(".".join(p for p in column.path.split(".") if p not in _WRAPPERS))
    return out


def _utc(t: pa.DataType, paths: set[str], at: str) -> pa.DataType:
    if pa.types.is_timestamp(t) and t.tz is None and at in paths:
        return pa.timestamp(t.unit, tz="UTC")
    if pa.types.is_struct(t):
        return pa.struct(
            [
                t.field(i).with_type(_utc(t.field(i).type, paths, _join(at, t.field(i).name)))
                for i in range(t.num_fields)
            ]
        )
    if pa.types.is_list(t) or pa.types.is_large_list(t):
        return pa.list_(t.value_field.with_type(_utc(t.value_type, paths, at)))
    if pa.types.is_map(t):
        key = t.key_field.with_type(_utc(t.key_type, paths, _join(at, "key")))
        return pa.map_(key, t.item_field.with_type(_utc(t.item_type, paths, _join(at, "value"))))
    return t


def _join(at: str, name: str) -> str:
    return f"{at}.{name}" if at else name


def instant_schema(schema: pa.Schema, paths: set[str]) -> pa.Schema:
    """`schema` with its INT96 columns (`paths`) as UTC timestamps."""
    if not paths:
        return schema
    return pa.schema([f.with_type(_utc(f.type, paths, f.name)) for f in schema], metadata=schema.metadata)


def _instants(table: pa.Table, paths: set[str]) -> pa.Table:
    return table if not paths else table.cast(instant_schema(table.schema, paths))


def probe(path: str) -> pa.Schema:
    import pyarrow.parquet as pq

    with pq.ParquetFile(path) as pf:
        return instant_schema(pf.schema_arrow, _int96_paths(pf))


def read(path: str, options: FilesOptions, schema: pa.Schema | None) -> FileRead:
    import pyarrow.parquet as pq

    pf = pq.ParquetFile(path)
    int96 = _int96_paths(pf)
    try:
        table = pf.read(use_threads=False)  # files are decoded in parallel already (one per worker thread)
        table.validate(full=False)
        return FileRead(_instants(table, int96))
    except Exception:  # salvage what can be salvaged, below
        pass
    good: list[pa.Table] = []
    bad: list[BadRecord] = []
    for piece in _row_groups(pf, path, full=True):
        bad += piece.bad
        if piece.table is not None:
            good.append(piece.table)
    return FileRead(pa.concat_tables(good) if good else None, bad)


def _row_groups(pf: pq.ParquetFile, path: str, *, full: bool) -> Iterator[FileRead]:
    """Each row group of `pf` as rows, or as a bad record holding its row count when it cannot be decoded."""
    int96 = _int96_paths(pf)
    for i in range(pf.num_row_groups):
        rows = pf.metadata.row_group(i).num_rows
        try:
            group = pf.read_row_group(i, use_threads=True)
            group.validate(full=full)
        except Exception as exc:
            text = (str(exc).strip().splitlines() or [type(exc).__name__])[0][:500]
            yield FileRead(None, [BadRecord(path, f"row group {i} unreadable: {text}", offset=i, rows=rows)])
        else:
            yield FileRead(_instants(group, int96))


def read_row_groups(path: str) -> Iterator[FileRead]:
    """A big file row group by row group, so memory holds one group at a time; a bad group is a bad record."""
    import pyarrow.parquet as pq

    try:
        pf = pq.ParquetFile(path)
    except Exception as exc:  # vanished, unreadable, not Parquet
        yield FileRead(None, [bad_file(path, exc)])
        return
    with pf:  # big files: the writer's thread reads them, each group on every core
        yield from _row_groups(pf, path, full=False)
