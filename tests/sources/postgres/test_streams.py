"""Streams never stuck on what did not change the data: a new address, a first run's typo, a widened column;
options checked before anything runs; batches split by the cursor's own order."""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from pathlib import Path

import pyarrow as pa
import pytest

from lakeloader.errors import ConfigError, NotFoundError, SchemaMismatchError, TerminalError
from lakeloader.lakehouse import delta
from lakeloader.lakehouse.root import Lakehouse
from lakeloader.sources.postgres import IngestSummary

from .conftest import Proxy, delta_table, sql


def _ids(house: Lakehouse, name: str) -> list[int]:
    return sorted(delta_table(house, name).column("id").to_pylist())


def _has_table(house: Lakehouse, name: str) -> bool:
    try:
        return delta.is_delta_table(house.table(name).location)
    except NotFoundError:
        return False


def test_the_server_moving_to_another_address_warns_and_goes_on(
    pg_url: str, house: Lakehouse, ingest: Callable[..., IngestSummary], proxy: Proxy, caplog: pytest.LogCaptureFixture
) -> None:
    sql(pg_url, "CREATE TABLE public.m (id int PRIMARY KEY); INSERT INTO public.m SELECT generate_series(1, 10)")
    opts = {"table": "public.m", "mode": "incremental", "cursor": "id"}
    assert ingest(**opts).rows == 10
    sql(pg_url, "INSERT INTO public.m SELECT generate_series(11, 12)")
    with caplog.at_level(logging.WARNING):  # restarted on another port (here: seen through a forwarder)
        assert ingest(source_url=proxy.url(pg_url), **opts).rows == 2
    assert f"moved from 127.0.0.1:{proxy.target_port} to 127.0.0.1:{proxy.port}" in caplog.text
    sql(pg_url, "INSERT INTO public.m VALUES (13)")
    assert ingest(source_url=pg_url.replace("@127.0.0.1:", "@localhost:"), **opts).rows == 1  # another host name
    assert _ids(house, "bronze.t") == list(range(1, 14))


def test_a_first_run_that_failed_does_not_pin_the_checkpoint_to_its_mistake(
    pg_url: str, house: Lakehouse, ingest: Callable[..., IngestSummary], tmp_path: Path
) -> None:
    sql(pg_url, "CREATE TABLE public.t1 (id int, v text); INSERT INTO public.t1 VALUES (1, 'a'), (2, 'b')")
    cp = tmp_path / "stream"
    with pytest.raises(TerminalError, match=r"public\.t1_typo\W* does not exist"):
        ingest(table="public.t1_typo", checkpoint=cp)
    assert ingest(table="public.t1", checkpoint=cp).rows == 2
    cp2 = tmp_path / "query"
    with pytest.raises(TerminalError, match="invalid input syntax for type integer"):  # fails after its plan
        ingest(target="bronze.q", query="SELECT id, v::int AS n FROM public.t1", checkpoint=cp2)
    assert (cp2 / "offsets" / "0.json").exists()
    assert ingest(target="bronze.q", query="SELECT id, v AS n FROM public.t1", checkpoint=cp2).rows == 2
    assert sorted(delta_table(house, "bronze.q").column("n").to_pylist()) == ["a", "b"]
    # once a batch is committed the source is part of the stream: another one needs another checkpoint
    with pytest.raises(ConfigError, match="has committed batches from it; give each stream its own checkpoint"):
        ingest(target="bronze.q", query="SELECT id FROM public.t1", checkpoint=cp2)


def test_options_that_cannot_work_fail_before_anything_runs(
    pg_url: str, house: Lakehouse, ingest: Callable[..., IngestSummary], tmp_path: Path
) -> None:
    sql(pg_url, "CREATE TABLE public.v (id int PRIMARY KEY, name text, ts timestamptz DEFAULT now())")
    sql(pg_url, "INSERT INTO public.v (id, name) VALUES (1, 'a')")
    cases = [
        ({"mode": "incremental", "cursor": "ts", "primary_key": "id", "lookback": "10x"}, r"lookback: '10x' is not"),
        ({"mode": "incremental", "cursor": "id", "primary_key": "id", "lookback": "10m"}, r"lookback must be a number"),
        ({"mode": "merge", "primary_key": "id", "columns": ["name"]}, r"primary key column id is not read"),
        ({"mode": "merge", "primary_key": "id", "partition_column": "name", "num_partitions": 2}, r"numeric, date"),
    ]
    for i, (opts, message) in enumerate(cases):
        cp = tmp_path / f"cp{i}"
        with pytest.raises(ConfigError, match=message):
            ingest(target=f"bronze.v{i}", table="public.v", checkpoint=cp, **opts)
        assert not (cp / "offsets").exists() and not _has_table(house, f"bronze.v{i}")


def test_a_column_widened_in_postgres_widens_in_delta(
    pg_url: str, house: Lakehouse, ingest: Callable[..., IngestSummary], tmp_path: Path
) -> None:
    sql(pg_url, "CREATE TABLE public.w (id int PRIMARY KEY, n int, amount numeric(10,2), r real)")
    sql(pg_url, "INSERT INTO public.w VALUES (1, 7, 12.34, 1.5)")
    opts = {"table": "public.w", "mode": "incremental", "cursor": "id", "checkpoint": tmp_path / "cp"}
    ingest(target="bronze.w", **opts)
    sql(pg_url, "ALTER TABLE public.w ALTER n TYPE bigint, ALTER amount TYPE numeric(14,3), ALTER r TYPE float8")
    sql(pg_url, "INSERT INTO public.w VALUES (2, 1099511627776, 123456789.123, 0.1)")
    assert ingest(target="bronze.w", **opts).rows == 1
    got = delta_table(house, "bronze.w").sort_by("id")
    assert got.schema.field("n").type == pa.int64() and got.schema.field("amount").type == pa.decimal128(14, 3)
    assert got.schema.field("r").type == pa.float64()
    assert got.column("n").to_pylist() == [7, 1099511627776]
    assert [str(a) for a in got.column("amount").to_pylist()] == ["12.340", "123456789.123"]
    assert ingest(target="bronze.w", **opts).rows == 0  # the stream's transactions survived the rewrite
    sql(pg_url, "ALTER TABLE public.w ALTER n TYPE text")
    sql(pg_url, "INSERT INTO public.w VALUES (3, 'three', 1, 1)")
    with pytest.raises(
        SchemaMismatchError, match=r"column n is now text in Postgres but bigint .*--cast n=bigint"
    ) as info:
        ingest(target="bronze.w", **opts)
    assert "rescue" not in str(info.value)


def test_max_rows_per_batch_follows_the_cursors_own_order(
    pg_url: str, house: Lakehouse, ingest: Callable[..., IngestSummary], tmp_path: Path
) -> None:
    sql(pg_url, "CREATE TABLE public.b (id int PRIMARY KEY); INSERT INTO public.b SELECT generate_series(1, 30)")
    cp = tmp_path / "cp"
    summary = ingest(
        target="bronze.b", table="public.b", mode="incremental", cursor="id", max_rows_per_batch=5, checkpoint=cp
    )
    assert [r.rows for r in summary.results] == [5] * 6  # text order (1, 10, 11, ...) gave 13, 5, 5, 5, 2
    his = [json.loads((cp / "offsets" / f"{i}.json").read_text())["plan"]["hi"] for i in range(6)]
    assert his == ["5", "10", "15", "20", "25", "30"]
    assert _ids(house, "bronze.b") == list(range(1, 31))
    query = ingest(target="bronze.bq", query="SELECT id, id::text AS label FROM public.b", mode="incremental",
                   cursor="id", max_rows_per_batch=7, checkpoint=tmp_path / "q")  # fmt: skip
    assert [r.rows for r in query.results] == [7, 7, 7, 7, 2]


def test_a_checkpoint_keyed_on_the_old_address_label_goes_on(
    pg_url: str, house: Lakehouse, ingest: Callable[..., IngestSummary], tmp_path: Path
) -> None:
    sql(pg_url, "CREATE TABLE public.l (id int PRIMARY KEY); INSERT INTO public.l SELECT generate_series(1, 5)")
    cp = tmp_path / "cp"
    opts = {"table": "public.l", "mode": "incremental", "cursor": "id", "checkpoint": cp}
    ingest(**opts)
    meta = json.loads((cp / "metadata.json").read_text())
    database = pg_url.rsplit("/", 1)[1]
    assert meta["source"] == f"postgresql:{database}/public.l"
    meta["source"] = f"postgresql://10.0.0.9:6543/{database}/public.l"  # as lakeloader named streams before
    (cp / "metadata.json").write_text(json.dumps(meta))
    sql(pg_url, "INSERT INTO public.l VALUES (6)")
    assert ingest(**opts).rows == 1
    assert _ids(house, "bronze.t") == list(range(1, 7))
