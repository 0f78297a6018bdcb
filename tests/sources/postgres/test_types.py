"""Every supported Postgres type lands in Delta with the value psql prints (numeric exact, timestamptz in UTC)."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import date, datetime
from decimal import Context, Decimal
from typing import Any

import psycopg
import pyarrow as pa
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from lakeloader.errors import SchemaMismatchError
from lakeloader.lakehouse.root import Lakehouse
from lakeloader.sources.postgres import IngestSummary

from .conftest import delta_table, psql, sql

SETUP = """
CREATE EXTENSION IF NOT EXISTS citext;
CREATE TYPE mood AS ENUM ('sad', 'ok', 'happy');
CREATE DOMAIN posint AS integer CHECK (VALUE > 0);
CREATE DOMAIN money2 AS numeric(8,3);
CREATE TABLE public.t (
  id int PRIMARY KEY, n numeric(10,2), nneg numeric(12,4), nbig numeric(38,6), nu numeric,
  tz timestamptz, ts timestamp, d date, t time, ttz timetz, iv interval,
  u uuid, j json, jb jsonb, b bytea,
  ai int[], at text[], an numeric(6,2)[], ad date[],
  e mood, dm posint, dn money2, ci citext, vc varchar(5), ch char(3), tx text,
  bo boolean, f4 real, f8 double precision, i2 smallint, i8 bigint, ip inet
);
INSERT INTO public.t VALUES
 (1, 12.3, -0.0001, 12345678901234567890123456789012.123456, 1.5,
  '2024-01-01 10:00:00.5+02', '2024-01-01 10:00:00.25', '2024-02-29', '10:11:12.5', '10:00+02',
  '1 year 2 mons 3 days 04:05:06.5',
  'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11', '{"a": [1, 2]}', '{"b": 2, "a": 1}', '\\x00ff10',
  '{1,2,NULL}', '{x,y,NULL}', '{1.50,NULL,-2}', '{2024-01-01,NULL}',
  'happy', 5, 12.345, 'MiXeD', 'hi', 'ab', 'ünï ☃ text',
  true, 1.5, 2.25, -3, 9223372036854775807, '192.168.0.1/24'),
 (2, NULL, NULL, NULL, -123456789.000000001,
  '1999-12-31 23:59:59.999999+00', '0001-01-01 00:00:00', '1970-01-01', '00:00', NULL, '-1 days',
  NULL, 'null', '[]', '\\x',
  '{}', '{}', '{}', NULL,
  'sad', NULL, -0.001, NULL, '', 'x', '',
  false, -0.0, -1e300, 0, -9223372036854775808, '::1'),
 (3, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL,
  NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL);
"""


def _pg_array(value: list[Any]) -> str:
    return "{" + ",".join("NULL" if v is None else _as_text(v) for v in value) + "}"


def _as_text(value: Any) -> str:
    if isinstance(value, bool):
        return "t" if value else "f"
    if isinstance(value, bytes):
        return "\\x" + value.hex()
    if isinstance(value, list):
        return _pg_array(value)
    return str(value)


def _same(pg: str | None, value: Any) -> bool:
    """Does the Delta value equal what psql printed?"""
    if pg is None or value is None:
        return pg is None and value is None
    if isinstance(value, Decimal):
        return Decimal(pg) == value
    if isinstance(value, datetime):
        return datetime.fromisoformat(pg) == value
    if isinstance(value, date):
        return date.fromisoformat(pg) == value
    if isinstance(value, float):
        return float(pa.scalar(float(pg), pa.float32()).as_py() if abs(value) < 1e30 else float(pg)) == value
    return _as_text(value) == pg


def test_every_type_round_trips_as_psql_prints_it(
    pg_url: str, house: Lakehouse, ingest: Callable[..., IngestSummary]
) -> None:
    sql(pg_url, SETUP)
    summary = ingest(table="public.t")
    assert summary.rows == 3
    got = delta_table(house, "bronze.t").sort_by("id")
    columns = [c for c in got.column_names if not c.startswith("_")]
    expected = psql(pg_url, f"SELECT {', '.join(columns)} FROM public.t ORDER BY id")
    rows = got.select(columns).to_pylist()
    for pg_row, row in zip(expected, rows, strict=True):
        for column, pg_value in zip(columns, pg_row, strict=True):
            assert _same(pg_value, row[column]), f"{column}: psql {pg_value!r}, delta {row[column]!r}"
    types = {f.name: f.type for f in got.schema}
    assert types["n"] == pa.decimal128(10, 2)
    assert types["nbig"] == pa.decimal128(38, 6)
    assert types["nu"] == pa.decimal128(38, 18)  # unconstrained numeric: Spark's decimal(38,18)
    assert types["dn"] == pa.decimal128(8, 3)  # a domain maps as its base type
    assert types["tz"] == pa.timestamp("us", tz="UTC")
    assert types["ts"] == pa.timestamp("us")
    assert types["an"] == pa.list_(pa.field("element", pa.decimal128(6, 2))) or pa.types.is_list(types["an"])
    assert types["_batch_id"] == pa.int64()
    source = got.column("_source")[0].as_py()
    assert source.endswith("/public.t") and "@" not in source


def test_unsupported_type_names_the_column_and_the_cast(
    pg_url: str, house: Lakehouse, ingest: Callable[..., IngestSummary]
) -> None:
    sql(pg_url, "CREATE TABLE public.g (id int, p point, m money); INSERT INTO public.g VALUES (1, '(1,2)', 3.5)")
    with pytest.raises(SchemaMismatchError, match=r"column p has type point.*--cast p=text"):
        ingest(target="bronze.g", table="public.g")
    summary = ingest(target="bronze.g", table="public.g", casts={"p": "text", "m": "numeric(12,2)"})
    assert summary.rows == 1
    row = delta_table(house, "bronze.g").to_pylist()[0]
    assert row["p"] == "(1,2)" and row["m"] == Decimal("3.50")


def test_infinity_becomes_the_first_or_last_instant(
    pg_url: str, house: Lakehouse, ingest: Callable[..., IngestSummary]
) -> None:
    sql(
        pg_url,
        "CREATE TABLE public.inf (id int, tz timestamptz, ts timestamp, d date); INSERT INTO public.inf VALUES "
        "(1, 'infinity', 'infinity', 'infinity'), (2, '-infinity', '-infinity', '-infinity'), "
        "(3, '2024-05-01 12:00+00', '2024-05-01 12:00', '2024-05-01')",
    )
    ingest(target="bronze.inf", table="public.inf")
    rows = delta_table(house, "bronze.inf").sort_by("id").to_pylist()
    assert rows[0]["ts"] == datetime(9999, 12, 31, 23, 59, 59, 999999) and rows[0]["d"] == date(9999, 12, 31)
    assert rows[1]["ts"] == datetime(1, 1, 1) and rows[1]["d"] == date(1, 1, 1)
    assert rows[1]["tz"].replace(tzinfo=None) == datetime(1, 1, 1)
    assert rows[2]["ts"] == datetime(2024, 5, 1, 12) and rows[2]["d"] == date(2024, 5, 1)


def test_multidimensional_array_is_refused_not_flattened(
    pg_url: str, house: Lakehouse, ingest: Callable[..., IngestSummary]
) -> None:
    sql(
        pg_url,
        "CREATE TABLE public.md (id int, a int[]); INSERT INTO public.md VALUES (1, '{1,2}'), (2, '{{1,2},{3,4}}')",
    )
    with pytest.raises(SchemaMismatchError, match=r"column a .*multidimensional.*--cast a=text"):
        ingest(target="bronze.md", table="public.md")
    ingest(target="bronze.md", table="public.md", casts={"a": "text"})
    assert sorted(delta_table(house, "bronze.md").column("a").to_pylist()) == ["{1,2}", "{{1,2},{3,4}}"]


def test_unconstrained_numeric_that_does_not_fit_fails_with_the_fix(
    pg_url: str, ingest: Callable[..., IngestSummary]
) -> None:
    sql(pg_url, "CREATE TABLE public.w (x numeric); INSERT INTO public.w VALUES (1.1234567890123456789012)")
    with pytest.raises(SchemaMismatchError, match=r"column x .*--cast x=text"):
        ingest(target="bronze.w", table="public.w")


@st.composite
def _numeric_column(draw: st.DrawFn) -> tuple[int, int, list[Decimal | None]]:
    precision = draw(st.integers(1, 38))
    scale = draw(st.integers(0, precision))
    digits = st.integers(-(10**precision) + 1, 10**precision - 1)
    values = draw(
        st.lists(st.one_of(st.none(), digits.map(lambda i: Decimal(i).scaleb(-scale, Context(prec=80)))), max_size=20)
    )
    return precision, scale, values


@pytest.mark.slow
@settings(max_examples=25, deadline=None, suppress_health_check=list(HealthCheck))
@given(
    column=_numeric_column(),
    stamps=st.lists(st.datetimes(min_value=datetime(1, 1, 2), max_value=datetime(9999, 12, 30)), max_size=10),
)
def test_numeric_and_timestamps_are_exact(
    pg_url: str,
    house: Lakehouse,
    ingest: Callable[..., IngestSummary],
    column: tuple[int, int, list[Decimal | None]],
    stamps: list[datetime],
) -> None:
    precision, scale, values = column
    name = "h" + uuid.uuid4().hex[:8]
    sql(pg_url, f"CREATE TABLE public.{name} (i serial, x numeric({precision},{scale}), ts timestamp, tz timestamptz)")
    rows = max(len(values), len(stamps))
    data = [(values[i] if i < len(values) else None, stamps[i] if i < len(stamps) else None) for i in range(rows)]
    with psycopg.connect(pg_url, autocommit=True) as con, con.cursor() as cur:
        cur.executemany(
            f"INSERT INTO public.{name} (x, ts, tz) VALUES (%s, %s, %s::timestamp AT TIME ZONE 'UTC')",
            [(x, ts, ts) for x, ts in data],
        )
    ingest(target=f"bronze.{name}", table=f"public.{name}")
    if rows == 0:
        return
    got = delta_table(house, f"bronze.{name}").sort_by("i").to_pylist()
    assert [r["x"] for r in got] == [values[i] if i < len(values) else None for i in range(rows)]
    from datetime import UTC

    want = [stamps[i] if i < len(stamps) else None for i in range(rows)]
    assert [r["ts"] for r in got] == want
    assert [r["tz"] for r in got] == [None if w is None else w.replace(tzinfo=UTC) for w in want]


def test_arrays_of_instants_clamp_infinity_and_network_arrays_keep_nulls_and_empties(
    pg_url: str, house: Lakehouse, ingest: Callable[..., IngestSummary]
) -> None:
    sql(
        pg_url,
        "CREATE TABLE public.arr (id int, tz timestamptz[], ts timestamp[], d date[], ip inet[], net cidr[]);"
        "INSERT INTO public.arr VALUES (1, '{infinity,-infinity,2024-05-01 12:00+00,NULL}', "
        "'{infinity,-infinity,NULL}', '{infinity,-infinity,2024-05-01}', '{192.168.0.1,NULL,::1}', "
        "'{10.0.0.0/8,NULL}'), (2, '{}', '{}', '{}', '{}', '{}'), (3, NULL, NULL, NULL, NULL, NULL)",
    )
    ingest(target="bronze.arr", table="public.arr")
    rows = delta_table(house, "bronze.arr").sort_by("id").to_pylist()
    last, first = datetime(9999, 12, 31, 23, 59, 59, 999999), datetime(1, 1, 1)
    from datetime import UTC

    assert rows[0]["tz"] == [
        last.replace(tzinfo=UTC),
        first.replace(tzinfo=UTC),
        datetime(2024, 5, 1, 12, tzinfo=UTC),
        None,
    ]
    assert rows[0]["ts"] == [last, first, None]
    assert rows[0]["d"] == [date(9999, 12, 31), date(1, 1, 1), date(2024, 5, 1)]
    assert rows[0]["ip"] == ["192.168.0.1", None, "::1"] and rows[0]["net"] == ["10.0.0.0/8", None]
    assert [rows[1][c] for c in ("tz", "ts", "d", "ip", "net")] == [[], [], [], [], []]
    assert [rows[2][c] for c in ("tz", "ts", "d", "ip", "net")] == [None] * 5
    got = psql(pg_url, "SELECT ip, net FROM public.arr WHERE id = 1")[0]
    assert got == ["{192.168.0.1,NULL,::1}", "{10.0.0.0/8,NULL}"]  # what psql prints, element for element


def test_arrays_of_domains_map_as_arrays_of_their_base_types(
    pg_url: str, house: Lakehouse, ingest: Callable[..., IngestSummary]
) -> None:
    sql(
        pg_url,
        "CREATE DOMAIN posint AS integer CHECK (VALUE > 0); CREATE DOMAIN posint2 AS posint;"
        "CREATE DOMAIN price AS numeric(8,3); CREATE DOMAIN label AS text;"
        "CREATE TABLE public.dom (id int, a posint[], b posint2[], p price[], l label[]);"
        "INSERT INTO public.dom VALUES (1, '{1,2,NULL}', '{3}', '{1.5,NULL}', '{x,NULL}'), (2, NULL, '{}', NULL, '{}')",
    )
    ingest(target="bronze.dom", table="public.dom")
    got = delta_table(house, "bronze.dom").sort_by("id")
    assert got.schema.field("a").type.value_type == pa.int32()
    assert got.schema.field("p").type.value_type == pa.decimal128(8, 3)
    rows = got.to_pylist()
    assert (rows[0]["a"], rows[0]["b"], rows[0]["l"]) == ([1, 2, None], [3], ["x", None])
    assert rows[0]["p"] == [Decimal("1.500"), None] and (rows[1]["a"], rows[1]["b"]) == (None, [])
