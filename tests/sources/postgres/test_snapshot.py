"""Partitioned reads: equal to a single read, and mutually consistent (one exported snapshot) under writes."""

from __future__ import annotations

import json
import random
import threading
from collections.abc import Callable
from pathlib import Path

import psycopg
import pytest

from lakeloader.lakehouse.root import Lakehouse
from lakeloader.sources.postgres import IngestSummary
from lakeloader.sources.postgres.source import ctid_predicates, partition_predicates

from .conftest import delta_table, sql

HIGH = 1_000_000


def test_stride_split_is_sparks() -> None:
    assert partition_predicates("id", 0, 100, 1) == ["TRUE"]
    parts = partition_predicates("id", 0, 100, 4)
    assert parts[0] == '("id" < 25 OR "id" IS NULL)'
    assert parts[1] == '"id" >= 25 AND "id" < 50'
    assert parts[-1] == '"id" >= 75'  # bounds only set the stride: rows outside them are still read
    assert len(partition_predicates("id", 5, 6, 8)) == 2
    assert ctid_predicates(10, 3) == [
        "ctid < '(4,0)'::tid",
        "ctid >= '(4,0)'::tid AND ctid < '(8,0)'::tid",
        "ctid >= '(8,0)'::tid",
    ]


def test_partitioned_read_equals_single_read(
    pg_url: str, house: Lakehouse, ingest: Callable[..., IngestSummary], tmp_path: Path
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
    blocks = ingest(target="bronze.blocks", table="public.p", num_partitions=3, checkpoint=tmp_path / "blocks")
    plan = json.loads((tmp_path / "blocks" / "offsets" / "0.json").read_text())["plan"]
    assert plan["partitions"]["ctid"] and plan["partitions"]["n"] == 3  # split by block ranges
    assert many.rows == bounded.rows == blocks.rows == 5053
    want = delta_table(house, "bronze.single").select(["id", "v"]).sort_by("v")
    for name in ("bronze.many", "bronze.bounded", "bronze.blocks"):
        assert delta_table(house, name).select(["id", "v"]).sort_by("v").equals(want)


@pytest.mark.slow
@pytest.mark.parametrize("split", ["column", "blocks"])
def test_partitions_share_one_snapshot_under_concurrent_writes(
    pg_url: str, house: Lakehouse, ingest: Callable[..., IngestSummary], split: str
) -> None:
    # every transaction touches one row in the low half and its twin in the high half: an update of both
    # (which moves both tuples to new blocks) or an insert of a new pair
    sql(pg_url, "CREATE TABLE public.pairs (id int PRIMARY KEY, v int NOT NULL, pad text) WITH (fillfactor = 50)")
    sql(
        pg_url,
        "INSERT INTO public.pairs SELECT i, 0, repeat('x', 200) FROM generate_series(1, 60000) i "
        f"UNION ALL SELECT i + {HIGH}, 0, repeat('x', 200) FROM generate_series(1, 60000) i",
    )
    stop = threading.Event()

    def writer() -> None:
        rng = random.Random(5)
        with psycopg.connect(pg_url, autocommit=False) as con:
            k = 100000
            while not stop.is_set():
                i = rng.randint(1, 60000)
                con.execute("UPDATE public.pairs SET v = v + 1 WHERE id IN (%s, %s)", (i, i + HIGH))
                k += 1
                con.execute("INSERT INTO public.pairs VALUES (%s, 0, 'w'), (%s, 0, 'w')", (k, k + HIGH))
                con.commit()

    thread = threading.Thread(target=writer)
    thread.start()
    try:
        for run in range(3):
            by_column = {"partition_column": "id", "lower_bound": 0, "upper_bound": 2 * HIGH}
            ingest(
                target=f"bronze.pairs{run}",
                table="public.pairs",
                num_partitions=4,
                **(by_column if split == "column" else {}),
            )
    finally:
        stop.set()
        thread.join()
    for run in range(3):
        rows = delta_table(house, f"bronze.pairs{run}").select(["id", "v"]).to_pylist()
        values = {r["id"]: r["v"] for r in rows}
        assert len(values) == len(rows), f"run {run}: a row was read twice"
        low = {i: v for i, v in values.items() if i < HIGH}
        high = {i - HIGH: v for i, v in values.items() if i >= HIGH}
        assert low == high, f"run {run}: partitions saw different database states"
