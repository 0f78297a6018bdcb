"""Errors a user can act on, and inputs as psql takes them: table names (case, quotes, dots), queries with a
trailing ';' or comment, a SQL_ASCII database, audit columns that collide, date and timestamp partitions."""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from lakeloader.embedded.server import EmbeddedPostgres
from lakeloader.errors import ConfigError, TerminalError
from lakeloader.lakehouse.root import Lakehouse
from lakeloader.sources.postgres import IngestSummary

from .conftest import delta_table, sql


def _ids(house: Lakehouse, name: str) -> list[int]:
    return sorted(delta_table(house, name).column("id").to_pylist())


def test_table_names_are_resolved_as_psql_resolves_them(
    pg_url: str, house: Lakehouse, ingest: Callable[..., IngestSummary]
) -> None:
    sql(
        pg_url,
        'CREATE SCHEMA "MixedCase"; CREATE TABLE "MixedCase"."Table" AS SELECT 1 AS id;'
        'CREATE TABLE public.t1 AS SELECT 2 AS id; CREATE TABLE public."a.b" AS SELECT 3 AS id;'
        'CREATE TABLE public."T2" AS SELECT 4 AS id',
    )
    assert ingest(target="bronze.m", table='"MixedCase"."Table"').rows == 1
    assert ingest(target="bronze.f", table="public.T1").rows == 1  # unquoted: folded to lower case
    assert ingest(target="bronze.d", table='public."a.b"').rows == 1  # a name with a dot, quoted
    assert ingest(target="bronze.u", table="t1").rows == 1  # unqualified: the search_path
    assert [_ids(house, n) for n in ("bronze.m", "bronze.f", "bronze.d", "bronze.u")] == [[1], [2], [3], [2]]
    assert delta_table(house, "bronze.m").column("_source")[0].as_py().endswith('/"MixedCase"."Table"')
    with pytest.raises(ConfigError, match=r'table public.T2 does not exist .* did you mean public\."T2"\?'):
        ingest(target="bronze.x", table="public.T2")
    with pytest.raises(ConfigError, match=r"is not a valid name .* quote a name"):
        ingest(target="bronze.x", table='public."unterminated')


@pytest.mark.parametrize(
    "query",
    [
        "SELECT id FROM public.q;",
        "SELECT id FROM public.q -- the ids",
        "SELECT id FROM public.q; -- the ids\n",
        "SELECT id FROM public.q /* ; */ ;;",
    ],
)
def test_a_query_may_end_with_a_semicolon_or_a_comment(
    pg_url: str, house: Lakehouse, ingest: Callable[..., IngestSummary], query: str
) -> None:
    sql(pg_url, "CREATE TABLE public.q AS SELECT generate_series(1, 3) AS id")
    assert ingest(target="bronze.q", query=query).rows == 3


def test_a_second_statement_in_a_query_is_refused(ingest: Callable[..., IngestSummary]) -> None:
    with pytest.raises(ConfigError, match="more than one statement"):
        ingest(target="bronze.q", query="SELECT 1 AS id; DROP TABLE public.q")


@pytest.fixture
def ascii_url(pg_server: EmbeddedPostgres) -> Iterator[str]:
    name = "a_" + uuid.uuid4().hex[:12]
    admin = pg_server.url(reveal=True)
    sql(admin, f"CREATE DATABASE {name} ENCODING 'SQL_ASCII' LC_COLLATE 'C' LC_CTYPE 'C' TEMPLATE template0")
    try:
        yield pg_server.url(name, reveal=True)
    finally:
        sql(admin, f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


def test_a_sql_ascii_database_is_read(ascii_url: str, house: Lakehouse, ingest: Callable[..., IngestSummary]) -> None:
    sql(ascii_url, "CREATE TABLE public.a (id int, s text); INSERT INTO public.a VALUES (1, 'plain'), (2, NULL)")
    assert ingest(target="bronze.a", table="public.a", source_url=ascii_url).rows == 2
    assert delta_table(house, "bronze.a").sort_by("id").column("s").to_pylist() == ["plain", None]
    sql(ascii_url, "INSERT INTO public.a VALUES (3, E'caf\\xe9')")  # a Latin-1 byte: not UTF-8
    with pytest.raises(TerminalError, match=r"not valid UTF-8 .* --cast COLUMN=bytea"):
        ingest(target="bronze.b", table="public.a", source_url=ascii_url)
    ingest(target="bronze.b", table="public.a", source_url=ascii_url, casts={"s": "bytea"})
    assert b"caf\xe9" in delta_table(house, "bronze.b").column("s").to_pylist()


def test_an_audit_column_name_taken_by_the_source_is_an_error_with_the_rename(
    pg_url: str, house: Lakehouse, ingest: Callable[..., IngestSummary]
) -> None:
    sql(pg_url, "CREATE TABLE public.au (id int, _source text); INSERT INTO public.au VALUES (1, 'crm')")
    with pytest.raises(ConfigError, match=r"column _source of the source has the name of the source audit column.*"
                       r"--audit-column source="):  # fmt: skip
        ingest(target="bronze.au", table="public.au")
    ingest(target="bronze.au", table="public.au", audit={"source": "_pg_source", "batch_id": None})
    got = delta_table(house, "bronze.au")
    assert got.column_names == ["id", "_source", "_ingested_at", "_pg_source"]
    assert got.column("_source").to_pylist() == ["crm"]
    with pytest.raises(ConfigError, match="repeat a name"):
        ingest(target="bronze.au2", table="public.au", audit={"source": "_x", "batch_id": "_x"})
    sql(pg_url, 'CREATE TABLE public.au3 (id int, "_Batch_ID" int, "A" int, a int)')
    with pytest.raises(ConfigError, match="_Batch_ID of the source has the name of the batch_id audit column"):
        ingest(target="bronze.au3", table="public.au3", columns=["id", "_Batch_ID"])
    with pytest.raises(ConfigError, match="columns A and a differ only by case"):
        ingest(target="bronze.au3", table="public.au3", columns=["id", "A", "a"])


@pytest.mark.parametrize("column", ["tz", "ts", "d"])
def test_date_and_timestamp_partition_columns_split_as_in_spark(
    pg_url: str, house: Lakehouse, ingest: Callable[..., IngestSummary], column: str, tmp_path: Path
) -> None:
    sql(
        pg_url,
        "CREATE TABLE public.pt AS SELECT i AS id, timestamptz '2024-01-01 00:00+00' + i * interval '7 hours' AS tz, "
        "timestamp '2024-01-01' + i * interval '7 hours' AS ts, date '2024-01-01' + i AS d "
        "FROM generate_series(1, 400) i",
    )
    sql(pg_url, "INSERT INTO public.pt VALUES (0, NULL, NULL, NULL), (-1, '-infinity', '-infinity', '-infinity'),"
        "(-2, 'infinity', 'infinity', 'infinity')")  # fmt: skip
    cp = tmp_path / "auto"
    auto = ingest(
        target=f"bronze.{column}", table="public.pt", partition_column=column, num_partitions=4, checkpoint=cp
    )
    split = json.loads((cp / "offsets" / "0.json").read_text())["plan"]["partitions"]
    assert split["kind"] == {"tz": "timestamptz", "ts": "timestamp", "d": "date"}[column] and split["n"] == 4
    bounded = ingest(
        target=f"bronze.{column}b",
        table="public.pt",
        partition_column=column,
        num_partitions=3,
        lower_bound="2024-01-10",
        upper_bound="2024-02-01 12:00:00" if column != "d" else "2024-02-01",
    )
    assert auto.rows == bounded.rows == 403
    want = list(range(-2, 401))
    assert _ids(house, f"bronze.{column}") == _ids(house, f"bronze.{column}b") == want
    with pytest.raises(ConfigError, match=r"lower_bound 'soon' does not fit a .* partition column"):
        ingest(target="bronze.bad", table="public.pt", partition_column=column, num_partitions=2, lower_bound="soon",
               upper_bound="2024-02-01")  # fmt: skip


def test_the_summary_says_when_there_is_no_table_yet(pg_url: str, ingest: Callable[..., IngestSummary]) -> None:
    sql(pg_url, "CREATE TABLE public.e (id int)")
    summary = ingest(target="bronze.e", table="public.e", mode="incremental", cursor="id")
    assert summary.version is None and "no table yet (nothing to load)" in summary.line()
    assert "None" not in summary.line()
