"""A pipeline's streaming tables over landing files with `executor: ray` in spark-pipeline.yml: the files are
decoded by work units on a real two-node Ray cluster, the flows' queries, expectations and quarantine run on the
driver, and every dataset equals the local executor's."""

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
    CREATE OR REFRESH STREAMING TABLE bronze AS
    SELECT *, _metadata.file_name AS source_file
    FROM STREAM read_files('/Volumes/main/landing/raw/{name}', format => 'json', inferColumnTypes => true,
                           includeMetadata => true);
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
    kept = [{k: v for k, v in r.items() if k not in VARYING} for r in found]
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
    caplog.set_level(logging.INFO, logger="lakeloader.sources.files.source")
    for wave in (0, 1):  # the second wave brings a column
        for name in ("local", "onray"):
            _land(volume / name, wave)
            result = run(folders[name], lh)
            assert result.status == "COMPLETED", [o.message for o in result.outcomes]
            assert outcome(result, "bronze").rows_out == 3001
    decoded = [r.getMessage() for r in caplog.records if "work units on" in r.getMessage()]
    assert decoded and all("main.onray.bronze" in m for m in decoded), decoded
    assert any("on 2 Ray nodes" in m for m in decoded), decoded
    for table in ("bronze", "silver", "silver_quarantine", "gold"):
        ours, theirs = _dataset(lh, "onray", table), _dataset(lh, "local", table)
        assert len(ours) == len(theirs) > 0, table
        strip = [line.replace("onray", "local") for line in ours]  # source_file names the landing folder
        assert strip == theirs, table
