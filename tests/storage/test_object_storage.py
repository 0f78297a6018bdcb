"""A lakehouse on object storage (a real S3 server, SeaweedFS on 127.0.0.1): the same tables as on a local disk,
commits exactly once under concurrency, a store without conditional writes refused, URLs never taken for folders."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from lakeloader.lakehouse import delta, storage
from lakeloader.lakehouse.root import Lakehouse
from tests.storage.s3server import BUCKET, HeaderDroppingProxy


def cli(
    *args: str, root: str | Path, check: bool = True, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    out = subprocess.run(
        [sys.executable, "-m", "lakeloader.cli", "--root", str(root), *args],
        capture_output=True,
        text=True,
        env={**os.environ, "LAKELOADER_NO_DAEMON": "1", **(env or {})},
    )
    if check:
        assert out.returncode == 0, out.stderr
    return out


def keys_under(url: str) -> list[str]:
    return sorted(meta["path"] for meta in storage.ObjectPath(url).walk_keys())


def _landing(folder: Path, files: int, rows: int, start: int = 0) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    for i in range(start, start + files):
        ids = list(range(i * rows, (i + 1) * rows))
        table = pa.table({"id": ids, "name": [f"n{j}" for j in ids], "amount": [pa.scalar(j / 4) for j in ids]})
        pq.write_table(table, folder / f"part-{i:03d}.parquet")


def _rows(root: str | Path, table: str) -> list[dict[str, object]]:
    out = cli("sql", "--json", f"SELECT * FROM {table} ORDER BY id", root=root)
    return list(json.loads(out.stdout))


def test_a_url_root_it_cannot_serve_is_refused_in_one_line(tmp_path: Path) -> None:
    for root in ("ftp://files.example/lake", "hdfs://namenode/lake"):
        out = subprocess.run(
            [sys.executable, "-m", "lakeloader.cli", "--root", root, "tables", "list"],
            capture_output=True, text=True, cwd=tmp_path, env={**os.environ, "LAKELOADER_NO_DAEMON": "1"},
        )  # fmt: skip
        assert out.returncode == 1
        lines = out.stderr.strip().splitlines()
        assert len(lines) == 1 and "cannot serve" in lines[0] and root in lines[0], out.stderr
        assert "Traceback" not in out.stderr
    env = {**os.environ, "LAKELOADER_ROOT": "gopher://x/y", "LAKELOADER_NO_DAEMON": "1"}
    out = subprocess.run([sys.executable, "-m", "lakeloader.cli", "schemas", "list"], capture_output=True, text=True,
                         cwd=tmp_path, env=env)  # fmt: skip
    assert out.returncode == 1 and "gopher:// URL" in out.stderr
    assert list(tmp_path.iterdir()) == []  # nothing was made of it: no ./ftp:, ./hdfs:, ./gopher:


def test_files_ingest_into_a_lakehouse_on_s3_gives_the_local_tables(s3_root: str, tmp_path: Path) -> None:
    landing = tmp_path / "landing"
    _landing(landing, files=4, rows=50)
    local = tmp_path / "local"
    args = ["ingest", "files", "--path", str(landing), "--format", "parquet", "--target", "main.default.orders"]
    cli(*args, "--checkpoint", str(tmp_path / "cp-local"), root=local)
    first = cli(*args, "--checkpoint", str(tmp_path / "cp-s3"), root=s3_root)
    assert "200 rows" in first.stdout
    assert _rows(s3_root, "main.default.orders") == _rows(local, "main.default.orders")
    table_url = f"{s3_root}/main/default/tables/orders"
    keys = keys_under(table_url)
    assert any("/_delta_log/00000000000000000000.json" in k for k in keys)
    assert any(k.endswith(".parquet") for k in keys)
    assert not (Path.cwd() / "s3:").exists()
    # a plain Delta table on the store: delta-rs reads it with nothing of lakeloader
    from deltalake import DeltaTable

    assert DeltaTable(table_url).to_pyarrow_table().num_rows == 200
    # new files, then a no-op rerun
    _landing(landing, files=2, rows=50, start=4)
    cli(*args, "--checkpoint", str(tmp_path / "cp-local"), root=local)
    cli(*args, "--checkpoint", str(tmp_path / "cp-s3"), root=s3_root)
    again = cli(*args, "--checkpoint", str(tmp_path / "cp-s3"), root=s3_root)
    assert "0 rows" in again.stdout and "no new version" in again.stdout
    assert _rows(s3_root, "main.default.orders") == _rows(local, "main.default.orders")
    assert len(_rows(s3_root, "main.default.orders")) == 300
    # maintenance on the store: optimize compacts, vacuum deletes what no version needs
    cli("tables", "optimize", "main.default.orders", root=s3_root)
    cli("tables", "vacuum", "main.default.orders", "--retain-hours", "0", "--force", "--no-dry-run", root=s3_root)
    parquet = [k for k in keys_under(table_url) if k.endswith(".parquet")]
    assert len(parquet) == 1
    assert len(_rows(s3_root, "main.default.orders")) == 300
    # dropping the managed table deletes its objects
    cli("tables", "drop", "main.default.orders", root=s3_root)
    assert keys_under(table_url) == []


def test_postgres_ingest_into_a_lakehouse_on_s3(s3_root: str, pg_url: str, tmp_path: Path) -> None:
    import psycopg

    with psycopg.connect(pg_url, autocommit=True) as conn:
        conn.execute("CREATE TABLE providers (id int PRIMARY KEY, name text, rate numeric(10,2), seen timestamptz)")
        conn.execute(
            "INSERT INTO providers SELECT g, 'p' || g, g * 1.25, timestamptz '2026-01-01 00:00+00' + g * interval '1h'"
            " FROM generate_series(1, 500) g"
        )
    from lakeloader.sources.postgres.ingest import ingest_postgres

    results = {}
    for name, root in (("local", tmp_path / "local"), ("s3", s3_root)):
        house = Lakehouse(root)
        house.create_schema("main.bronze", if_not_exists=True)
        summary = ingest_postgres("main.bronze.providers", lakehouse=house, source_url=pg_url, table="public.providers")
        assert summary.rows == 500
        table = house.table("main.bronze.providers")
        results[name] = delta.dataset(table.location).to_table().sort_by("id").drop_columns(["_ingested_at"])
    assert isinstance(Lakehouse(s3_root).table("main.bronze.providers").location, storage.ObjectPath)
    assert results["s3"].equals(results["local"])


_APPENDER = """
import sys
import pyarrow as pa
from lakeloader.lakehouse import delta

url, me = sys.argv[1], int(sys.argv[2])
for batch in range(10):
    # every process commits the same ten batches of one shared stream, and ten of its own
    delta.commit_batch(url, pa.table({"who": [me], "stream": ["shared"], "batch": [batch]}),
                       stream_id="shared", batch_id=batch)
    delta.commit_batch(url, pa.table({"who": [me], "stream": [f"own-{me}"], "batch": [batch]}),
                       stream_id=f"own-{me}", batch_id=batch)
"""


@pytest.mark.slow
def test_four_processes_appending_to_one_table_on_s3_commit_each_batch_once(s3_root: str, tmp_path: Path) -> None:
    url = f"{s3_root}/concurrent"
    script = tmp_path / "appender.py"
    script.write_text(_APPENDER)
    procs = [subprocess.Popen([sys.executable, str(script), url, str(i)], stderr=subprocess.PIPE, text=True)
             for i in range(4)]  # fmt: skip
    for proc in procs:
        _, err = proc.communicate(timeout=300)
        assert proc.returncode == 0, err
    rows = delta.dataset(url).to_table().to_pylist()
    shared = sorted(r["batch"] for r in rows if r["stream"] == "shared")
    assert shared == list(range(10))  # each batch of the shared stream once, whoever won it
    for me in range(4):
        assert sorted(r["batch"] for r in rows if r["stream"] == f"own-{me}") == list(range(10))
    table = delta.open_table(url)
    assert table.transaction_version("shared") == 9
    assert len(rows) == 50
    assert table.version() == 50  # one CREATE TABLE, then 50 commits: no version lost or written twice


_KILLED = """
import sys, time
import pyarrow as pa
from lakeloader.lakehouse import delta

url = sys.argv[1]
schema = pa.schema([("id", pa.int64()), ("pad", pa.string())])

def batches():
    for i in range(6):
        yield pa.record_batch([pa.array(range(i * 200_000, (i + 1) * 200_000)), pa.array(["x" * 40] * 200_000)],
                              schema=schema)
    print("uploaded", flush=True)
    time.sleep(600)  # killed here: data files on the store, no commit

delta.commit_batch(url, pa.RecordBatchReader.from_batches(schema, batches()), stream_id="s", batch_id=1)
"""


@pytest.mark.slow
def test_a_writer_killed_mid_upload_leaves_nothing_visible_and_the_rerun_is_exact(s3_root: str, tmp_path: Path) -> None:
    url = f"{s3_root}/killed"
    delta.commit_batch(url, pa.table({"id": pa.array([-1], pa.int64()), "pad": ["first"]}), stream_id="s", batch_id=0)
    script = tmp_path / "killed.py"
    script.write_text(_KILLED)
    proc = subprocess.Popen([sys.executable, str(script), url], stdout=subprocess.PIPE, text=True)
    try:
        assert proc.stdout is not None and proc.stdout.readline().strip() == "uploaded"
        deadline = time.monotonic() + 60
        while len([k for k in keys_under(url) if k.endswith(".parquet")]) < 2 and time.monotonic() < deadline:
            time.sleep(0.2)  # the writer's threads upload each data file as it is encoded
        assert len([k for k in keys_under(url) if k.endswith(".parquet")]) >= 2  # the killed attempt's files
    finally:
        proc.kill()
        proc.wait()
    table = delta.open_table(url)
    assert table.version() == 1 and table.transaction_version("s") == 0
    assert delta.dataset(url).to_table().num_rows == 1  # none of the killed attempt's rows are visible
    rerun = pa.table({"id": pa.array(range(1_200_000), pa.int64()), "pad": ["x" * 40] * 1_200_000})
    assert delta.commit_batch(url, rerun, stream_id="s", batch_id=1).rows == 1_200_000
    assert delta.commit_batch(url, rerun, stream_id="s", batch_id=1).skipped
    assert delta.dataset(url).to_table().num_rows == 1_200_001
    # the orphans are removed by vacuum, the table's rows untouched
    delta.vacuum(url, retention_hours=0, dry_run=False, force=True)
    live = {os.path.basename(p) for p in delta.local_files(delta.open_table(url))}
    assert {os.path.basename(k) for k in keys_under(url) if k.endswith(".parquet")} == live
    assert delta.dataset(url).to_table().num_rows == 1_200_001


def test_a_store_that_ignores_conditional_writes_is_refused_before_any_write(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    proxy = HeaderDroppingProxy(tmp_path).start()
    try:
        for key, value in proxy.env().items():
            monkeypatch.setenv(key, value)
        monkeypatch.setenv("LAKELOADER_STATE_HOME", str(tmp_path / "state-home"))
        root = f"s3://{BUCKET}/unsafe"
        house = Lakehouse(root)
        house.create_schema("main.bronze")
        table = house.table_for_write("main.bronze.t", writer="test")
        with pytest.raises(Exception) as caught:
            delta.write(table.location, pa.table({"a": [1]}), table_name="main.bronze.t")
        message = str(caught.value)
        assert "does not honour conditional writes" in message and "\n" not in message
        assert [k for k in keys_under(root) if "_delta_log" in k or k.endswith(".parquet")] == []
        out = cli("sql", "SELECT 1", root=root)  # reading is fine: only writes need conditional PUTs
        assert out.returncode == 0
    finally:
        proxy.stop()
