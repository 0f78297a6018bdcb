"""The Postgres source on a real two-node Ray cluster (loopback): one unit per partition inside the batch's exported
snapshot, the same table as the local executor, one data commit per batch, no password in what Ray carries."""

from __future__ import annotations

import json
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from lakeloader.execution.executor import settings
from lakeloader.lakehouse import delta
from lakeloader.lakehouse.root import Lakehouse
from lakeloader.sources.postgres import IngestSummary

from .conftest import delta_table, sql

pytestmark = pytest.mark.slow
RAY = settings("ray")


def _sorted(table: Any, drop: tuple[str, ...] = ("_ingested_at",)) -> list[dict[str, Any]]:
    table = table.drop_columns([c for c in drop if c in table.column_names])
    return sorted(table.to_pylist(), key=lambda r: json.dumps(r, sort_keys=True, default=str))


def _data_commits(house: Lakehouse, name: str) -> int:
    history = delta.history(house.table(name).location)
    return sum(1 for h in history if int((h.get("operationMetrics") or {}).get("num_added_rows") or 0) > 0)


def test_full_and_incremental_loads_on_ray_equal_the_local_executor(
    ray_cluster: Any, pg_url: str, house: Lakehouse, ingest: Callable[..., IngestSummary]
) -> None:
    sql(pg_url, "CREATE TABLE public.p AS SELECT i AS id, md5(i::text) AS v, now() - i * interval '1 minute' AS at,"
                " (i % 97)::numeric(10,2) AS amount FROM generate_series(1, 40000) i")  # fmt: skip
    sql(pg_url, "INSERT INTO public.p VALUES (NULL, 'null id', NULL, NULL)")
    parts = {"table": "public.p", "partition_column": "id", "num_partitions": 4}
    local = ingest(target="bronze.local", **parts)
    on_ray = ingest(target="bronze.ray", executor=RAY, **parts)
    assert on_ray.rows == local.rows == 40001
    assert _sorted(delta_table(house, "bronze.ray")) == _sorted(delta_table(house, "bronze.local"))
    assert delta_table(house, "bronze.ray").schema == delta_table(house, "bronze.local").schema
    assert _data_commits(house, "bronze.ray") == 1
    latest = delta.history(house.table("bronze.ray").location)[0]
    assert latest.get("lakeloader.units") == 4  # one unit per partition
    # an overwrite of the whole table, on Ray, replaces it in one commit
    sql(pg_url, "DELETE FROM public.p WHERE id > 30000")
    ingest(target="bronze.ray", executor=RAY, write_mode="overwrite", **parts)
    ingest(target="bronze.local", write_mode="overwrite", **parts)
    assert _sorted(delta_table(house, "bronze.ray")) == _sorted(delta_table(house, "bronze.local"))
    # incremental by a cursor, batch by batch (each batch's id in its rows' _batch_id)
    inc = {"table": "public.p", "mode": "incremental", "cursor": "id", "max_rows_per_batch": 7000}
    a = ingest(target="bronze.inc_local", checkpoint=house.root / "cp_il", **inc)
    b = ingest(target="bronze.inc_ray", checkpoint=house.root / "cp_ir", executor=RAY, **inc)
    assert a.batches == b.batches >= 4
    assert _sorted(delta_table(house, "bronze.inc_ray")) == _sorted(delta_table(house, "bronze.inc_local"))
    assert _data_commits(house, "bronze.inc_ray") == b.batches


def test_partitions_on_ray_read_one_snapshot_under_writes(
    ray_cluster: Any, pg_url: str, house: Lakehouse, ingest: Callable[..., IngestSummary]
) -> None:
    """A writer moves value between rows of different partitions while the units read: the sum never changes."""
    sql(pg_url, "CREATE TABLE public.acc AS SELECT i AS id, 100 AS balance FROM generate_series(1, 20000) i")
    stop = threading.Event()

    def transfers() -> None:
        import psycopg

        with psycopg.connect(pg_url, autocommit=True) as con:
            i = 0
            while not stop.is_set():
                i += 1
                lo, hi = 1 + i % 5000, 15001 + i % 5000
                con.execute(f"UPDATE public.acc SET balance = balance + CASE id WHEN {lo} THEN -7 ELSE 7 END "
                            f"WHERE id IN ({lo}, {hi})")  # fmt: skip

    writer = threading.Thread(target=transfers, daemon=True)
    writer.start()
    try:
        for n in range(3):
            ingest(target=f"bronze.acc{n}", executor=RAY, table="public.acc", partition_column="id", num_partitions=4)
    finally:
        stop.set()
        writer.join()
    for n in range(3):
        table = delta_table(house, f"bronze.acc{n}")
        assert table.num_rows == 20000
        assert sum(table.column("balance").to_pylist()) == 20000 * 100


def test_a_merge_runs_on_the_driver_and_gives_the_same_table(
    ray_cluster: Any, pg_url: str, house: Lakehouse, ingest: Callable[..., IngestSummary], tmp_path: Path
) -> None:
    sql(pg_url, "CREATE TABLE public.m AS SELECT i AS id, i * 2 AS v FROM generate_series(1, 500) i")
    merge = {"table": "public.m", "mode": "merge", "primary_key": ["id"]}
    ingest(target="bronze.m_local", **merge)
    ingest(target="bronze.m_ray", executor=RAY, **merge)
    assert _sorted(delta_table(house, "bronze.m_ray")) == _sorted(delta_table(house, "bronze.m_local"))


def test_what_ray_carries_holds_no_password(ray_cluster: Any, pg_url: str) -> None:
    """A unit's repr (what Ray's logs and errors may show) never holds the connection's password."""
    import pyarrow as pa

    from lakeloader.sources.postgres.ingest import build_options
    from lakeloader.sources.postgres.units import PostgresUnit

    opts = build_options(None, {"source_url": pg_url, "table": "public.x"})
    password = pg_url.split(":")[2].split("@")[0]
    unit = PostgresUnit(opts, "SELECT 1", None, [], [], pa.schema([]), "/tmp/t")
    assert password not in repr(unit) and password not in str(unit)
