"""Partitioned reads: equal to a single read, and mutually consistent (one exported snapshot) under writes."""

from __future__ import annotations

import threading
from collections.abc import Callable

import psycopg
import pytest

from lakeloader.lakehouse.root import Lakehouse
from lakeloader.sources.postgres import IngestSummary
from lakeloader.sources.postgres.source import partition_predicates

from .conftest import delta_table, sql

HIGH = 1_000_000


def test_stride_split_is_sparks() -> None:
    assert partition_predicates("id", 0, 100, 1) == ["TRUE"]
    parts = partition_predicates("id", 0, 100, 4)
    assert parts[0] == '("id" < 25 OR "id" IS NULL)'
    assert parts[1] == '"id" >= 25 AND "id" < 50'
    assert parts[-1] == '"id" >= 75'  # bounds only set the stride: rows outside them are still read
    assert len(partition_predicates("id", 5, 6, 8)) == 2


def test_partitioned_read_equals_single_read(
    pg_url: str, house: Lakehouse, ingest: Callable[..., IngestSummary]
) -> None:
    sql(pg_url, "CREATE TABLE public.p AS SELECT i AS id, md5(i::text) AS v FROM generate_series(-50, 5000) i")
    sql(pg_url, "INSERT INTO public.p VALUES (NULL, 'null id'), (99999, 'far')")
    ingest(target="bronze.single", table="public.p")
    many = ingest(target="bronze.many", table="public.p", partition_column="id", num_partitions=4)
    bounded = ingest(
        target="bronze.bounded",
        table="public.p",
        partition_column="id",
        num_partitions=3,
        lower_bound=0,
        upper_bound=10,
    )
    assert many.rows == bounded.rows == 5053
    want = delta_table(house, "bronze.single").select(["id", "v"]).sort_by("v")
    for name in ("bronze.many", "bronze.bounded"):
        assert delta_table(house, name).select(["id", "v"]).sort_by("v").equals(want)


@pytest.mark.slow
def test_partitions_share_one_snapshot_under_concurrent_inserts(
    pg_url: str, house: Lakehouse, ingest: Callable[..., IngestSummary]
) -> None:
    # every transaction writes one row to the low partition and its twin to the high one
    sql(pg_url, "CREATE TABLE public.pairs (id int PRIMARY KEY, pad text)")
    sql(
        pg_url,
        "INSERT INTO public.pairs SELECT i, repeat('x', 200) FROM generate_series(1, 100000) i "
        f"UNION ALL SELECT i + {HIGH}, repeat('x', 200) FROM generate_series(1, 100000) i",
    )
    stop = threading.Event()

    def writer() -> None:
        with psycopg.connect(pg_url, autocommit=False) as con:
            k = 200000
            while not stop.is_set():
                k += 1
                con.execute("INSERT INTO public.pairs VALUES (%s, 'w'), (%s, 'w')", (k, k + HIGH))
                con.commit()

    thread = threading.Thread(target=writer)
    thread.start()
    try:
        for run in range(3):
            ingest(
                target=f"bronze.pairs{run}",
                table="public.pairs",
                partition_column="id",
                num_partitions=4,
                lower_bound=0,
                upper_bound=2 * HIGH,
            )
    finally:
        stop.set()
        thread.join()
    for run in range(3):
        ids = set(delta_table(house, f"bronze.pairs{run}").column("id").to_pylist())
        low = {i for i in ids if i < HIGH}
        high = {i - HIGH for i in ids if i >= HIGH}
        assert low == high, f"run {run}: partitions saw different database states"
        assert len(low) > 100000 or run == 0
