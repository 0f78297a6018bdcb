"""Behind a transaction pooler (pgbouncer, pool_mode=transaction): every mode works with pooler_mode=True.

pgbouncer 1.18 cannot carry server-side prepared statements across transactions, and session SETs leak onto
shared server connections: this is what `pooler_mode` must cope with. Skipped where pgbouncer is not installed
(failed under CI).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

import psycopg
import pytest
from tests.pgbouncer import pgbouncer

from lakeloader.embedded.server import EmbeddedPostgres
from lakeloader.lakehouse.root import Lakehouse
from lakeloader.sources.postgres import IngestSummary

from .conftest import delta_table, sql

pytestmark = pytest.mark.slow


@pytest.fixture
def pooler_url(pg_server: EmbeddedPostgres, pg_url: str) -> Iterator[str]:
    """pg_url through a real PgBouncer (pool_mode=transaction); see tests/pgbouncer.py (under CI: fails if missing)."""
    assert pg_server.password
    probe = pg_url.replace(f":{pg_server.port}/", ":{port}/")
    with pgbouncer(pg_server.port, {"postgres": pg_server.password}, pool_size=2, max_clients=50, probe=probe) as port:
        yield pg_url.replace(f":{pg_server.port}/", f":{port}/")


def test_every_mode_through_a_transaction_pooler(
    pooler_url: str, pg_url: str, house: Lakehouse, ingest: Callable[..., IngestSummary]
) -> None:
    sql(
        pg_url,
        "CREATE TABLE public.t (id int PRIMARY KEY, v numeric(8,2), updated_at timestamptz DEFAULT clock_timestamp());"
        "INSERT INTO public.t (id, v) SELECT i, i / 4.0 FROM generate_series(1, 3000) i",
    )
    common = {"source_url": pooler_url, "pooler_mode": True, "statement_timeout": "60s", "table": "public.t"}
    assert ingest(target="bronze.full", **common).rows == 3000
    parts = ingest(target="bronze.parts", partition_column="id", num_partitions=3, **common)
    assert parts.rows == 3000
    inc = {"mode": "incremental", "cursor": "updated_at", "primary_key": "id", "lookback": "5m"}
    ingest(target="bronze.inc", **inc, **common)
    sql(pg_url, "UPDATE public.t SET v = -1, updated_at = clock_timestamp() WHERE id <= 10")
    assert ingest(target="bronze.inc", **inc, **common).rows == 10
    ingest(target="bronze.merge", mode="merge", primary_key="id", **common)
    assert sorted(delta_table(house, "bronze.parts").column("id").to_pylist()) == list(range(1, 3001))
    assert delta_table(house, "bronze.inc").num_rows == 3010
    assert delta_table(house, "bronze.merge").num_rows == 3000
    # no session setting leaked onto the pooled server connections
    with psycopg.connect(pooler_url, autocommit=True) as con:
        assert con.execute("SHOW statement_timeout").fetchone() == ("0",)


def test_the_init_statement_reaches_planning_through_a_pooler_and_leaks_nowhere(
    pooler_url: str, pg_url: str, house: Lakehouse, ingest: Callable[..., IngestSummary]
) -> None:
    sql(pg_url, "CREATE SCHEMA app; CREATE TABLE app.only_here AS SELECT generate_series(1, 10) AS id")
    sql(pg_url, "CREATE TABLE public.only_here AS SELECT generate_series(1, 3) AS id")
    opts = {"table": "only_here", "mode": "incremental", "cursor": "id", "pooler_mode": True}
    summary = ingest(source_url=pooler_url, init_statement="SET LOCAL search_path = app", **opts)
    assert summary.rows == 10  # resolved, planned and read in app, per transaction
    with psycopg.connect(pooler_url, autocommit=True) as con:
        assert con.execute("SHOW search_path").fetchone() == ('"$user", public',)
