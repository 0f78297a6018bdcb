"""Ctrl-C in two steps: the first stops after the batch in flight and says so, the second aborts at once.

Either way the run says "interrupted", exits 130, and leaves nothing half-committed: the rerun loads exactly the
rest. Before, the first Ctrl-C was swallowed by an `availableNow` run, which went on to the end and exited 0.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from lakeloader.lakehouse import delta
from lakeloader.lakehouse.root import Lakehouse

FILES = 120
ROWS = 2_000


@pytest.fixture
def lh(lakehouse: Lakehouse) -> Lakehouse:
    lakehouse.create_catalog("main", if_not_exists=True)
    lakehouse.create_schema("main.bronze", if_not_exists=True)
    return lakehouse


def _landing(tmp_path: Path, fmt: str = "parquet") -> Path:
    landing = tmp_path / "landing"
    landing.mkdir()
    for i in range(FILES):
        ids = range(i * ROWS, (i + 1) * ROWS)
        if fmt == "parquet":
            pq.write_table(pa.table({"id": pa.array(ids, pa.int64())}), landing / f"{i:04}.parquet")
        else:  # JSON decodes slowly: a batch is still in flight when the second Ctrl-C comes
            (landing / f"{i:04}.json").write_text("".join(f'{{"id": {v}, "pad": "{"x" * 300}"}}\n' for v in ids))
    return landing


def _start(args: list[str]) -> subprocess.Popen[str]:
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path), "LAKELOADER_DAEMON": "off"}
    return subprocess.Popen([sys.executable, "-m", "lakeloader.cli", *args], env=env, text=True,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)  # fmt: skip


def _wait_for(path: Path, proc: subprocess.Popen[str]) -> None:
    deadline = time.monotonic() + 120
    while not path.exists():
        assert proc.poll() is None, proc.communicate()
        assert time.monotonic() < deadline, f"{path} never appeared"
        time.sleep(0.01)


def _ids(lh: Lakehouse) -> list[int]:
    table = delta.open_table(lh.table("bronze.t").location).to_pyarrow_table()
    return sorted(table.column("id").to_pylist())


def _ingest_args(lh: Lakehouse, landing: Path, cp: Path, per_batch: int, fmt: str = "parquet") -> list[str]:
    return ["--root", str(lh.root), "ingest", "files", "--path", str(landing), "--format", fmt, "--target",
            "bronze.t", "--checkpoint", str(cp), "-o", f"maxFilesPerTrigger={per_batch}", "-o",
            "inferColumnTypes=true"]  # fmt: skip


def test_the_first_ctrl_c_stops_after_the_batch_and_says_what_is_left(lh: Lakehouse, tmp_path: Path) -> None:
    landing, cp = _landing(tmp_path), tmp_path / "cp"
    proc = _start(_ingest_args(lh, landing, cp, per_batch=1))
    _wait_for(cp / "commits" / "1.json", proc)
    proc.send_signal(signal.SIGINT)
    out, err = proc.communicate(timeout=120)
    assert proc.returncode == 130, err
    assert "files left for the next run; Ctrl-C again to abort" in err and "stopping after batch" in err
    assert out.startswith("interrupted"), out
    stopped_at = int(err.split("stopping after batch ")[1].split(":")[0])
    left = int(err.split(": ")[1].split(" files left")[0].replace(",", ""))
    done = _ids(lh)
    assert len(done) == (stopped_at + 1) * ROWS < FILES * ROWS  # the batch in flight finished, no other started
    assert left == FILES - stopped_at - 1
    rerun = subprocess.run([sys.executable, "-m", "lakeloader.cli", *_ingest_args(lh, landing, cp, 1000)],
                           capture_output=True, text=True, timeout=300)  # fmt: skip
    assert rerun.returncode == 0, rerun.stderr
    assert _ids(lh) == list(range(FILES * ROWS))  # the rest, each row once


def test_the_second_ctrl_c_aborts_at_once_and_nothing_is_half_committed(lh: Lakehouse, tmp_path: Path) -> None:
    landing, cp = _landing(tmp_path, "json"), tmp_path / "cp"
    proc = _start(_ingest_args(lh, landing, cp, per_batch=60, fmt="json"))
    _wait_for(cp / "offsets" / "1.json", proc)  # batch 1 is being read (or written)
    proc.send_signal(signal.SIGINT)
    time.sleep(0.02)
    proc.send_signal(signal.SIGINT)
    _out, err = proc.communicate(timeout=120)
    assert proc.returncode == 130, err
    assert err.rstrip().splitlines()[-1].startswith("interrupted: stopped at once"), err
    assert "Traceback" not in err
    committed = _ids(lh)
    assert len(committed) % (60 * ROWS) == 0 and len(set(committed)) == len(committed)  # whole batches only
    rerun = subprocess.run([sys.executable, "-m", "lakeloader.cli", *_ingest_args(lh, landing, cp, 1000, "json")],
                           capture_output=True, text=True, timeout=300)  # fmt: skip
    assert rerun.returncode == 0, rerun.stderr
    assert _ids(lh) == list(range(FILES * ROWS))


def test_a_postgres_stream_stops_after_its_batch_too(lh: Lakehouse, pg_url: str, tmp_path: Path) -> None:
    import psycopg

    with psycopg.connect(pg_url, autocommit=True) as con:
        con.execute("CREATE TABLE items AS SELECT i AS id, md5(i::text) AS v FROM generate_series(1, 200000) i")
    cp = tmp_path / "cp"
    args = ["--root", str(lh.root), "ingest", "postgres", "--source-url", pg_url, "--table", "items", "--target",
            "bronze.t", "--mode", "incremental", "--cursor", "id", "--max-rows-per-batch", "2000",
            "--checkpoint", str(cp), "--no-progress"]  # fmt: skip
    proc = _start(args)
    _wait_for(cp / "commits" / "1.json", proc)
    proc.send_signal(signal.SIGINT)
    out, err = proc.communicate(timeout=120)
    assert proc.returncode == 130, err
    assert "stopping after the batch in flight" in err and out.startswith("interrupted"), (out, err)
    assert len(_ids(lh)) < 200_000
    rerun = subprocess.run([sys.executable, "-m", "lakeloader.cli", *args[:-1], "--max-rows-per-batch", "200000"],
                           capture_output=True, text=True, timeout=300)  # fmt: skip
    assert rerun.returncode == 0, rerun.stderr
    assert _ids(lh) == list(range(1, 200_001))
