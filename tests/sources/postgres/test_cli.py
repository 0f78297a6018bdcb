"""`lakeloader ingest postgres` as a user runs it: summary line, JSON, one-line errors, no password anywhere."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from lakeloader.embedded.server import EmbeddedPostgres
from lakeloader.lakehouse.root import Lakehouse

from .conftest import sql


def _cli(root: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "LAKELOADER_ROOT": str(root)}
    return subprocess.run(
        [sys.executable, "-m", "lakeloader.cli", *args], capture_output=True, text=True, env=env, timeout=120
    )


@pytest.mark.slow
def test_cli_ingest_summary_json_and_errors(pg_url: str, pg_server: EmbeddedPostgres, house: Lakehouse) -> None:
    sql(pg_url, "CREATE TABLE public.providers AS SELECT i AS id, now() AS updated_at FROM generate_series(1, 500) i")
    from lakeloader.secrets import SecretStore

    assert pg_server.password
    store = SecretStore(house.root)
    store.create_scope("kardia", if_not_exists=True)
    store.put_secret("kardia", "pg_pw", pg_server.password)
    url = pg_url.replace(f":{pg_server.password}@", "@")
    base = [
        "ingest",
        "postgres",
        "--source-url",
        url,
        "--password",
        "{{secrets/kardia/pg_pw}}",
        "--table",
        "public.providers",
    ]
    done = _cli(house.root, *base, "--target", "bronze.bronze_providers")
    assert done.returncode == 0, done.stderr
    assert "main.bronze.bronze_providers: 500 rows" in done.stdout and "table version 1" in done.stdout
    done = _cli(
        house.root, *base, "--target", "bronze.inc", "--mode", "incremental", "--cursor", "updated_at",
        "--primary-key", "id", "--lookback", "10m", "--partition-column", "id", "--num-partitions", "2", "--json",
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["rows"] == 500
    bad = _cli(house.root, *base, "--target", "bronze.x", "--mode", "incremental")
    assert bad.returncode == 1
    assert bad.stderr.startswith("error: ") and len(bad.stderr.strip().splitlines()) == 1
    wrong = pg_url.replace("@", "zz@", 1)
    bad = _cli(
        house.root, "ingest", "postgres", "--source-url", wrong, "--table", "public.providers", "--target", "bronze.y"
    )
    assert bad.returncode == 1 and "password authentication failed" in bad.stderr
    assert bad.stderr.startswith("warning: a plain password lands in your shell history")
    for text in (done.stdout, done.stderr, bad.stdout, bad.stderr):
        assert pg_server.password not in text
