"""A pipeline with `executor: ray` in spark-pipeline.yml, on a real two-node Ray cluster: a row-wise flow's query,
expectations and quarantine run in the work units that decode its files (or read its upstream table's new files),
a flow that reads the batch's clock runs its query on the driver, a materialized view is refreshed by one task on
a node, and every dataset (the quarantines, the expectation counts) equals the local executor's."""

from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import Any

import pytest
from deltalake import DeltaTable

from lakeloader.lakehouse.root import Lakehouse
from tests.pipelines.conftest import Write, outcome, rows, run
from tests.storage.test_demo_on_s3 import VARYING

pytestmark = pytest.mark.slow
FILES = {
    "bronze.sql": """\
    CREATE OR REFRESH STREAMING TABLE bronze (
      CONSTRAINT has_vehicle EXPECT (vehicle IS NOT NULL) ON VIOLATION DROP ROW,
      CONSTRAINT slow EXPECT (speed < 80)
    ) AS SELECT *, upper(vehicle) AS fleet, _metadata.file_name AS source_file
    FROM STREAM read_files('/Volumes/main/landing/raw/{name}', format => 'json', inferColumnTypes => true,
                           includeMetadata => true)
    WHERE km <> 16 OR km IS NULL;

    CREATE OR REFRESH STREAMING TABLE clocked AS
    SELECT vehicle, km, current_timestamp() AS loaded_at
    FROM STREAM read_files('/Volumes/main/landing/raw/{name}', format => 'json', inferColumnTypes => true);
    """,
    "silver.sql": """\
    CREATE OR REFRESH STREAMING TABLE silver (
      CONSTRAINT valid_speed EXPECT (speed >= 0) ON VIOLATION DROP ROW
    ) AS SELECT vehicle, speed, km FROM STREAM(bronze);
    """,
    "gold.sql": """\
    CREATE OR REFRESH MATERIALIZED VIEW gold (CONSTRAINT not_v3 EXPECT (vehicle <> 'v3') ON VIOLATION DROP ROW)
    AS SELECT vehicle, sum(km) AS km, count(*) AS readings FROM silver GROUP BY ALL;
    """,
}


def _land(folder: Path, wave: int) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    for i in range(6):
        lines = [json.dumps({"vehicle": f"v{n % 5}", "speed": (n % 90) - 3, "km": n % 17, **({"wave": wave} if wave
                             else {})}) for n in range(i * 500, (i + 1) * 500)]  # fmt: skip
        (folder / f"w{wave}-{i}.json").write_text("\n".join(lines) + ("\n{broken\n" if i == 2 else "\n"))


def _dataset(lh: Lakehouse, schema: str, table: str) -> list[str]:
    """The rows, but what differs between any two updates (their ids and clocks)."""
    found = rows(lh, f"SELECT * FROM main.{schema}.{table}")
    kept = [{k: v for k, v in r.items() if k not in (*VARYING, "loaded_at")} for r in found]
    return sorted(json.dumps(r, sort_keys=True, default=str) for r in kept)


def test_a_pipeline_with_executor_ray_equals_the_local_one(
    ray_cluster: Any, lh: Lakehouse, pipeline: Write, caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("LAKELOADER_MAX_BYTES_PER_TASK", "16KB")  # files of ~20 KB: a unit each, on both nodes
    lh.create_schema("main.landing", if_not_exists=True)
    volume = Path(lh.create_volume("main.landing.raw", if_not_exists=True).location or "")
    folders = {}
    for name in ("local", "onray"):
        files = {k: v.replace("{name}", name) for k, v in FILES.items()}
        folders[name] = pipeline(files, name=name, schema=name)
    spec = folders["onray"] / "spark-pipeline.yml"
    spec.write_text(spec.read_text() + "executor: ray\n")
    caplog.set_level(logging.INFO, logger="lakeloader")
    for wave in (0, 1):  # the second wave brings a column
        counts = {}
        for name in ("local", "onray"):
            _land(volume / name, wave)
            result = run(folders[name], lh)
            assert result.status == "COMPLETED", [o.message for o in result.outcomes]
            bronze = outcome(result, "bronze")
            # 3,001 lines: 176 of km 16 filtered by the query, then the {broken line dropped by has_vehicle
            assert (bronze.rows_in, bronze.rows_out, bronze.dropped) == (2825, 2824, 1)
            counts[name] = [{k: v for k, v in c.items() if k != "dataset"} for c in bronze.expectations]
        assert counts["onray"] == counts["local"]
        assert {c["name"]: c["failed_records"] for c in counts["local"]} == {"has_vehicle": 1, "slow": 219}
    messages = [r.getMessage() for r in caplog.records]
    shaped = [m for m in messages if "shaped in" in m]
    assert sorted(m.split(":")[0] for m in shaped) == ["flow bronze"] * 2 + ["flow silver"] * 2, shaped
    assert any(m.startswith("flow bronze: batch 1: 6 files shaped in 6 work units on ") for m in shaped), shaped
    assert any(m.startswith("flow silver: batch 1:") and "of main.onray.bronze" in m for m in shaped), shaped
    decoded = [m for m in messages if "decoded in" in m]  # the clock is read once per batch: on the driver
    assert decoded and all("main.onray.clocked" in m for m in decoded), decoded
    assert any("flow clocked: it reads the batch's clock" in m for m in messages)
    refreshed = [m for m in messages if "refreshed by one task on Ray node" in m]
    assert len(refreshed) == 2 and all(m.startswith("flow gold: main.onray.gold") for m in refreshed), refreshed
    tables = ("bronze", "bronze_quarantine", "clocked", "silver", "silver_quarantine", "gold", "gold_quarantine")
    for table in tables:
        ours, theirs = _dataset(lh, "onray", table), _dataset(lh, "local", table)
        assert len(ours) == len(theirs) > 0, table
        strip = [line.replace("onray", "local") for line in ours]  # source_file names the landing folder
        assert strip == theirs, table


def _orphans(location: Path) -> set[str]:
    """Parquet files in a table's folder that its log does not reference."""
    referenced = {Path(p).name for p in DeltaTable(str(location)).file_uris()}
    return {p.name for p in location.glob("*.parquet")} - referenced


ONE_FLOW = """\
CREATE OR REFRESH STREAMING TABLE readings (
  CONSTRAINT known_vehicle EXPECT (vehicle <> 'v-bad') ON VIOLATION FAIL UPDATE
) AS SELECT vehicle, speed * 2 AS double_speed, km
FROM STREAM read_files('/Volumes/main/landing/raw/{name}', format => 'json', inferColumnTypes => true);
"""


def _land_many(folder: Path, files: int, *, bad: bool = False) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    for i in range(files):
        lines = [json.dumps({"vehicle": "v-bad" if bad and n == files * 2000 - 1 else f"v{n % 5}", "speed": n % 90,
                             "km": n})
                 for n in range(i * 2000, (i + 1) * 2000)]  # fmt: skip
        (folder / f"f{i:03}{'-bad' if bad else ''}.json").write_text("\n".join(lines) + "\n")


def test_a_fail_expectation_in_a_unit_fails_the_update_and_commits_nothing(
    ray_cluster: Any, lh: Lakehouse, pipeline: Write, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("LAKELOADER_MAX_BYTES_PER_TASK", "1")  # a unit per file
    lh.create_schema("main.landing", if_not_exists=True)
    volume = Path(lh.create_volume("main.landing.raw", if_not_exists=True).location or "")
    folder = pipeline({"r.sql": ONE_FLOW.replace("{name}", "strict")}, name="strict", schema="strict")
    spec = folder / "spark-pipeline.yml"
    spec.write_text(spec.read_text() + "executor: ray\n")
    _land_many(volume / "strict", 4)
    assert run(folder, lh).status == "COMPLETED"
    _land_many(volume / "strict", 3, bad=True)  # the last unit meets the failing row, the others wrote their files
    failed = run(folder, lh)
    assert failed.status == "FAILED"
    message = outcome(failed, "readings").message
    assert "expectation known_vehicle" in message and "ON VIOLATION FAIL UPDATE" in message, message
    assert "\n" not in message and "Traceback" not in message
    location = Path(str(lh.table("main.strict.readings").location))
    assert len(rows(lh, "SELECT * FROM main.strict.readings")) == 8000  # nothing of the failed batch
    assert _orphans(location) == set()  # the other units' files were deleted, not left for VACUUM
    assert len(list(location.glob("*.parquet"))) == len(DeltaTable(str(location)).file_uris())
    again = run(folder, lh)  # the next update replays the planned batch: the same files, the same failure
    assert again.status == "FAILED" and outcome(again, "readings").message == message
    assert len(rows(lh, "SELECT * FROM main.strict.readings")) == 8000 and _orphans(location) == set()


def test_ray_workers_killed_mid_flow_are_retried_and_the_datasets_are_exact(
    ray_cluster: Any, lh: Lakehouse, pipeline: Write, monkeypatch: pytest.MonkeyPatch
) -> None:
    import os
    import signal
    import threading
    import time

    from lakeloader.lakehouse import delta

    monkeypatch.setenv("LAKELOADER_MAX_BYTES_PER_TASK", "1")  # a unit per file: 24 units on 2 one-CPU nodes
    lh.create_schema("main.landing", if_not_exists=True)
    volume = Path(lh.create_volume("main.landing.raw", if_not_exists=True).location or "")
    silver = "CREATE OR REFRESH STREAMING TABLE fast AS SELECT * FROM STREAM(readings) WHERE double_speed > 100;"
    folders = {name: pipeline({"r.sql": ONE_FLOW.replace("{name}", "killed"), "s.sql": silver}, name=name,
                              schema=name) for name in ("killed", "calm")}  # fmt: skip
    spec = folders["killed"] / "spark-pipeline.yml"
    spec.write_text(spec.read_text() + "executor: ray\n")
    _land_many(volume / "killed", 24)
    killed: list[int] = []
    done = threading.Event()

    def kill_when_units_wrote() -> None:  # a unit's file is in the table's folder, not committed: units are running
        deadline = time.monotonic() + 120
        while not done.is_set() and time.monotonic() < deadline:
            info = lh.metastore.get("main.killed.readings")
            folder = Path(str(info.location)) if info is not None and info.location else None
            if folder is not None and any(folder.glob("*.parquet")) and not (folder / "_delta_log").exists():
                for pid in ray_cluster.worker_pids():
                    os.kill(pid, signal.SIGKILL)
                    killed.append(pid)
                return
            time.sleep(0.005)

    killer = threading.Thread(target=kill_when_units_wrote)
    killer.start()
    try:
        result = run(folders["killed"], lh)
    finally:
        done.set()
        killer.join()
    assert killed, "the units were not caught running"
    assert result.status == "COMPLETED", [o.message for o in result.outcomes]
    assert run(folders["calm"], lh).status == "COMPLETED"
    for table in ("readings", "fast"):
        assert _dataset(lh, "killed", table) == _dataset(lh, "calm", table), table
        location = lh.table(f"main.killed.{table}").location
        history = [h for h in delta.history(location) if h.get("operation") == "WRITE"]
        assert len(history) == 1, history  # ONE commit of the batch, whatever ran twice
        delta.vacuum(location, retention_hours=0, dry_run=False, force=True)
        assert _orphans(Path(str(location))) == set()
    assert len(rows(lh, "SELECT * FROM main.killed.readings")) == 48000


POSTGRES_BRONZE = """\
from lakeloader import pipelines as dp

URL = dp.conf.get("source_url")


@dp.table(comment="the accounts, read whole at every update in 4 partitions")
@dp.expect_or_drop("positive", "amount > 0")
@dp.expect("even", "id % 2 = 0")
def accounts():
    return dp.read_postgres(url=URL, password="{{secrets/ops/pg}}", dbtable="public.accounts", mode="full",
                            partitionColumn="id", numPartitions=4).select("id, upper(owner) AS owner, amount")
"""


def test_a_postgres_flow_runs_a_unit_per_partition_and_equals_the_local_one(
    ray_cluster: Any, lh: Lakehouse, pipeline: Write, pg_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    from urllib.parse import urlsplit, urlunsplit

    from lakeloader.secrets import SecretStore
    from tests.sources.postgres.conftest import sql

    sql(pg_url, "CREATE TABLE public.accounts AS SELECT i AS id, 'owner ' || i AS owner, (i % 50) - 5 AS amount "
                "FROM generate_series(1, 20000) i")  # fmt: skip
    parts = urlsplit(pg_url)
    url = urlunsplit(parts._replace(netloc=f"{parts.username}@{parts.hostname}:{parts.port}"))
    SecretStore(lh.root).create_scope("ops", if_not_exists=True)
    SecretStore(lh.root).put_secret("ops", "pg", str(parts.password))
    folders = {name: pipeline({"b.py": POSTGRES_BRONZE}, name=name, schema=name, source_url=url)
               for name in ("pglocal", "pgray")}  # fmt: skip
    spec = folders["pgray"] / "spark-pipeline.yml"
    spec.write_text(spec.read_text() + "executor: ray\n")
    caplog.set_level(logging.INFO, logger="lakeloader")
    for _ in range(2):  # appended at every update
        counts = {}
        for name, folder in folders.items():
            result = run(folder, lh)
            assert result.status == "COMPLETED", [o.message for o in result.outcomes]
            accounts = outcome(result, "accounts")
            assert (accounts.rows_in, accounts.rows_out, accounts.dropped) == (20000, 17600, 2400)
            counts[name] = [{k: v for k, v in c.items() if k != "dataset"} for c in accounts.expectations]
        assert counts["pgray"] == counts["pglocal"]
    shaped = [r.getMessage() for r in caplog.records if "shaped in" in r.getMessage()]
    # where Ray puts the units is its own choice (SPREAD is best effort): tests/execution/test_ray_files.py asserts it
    assert [m.split(" on ")[0] for m in shaped] == [f"flow accounts: batch {i}: 4 partitions shaped in 4 work units"
                                                    for i in (0, 1)]  # fmt: skip
    for table in ("accounts", "accounts_quarantine"):
        assert _dataset(lh, "pgray", table) == _dataset(lh, "pglocal", table), table
        assert len(_dataset(lh, "pgray", table)) in (2 * 17600, 2 * 2400)


def test_independent_materialized_views_run_at_once_on_different_nodes(
    ray_cluster: Any, lh: Lakehouse, pipeline: Write, caplog: pytest.LogCaptureFixture
) -> None:
    """Each refresh is a task of one CPU on nodes of one CPU: two refreshes that overlap run on two nodes."""
    import pyarrow as pa

    from lakeloader.lakehouse import delta

    lh.create_schema("main.raw", if_not_exists=True)
    big = lh.create_table("main.raw.big", if_not_exists=True)
    n = 1_500_000
    delta.write(big.location, pa.table({"k": pa.array([i % 7 for i in range(n)]), "v": pa.array(range(n))}))
    query = "SELECT k, count(DISTINCT md5(CAST(v * {m} AS STRING))) AS distinct_hashes FROM main.raw.big GROUP BY k"
    views = {f"mv{i}.sql": f"CREATE OR REFRESH MATERIALIZED VIEW mv{i} AS {query.format(m=i + 1)};" for i in range(4)}
    folder = pipeline(views, name="wide", schema="wide")
    spec = folder / "spark-pipeline.yml"
    spec.write_text(spec.read_text() + "executor: ray\n")
    caplog.set_level(logging.INFO, logger="lakeloader.pipelines.view_units")
    result = run(folder, lh)
    assert result.status == "COMPLETED", [o.message for o in result.outcomes]
    refreshed = [r.getMessage() for r in caplog.records if "refreshed by one task on Ray node" in r.getMessage()]
    assert len(refreshed) == 4, refreshed
    assert len({m.rsplit(" ", 1)[1] for m in refreshed}) == 2, refreshed  # both nodes refreshed views
    assert rows(lh, "SELECT sum(distinct_hashes) AS n FROM main.wide.mv3") == [{"n": n}]
