"""`dp.read_postgres` in a pipeline, against the real embedded server: streaming tables read what is new (mode
incremental) or the whole table again (mode full, appended as a bronze notebook does), views read it all; the
password is a secret reference and shows up nowhere."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import pytest

from lakeloader.lakehouse.root import Lakehouse
from lakeloader.secrets import SecretStore
from tests.pipelines.conftest import Write, outcome, rows, run
from tests.sources.postgres.conftest import sql

BRONZE = """\
from lakeloader import pipelines as dp

URL = dp.conf.get("source_url")
PASSWORD = "{{secrets/ops/pg}}"


@dp.table(comment="vehicles as they change, appended by updated_at")
def vehicles_changes():
    return dp.read_postgres(url=URL, password=PASSWORD, dbtable="public.vehicles", mode="incremental",
                            cursor="updated_at")


@dp.table(name="vehicles_snapshots")
def snapshots():
    return dp.read_postgres(url=URL, password=PASSWORD, table="public.vehicles", mode="full").select(
        "*, current_timestamp AS _ingested_at")


@dp.materialized_view
def fleet():
    return dp.read_postgres(url=URL, password=PASSWORD, table="public.vehicles").aggregate(
        "fleet, count(*) AS vehicles", "fleet")
"""


def _split(url: str) -> tuple[str, str]:
    parts = urlsplit(url)
    assert parts.password
    netloc = f"{parts.username}@{parts.hostname}:{parts.port}"
    return urlunsplit(parts._replace(netloc=netloc)), parts.password


@pytest.fixture
def source(pg_url: str, lh: Lakehouse) -> tuple[str, str]:
    sql(pg_url, "CREATE TABLE vehicles (vehicle_id text PRIMARY KEY, fleet text, updated_at timestamptz)")
    sql(pg_url, "INSERT INTO vehicles VALUES ('VH-1', 'north', '2024-01-01'), ('VH-2', 'south', '2024-01-02')")
    url, password = _split(pg_url)
    store = SecretStore(lh.root)
    store.create_scope("ops", if_not_exists=True)
    store.put_secret("ops", "pg", password)
    return url, password


def test_streaming_tables_and_views_over_postgres(
    lh: Lakehouse, pipeline: Write, source: tuple[str, str], pg_url: str
) -> None:
    url, password = source
    folder = pipeline({"bronze.py": BRONZE}, source_url=url)
    first = run(folder, lh)
    assert first.status == "COMPLETED", [o.message for o in first.outcomes]
    assert outcome(first, "vehicles_changes").rows_out == 2
    sql(pg_url, "INSERT INTO vehicles VALUES ('VH-3', 'north', '2024-02-01')")
    sql(pg_url, "UPDATE vehicles SET fleet = 'east', updated_at = '2024-02-02' WHERE vehicle_id = 'VH-1'")
    second = run(folder, lh)
    assert second.status == "COMPLETED", [o.message for o in second.outcomes]
    assert outcome(second, "vehicles_changes").rows_out == 2  # only the new and the changed row
    assert rows(lh, "SELECT vehicle_id, fleet FROM main.silver.vehicles_changes ORDER BY updated_at") == [
        {"vehicle_id": "VH-1", "fleet": "north"}, {"vehicle_id": "VH-2", "fleet": "south"},
        {"vehicle_id": "VH-3", "fleet": "north"}, {"vehicle_id": "VH-1", "fleet": "east"}]  # fmt: skip
    snapshots = rows(
        lh, "SELECT count(*) AS n, count(DISTINCT _ingested_at) AS runs FROM main.silver.vehicles_snapshots"
    )
    assert snapshots == [{"n": 2 + 3, "runs": 2}]  # the whole table, appended at every update
    assert rows(lh, "SELECT fleet, vehicles FROM main.silver.fleet ORDER BY fleet") == [
        {"fleet": "east", "vehicles": 1}, {"fleet": "north", "vehicles": 1},
        {"fleet": "south", "vehicles": 1}]  # fmt: skip
    third = run(folder, lh)
    assert outcome(third, "vehicles_changes").rows_out == 0 and outcome(third, "vehicles_changes").up_to_date
    fleet = outcome(third, "fleet")  # Postgres cannot say it is unchanged: the rows are compared, and equal
    assert fleet.up_to_date and "the same rows" in fleet.message
    leaked = [p for p in Path(lh.root).rglob("*") if p.is_file() and password.encode() in p.read_bytes()]
    assert leaked == []  # not in Delta logs, checkpoints, the event log or the metastore


def test_options_that_do_not_fit_a_flow_are_one_line_errors(
    lh: Lakehouse, pipeline: Write, source: tuple[str, str]
) -> None:
    url, _ = source
    merge = BRONZE.replace('mode="incremental",\n                            cursor="updated_at"', 'mode="merge"')
    folder = pipeline({"bronze.py": merge}, source_url=url)
    result = run(folder, lh, refresh=["vehicles_changes"])
    message = next(o.message for o in result.outcomes if o.flow == "vehicles_changes")
    assert result.status == "FAILED" and "mode merge is not used in a pipeline" in message and "AUTO CDC" in message
    dynamic = BRONZE.replace('dbtable="public.vehicles"', "dbtable=pick()")
    folder = pipeline({"bronze.py": dynamic}, name="dyn", source_url=url)
    result = run(folder, lh, refresh=["vehicles_changes"])
    message = next(o.message for o in result.outcomes if o.flow == "vehicles_changes")
    assert "write dp.read_postgres's arguments as constants" in message and "\n" not in message
