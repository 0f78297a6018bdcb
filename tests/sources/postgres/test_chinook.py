"""The real Chinook database (../shared/realdata/chinook): every table ingested, counts and column checksums equal."""

from __future__ import annotations

import hashlib
import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from lakeloader.lakehouse.root import Lakehouse
from lakeloader.sources.postgres import IngestSummary

from .conftest import delta_table, sql

pytestmark = pytest.mark.slow


def _checksum(values: list[Any]) -> str:
    return hashlib.sha256("\x1f".join(sorted(repr(v) for v in values)).encode()).hexdigest()


def test_every_chinook_table_round_trips(
    pg_url: str, house: Lakehouse, ingest: Callable[..., IngestSummary], realdata: Path, tmp_path: Path
) -> None:
    script = (realdata / "chinook" / "Chinook_PostgreSql.sql").read_text(encoding="utf-8")
    skip = ("DROP DATABASE", "CREATE DATABASE", "\\c ")
    body = "\n".join(line for line in script.splitlines() if not line.startswith(skip))
    (tmp_path / "chinook.sql").write_text(body, encoding="utf-8")
    subprocess.run(
        ["psql", pg_url, "-X", "-q", "-v", "ON_ERROR_STOP=1", "-f", str(tmp_path / "chinook.sql")],
        check=True,
        capture_output=True,
    )
    tables = [r[0] for r in sql(pg_url, "SELECT tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY 1")]
    assert len(tables) == 11
    for table in tables:
        summary = ingest(target=f"bronze.{table}", table=f"public.{table}")
        columns = [
            r[0]
            for r in sql(
                pg_url,
                "SELECT attname FROM pg_attribute WHERE attrelid = %s::regclass AND attnum > 0 AND NOT attisdropped "
                "ORDER BY attnum",
                (f"public.{table}",),
            )
        ]
        source = sql(pg_url, f"SELECT {', '.join(columns)} FROM public.{table}")
        got = delta_table(house, f"bronze.{table}")
        assert summary.rows == got.num_rows == len(source), table
        for i, column in enumerate(columns):
            want = _checksum([row[i] for row in source])
            assert _checksum(got.column(column).to_pylist()) == want, f"{table}.{column}"
