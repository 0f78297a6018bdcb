"""The ONE place that commits to Delta: append, overwrite, merge, idempotent batches, maintenance.

Every write goes through `core._with_retries`, which retries lost optimistic-concurrency races with backoff and
jitter, stamps lakeloader's commit metadata (secrets redacted) and, for stream batches, carries the
`Transaction(app_id=stream_id, version=batch_id)` that makes a replayed batch a no-op. The modules of this
package are its parts; callers use `from lakeloader.lakehouse import delta` and the names below.
"""

from __future__ import annotations

from lakeloader.lakehouse.delta.core import (
    DEFAULT_TABLE_PROPERTIES,
    MAX_ATTEMPTS,
    CommitResult,
    Data,
    WriteMode,
    dataset,
    files_dataset,
    is_delta_table,
    local_files,
    open_table,
    parquet_scan,
    plain_files,
    transaction_version,
    version_before_batch,
)
from lakeloader.lakehouse.delta.maintenance import checkpoint, describe, history, optimize, truncate, vacuum
from lakeloader.lakehouse.delta.merges import apply_rows, evolve_schema, merge
from lakeloader.lakehouse.delta.writes import appends_files, commit_batch, create_table, replaces_files, write

__all__ = [
    "DEFAULT_TABLE_PROPERTIES",
    "MAX_ATTEMPTS",
    "CommitResult",
    "Data",
    "WriteMode",
    "appends_files",
    "apply_rows",
    "checkpoint",
    "commit_batch",
    "create_table",
    "dataset",
    "describe",
    "evolve_schema",
    "files_dataset",
    "history",
    "is_delta_table",
    "local_files",
    "merge",
    "open_table",
    "optimize",
    "parquet_scan",
    "plain_files",
    "replaces_files",
    "transaction_version",
    "truncate",
    "vacuum",
    "version_before_batch",
    "write",
]
