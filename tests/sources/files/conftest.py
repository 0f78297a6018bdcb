"""Fixtures for the files source: a lakehouse with a `bronze` schema, and helpers to ingest and read back."""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
import time
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


def kill_loop(
    script: str, args: list[str], *, seed: int, rounds: int = 10, window: tuple[float, float] = (0.6, 1.6)
) -> tuple[int, str]:
    """Run `script` in a fresh interpreter and kill -9 it at random points, then once to the end.

    Returns (kills, the last run's stdout); the last run must succeed.
    """
    cmd = [sys.executable, "-c", script, *args]
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}
    rng = random.Random(seed)
    kills = 0
    for _ in range(rounds):
        proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env)
        time.sleep(rng.uniform(*window))
        if proc.poll() is not None:  # it finished the backlog before the kill
            break
        os.kill(proc.pid, signal.SIGKILL)
        proc.communicate()
        kills += 1
    final = subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=300)
    assert final.returncode == 0, final.stderr[-2000:]
    return kills, final.stdout
