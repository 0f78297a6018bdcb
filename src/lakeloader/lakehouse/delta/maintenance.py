"""Maintenance and inspection: truncate, optimize, vacuum, checkpoint, describe, history."""

from __future__ import annotations

import logging
import os
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

import pyarrow as pa

from lakeloader.errors import (
    ConfigError,
)
from lakeloader.lakehouse import types
from lakeloader.secrets.redact import redact_obj

if TYPE_CHECKING:
    pass


from lakeloader.lakehouse.delta.core import (
    _commit_properties,
    _label,
    open_table,
)

log = logging.getLogger(__name__)


def truncate(
    location: str | os.PathLike[str], *, table_name: str | None = None, metadata: Mapping[str, Any] | None = None
) -> int:
    """Remove every row in one commit (the schema and the history stay); returns the new version."""
    dt = open_table(location, table_name=table_name)
    dt.delete(commit_properties=_commit_properties(stream_id=None, batch_id=None, metadata=metadata))
    return int(open_table(location, table_name=table_name).version())


# -- maintenance -------------------------------------------------------------------------------------------
def optimize(location: str | os.PathLike[str], *, table_name: str | None = None) -> dict[str, Any]:
    """Compact small files into larger ones (one commit)."""
    dt = open_table(location, table_name=table_name)
    return dict(dt.optimize.compact(commit_properties=_commit_properties(stream_id=None, batch_id=None, metadata=None)))


def vacuum(
    location: str | os.PathLike[str],
    *,
    retention_hours: int = 168,
    dry_run: bool = True,
    force: bool = False,
    table_name: str | None = None,
) -> list[str]:
    """Delete files no longer referenced by versions newer than the retention, and files no commit ever named (a
    killed writer's) older than it, as Databricks' VACUUM does; a short retention needs `force`."""
    label = _label(location, table_name)
    if retention_hours < 168 and not force:
        raise ConfigError(
            f"table {label}: vacuum retention {retention_hours}h is under the 168h (7 day) safety minimum and "
            "could break readers and time travel; pass --force if you are sure"
        )
    dt = open_table(location, table_name=table_name)
    return list(
        dt.vacuum(
            retention_hours=retention_hours,
            dry_run=dry_run,
            enforce_retention_duration=not force,
            full=True,  # as Databricks' VACUUM (not VACUUM LITE): files no commit names, a killed writer's too
            commit_properties=_commit_properties(stream_id=None, batch_id=None, metadata=None),
        )
    )


def checkpoint(location: str | os.PathLike[str], *, table_name: str | None = None) -> int:
    """Write a log checkpoint at the current version and clean expired log files; returns the version."""
    dt = open_table(location, table_name=table_name)
    dt.create_checkpoint()
    dt.cleanup_metadata()
    return int(dt.version())


def describe(location: str | os.PathLike[str], *, table_name: str | None = None) -> dict[str, Any]:
    """Version, row count (from the log's statistics), files, bytes, columns and properties of a table."""
    dt = open_table(location, table_name=table_name)
    schema = pa.schema(dt.schema().to_arrow())
    actions = pa.table(dt.get_add_actions(flatten=True))
    return {
        "version": int(dt.version()),
        "rows": int(dt.count()),
        "files": actions.num_rows,
        "size_bytes": sum(actions.column("size_bytes").to_pylist()) if actions.num_rows else 0,
        "partition_columns": list(dt.metadata().partition_columns),
        "properties": dict(dt.metadata().configuration),
        "columns": [{"name": f.name, "type": types.sql_type(f.type), "nullable": f.nullable} for f in schema],
    }


def history(
    location: str | os.PathLike[str], *, limit: int | None = None, table_name: str | None = None
) -> list[dict[str, Any]]:
    return [redact_obj(h) for h in open_table(location, table_name=table_name).history(limit=limit)]
