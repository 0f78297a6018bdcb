"""The Postgres source's `pooler_mode` against 600 concurrent reads through a real PgBouncer in transaction mode.

Through PgBouncer in transaction mode, ADBC in autocommit mode returned wrong rows for about half of 600
concurrent queries in a probe (its describe and its fetch can land on different server connections); the source
reads in explicit transactions, control queries included, and this checks every read comes back exactly right:
plain reads, reads split in partitions (exported snapshot), and the catalog reads that plan them.
"""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

import psycopg
import pytest
from tests.pgbouncer import pgbouncer

from lakeloader.embedded.server import EmbeddedPostgres
from lakeloader.sources.postgres import ConnectionOptions, PostgresSourceOptions
from lakeloader.sources.postgres.source import PostgresSource

from .conftest import sql

pytestmark = pytest.mark.slow
READS = 600


def test_600_concurrent_source_reads_through_a_transaction_pooler(pg_server: EmbeddedPostgres, pg_url: str) -> None:
    sql(
        pg_url,
        "CREATE TABLE public.t (id int PRIMARY KEY, v numeric(10,2), s text);"
        "INSERT INTO public.t SELECT i, i / 4.0, 'row ' || i FROM generate_series(1, 20000) i",
    )
    assert pg_server.password
    probe = pg_url.replace(f":{pg_server.port}/", ":{port}/")
    with pgbouncer(pg_server.port, {"postgres": pg_server.password}, pool_size=3, probe=probe) as port:
        url = pg_url.replace(f":{pg_server.port}/", f":{port}/")
        barrier = threading.Barrier(100)

        def one(i: int) -> str | None:
            lo = (i * 31) % 19000
            ids = list(range(lo + 1, lo + 2 + i % 9))
            columns = ["id", "v", "s"][: 1 + i % 3]
            opts = PostgresSourceOptions(
                connection=ConnectionOptions(url=url, pooler_mode=True, statement_timeout="30s"),
                table="public.t",
                columns=columns,
                filter=f"id BETWEEN {ids[0]} AND {ids[-1]}",
                **({"partition_column": "id", "num_partitions": 2} if i % 5 == 0 else {}),
            )
            if i < 100:
                barrier.wait(60)
            source = PostgresSource(opts)
            try:
                plan = {"kind": "snapshot"}
                if i % 5 == 0:
                    plan["partitions"] = {"column": "id", "lower": ids[0], "upper": ids[-1] + 1, "n": 2}
                table = source.read(plan).read_all()
            except Exception as exc:
                return f"{i}: {type(exc).__name__}: {exc}"
            finally:
                source.close()
            if table.column_names != columns or sorted(table.column("id").to_pylist()) != ids:
                return f"{i}: wrong rows {table.column_names} {table.column('id').to_pylist()[:3]}"
            return None

        with ThreadPoolExecutor(max_workers=100) as pool:
            problems = [p for p in pool.map(one, range(READS)) if p]
        assert problems == [], f"{len(problems)} of {READS} wrong: {problems[:5]}"
        with psycopg.connect(url, autocommit=True, prepare_threshold=None) as con:
            for _ in range(6):  # every pooled server connection: no setting left behind
                assert con.execute("SHOW statement_timeout").fetchone() == ("0",)
