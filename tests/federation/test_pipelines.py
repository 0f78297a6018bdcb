"""Foreign tables in declarative pipelines: read in place with pushdown (SQL and Python), ingested incrementally
with dp.read_postgres(source=...), never streamed, never written."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from lakeloader.pipelines.update import run_update

from .conftest import Fed

SPEC = """\
name: fleet
catalog: main
schema: silver
libraries:
  - glob:
      include: transformations/**
"""


@pytest.fixture
def fleet(fed: Fed) -> Fed:
    fed.remote.run(
        "CREATE TABLE public.vehicles (vehicle_id text PRIMARY KEY, fleet text, active boolean, "
        "updated_at timestamptz NOT NULL DEFAULT now());"
        "INSERT INTO public.vehicles (vehicle_id, fleet, active, updated_at) "
        "SELECT 'VH-' || lpad(i::text, 4, '0'), CASE WHEN i % 2 = 0 THEN 'city' ELSE 'regional' END, i <> 3, "
        "timestamptz '2024-01-01' + i * interval '1 minute' FROM generate_series(1, 40) i"
    )
    fed.catalog()
    return fed


def _pipeline(tmp_path: Path, files: dict[str, str]) -> Path:
    folder = tmp_path / "fleet"
    (folder / "transformations").mkdir(parents=True, exist_ok=True)
    (folder / "spark-pipeline.yml").write_text(SPEC)
    for name, text in files.items():
        (folder / "transformations" / name).write_text(textwrap.dedent(text))
    return folder


def _outcome(result, flow: str):  # type: ignore[no-untyped-def]
    return next(o for o in result.outcomes if o.flow == flow)


def test_sql_over_a_foreign_table_is_pushed_down_and_read_again_each_update(fleet: Fed, tmp_path: Path) -> None:
    folder = _pipeline(
        tmp_path,
        {
            "fleet.sql": """\
            CREATE OR REFRESH MATERIALIZED VIEW active_city AS
            SELECT vehicle_id, fleet FROM supabase_data.public.vehicles WHERE active AND fleet = 'city';

            CREATE OR REFRESH MATERIALIZED VIEW per_fleet AS
            SELECT fleet, count(*) AS n FROM supabase_data.public.vehicles GROUP BY fleet;

            CREATE OR REFRESH MATERIALIZED VIEW city_count AS SELECT count(*) AS n FROM active_city;
            """
        },
    )
    lh, remote = fleet.lakehouse, fleet.remote
    offset = remote.log_size()
    result = run_update(folder, lh)
    assert result.status == "COMPLETED", result.error
    log = remote.log_since(offset)
    assert "BEGIN READ ONLY" in log
    scans = [line for line in log.splitlines() if 'FROM "public"."vehicles"' in line and "LIMIT 0" not in line]
    filtered = [s for s in scans if "WHERE" in s and '"fleet"' in s and '"active"' in s]
    assert filtered and all('"updated_at"' not in s for s in filtered)  # columns and both filters pushed
    assert any("GROUP BY" in s and "count(" in s for s in scans)  # the aggregate ran remotely
    got = fleet.query("SELECT * FROM main.silver.active_city ORDER BY vehicle_id").to_pylist()
    assert [r["vehicle_id"] for r in got] == [f"VH-{i:04d}" for i in range(2, 41, 2)]
    assert fleet.query("SELECT fleet, n FROM main.silver.per_fleet ORDER BY fleet").to_pylist() == [
        {"fleet": "city", "n": 20},
        {"fleet": "regional", "n": 20},
    ]
    # nothing changed remotely: read again, the same rows, the table keeps its version (downstream skips)
    again = run_update(folder, lh)
    assert _outcome(again, "active_city").up_to_date and _outcome(again, "city_count").up_to_date
    remote.run("UPDATE public.vehicles SET fleet = 'city' WHERE vehicle_id = 'VH-0001'")
    changed = run_update(folder, lh)
    assert not _outcome(changed, "active_city").up_to_date
    assert fleet.query("SELECT n FROM main.silver.city_count").to_pylist() == [{"n": 21}]


def test_python_reads_a_foreign_table_and_ingests_it_incrementally(fleet: Fed, tmp_path: Path) -> None:
    folder = _pipeline(
        tmp_path,
        {
            "fleet.py": """\
            from lakeloader import pipelines as dp


            @dp.materialized_view
            def vehicles():
                return dp.read("supabase_data.public.vehicles").filter("fleet = 'regional'")


            @dp.table(name="vehicles_raw")
            def vehicles_raw():
                return dp.read_postgres(
                    source="supabase_data.public.vehicles", mode="incremental", cursor="updated_at"
                )
            """
        },
    )
    lh, remote = fleet.lakehouse, fleet.remote
    result = run_update(folder, lh)
    assert result.status == "COMPLETED", result.error
    assert fleet.query("SELECT count(*) AS n FROM main.silver.vehicles").to_pylist() == [{"n": 20}]
    assert _outcome(result, "vehicles_raw").rows_out == 40
    remote.run(
        "INSERT INTO public.vehicles (vehicle_id, fleet, active, updated_at) "
        "SELECT 'VH-' || lpad(i::text, 4, '0'), 'city', true, timestamptz '2024-02-01' + i * interval '1 minute' "
        "FROM generate_series(41, 45) i"
    )
    second = run_update(folder, lh)
    assert _outcome(second, "vehicles_raw").rows_out == 5
    ids = [r["vehicle_id"] for r in fleet.query("SELECT vehicle_id FROM main.silver.vehicles_raw").to_pylist()]
    assert sorted(ids) == [f"VH-{i:04d}" for i in range(1, 46)]  # each row once
    assert run_update(folder, lh).status == "COMPLETED"
    assert fleet.query("SELECT count(*) AS n FROM main.silver.vehicles_raw").to_pylist() == [{"n": 45}]


def test_a_foreign_table_is_never_a_stream_nor_a_target(fleet: Fed, tmp_path: Path) -> None:
    from lakeloader.pipelines.load import load

    streamed = _pipeline(
        tmp_path / "a",
        {"s.sql": "CREATE OR REFRESH STREAMING TABLE v AS SELECT * FROM STREAM(supabase_data.public.vehicles);"},
    )
    problems = load(streamed, fleet.lakehouse).problems
    assert any("a foreign table, which cannot be streamed" in p and "dp.read_postgres(source=" in p for p in problems)
    written = _pipeline(
        tmp_path / "b",
        {"w.sql": "CREATE OR REFRESH MATERIALIZED VIEW supabase_data.public.copy AS SELECT 1 AS x;"},
    )
    result = run_update(written, fleet.lakehouse)
    error = result.error or ""
    assert result.status == "FAILED" and "foreign catalog" in error and "read-only" in error
    assert "copy" not in " ".join(r[0] for r in fleet.remote.run("SELECT tablename FROM pg_tables"))
    missing = _pipeline(
        tmp_path / "c",
        {"m.sql": "CREATE OR REFRESH MATERIALIZED VIEW m AS SELECT * FROM supabase_data.public.vehicle;"},
    )
    assert any("supabase_data.public.vehicle," in p for p in load(missing, fleet.lakehouse).problems)
