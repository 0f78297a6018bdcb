"""Fixtures for the files source: a lakehouse with a `bronze` schema, and helpers to ingest and read back."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pyarrow as pa
import pytest

from lakeloader.lakehouse.root import Lakehouse
from lakeloader.sources.files.runner import IngestSummary, ingest_files


@pytest.fixture
def lh(lakehouse: Lakehouse) -> Lakehouse:
    lakehouse.create_catalog("main", if_not_exists=True)
    lakehouse.create_schema("bronze", if_not_exists=True)
    return lakehouse


@pytest.fixture
def landing(tmp_path: Path) -> Path:
    path = tmp_path / "landing"
    path.mkdir()
    return path


Ingest = Callable[..., IngestSummary]


@pytest.fixture
def ingest(lh: Lakehouse, landing: Path, tmp_path: Path) -> Ingest:
    """ingest(format=..., **options) into main.bronze.t with checkpoint tmp/cp, from `landing`."""

    def run(table: str = "bronze.t", path: Path | None = None, **options: Any) -> IngestSummary:
        options.setdefault("zeroByteFileGracePeriod", "0s")
        return ingest_files(table, path=path or landing, checkpoint=tmp_path / f"cp_{table}", lakehouse=lh, **options)

    return run


def read_table(lh: Lakehouse, name: str = "bronze.t") -> pa.Table:
    from deltalake import DeltaTable

    return pa.table(DeltaTable(str(lh.table(name).location)).to_pyarrow_table())


def bad_records(tmp_path: Path, table: str = "bronze.t") -> pa.Table:
    from deltalake import DeltaTable

    location = tmp_path / f"cp_{table}" / "bad_records"
    if not (location / "_delta_log").is_dir():
        return pa.table({"file_path": pa.array([], pa.string())})
    return pa.table(DeltaTable(str(location)).to_pyarrow_table())


def write_ndjson(path: Path, rows: list[dict[str, Any]]) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))
    return path
