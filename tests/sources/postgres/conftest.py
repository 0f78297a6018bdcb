"""Fixtures for the Postgres source: a lakehouse with schema main.bronze, helpers to run SQL, psql and read Delta."""

from __future__ import annotations

import os
import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pyarrow as pa
import pytest

from lakeloader.lakehouse.root import Lakehouse
from lakeloader.sources.postgres import IngestSummary, ingest_postgres


@pytest.fixture
def house(lakehouse: Lakehouse) -> Lakehouse:
    lakehouse.create_catalog("main", if_not_exists=True)
    lakehouse.create_schema("main.bronze", if_not_exists=True)
    return lakehouse


def sql(url: str, statement: str, params: Any = None) -> list[tuple[Any, ...]]:
    """Run one statement in autocommit; return its rows (if any)."""
    import psycopg

    with psycopg.connect(url, autocommit=True) as con:
        cur = con.execute(statement, params)
        return list(cur.fetchall()) if cur.description else []


def psql(url: str, query: str) -> list[list[str | None]]:
    """What psql prints for `query` (text form, UTC), one list per row; NULL as None."""
    out = subprocess.run(
        ["psql", url, "-X", "-A", "-t", "-F", "\x1f", "-R", "\x1e", "-P", "null=\x02NULL", "-c", query],
        capture_output=True,
        text=True,
        check=True,
        env={**os.environ, "PGTZ": "UTC"},
    ).stdout
    rows = [r for r in out.rstrip("\n").split("\x1e") if r != ""]
    return [[None if v == "\x02NULL" else v for v in r.split("\x1f")] for r in rows]


def delta_table(house: Lakehouse, name: str) -> pa.Table:
    from deltalake import DeltaTable

    return pa.table(DeltaTable(str(house.table(name).location)).to_pyarrow_table())


@pytest.fixture
def ingest(house: Lakehouse, pg_url: str, tmp_path: Path) -> Callable[..., IngestSummary]:
    """ingest(target='bronze.t', table='public.t', **options) against the test database."""

    def run(target: str = "bronze.t", **options: Any) -> IngestSummary:
        options.setdefault("source_url", pg_url)
        options.setdefault("checkpoint", tmp_path / "cp" / target)
        return ingest_postgres(target, lakehouse=house, **options)

    return run
