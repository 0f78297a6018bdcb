"""The CLI as a user types it: --json output, one-line errors, exit codes, no tracebacks."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest


def cli(root: Path, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "LAKELOADER_ROOT": str(root)}
    out = subprocess.run(
        [sys.executable, "-m", "lakeloader.cli", *args], capture_output=True, text=True, env=env, timeout=120
    )
    if check:
        assert out.returncode == 0, out.stderr
    return out


def test_objects_lifecycle_with_json(tmp_path: Path) -> None:
    root = tmp_path / "lh"
    cli(root, "catalogs", "create", "kardia")
    cli(root, "schemas", "create", "kardia.`00_landing`")
    made = json.loads(cli(root, "volumes", "create", "kardia.00_landing.raw", "--json").stdout)
    assert made["path"] == "/Volumes/kardia/00_landing/raw" and Path(made["location"]).is_dir()
    assert [c["full_name"] for c in json.loads(cli(root, "catalogs", "list", "--json").stdout)] == ["kardia"]
    assert [s["name"] for s in json.loads(cli(root, "schemas", "list", "kardia", "--json").stdout)] == ["00_landing"]
    cli(root, "volumes", "drop", "kardia.00_landing.raw")
    assert json.loads(cli(root, "volumes", "list", "--json").stdout) == []


def test_user_mistakes_are_one_red_line_and_exit_1(tmp_path: Path) -> None:
    out = cli(tmp_path / "lh", "schemas", "create", "nope.s", check=False)
    assert out.returncode == 1
    assert out.stderr.strip().count("\n") == 0 and "Traceback" not in out.stderr
    assert "catalog nope does not exist" in out.stderr and "lakeloader catalogs create nope" in out.stderr
    bad = cli(tmp_path / "lh", "catalogs", "create", "bad name", check=False)
    assert bad.returncode == 1 and "letters, digits" in bad.stderr


@pytest.mark.slow
def test_demo_then_tables_and_sql(tmp_path: Path) -> None:
    root = tmp_path / "lh"
    first = cli(root, "demo")
    assert "committed as version 0" in first.stdout and "skipped (already committed)" in first.stdout
    second = cli(root, "demo")
    assert "committed" not in second.stdout.replace("already committed", "")
    described = json.loads(cli(root, "tables", "describe", "demo.01_bronze.events", "--json").stdout)
    assert described["rows"] == 5 and described["version"] == 0
    assert {c["name"]: c["type"] for c in described["columns"]} == {"id": "bigint", "event": "string"}
    history = json.loads(cli(root, "tables", "history", "demo.01_bronze.events", "--json").stdout)
    assert history[0]["lakeloader.batch_id"] == 0 and history[0]["operationMetrics"]["num_added_rows"] == 5
    rows = json.loads(
        cli(
            root, "sql", "SELECT event, count(*) AS n FROM demo.`01_bronze`.events GROUP BY 1 ORDER BY 1", "--json"
        ).stdout
    )
    assert rows == [{"event": "start", "n": 3}, {"event": "stop", "n": 2}]
    csv = cli(root, "sql", "SELECT id FROM demo.01_bronze.events ORDER BY id LIMIT 2", "--csv").stdout
    assert csv.split() == ['"id"', "1", "2"]
    assert "3 files" not in cli(root, "tables", "optimize", "demo.01_bronze.events").stdout
