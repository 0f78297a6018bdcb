"""lakeloader: open, local-first lakehouse ingestion into Delta Lake."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import pyarrow

__version__ = "0.1.0"


def read_files(path: str, *, format: str, **options: Any) -> pyarrow.Table:
    """Read files under `path` into one Arrow table (Databricks' `read_files`); see docs/files_source.md."""
    from lakeloader.sources.files.api import read_files as _read_files

    return _read_files(path, format=format, **options)
