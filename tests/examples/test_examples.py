"""The shipped examples run as a user runs them, and the declared claims schema is the one in code."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from deltalake import DeltaTable

from lakeloader.samples import CLAIMS_AVRO_SCHEMA

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


def run(script: str, root: Path) -> str:
    env = {**os.environ, "LAKELOADER_ROOT": str(root), "LAKELOADER": f"{sys.executable} -m lakeloader.cli"}
    out = subprocess.run(["bash", str(EXAMPLES / script)], capture_output=True, text=True, env=env, timeout=300)
    assert out.returncode == 0, out.stdout + out.stderr
    return out.stdout


def test_claims_avsc_is_the_schema_declared_in_code() -> None:
    assert json.loads((EXAMPLES / "providers_claims" / "claims.avsc").read_text()) == CLAIMS_AVRO_SCHEMA


def _rows(root: Path, *parts: str) -> int:
    return int(DeltaTable(str(root.joinpath(*parts))).to_pyarrow_table().num_rows)


def _differing(root: Path, a: str, b: str, columns: str) -> int:
    from lakeloader.lakehouse.root import Lakehouse
    from lakeloader.lakehouse.sql import query

    sql = (
        f"SELECT (SELECT count(*) FROM (SELECT {columns} FROM {a} EXCEPT ALL SELECT {columns} FROM {b})) "
        f"+ (SELECT count(*) FROM (SELECT {columns} FROM {b} EXCEPT ALL SELECT {columns} FROM {a})) AS n"
    )
    return int(query(Lakehouse(root), sql).column("n")[0].as_py())


@pytest.mark.slow
def test_providers_and_claims_example_twice(tmp_path: Path) -> None:
    root = tmp_path / "lh"
    out = run("providers_claims/run.sh", root)
    assert "update" in out and "COMPLETED" in out and "FAILED" not in out
    assert _rows(root, "kardia", "kardia_bronze", "tables", "bronze_providers") == 10
    assert _rows(root, "kardia", "kardia_bronze", "tables", "bronze_claims") == 10
    assert _rows(root, "kardia", "kardia_silver", "tables", "claims") == 10
    assert _rows(root, "kardia", "kardia_gold", "tables", "provider_claim_summary") == 10
    run("providers_claims/run.sh", root)  # the claims are read once; providers are appended again, as the seed
    assert _rows(root, "kardia", "kardia_bronze", "tables", "bronze_claims") == 10
    assert _rows(root, "kardia", "kardia_bronze", "tables", "bronze_providers") == 20
    assert _rows(root, "kardia", "kardia_silver", "tables", "providers") == 10
    # the seed's notebooks, run unchanged after the pipeline: the same bronze rows
    assert _rows(root, "kardia_nb", "kardia_bronze", "tables", "bronze_claims") == 10
    assert _rows(root, "kardia_nb", "kardia_bronze", "tables", "bronze_providers") == 20
    for table, columns in (("bronze_claims", "claim_id, lines, paid_amount, submitted_at"),
                           ("bronze_providers", "npi, specialty, last_updated, enumeration_date")):  # fmt: skip
        differing = _differing(root, f"kardia_nb.kardia_bronze.{table}", f"kardia.kardia_bronze.{table}", columns)
        assert differing == 0, table


@pytest.mark.slow
def test_telematics_example_twice_reads_each_wave_once(tmp_path: Path) -> None:
    root = tmp_path / "lh"
    run("telematics/run.sh", root)
    out = run("telematics/run.sh", root)
    assert "VH-0005" in out and "flow_progress events" in out
    assert _rows(root, "telematics", "01_bronze", "tables", "telematics") == 40_000
    assert _rows(root, "telematics", "02_silver", "tables", "readings_valid") == 40_000
    assert _rows(root, "telematics", "03_gold", "tables", "harsh_braking") == 5
    for table in ("telematics", "telematics_test"):  # the Python (import dlt) bronze holds the SQL one's rows
        columns = ", ".join(f"`{f.name}`" for f in DeltaTable(str(root / "telematics" / "01_bronze" / "tables" / table))
                            .schema().to_arrow())  # fmt: skip
        sql_table, py_table = f"telematics.`01_bronze`.{table}", f"telematics.`01_bronze_py`.{table}"
        assert _differing(root, sql_table, py_table, columns) == 0, table
    hourly = DeltaTable(str(root / "telematics" / "03_gold" / "tables" / "fleet_hourly")).to_pyarrow_table()
    starts = [w["start"] for w in hourly.column("hour").to_pylist()]
    assert starts and len(starts) == len(set(starts))  # each closed hour appended once over both runs
    assert sum(hourly.column("readings").to_pylist()) < 40_000  # hours still open, and late readings, are not in
