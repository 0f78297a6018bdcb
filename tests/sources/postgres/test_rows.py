"""No duplicated and no lost rows: full then incremental, NULL and repeated keys, soft deletes, a source table
truncated or recreated, an infinite cursor value, a server that is down when a snapshot is planned."""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Callable
from pathlib import Path

import pytest

from lakeloader.embedded.server import free_port
from lakeloader.errors import RetryableError, TerminalError
from lakeloader.execution.checkpoint import Checkpoint
from lakeloader.lakehouse import delta
from lakeloader.lakehouse.root import Lakehouse
from lakeloader.sources.postgres import IngestSummary, PostgresSourceOptions
from lakeloader.sources.postgres.ingest import build_options
from lakeloader.sources.postgres.source import PostgresSource

from .conftest import Proxy, delta_table, sql

TABLE = """
CREATE TABLE public.t (id int PRIMARY KEY, name text, seq int NOT NULL DEFAULT 0, deleted bool DEFAULT false,
                       updated_at timestamptz NOT NULL DEFAULT clock_timestamp());
INSERT INTO public.t (id, name, seq) SELECT i, 'n' || i, i FROM generate_series(1, 50) i;
"""


def _ids(house: Lakehouse, name: str) -> list[int]:
    return sorted(delta_table(house, name).column("id").to_pylist())


def test_full_load_then_incremental_adds_only_new_row_versions(
    pg_url: str, house: Lakehouse, ingest: Callable[..., IngestSummary]
) -> None:
    sql(pg_url, TABLE)
    assert ingest(target="bronze.t", table="public.t").rows == 50  # a full load, then the same stream goes on
    sql(pg_url, "UPDATE public.t SET name = 'changed', updated_at = clock_timestamp() WHERE id IN (1, 2, 3)")
    sql(pg_url, "INSERT INTO public.t (id, name) VALUES (51, 'new'), (52, 'new')")
    opts = {"table": "public.t", "mode": "incremental", "cursor": "updated_at", "primary_key": "id"}
    assert ingest(target="bronze.t", **opts).rows == 5  # 3 new versions and 2 new rows, not 55
    got = delta_table(house, "bronze.t")
    versions = Counter((r["id"], r["updated_at"]) for r in got.select(["id", "updated_at"]).to_pylist())
    assert got.num_rows == 55 and max(versions.values()) == 1
    assert ingest(target="bronze.t", **opts).rows == 0
    # without a key the rows already there cannot be told apart: refused, nothing appended
    ingest(target="bronze.nokey", table="public.t")
    with pytest.raises(TerminalError, match=r"already holds 52 rows .* pass --primary-key"):
        ingest(target="bronze.nokey", table="public.t", mode="incremental", cursor="updated_at")
    assert delta_table(house, "bronze.nokey").num_rows == 52


def test_null_keys_are_refused_not_added_again_by_every_run(
    pg_url: str, house: Lakehouse, ingest: Callable[..., IngestSummary]
) -> None:
    sql(pg_url, "CREATE TABLE public.n (id int, v text, seq int); INSERT INTO public.n VALUES (1,'a',1), (NULL,'b',2)")
    merge = {"table": "public.n", "mode": "merge", "primary_key": "id"}
    incremental = {"table": "public.n", "mode": "incremental", "cursor": "seq", "primary_key": "id", "lookback": "5"}
    for target, opts in (("bronze.m", merge), ("bronze.i", incremental)):
        with pytest.raises(TerminalError, match=r"primary key id is NULL in 1 row.*--filter 'id IS NOT NULL'"):
            ingest(target=target, **opts)
        assert not delta.is_delta_table(
            house.table_for_write(target, writer="a test").location
        )  # nothing was committed
        for _ in range(2):
            ingest(target=target, filter="id IS NOT NULL", **opts)
        assert _ids(house, target) == [1]
    sql(pg_url, "INSERT INTO public.n VALUES (NULL, 'c', 3)")  # into a table that exists: delta-rs reads the rows
    version = delta.open_table(house.table("bronze.m").location).version()
    with pytest.raises(TerminalError, match=r"primary key id is NULL in 2 row"):
        ingest(target="bronze.m", **merge)
    assert delta.open_table(house.table("bronze.m").location).version() == version


def test_merge_with_repeated_keys_fails_the_first_run_or_keeps_the_latest_by_sequence(
    pg_url: str, house: Lakehouse, ingest: Callable[..., IngestSummary]
) -> None:
    sql(pg_url, "CREATE TABLE public.d (id int, v text, seq int)")
    sql(pg_url, "INSERT INTO public.d VALUES (1, 'old', 1), (1, 'new', 2), (2, 'only', 1), (7, 'x', 1), (7, 'y', 3)")
    opts = {"table": "public.d", "mode": "merge", "primary_key": "id"}
    with pytest.raises(TerminalError, match=r"not unique .* 2 key\(s\) .*\(id=1: 2 rows\).*--sequence-by"):
        ingest(target="bronze.d", **opts)
    assert not delta.is_delta_table(house.table_for_write("bronze.d", writer="a test").location)
    for _ in range(2):  # the same result on every run, no delta-rs "multiple source rows" error
        ingest(target="bronze.d", sequence_by="seq", **opts)
        rows = sorted(delta_table(house, "bronze.d").select(["id", "v"]).to_pylist(), key=lambda r: r["id"])
        assert rows == [{"id": 1, "v": "new"}, {"id": 2, "v": "only"}, {"id": 7, "v": "y"}]
    sql(pg_url, "INSERT INTO public.d VALUES (3, 'a', 5), (3, 'b', 5)")
    with pytest.raises(TerminalError, match=r"1 key\(s\) have two rows at the same seq.*\(id=3: 2 rows\)"):
        ingest(target="bronze.d", sequence_by="seq", **opts)
    version = delta.open_table(house.table("bronze.d").location).version()
    with pytest.raises(TerminalError, match=r"not unique .* 3 key\(s\)"):  # into the existing table: no commit
        ingest(target="bronze.d", **opts)
    assert delta.open_table(house.table("bronze.d").location).version() == version


def test_delete_when_holds_on_the_first_run_and_never_inserts_a_deleted_row(
    pg_url: str, house: Lakehouse, ingest: Callable[..., IngestSummary]
) -> None:
    sql(pg_url, "CREATE TABLE public.sd (id int PRIMARY KEY, deleted bool, v text)")
    sql(pg_url, "INSERT INTO public.sd VALUES (1, false, 'a'), (2, true, 'gone'), (3, NULL, 'unknown')")
    opts = {"table": "public.sd", "mode": "merge", "primary_key": "id", "delete_when": "s.deleted"}
    ingest(target="bronze.sd", **opts)
    assert _ids(house, "bronze.sd") == [1, 3]  # a NULL predicate neither deletes nor hides
    sql(pg_url, "UPDATE public.sd SET deleted = true WHERE id = 1")
    sql(pg_url, "INSERT INTO public.sd VALUES (4, true, 'born deleted'), (5, false, 'e')")
    ingest(target="bronze.sd", **opts)
    assert _ids(house, "bronze.sd") == [3, 5]


def test_truncated_source_table_stops_the_stream_with_how_to_reload(
    pg_url: str, house: Lakehouse, ingest: Callable[..., IngestSummary]
) -> None:
    sql(pg_url, TABLE)
    opts = {"table": "public.t", "mode": "incremental", "cursor": "seq"}
    assert ingest(target="bronze.tr", **opts).rows == 50
    sql(pg_url, "TRUNCATE public.t; INSERT INTO public.t (id, seq) SELECT i + 100, i FROM generate_series(1, 10) i")
    with pytest.raises(
        TerminalError, match=r"was truncated and refilled since batch 0 .* tables drop main\.bronze\.tr"
    ):
        ingest(target="bronze.tr", **opts)
    house.drop_table("bronze.tr")  # as the message says: the stream then reloads
    assert ingest(target="bronze.tr", **opts).rows == 10
    assert _ids(house, "bronze.tr") == list(range(101, 111))


def test_recreated_source_table_is_reloaded_by_key(
    pg_url: str, house: Lakehouse, ingest: Callable[..., IngestSummary], caplog: pytest.LogCaptureFixture
) -> None:
    sql(pg_url, TABLE)
    opts = {"table": "public.t", "mode": "incremental", "cursor": "seq", "primary_key": "id"}
    ingest(target="bronze.rc", **opts)
    sql(pg_url, "DROP TABLE public.t")
    sql(pg_url, TABLE.replace("generate_series(1, 50)", "generate_series(1, 5)"))  # ids 1-5 again, seq 1-5
    sql(pg_url, "INSERT INTO public.t (id, seq) SELECT i + 100, i FROM generate_series(1, 5) i")  # below the mark
    with caplog.at_level(logging.WARNING):
        assert ingest(target="bronze.rc", **opts).rows == 5  # ids 101-105; ids 1-5 were already in the target
    assert "dropped and created again since batch 0" in caplog.text
    assert _ids(house, "bronze.rc") == [*range(1, 51), *range(101, 106)]


@pytest.mark.parametrize("rewrite", ["VACUUM FULL public.t", "CLUSTER public.t USING t_pkey", "ALTER TABLE public.t "
                                     "ALTER COLUMN name TYPE varchar(40)"])  # fmt: skip
def test_a_rewritten_source_table_is_not_taken_for_a_truncated_one(
    pg_url: str, house: Lakehouse, ingest: Callable[..., IngestSummary], caplog: pytest.LogCaptureFixture, rewrite: str
) -> None:
    sql(pg_url, TABLE)
    opts = {"table": "public.t", "mode": "incremental", "cursor": "seq"}  # no key: a reload would be an error
    ingest(target="bronze.rw", **opts)
    before = sql(pg_url, "SELECT pg_relation_filenode('public.t')")
    sql(pg_url, rewrite)
    assert sql(pg_url, "SELECT pg_relation_filenode('public.t')") != before  # the table's storage is new
    sql(pg_url, "INSERT INTO public.t (id, seq) VALUES (51, 51)")
    with caplog.at_level(logging.INFO):
        assert ingest(target="bronze.rw", **opts).rows == 1
    assert "rewritten" in caplog.text
    assert _ids(house, "bronze.rw") == list(range(1, 52))


def test_an_infinite_cursor_value_never_becomes_the_high_water_mark(
    pg_url: str, house: Lakehouse, ingest: Callable[..., IngestSummary], caplog: pytest.LogCaptureFixture
) -> None:
    sql(pg_url, "CREATE TABLE public.inf (id int PRIMARY KEY, ts timestamptz, d date, f float8)")
    sql(
        pg_url,
        "INSERT INTO public.inf VALUES (1, '2024-01-01', '2024-01-01', 1), (2, '-infinity', '-infinity', "
        "'-Infinity'), (3, 'infinity', 'infinity', 'NaN'), (4, '2024-01-02', '2024-01-02', 2)",
    )
    cursors = ("ts", "d", "f")  # a float's NaN sorts above +Infinity: it never becomes the mark either
    for cursor in cursors:
        opts = {"table": "public.inf", "mode": "incremental", "cursor": cursor, "primary_key": "id"}
        caplog.clear()
        with caplog.at_level(logging.WARNING):
            assert ingest(target=f"bronze.{cursor}", **opts).rows == 3  # -infinity is below: read once
        assert f"1 row(s) have cursor {cursor} at +infinity" in caplog.text
    sql(pg_url, "INSERT INTO public.inf VALUES (5, '2024-01-03', '2024-01-03', 3)")
    for cursor in cursors:
        opts = {"table": "public.inf", "mode": "incremental", "cursor": cursor, "primary_key": "id"}
        assert ingest(target=f"bronze.{cursor}", **opts).rows == 1  # the stream goes on
        assert _ids(house, f"bronze.{cursor}") == [1, 2, 4, 5]


@pytest.mark.parametrize("mode", ["full", "merge"])
def test_a_server_that_is_down_fails_the_run_instead_of_reporting_nothing(
    house: Lakehouse, ingest: Callable[..., IngestSummary], mode: str
) -> None:
    down = f"postgresql://postgres@127.0.0.1:{free_port()}/postgres"
    with pytest.raises(RetryableError, match="connection lost"):
        ingest(target="bronze.down", table="public.t", source_url=down, mode=mode, primary_key="id", retries=1)


def test_a_snapshot_whose_planning_failed_is_planned_again(pg_url: str, proxy: Proxy, tmp_path: Path) -> None:
    sql(pg_url, "CREATE TABLE public.s AS SELECT 1 AS id")
    opts: PostgresSourceOptions = build_options(None, {"source_url": proxy.url(pg_url), "table": "public.s"})
    source = PostgresSource(opts)
    checkpoint = Checkpoint(tmp_path / "cp", target="c.s.t", source="postgresql:db/public.s")
    source.columns()  # the run's control session is open
    proxy.stop()  # the server goes away after the run started
    with pytest.raises(Exception, match=r"connection|server"):
        source.plan_next(checkpoint)
    proxy.start()
    try:
        assert source.plan_next(checkpoint) == {"kind": "snapshot"}  # not taken for done: the retry reads it
    finally:
        source.close()
