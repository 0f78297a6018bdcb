"""Ingesting a foreign table through its connection with the Postgres source's modes, and as micro-batches."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

import pytest

from lakeloader.errors import ConfigError
from lakeloader.federation.sources import postgres_source_options
from lakeloader.sources.postgres import ingest_postgres

from .conftest import Fed


def _rows(fed: Fed, table: str) -> list[int]:
    return sorted(r["id"] for r in fed.query(f"SELECT id FROM {table}").to_pylist())


@pytest.fixture
def vehicles(fed: Fed) -> Fed:
    fed.remote.run(
        'CREATE TABLE public."Vehicles" (id int PRIMARY KEY, plate text, updated_at timestamptz DEFAULT now());'
        "INSERT INTO public.\"Vehicles\" (id, plate) SELECT i, 'ZH-' || i FROM generate_series(1, 100) i"
    )
    fed.catalog()
    fed.lakehouse.create_catalog("main", if_not_exists=True)
    fed.lakehouse.create_schema("main.bronze", if_not_exists=True)
    return fed


def test_a_foreign_table_as_postgres_source_options(vehicles: Fed) -> None:
    lh = vehicles.lakehouse
    options = postgres_source_options("supabase_data.public.vehicles", lakehouse=lh, mode="incremental", cursor="id")
    assert options.table == '"public"."Vehicles"' and options.connection.password is not None
    assert options.connection.password.get_secret_value() == "{{secrets/fed/pg_pw}}"  # resolved only when read
    assert ingest_postgres("bronze.vehicles", lakehouse=lh, options=options).rows == 100
    vehicles.remote.run(
        "INSERT INTO public.\"Vehicles\" (id, plate) SELECT i, 'BE-' || i FROM generate_series(101, 130) i"
    )
    assert ingest_postgres("bronze.vehicles", lakehouse=lh, options=options).rows == 30
    assert _rows(vehicles, "main.bronze.vehicles") == list(range(1, 131))
    merged = postgres_source_options("supabase_data.public.vehicles", lakehouse=lh, mode="merge", primary_key=["id"])
    vehicles.remote.run("UPDATE public.\"Vehicles\" SET plate = 'new' WHERE id <= 5")
    ingest_postgres("bronze.merged", lakehouse=lh, options=merged)
    ingest_postgres("bronze.merged", lakehouse=lh, options=merged)
    plates = [r["plate"] for r in vehicles.query("SELECT plate FROM main.bronze.merged").to_pylist()]
    assert plates.count("new") == 5 and len(plates) == 130
    with pytest.raises(ConfigError, match="come from the foreign catalog"):
        postgres_source_options("supabase_data.public.vehicles", lakehouse=lh, table="other")


@pytest.mark.slow
def test_cli_micro_batches_until_sigterm(vehicles: Fed) -> None:
    env = {**os.environ, "LAKELOADER_ROOT": str(vehicles.lakehouse.root)}
    command = [
        sys.executable, "-m", "lakeloader.cli", "ingest", "postgres", "--source", "supabase_data.public.Vehicles",
        "--target", "bronze.stream", "--mode", "incremental", "--cursor", "id", "--trigger", "interval=1s",
        "--no-progress",
    ]  # fmt: skip
    process = subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 60
        for first, last in ((101, 120), (121, 150)):
            time.sleep(2.5)
            vehicles.remote.run(
                f"INSERT INTO public.\"Vehicles\" (id, plate) SELECT i, 'x' FROM generate_series({first}, {last}) i"
            )
        while time.monotonic() < deadline:
            time.sleep(0.5)
            try:
                if len(_rows(vehicles, "main.bronze.stream")) == 150:
                    break
            except Exception:
                continue
        process.send_signal(signal.SIGTERM)
        out, err = process.communicate(timeout=60)
    finally:
        if process.poll() is None:
            process.kill()
    assert process.returncode == 0, err
    assert err.count("micro-batch:") >= 3, err
    assert _rows(vehicles, "main.bronze.stream") == list(range(1, 151))  # each row exactly once
    assert "150 rows" in out


@pytest.mark.slow
def test_cli_source_options_refused_and_once(vehicles: Fed) -> None:
    done = vehicles.cli(
        "ingest", "postgres", "--source", "supabase_data.public.vehicles", "--target", "bronze.v", "--password", "x",
        check=False,
    )  # fmt: skip
    assert done.returncode == 1 and "--password come from the foreign catalog" in done.stderr
    assert "Traceback" not in done.stderr and len(done.stderr.strip().splitlines()) == 1
    done = vehicles.cli("ingest", "postgres", "--target", "bronze.v", check=False)
    assert done.returncode == 1 and "--source-url" in done.stderr and "--source" in done.stderr
    done = vehicles.cli(
        "ingest", "postgres", "--source", "supabase_data.public.vehicles", "--target", "bronze.v", "--mode",
        "incremental", "--cursor", "id", "--max-rows-per-batch", "10", "--trigger", "once", "--json",
    )  # fmt: skip
    assert '"rows": 100' in done.stdout and '"batches": 1' in done.stdout
    done = vehicles.cli(
        "ingest", "postgres", "--source", "supabase_data.public.vehicles", "--target", "supabase_data.public.copy",
        check=False,
    )  # fmt: skip
    assert done.returncode == 1 and "catalog supabase_data is a foreign catalog" in done.stderr
