"""Data files written by work units (files, Postgres partitions, pipeline flows), made visible by the driver in
ONE commit with the stream's transaction, or deleted: nothing of a unit is visible until that commit, and a file a
commit references is never deleted."""

from __future__ import annotations

import sys
from collections.abc import Sequence
from typing import Any, Protocol

import pyarrow as pa

from lakeloader.lakehouse import delta, storage
from lakeloader.lakehouse.datafiles import DataFile
from lakeloader.lakehouse.delta import CommitResult


class Written(Protocol):
    """What a unit returns: the data files it wrote (not committed)."""

    data_files: list[DataFile]


def current_node() -> str:
    """The Ray node this process runs on, or "local"."""
    ray = sys.modules.get("ray")
    if ray is not None and ray.is_initialized():
        return str(ray.get_runtime_context().get_node_id())
    return "local"


def delete_files(location: storage.Location, results: Sequence[Written]) -> None:
    """Remove what units wrote for a batch that will not commit them (never referenced by the log)."""
    for result in results:
        for data_file in result.data_files:
            (location / data_file.path).unlink(missing_ok=True)


def holds_batch(location: storage.Location | None, stream_id: str, batch_id: int) -> bool:
    """True unless the table positively does not hold batch `batch_id` of the stream (when in doubt, keep the
    files)."""
    try:
        if location is None or not delta.is_delta_table(location):
            return False
        done = delta.transaction_version(location, stream_id)
    except Exception:
        return True
    return done is not None and done >= batch_id


def commit_units(
    location: storage.Location,
    results: Sequence[Written],
    schema: pa.Schema,
    *,
    stream_id: str,
    batch_id: int,
    table_name: str | None,
    metadata: dict[str, Any],
) -> CommitResult:
    """Every unit's data files (of `schema`) in ONE commit with the stream's transaction, or none of them.

    Files the table cannot take as they are (the batch brings new columns, or gives a column another type) are
    read and committed as rows, the new columns and the rows in one commit as the driver's own batch would be
    (delta-rs commits added files only under the table's current schema); then they are deleted."""
    data_files = [d for r in results for d in r.data_files]
    try:
        commit: dict[str, Any] = {"stream_id": stream_id, "batch_id": batch_id, "table_name": table_name,
                                  "metadata": metadata}  # fmt: skip
        if delta.appends_files(location, schema):
            result = delta.commit_batch(
                location, pa.RecordBatchReader.from_batches(schema, []), copied_files=data_files, **commit
            )
        else:
            paths = [str(storage.path(location) / d.path) for d in data_files]
            rows = delta.files_dataset(paths, schema=schema).scanner().to_reader()
            result = delta.commit_batch(location, rows, **commit)
            delete_files(location, results)
    except BaseException:
        if not holds_batch(location, stream_id, batch_id):  # never delete a file a commit references
            delete_files(location, results)
        raise
    if result.skipped:  # committed by an earlier run: these files are nobody's
        delete_files(location, results)
    return result
