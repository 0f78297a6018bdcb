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


@pytest.mark.slow
def test_providers_and_claims_example(tmp_path: Path) -> None:
    out = run("providers_claims/run.sh", tmp_path / "lh")
    assert "bronze_providers: 10 rows" in out and "bronze_claims: 1 files, 10 rows" in out
    claims = tmp_path / "lh" / "kardia" / "kardia_bronze" / "tables" / "bronze_claims"
    assert DeltaTable(str(claims)).to_pyarrow_table().num_rows == 10


@pytest.mark.slow
def test_telematics_example_twice_ingests_each_wave_once(tmp_path: Path) -> None:
    run("telematics/run.sh", tmp_path / "lh")
    out = run("telematics/run.sh", tmp_path / "lh")
    assert "telematics: 4 files, 20,000 rows" in out
    table = tmp_path / "lh" / "telematics" / "01_bronze" / "tables" / "telematics"
    assert DeltaTable(str(table)).to_pyarrow_table().num_rows == 40_000
