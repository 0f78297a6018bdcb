"""full (append/overwrite), incremental (cursor, lookback, shared cursor values) and merge, on the real server."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import psycopg
import pyarrow.compute as pc
import pytest

from lakeloader.embedded.server import EmbeddedPostgres
from lakeloader.errors import ConfigError
from lakeloader.lakehouse.root import Lakehouse
from lakeloader.sources.postgres import IngestSummary

from .conftest import delta_table, sql

TABLE = """
CREATE TABLE public.t (id int PRIMARY KEY, name text, seq int NOT NULL DEFAULT 0, deleted bool DEFAULT false,
                       updated_at timestamptz NOT NULL DEFAULT clock_timestamp());
INSERT INTO public.t (id, name, seq) SELECT i, 'n' || i, i FROM generate_series(1, 50) i;
"""


def _ids(house: Lakehouse, name: str = "bronze.t") -> list[int]:
    return sorted(delta_table(house, name).column("id").to_pylist())


def test_full_appends_each_run_or_overwrites(
    pg_url: str, house: Lakehouse, ingest: Callable[..., IngestSummary]
) -> None:
    sql(pg_url, TABLE)
    first = ingest(table="public.t")
    second = ingest(table="public.t")
    assert (first.rows, second.rows, second.version) == (50, 50, 2)  # version 0 is CREATE TABLE
    assert len(_ids(house)) == 100  # the seed's behaviour: every run appends a snapshot
    sql(pg_url, "DELETE FROM public.t WHERE id > 10")
    ingest(target="bronze.o", table="public.t", write_mode="overwrite")
    ingest(target="bronze.o", table="public.t", write_mode="overwrite")
    assert _ids(house, "bronze.o") == list(range(1, 11))


def test_query_columns_filter_and_audit_names(
    pg_url: str, house: Lakehouse, ingest: Callable[..., IngestSummary]
) -> None:
    sql(pg_url, TABLE)
    ingest(
        target="bronze.q",
        query="SELECT id, name, seq FROM public.t WHERE id <= 20",
        columns=["id", "seq"],
        filter="seq % 2 = 0",
        audit={"ingested_at": "_loaded_at", "source": None, "batch_id": "_batch"},
    )
    got = delta_table(house, "bronze.q")
    assert got.column_names == ["id", "seq", "_loaded_at", "_batch"]
    assert sorted(got.column("id").to_pylist()) == list(range(2, 21, 2))


def test_incremental_appends_new_versions_once(
    pg_url: str, house: Lakehouse, ingest: Callable[..., IngestSummary]
) -> None:
    sql(pg_url, TABLE)
    opts = {"table": "public.t", "mode": "incremental", "cursor": "updated_at", "primary_key": ["id"]}
    assert ingest(**opts, lookback="10m").rows == 50
    sql(pg_url, "UPDATE public.t SET name = 'changed', updated_at = clock_timestamp() WHERE id IN (1, 2, 3)")
    sql(pg_url, "INSERT INTO public.t (id, name) VALUES (51, 'new'), (52, 'new')")
    second = ingest(**opts, lookback="10m")
    assert second.rows == 5  # the lookback re-read all 55 versions; the 50 already in the table were dropped
    assert ingest(**opts, lookback="10m").batches == 0
    got = delta_table(house, "bronze.t")
    pairs = {(r["id"], r["updated_at"]) for r in got.select(["id", "updated_at"]).to_pylist()}
    assert len(pairs) == got.num_rows == 55
    assert pc.sum(pc.equal(got.column("name"), "changed")).as_py() == 3


def test_late_committing_transaction_is_caught_by_the_lookback(
    pg_url: str, house: Lakehouse, ingest: Callable[..., IngestSummary]
) -> None:
    sql(pg_url, TABLE)
    for target, lookback in (("bronze.with_lookback", "10m"), ("bronze.without", None)):
        sql(pg_url, "DELETE FROM public.t WHERE id > 50")
        opts = {"table": "public.t", "mode": "incremental", "cursor": "updated_at", "primary_key": ["id"]}
        ingest(target=target, lookback=lookback, **opts)
        with psycopg.connect(pg_url) as late:  # stamps its row now, commits after a later row was ingested
            late.execute("INSERT INTO public.t (id, name, updated_at) VALUES (100, 'late', now() - interval '1 min')")
            sql(pg_url, "INSERT INTO public.t (id, name) VALUES (101, 'early')")
            ingest(target=target, lookback=lookback, **opts)
            late.commit()
        sql(pg_url, "INSERT INTO public.t (id, name) VALUES (102, 'next')")
        ingest(target=target, lookback=lookback, **opts)
    assert _ids(house, "bronze.with_lookback") == [*range(1, 51), 100, 101, 102]
    assert 100 not in _ids(house, "bronze.without")  # why the lookback exists


def test_rows_sharing_a_cursor_value_across_batches_are_not_lost(
    pg_url: str, house: Lakehouse, ingest: Callable[..., IngestSummary]
) -> None:
    sql(pg_url, "CREATE TABLE public.s (id int PRIMARY KEY, seq int)")
    sql(pg_url, "INSERT INTO public.s SELECT i, v FROM unnest(ARRAY[1,1,1,1,2,2,3,3,3,3]) WITH ORDINALITY AS x(v, i)")
    opts = {"table": "public.s", "mode": "incremental", "cursor": "seq", "primary_key": ["id"], "max_rows_per_batch": 3}
    first = ingest(target="bronze.s", **opts)
    assert first.rows == 10 and first.batches == 2  # [1,1,1,1] then [2,2,3,3,3,3]: a value is never split
    sql(pg_url, "INSERT INTO public.s VALUES (11, 3), (12, 3), (13, 4)")  # more rows at the high-water mark
    ingest(target="bronze.s", **opts)
    assert _ids(house, "bronze.s") == list(range(1, 14))


def test_merge_upserts_and_deletes(pg_url: str, house: Lakehouse, ingest: Callable[..., IngestSummary]) -> None:
    sql(pg_url, TABLE)
    opts = {
        "table": "public.t",
        "mode": "merge",
        "cursor": "updated_at",
        "primary_key": ["id"],
        "lookback": "1m",
        "delete_when": "s.deleted",
    }
    ingest(target="bronze.m", **opts)
    sql(pg_url, "UPDATE public.t SET name = 'changed', updated_at = clock_timestamp() WHERE id <= 5")
    sql(pg_url, "UPDATE public.t SET deleted = true, updated_at = clock_timestamp() WHERE id = 50")
    sql(pg_url, "INSERT INTO public.t (id, name) VALUES (60, 'new')")
    result = ingest(target="bronze.m", **opts)
    assert result.batches == 1
    got = delta_table(house, "bronze.m").sort_by("id")
    assert got.column("id").to_pylist() == [*range(1, 50), 60]
    assert got.column("name").to_pylist()[:6] == ["changed"] * 5 + ["n6"]
    # a snapshot merge (no cursor) mirrors the table by key
    ingest(target="bronze.m2", table="public.t", mode="merge", primary_key="id")
    ingest(target="bronze.m2", table="public.t", mode="merge", primary_key="id")
    assert _ids(house, "bronze.m2") == [*range(1, 51), 60]


def test_bad_options_are_one_line_errors(pg_url: str, ingest: Callable[..., IngestSummary]) -> None:
    with pytest.raises(ConfigError, match="needs a cursor"):
        ingest(table="public.t", mode="incremental")
    with pytest.raises(ConfigError, match="needs --primary-key"):
        ingest(table="public.t", mode="incremental", cursor="x", lookback="10m")
    with pytest.raises(ConfigError, match=r"partition_colum: Extra inputs.*valid options"):
        ingest(table="public.t", partition_colum="id")


def test_no_password_in_source_checkpoint_or_commit_metadata(
    pg_url: str, pg_server: EmbeddedPostgres, house: Lakehouse, ingest: Callable[..., IngestSummary], tmp_path: Path
) -> None:
    sql(pg_url, TABLE)
    ingest(table="public.t", mode="incremental", cursor="updated_at", primary_key="id", checkpoint=tmp_path / "cp1")
    assert pg_server.password
    got = delta_table(house, "bronze.t")
    assert pg_server.password not in got.column("_source")[0].as_py()
    for path in [*(tmp_path / "cp1").rglob("*"), *house.table("bronze.t").location.rglob("*.json")]:
        if path.is_file():
            assert pg_server.password not in path.read_text(), path


def test_password_from_a_secret_scope(
    pg_url: str, pg_server: EmbeddedPostgres, house: Lakehouse, ingest: Callable[..., IngestSummary]
) -> None:
    from lakeloader.secrets import SecretStore

    assert pg_server.password
    store = SecretStore(house.root)
    store.create_scope("kardia", if_not_exists=True)
    store.put_secret("kardia", "pg_pw", pg_server.password)
    sql(pg_url, TABLE)
    url = pg_url.replace(f":{pg_server.password}@", ":{{secrets/kardia/pg_pw}}@")
    assert ingest(table="public.t", source_url=url).rows == 50
    no_pw = pg_url.replace(f":{pg_server.password}@", "@")
    assert (
        ingest(target="bronze.t2", table="public.t", source_url=no_pw, password="{{secrets/kardia/pg_pw}}").rows == 50
    )


def test_session_settings_reach_the_reading_session(
    pg_url: str, house: Lakehouse, ingest: Callable[..., IngestSummary]
) -> None:
    ingest(
        target="bronze.settings",
        query="SELECT current_setting('work_mem') AS work_mem, current_setting('statement_timeout') AS timeout, "
        "current_setting('application_name') AS app, current_setting('transaction_isolation') AS iso",
        init_statement="SET work_mem = '8MB'",
        statement_timeout="90s",
        application_name="bronze-loader",
        pooler_mode=True,
    )
    row = delta_table(house, "bronze.settings").to_pylist()[0]
    assert (row["work_mem"], row["timeout"], row["app"], row["iso"]) == (
        "8MB",
        "90s",
        "bronze-loader",
        "repeatable read",
    )
