"""The files source on a real two-node Ray cluster (loopback): the same table as the local executor, ONE commit per
batch made by the driver, a killed worker retried, a killed driver replayed, no orphan file visible."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from deltalake import DeltaTable

from lakeloader.execution.executor import settings
from lakeloader.lakehouse import delta
from lakeloader.lakehouse.root import Lakehouse
from lakeloader.sources.files.runner import ingest_files

pytestmark = pytest.mark.slow


def _landing(folder: Path, *, parquet: int = 12, json_files: int = 12, rows: int = 3000) -> Path:
    """Parquet files, then JSON files whose later half brings a new nested column, one malformed line, one empty
    file: schema evolution, bad records and several units in one batch."""
    folder.mkdir(parents=True, exist_ok=True)
    for i in range(parquet):
        ids = list(range(i * rows, (i + 1) * rows))
        table = pa.table({"id": ids, "name": [f"p{n}" for n in ids], "amount": [n * 0.5 for n in ids]})
        pq.write_table(table, folder / f"part-{i:03d}.parquet")
    jfolder = folder.parent / (folder.name + "_json")
    jfolder.mkdir(exist_ok=True)
    for i in range(json_files):
        lines = []
        for n in range(i * rows, (i + 1) * rows):
            rec: dict[str, Any] = {"id": n, "name": f"j{n}"}
            if i >= json_files // 2:
                rec["device"] = {"model": f"m{n % 7}", "fw": n % 3}
            lines.append(json.dumps(rec))
        if i == 3:
            lines.insert(10, "{not json")
        (jfolder / f"events-{i:03d}.json").write_text("\n".join(lines) + "\n")
    (jfolder / "empty.json").write_text("")
    return jfolder


def _rows(lh: Lakehouse, name: str, drop: tuple[str, ...] = ()) -> list[dict[str, Any]]:
    table = DeltaTable(str(lh.table(name).location)).to_pyarrow_table()
    table = table.drop_columns([c for c in drop if c in table.column_names])
    return sorted(table.to_pylist(), key=lambda r: json.dumps(r, sort_keys=True, default=str))


def _data_commits(lh: Lakehouse, name: str) -> list[dict[str, Any]]:
    """Commits that added rows (a batch that brings columns has a schema commit of its own first, with none)."""
    history = delta.history(lh.table(name).location)
    return [h for h in history if int((h.get("operationMetrics") or {}).get("num_added_rows") or 0) > 0]


def _orphans(lh: Lakehouse, name: str) -> set[str]:
    """Parquet files in the table's folder that its log does not reference."""
    location = Path(str(lh.table(name).location))
    referenced = {Path(p).name for p in DeltaTable(str(location)).file_uris()}
    return {p.name for p in location.glob("*.parquet")} - referenced


@pytest.fixture
def lh(lakehouse: Lakehouse) -> Lakehouse:
    lakehouse.create_catalog("main", if_not_exists=True)
    lakehouse.create_schema("bronze", if_not_exists=True)
    return lakehouse


def test_files_on_ray_equal_the_local_executor(ray_cluster: Any, lh: Lakehouse, tmp_path: Path) -> None:
    landing = tmp_path / "landing"
    json_landing = _landing(landing)
    ray = settings("ray", max_bytes_per_task="64KB")  # files of ~40-100 KB: one unit each, on both nodes
    for fmt, folder in (("parquet", landing), ("json", json_landing)):
        local = ingest_files(f"bronze.{fmt}_local", path=folder, checkpoint=tmp_path / f"cp_{fmt}_l", lakehouse=lh,
                             format=fmt, maxFilesPerTrigger=8, zeroByteFileGracePeriod="0s")  # fmt: skip
        on_ray = ingest_files(f"bronze.{fmt}_ray", path=folder, checkpoint=tmp_path / f"cp_{fmt}_r", lakehouse=lh,
                              format=fmt, maxFilesPerTrigger=8, zeroByteFileGracePeriod="0s",
                              executor=ray)  # fmt: skip
        assert on_ray.stats.rows == local.stats.rows > 0
        assert on_ray.stats.bad_records == local.stats.bad_records
        assert on_ray.stats.units >= on_ray.stats.batches >= 2
        assert len(on_ray.stats.nodes) == 2, on_ray.stats.nodes  # both nodes ran units
        assert "on Ray:" in on_ray.line()
        assert _rows(lh, f"bronze.{fmt}_ray") == _rows(lh, f"bronze.{fmt}_local")
        lschema = DeltaTable(str(lh.table(f"bronze.{fmt}_local").location)).schema().to_arrow()
        rschema = DeltaTable(str(lh.table(f"bronze.{fmt}_ray").location)).schema().to_arrow()
        assert {f.name: str(f.type) for f in rschema} == {f.name: str(f.type) for f in lschema}
        assert (
            len(_data_commits(lh, f"bronze.{fmt}_ray")) == on_ray.stats.batches
        )  # ONE data commit per batch, by the driver
        assert _orphans(lh, f"bronze.{fmt}_ray") == set()
    assert local.stats.bad_records >= 2  # the malformed line and the empty file, on both


def test_a_killed_worker_is_retried_and_the_table_is_exact(ray_cluster: Any, lh: Lakehouse, tmp_path: Path) -> None:
    landing = tmp_path / "landing"
    json_landing = _landing(landing, parquet=1, json_files=24, rows=6000)
    killed: list[int] = []

    def kill_workers(stats: Any) -> None:  # as the first unit's result arrives: the other units are running
        if not killed:
            for pid in ray_cluster.worker_pids():
                os.kill(pid, signal.SIGKILL)
                killed.append(pid)

    summary = ingest_files("bronze.k", path=json_landing, checkpoint=tmp_path / "cp_k", lakehouse=lh, format="json",
                           on_read=kill_workers, executor=settings("ray", max_bytes_per_task="1"))  # fmt: skip
    assert killed, "no Ray worker was running"
    local = ingest_files("bronze.k_local", path=json_landing, checkpoint=tmp_path / "cp_kl", lakehouse=lh,
                         format="json")  # fmt: skip
    assert summary.stats.rows == local.stats.rows
    assert _rows(lh, "bronze.k") == _rows(lh, "bronze.k_local")
    assert len(_data_commits(lh, "bronze.k")) == 1
    delta.vacuum(lh.table("bronze.k").location, retention_hours=0, dry_run=False, force=True)
    assert _orphans(lh, "bronze.k") == set()


def test_a_killed_driver_is_replayed_exactly_with_no_orphan_visible(
    ray_cluster: Any, lh: Lakehouse, tmp_path: Path
) -> None:
    landing = tmp_path / "landing"
    json_landing = _landing(landing, parquet=1, json_files=30, rows=12000)
    env = {**os.environ, "LAKELOADER_ROOT": str(lh.root)}
    cmd = [sys.executable, "-m", "lakeloader.cli", "ingest", "files", "--path", str(json_landing), "--format", "json",
           "--target", "bronze.d", "--checkpoint", str(tmp_path / "cp_d"), "--option", "maxFilesPerTrigger=3",
           "--executor", "ray", "--ray-address", ray_cluster.address, "--max-bytes-per-task", "1"]  # fmt: skip
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    commits = tmp_path / "cp_d" / "commits"
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and proc.poll() is None:  # kill it once batches are in and units are writing
        if len(list(commits.glob("*"))) >= 2:
            break
        time.sleep(0.02)
    assert proc.poll() is None, proc.communicate()
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    again = ingest_files("bronze.d", path=json_landing, checkpoint=tmp_path / "cp_d", lakehouse=lh, format="json",
                         maxFilesPerTrigger=3, executor=settings("ray", max_bytes_per_task="1"))  # fmt: skip
    assert again.stats.rows > 0
    ingest_files("bronze.d_local", path=json_landing, checkpoint=tmp_path / "cp_dl", lakehouse=lh,
                         format="json")  # fmt: skip
    assert _rows(lh, "bronze.d") == _rows(lh, "bronze.d_local")  # every row once
    assert (
        len(_data_commits(lh, "bronze.d")) == 10
    )  # 30 files, 3 a batch: each batch committed once, by one run or the other
    delta.vacuum(lh.table("bronze.d").location, retention_hours=0, dry_run=False, force=True)
    assert _orphans(lh, "bronze.d") == set()


def test_ray_without_a_cluster_is_one_line(lh: Lakehouse, tmp_path: Path) -> None:
    folder = tmp_path / "landing"
    _landing(folder, parquet=1, json_files=1, rows=10)
    env = {**os.environ, "LAKELOADER_ROOT": str(lh.root), "RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER": "0"}
    env.pop("RAY_ADDRESS", None)
    out = subprocess.run([sys.executable, "-m", "lakeloader.cli", "ingest", "files", "--path", str(folder),
                          "--format", "parquet", "--target", "bronze.n", "--checkpoint", str(tmp_path / "cp_n"),
                          "--executor", "ray", "--ray-address", "127.0.0.1:9"],
                         capture_output=True, text=True, env=env, timeout=300)  # fmt: skip
    assert out.returncode != 0
    assert "Traceback" not in out.stderr
    lines = [line for line in out.stderr.splitlines() if "executor ray" in line]
    assert lines and "127.0.0.1:9" in lines[0], out.stderr
