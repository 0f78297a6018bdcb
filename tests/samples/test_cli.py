"""`lakeloader samples ...` end to end, through `python -m lakeloader.cli`."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any, cast

import fastavro

from lakeloader.samples import generate_providers


def _run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "lakeloader.cli", "samples", *args], capture_output=True, text=True, check=False
    )


def test_seed_files_for_the_providers_and_claims_example(tmp_path: Path) -> None:
    csv_path = tmp_path / "providers_10.csv"
    result = _run("providers", "--rows", "10", "--out", str(csv_path))
    assert result.returncode == 0, result.stderr
    result = _run("claims", "--files", "1", "--rows-per-file", "10", "--name", "claims_10.avro", "--out", str(tmp_path))
    assert result.returncode == 0, result.stderr
    with (tmp_path / "claims_10.avro").open("rb") as handle:
        claims = [cast(dict[str, Any], record) for record in fastavro.reader(handle)]
    assert len(claims) == 10
    npis = set(generate_providers(rows=10).column("npi").to_pylist())
    assert {c["provider_npi"] for c in claims} <= npis
    assert len(csv_path.read_text().splitlines()) == 11


def test_json_summary_and_faults(tmp_path: Path) -> None:
    result = _run(
        "telematics", "--files", "6", "--rows-per-file", "20", "--format", "json", "--out", str(tmp_path),
        "--malformed", "2", "--late-files", "1", "--new-column-after", "4", "--duplicate-file", "--json",
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    summary = json.loads(result.stdout)
    assert len(summary["files"]) == 6 and summary["rows"] == 120 and summary["malformed_records"] == 2
    assert summary["bytes"] == sum(Path(p).stat().st_size for p in summary["files"])
    assert [Path(p).name for p in summary["new_column_files"]] == ["telematics_0005.json", "telematics_0006.json"]
    assert Path(summary["duplicate_file"]).read_bytes() == Path(summary["files"][0]).read_bytes()


def test_bad_options_are_one_red_line(tmp_path: Path) -> None:
    result = _run("claims", "--files", "2", "--name", "x.avro", "--out", str(tmp_path))
    assert result.returncode == 1
    assert result.stderr.strip().splitlines() == [
        "error: samples claims: --name x.avro needs --files 1 and a plain file name ending in .avro"
    ]
    result = _run("claims", "--providers", str(tmp_path / "nope.csv"), "--out", str(tmp_path))
    assert result.returncode == 1 and "not found" in result.stderr


def test_out_takes_a_volume_path_and_never_makes_a_real_volumes_folder(tmp_path: Path) -> None:
    import os

    root = tmp_path / "lh"
    env = {**os.environ, "LAKELOADER_ROOT": str(root)}

    def run(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([sys.executable, "-m", "lakeloader.cli", *args], capture_output=True, text=True, env=env)

    existed = Path("/Volumes").exists()
    for args in (("catalogs", "create", "c"), ("schemas", "create", "c.s"), ("volumes", "create", "c.s.v")):
        assert run(*args).returncode == 0
    done = run("samples", "telematics", "--files", "2", "--out", "/Volumes/c/s/v/trips", "--json")
    assert done.returncode == 0, done.stderr
    written = [Path(f) for f in json.loads(done.stdout)["files"]]
    assert len(written) == 2 and all(f.is_relative_to(root / "c" / "s" / "volumes" / "v" / "trips") for f in written)
    assert Path("/Volumes").exists() == existed
    missing = run("samples", "providers", "--out", "/Volumes/c/s/nope/p.csv")
    assert missing.returncode == 1 and "volume c.s.nope does not exist" in missing.stderr
    assert missing.stderr.count("\n") == 1
