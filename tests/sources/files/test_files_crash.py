"""Exactly once under kill -9 at random points: the final table equals the set of files, no duplicates, no gaps."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pyarrow.compute as pc
import pytest
from tests.sources.files.conftest import kill_loop, read_table, write_ndjson

from lakeloader.lakehouse.root import Lakehouse

_SCRIPT = """
import sys
from lakeloader.lakehouse.root import Lakehouse
from lakeloader.sources.files.runner import ingest_files
lh = Lakehouse(sys.argv[1])
s = ingest_files("bronze.t", path=sys.argv[2], checkpoint=sys.argv[3], lakehouse=lh, format="json",
                 maxFilesPerTrigger=1, inferColumnTypes=True, includeMetadata=True)
print("DONE", s.stats.files)
"""


@pytest.mark.slow
def test_kill_minus_nine_loop(lh: Lakehouse, landing: Path, tmp_path: Path) -> None:
    files, rows = 200, 10
    expected = set()
    for i in range(files):
        lines = [{"id": i * 1000 + j, "file": i} for j in range(rows)]
        expected |= {r["id"] for r in lines}
        write_ndjson(landing / f"d{i % 4}" / f"f{i:03d}.json", lines)
    (landing / "bad.json").write_text('{"id": -1, "file": -1}\n{not json\n')
    expected.add(-1)
    kills, _ = kill_loop(_SCRIPT, [str(lh.root), str(landing), str(tmp_path / "cp")], seed=1234)
    assert kills >= 3
    table = read_table(lh, "bronze.t")
    ids = table.filter(pc.is_valid(table["id"])).column("id").to_pylist()
    assert len(ids) == len(set(ids)), "duplicates"
    assert set(ids) == expected, "gaps"
    bad = _bad(tmp_path)
    assert [b["raw"] for b in bad] == ["{not json"]  # exactly once too
    corrupt = table.column("_corrupt_record").drop_null().to_pylist()
    assert corrupt == ["{not json"]


def _bad(tmp_path: Path) -> list[dict[str, object]]:
    from deltalake import DeltaTable

    return list(DeltaTable(str(tmp_path / "cp" / "bad_records")).to_pyarrow_table().to_pylist())


def test_ledger_json_is_not_needed_for_replay(tmp_path: Path) -> None:
    """The offsets log holds the plan (files with size and mtime) as plain JSON a replay reads back."""
    from lakeloader.execution.checkpoint import Checkpoint

    cp = Checkpoint(tmp_path / "cp", target="t", source="files:json:/x")
    plan = {"batch_id": 0, "files": [["/x/a.json", 10, 123, False]], "bytes": 10}
    cp.write_plan(0, plan)
    assert json.loads((tmp_path / "cp" / "offsets" / "0.json").read_text())["plan"] == plan
    assert cp.pending() == (0, plan)


@pytest.mark.slow
@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT])
def test_processing_time_stops_cleanly_on_signal(lh: Lakehouse, landing: Path, tmp_path: Path, sig: int) -> None:
    write_ndjson(landing / "a.json", [{"id": 1}])
    cp = tmp_path / "cp"
    cmd = [
        sys.executable,
        "-m",
        "lakeloader.cli",
        "--root",
        str(lh.root),
        "ingest",
        "files",
        "--path",
        str(landing),
        "--format",
        "json",
        "--target",
        "bronze.t",
        "--checkpoint",
        str(cp),
        "--trigger",
        "interval=0.2s",
    ]
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
    deadline = time.monotonic() + 60
    while not (cp / "commits" / "0.json").exists() and time.monotonic() < deadline:
        time.sleep(0.05)
    write_ndjson(landing / "b.json", [{"id": 2}])  # picked up by a later interval
    while not (cp / "commits" / "1.json").exists() and time.monotonic() < deadline:
        time.sleep(0.05)
    proc.send_signal(sig)
    out, err = proc.communicate(timeout=60)
    # SIGTERM is how a scheduler ends a continuous stream (exit 0); Ctrl-C interrupts it (exit 130, said so)
    assert proc.returncode == (0 if sig == signal.SIGTERM else 130), err
    assert "2 files, 2 rows in 2 batches" in out
    assert out.startswith("interrupted") == (sig == signal.SIGINT)
    assert sorted(read_table(lh).column("id").to_pylist()) == ["1", "2"]
