"""Behind a real PgBouncer in transaction mode: 600 concurrent federated queries, each with its own filter and
columns, all exactly right; nothing left on the pooled server connections."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from decimal import Decimal
from typing import Any

import psycopg
import pytest

from tests.pgbouncer import pgbouncer

from .conftest import Fed

pytestmark = pytest.mark.slow
QUERIES = 600
COLUMNS = ["id", "v", "s"]


@pytest.fixture
def pooled(fed: Fed) -> Any:
    fed.remote.run(
        "CREATE TABLE public.t (id int PRIMARY KEY, v numeric(10,2), s text);"
        "INSERT INTO public.t SELECT i, i / 4.0, 'row ' || i FROM generate_series(1, 20000) i"
    )
    probe = fed.remote.url(port=0).replace(":0/", ":{port}/")
    with pgbouncer(fed.remote.port, {fed.remote.user: fed.remote.password}, pool_size=3, probe=probe) as port:
        fed.connect("pooled", port=port, pooler="transaction", statement_timeout="30s")
        fed.catalog("pooled_data", connection="pooled")
        yield fed, port


def _expected(i: int) -> tuple[list[str], list[int]]:
    lo = (i * 31) % 19000
    return COLUMNS[: 1 + i % 3], list(range(lo + 1, lo + 2 + i % 9))


def test_600_concurrent_federated_queries_through_a_transaction_pooler(pooled: Any) -> None:
    fed, port = pooled
    barrier = threading.Barrier(100)

    def one(i: int) -> str | None:
        columns, ids = _expected(i)
        if i < 100:
            barrier.wait(60)  # the first hundred start at the same instant
        sql = (
            f"SELECT {', '.join(columns)} FROM pooled_data.public.t WHERE id BETWEEN {ids[0]} AND {ids[-1]} "
            f"{'AND s IS NOT NULL' if i % 2 else ''} ORDER BY id"
        )
        try:
            result = fed.query(sql)
        except Exception as exc:
            return f"{i}: {type(exc).__name__}: {exc}"
        if result.column_names != columns or result.column("id").to_pylist() != ids:
            return f"{i}: wrong result {result.column_names} {result.column('id').to_pylist()[:3]}"
        if "v" in columns and [float(x) for x in result.column("v").to_pylist()] != [x / 4 for x in ids]:
            return f"{i}: wrong values"
        return None

    with ThreadPoolExecutor(max_workers=100) as pool:
        problems = [p for p in pool.map(one, range(QUERIES)) if p]
    assert problems == [], f"{len(problems)} of {QUERIES} wrong: {problems[:5]}"
    aggregated = fed.query("SELECT count(*) AS n, sum(v) AS s FROM pooled_data.public.t WHERE id > 10000")
    assert aggregated.to_pylist() == [{"n": 10000, "s": Decimal(sum(range(10001, 20001))) / 4}]
    with psycopg.connect(fed.remote.url(port=port), autocommit=True, prepare_threshold=None) as con:
        for _ in range(6):  # every pooled server connection: no setting left behind
            assert con.execute("SHOW statement_timeout").fetchone() == ("0",)
            assert con.execute("SHOW transaction_read_only").fetchone() == ("off",)


def test_connection_test_and_refresh_through_the_pooler(pooled: Any) -> None:
    fed, _ = pooled
    from lakeloader.federation.catalogs import refresh
    from lakeloader.federation.probe import test_connection

    assert test_connection(fed.lakehouse, "pooled")["pooler"] == "transaction"
    fed.remote.run("CREATE TABLE public.late (id int)")
    assert refresh(fed.lakehouse, "pooled_data")["tables"] == 2
