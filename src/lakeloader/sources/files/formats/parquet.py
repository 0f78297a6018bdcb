"""Parquet through pyarrow: the whole file at once, else row group by row group so one bad group loses no more."""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

import pyarrow as pa

from lakeloader.sources.files.formats import BadRecord, FileRead, bad_file

if TYPE_CHECKING:
    import pyarrow.parquet as pq

    from lakeloader.sources.files.options import FilesOptions


def read(path: str, options: FilesOptions, schema: pa.Schema | None) -> FileRead:
    import pyarrow.parquet as pq

    pf = pq.ParquetFile(path)
    try:
        table = pf.read(use_threads=False)  # files are decoded in parallel already (one per worker thread)
        table.validate(full=False)
        return FileRead(table)
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
    for i in range(pf.num_row_groups):
        rows = pf.metadata.row_group(i).num_rows
        try:
            group = pf.read_row_group(i, use_threads=True)
            group.validate(full=full)
        except Exception as exc:
            text = (str(exc).strip().splitlines() or [type(exc).__name__])[0][:500]
            yield FileRead(None, [BadRecord(path, f"row group {i} unreadable: {text}", offset=i, rows=rows)])
        else:
            yield FileRead(group)


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
