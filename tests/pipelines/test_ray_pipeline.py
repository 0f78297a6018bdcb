"""A pipeline's streaming tables over landing files with `executor: ray` in spark-pipeline.yml, on a real two-node
Ray cluster: a row-wise flow's query, expectations and quarantine run in the work units that decode its files, a
flow that reads the batch's clock runs its query on the driver, and every dataset (the quarantine, the expectation
counts) equals the local executor's."""

from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import Any

import pytest

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
    "gold.sql": "CREATE OR REFRESH MATERIALIZED VIEW gold AS SELECT vehicle, sum(km) AS km FROM silver GROUP BY ALL;",
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
    assert any(m.startswith("flow bronze: batch 1: 6 files shaped in 6 work units on 2 Ray nodes") for m in shaped)
    assert any(m.startswith("flow silver: batch 1:") and "of main.onray.bronze" in m for m in shaped), shaped
    decoded = [m for m in messages if "decoded in" in m]  # the clock is read once per batch: on the driver
    assert decoded and all("main.onray.clocked" in m for m in decoded), decoded
    assert any("flow clocked: it reads the batch's clock" in m for m in messages)
    for table in ("bronze", "bronze_quarantine", "clocked", "silver", "silver_quarantine", "gold"):
        ours, theirs = _dataset(lh, "onray", table), _dataset(lh, "local", table)
        assert len(ours) == len(theirs) > 0, table
        strip = [line.replace("onray", "local") for line in ours]  # source_file names the landing folder
        assert strip == theirs, table
