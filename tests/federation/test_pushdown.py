"""Pushdown: what reaches the remote database (the plan and Postgres' own statement log), what stays local, and
results equal to the same query with pushdown off."""

from __future__ import annotations

import math
import re

import pyarrow as pa
import pytest

from lakeloader.lakehouse import delta

from .conftest import Fed

TRIPS = """
CREATE TABLE public.trips (
    id bigint PRIMARY KEY, vehicle text, city text COLLATE "C", fare numeric(10, 2), km double precision,
    started timestamptz, day date, paid boolean, note varchar(40)
);
INSERT INTO public.trips
SELECT i, 'v' || (i % 50), CASE WHEN i % 3 = 0 THEN 'Bern' WHEN i % 3 = 1 THEN 'Zürich' ELSE NULL END,
       (i % 997) * 1.25, i / 7.0, timestamptz '2024-01-01 00:00:00+00' + i * interval '1 minute',
       date '2024-01-01' + (i % 60), i % 2 = 0, CASE WHEN i % 10 = 0 THEN NULL ELSE 'note ' || i END
FROM generate_series(1, 5000) i;
"""


@pytest.fixture
def trips(fed: Fed) -> Fed:
    fed.remote.run(TRIPS)
    fed.catalog()
    return fed


def remote_sql(fed: Fed, sql: str) -> tuple[str, list[str], list[str]]:
    plan = fed.explain(sql)
    assert len(plan.scans) == 1
    scan = plan.scans[0]
    return scan.statement, scan.params, scan.local


def same(fed: Fed, sql: str) -> pa.Table:
    """The query's result, checked equal to the result with pushdown off."""
    pushed, whole = fed.query(sql), fed.query(sql, pushdown=False)
    assert pushed.to_pylist() == whole.to_pylist(), sql
    return pushed


@pytest.mark.parametrize(
    ("where", "remote_where", "params"),
    [
        ("fare > 100", '("fare" > $1::numeric)', ["100"]),
        ("id > 100", '("id" > $1::int8)', ["100"]),
        ("id = '42'", '("id" = $1::int8)', ["42"]),
        ("fare >= 12.5", '("fare" >= $1::numeric)', ["12.5"]),
        ("100 < fare", '("fare" > $1::numeric)', ["100"]),
        ("vehicle = 'v7'", '("vehicle" = $1::text)', ["v7"]),
        ("vehicle IN ('v1', 'v2')", '("vehicle" IN ($1::text, $2::text))', ["v1", "v2"]),
        ("vehicle NOT IN ('v1')", '(NOT ("vehicle" IN ($1::text)))', ["v1"]),
        ("note IS NULL", '("note" IS NULL)', []),
        ("note IS NOT NULL", '(NOT ("note" IS NULL))', []),
        ("km BETWEEN 10 AND 20.5", '("km" BETWEEN $1::float8 AND $2::float8)', ["10", "20.5"]),
        ("note LIKE 'note 1%'", "(\"note\" LIKE $1::text ESCAPE '')", ["note 1%"]),
        ("note NOT LIKE '%9'", "(\"note\" NOT LIKE $1::text ESCAPE '')", ["%9"]),
        ("day >= DATE '2024-02-01'", '("day" >= $1::date)', ["2024-02-01"]),
        ("day = '2024-01-05'", '("day" = $1::date)', ["2024-01-05"]),
        ("started < TIMESTAMP '2024-01-02 00:00:00'", '("started" < $1::timestamptz)', ["2024-01-02 00:00:00+00:00"]),
        (
            "started < TIMESTAMPTZ '2024-01-02 02:00:00+02'",
            '("started" < $1::timestamptz)',
            ["2024-01-02 00:00:00+00:00"],
        ),
        ("paid", '"paid"', []),
        ("NOT paid", '(NOT "paid")', []),
        ("paid IS TRUE", '("paid" IS TRUE)', []),
        ("(fare > 1000 OR km < 1)", '(("fare" > $1::numeric) OR ("km" < $2::float8))', ["1000", "1"]),
        ("city < 'C'", '("city" < $1::text)', ["C"]),
        ("length(vehicle) = 2", '(char_length("vehicle") = $1::int8)', ["2"]),
        ("abs(km - 0) > 700", None, None),
    ],
)
def test_each_predicate_reaches_the_remote_database(
    trips: Fed, where: str, remote_where: str | None, params: list[str] | None
) -> None:
    sql = f"SELECT id FROM supabase_data.public.trips WHERE {where} ORDER BY id"
    statement, bound, _ = remote_sql(trips, sql)
    if remote_where is None:
        assert " WHERE " not in statement
    else:
        assert statement.endswith(f" WHERE {remote_where}"), statement
        assert bound == params
    same(trips, sql)


@pytest.mark.parametrize(
    ("where", "why"),
    [
        ("vehicle < 'v3'", "collation"),  # text ordering under the database's default collation
        ("upper(vehicle) = 'V3'", "Upper"),  # a function outside the tested list
        ("vehicle ILIKE 'V3'", "ILike"),
        ("km > 1e400", None),  # not a finite double: DuckDB's own business
        ("vehicle = 'v1' OR upper(note) = 'X'", "Upper"),
    ],
)
def test_what_cannot_be_pushed_exactly_stays_local(trips: Fed, where: str, why: str | None) -> None:
    sql = f"SELECT id FROM supabase_data.public.trips WHERE {where} ORDER BY id"
    try:
        statement, _, local = remote_sql(trips, sql)
    except Exception:
        return  # DuckDB refuses the literal itself: nothing reached the remote database
    assert " WHERE " not in statement
    if why:
        assert any(why in line for line in local), local
    same(trips, sql)


def test_columns_limit_and_order(trips: Fed) -> None:
    statement, _, _ = remote_sql(trips, "SELECT t.id, t.fare FROM supabase_data.public.trips t WHERE paid LIMIT 5")
    assert statement == 'SELECT "id" AS "id", "fare"::text AS "fare" FROM "public"."trips" WHERE "paid" LIMIT 5'
    statement, _, _ = remote_sql(
        trips, "SELECT id FROM supabase_data.public.trips ORDER BY fare DESC, id LIMIT 3 OFFSET 2"
    )
    trips_ = '"public"."trips"'
    assert statement.endswith(f'ORDER BY {trips_}."fare" DESC NULLS LAST, {trips_}."id" ASC NULLS FIRST LIMIT 5')
    same(trips, "SELECT id, fare FROM supabase_data.public.trips ORDER BY fare DESC, id LIMIT 3 OFFSET 2")
    statement, _, _ = remote_sql(
        trips, "SELECT id, city FROM supabase_data.public.trips ORDER BY city NULLS FIRST, id LIMIT 4"
    )
    assert (
        'ORDER BY "public"."trips"."city" ASC NULLS FIRST' in statement
    )  # collation C orders by code point, as DuckDB does
    same(trips, "SELECT id, city FROM supabase_data.public.trips ORDER BY city NULLS FIRST, id LIMIT 4")
    statement, _, local = remote_sql(trips, "SELECT id FROM supabase_data.public.trips ORDER BY vehicle LIMIT 3")
    assert "LIMIT" not in statement and any("order it differently" in x for x in local)
    statement, _, _ = remote_sql(trips, "SELECT id FROM supabase_data.public.trips WHERE upper(note) = 'X' LIMIT 3")
    assert "LIMIT" not in statement  # a filter stays local: the limit must too
    statement, _, _ = remote_sql(trips, "SELECT DISTINCT vehicle FROM supabase_data.public.trips LIMIT 3")
    assert "LIMIT" not in statement
    statement, _, _ = remote_sql(trips, "SELECT * FROM supabase_data.public.trips LIMIT 1")
    assert '"note" AS "note"' in statement and "LIMIT 1" in statement


def test_aggregates_run_remotely_cast_to_databricks_types(trips: Fed) -> None:
    sql = (
        "SELECT vehicle, count(*) AS n, count(note), count(DISTINCT day), sum(id) AS s, sum(fare), avg(fare) AS af, "
        "avg(id) AS ai, avg(km), min(day), max(started), min(city) FROM supabase_data.public.trips "
        "WHERE fare > 10 GROUP BY vehicle HAVING count(*) > 10 ORDER BY n DESC, vehicle"
    )
    statement, params, _ = remote_sql(trips, sql)
    assert 'GROUP BY "public"."trips"."vehicle"' in statement and "count(*)" in statement and params == ["10"]
    assert 'sum("id"::float8) / nullif(count("id"), 0)::float8' in statement and 'sum("id")::int8' in statement
    assert '(sum("fare"))::numeric(20,2)::text' in statement  # avg(fare): that sum and the count, divided locally
    assert '(nullif(count("fare"), 0))::numeric(20,0)::text' in statement
    pushed, local = trips.query(sql), trips.query(sql, pushdown=False)
    assert pushed.column_names == local.column_names
    types = dict(zip(pushed.column_names, pushed.schema.types, strict=True))
    assert types["n"] == pa.int64() and types["s"] == pa.int64() and types["ai"] == pa.float64()
    assert types["af"] == pa.decimal128(14, 6) and types["sum(fare)"] == pa.decimal128(20, 2)
    assert types["avg(km)"] == pa.float64()
    assert pushed.schema == local.schema
    for got, want in zip(pushed.to_pylist(), local.to_pylist(), strict=True):
        for key in got:
            if key == "avg(km)":  # a double sum: the order of additions may differ
                assert math.isclose(float(got[key]), want[key], rel_tol=1e-12), key
            else:
                assert got[key] == want[key], key
    one, _, _ = remote_sql(trips, "SELECT count(*) FROM supabase_data.public.trips")
    assert one == 'SELECT count(*) AS "__lakeloader_agg_0" FROM "public"."trips"'
    assert trips.query("SELECT count(*) FROM supabase_data.public.trips").to_pylist() == [{"count(1)": 5000}]
    statement, _, _ = remote_sql(trips, "SELECT vehicle, max(vehicle) FROM supabase_data.public.trips GROUP BY 1")
    assert "GROUP BY" not in statement  # max of text under the default collation stays local


def test_joins_with_delta_tables(trips: Fed) -> None:
    lh = trips.lakehouse
    lh.create_catalog("main", if_not_exists=True)
    lh.create_schema("main.ref", if_not_exists=True)
    table = lh.create_table("main.ref.vehicles")
    delta.write(table.location, pa.table({"vehicle": [f"v{i}" for i in range(50)], "kind": ["car", "bike"] * 25}))
    sql = (
        "SELECT r.kind, count(*) AS n, sum(t.fare) AS s FROM supabase_data.public.trips t "
        "JOIN main.ref.vehicles r ON t.vehicle = r.vehicle AND t.paid WHERE t.day < DATE '2024-01-10' "
        "AND r.kind = 'car' AND t.km + length(r.kind) > 3 GROUP BY r.kind ORDER BY r.kind"
    )
    statement, params, local = remote_sql(trips, sql)
    assert statement.endswith('WHERE ("day" < $1::date) AND "paid"') and params == ["2024-01-10"]
    assert any("km" in x for x in local)  # the conjunct spanning both tables runs locally
    result = same(trips, sql)
    import duckdb

    con = duckdb.connect()
    con.register("t", pa.table(trips.query("SELECT * FROM supabase_data.public.trips", pushdown=False)))
    con.register("r", delta.dataset(table.location))
    want = con.sql(
        sql.replace("supabase_data.public.trips t", "t t").replace("main.ref.vehicles r", "r r")
    ).to_arrow_table()
    assert result.to_pylist() == want.to_pylist()


def test_outer_joins_keep_the_optional_side_local(trips: Fed) -> None:
    trips.remote.run(
        "CREATE TABLE public.notes (trip_id bigint, text text); INSERT INTO public.notes VALUES (1, 'a'), (2, NULL)"
    )
    trips.catalog("other")
    sql = (
        "SELECT t.id, n.text FROM supabase_data.public.trips t LEFT JOIN other.public.notes n "
        "ON n.trip_id = t.id AND n.text = 'a' WHERE t.id <= 3 AND n.text IS NULL ORDER BY t.id"
    )
    plan = trips.explain(sql)
    by_table = {s.table.name: s for s in plan.scans}
    assert by_table["trips"].statement.endswith('WHERE ("id" <= $1::int8)')
    assert by_table["notes"].statement.endswith('WHERE ("text" = $1::text)')  # its own ON conjunct: exact
    assert any("optional side" in x for x in by_table["notes"].local)  # WHERE n.text IS NULL stays local
    assert same(trips, sql).to_pylist() == [{"id": 2, "text": None}, {"id": 3, "text": None}]
    sql = (
        "SELECT t.id FROM other.public.notes n FULL JOIN supabase_data.public.trips t ON n.trip_id = t.id "
        "WHERE t.id < 3"
    )
    assert all(" WHERE " not in s.statement for s in trips.explain(sql).scans)
    same(trips, sql + " ORDER BY 1")


def test_the_statement_log_shows_the_pushed_statement(trips: Fed) -> None:
    offset = trips.remote.log_size()
    sql = "SELECT id, fare FROM supabase_data.public.trips WHERE vehicle = 'v3' AND fare > 500 ORDER BY id LIMIT 2"
    plan = trips.explain(sql)
    rows = same(trips, sql).to_pylist()
    assert [r["id"] for r in rows] == [403, 453]
    log = trips.remote.log_since(offset)
    statement = plan.scans[0].statement
    assert f"execute <unnamed>: {statement}" in log
    assert "Parameters: $1 = 'v3', $2 = '500'" in log
    assert re.search(r"BEGIN.*\n.*SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY", log)
    assert "LIMIT 2" in log and '"vehicle" = $1::text' in log
    whole = trips.remote.log_since(offset)
    assert "SELECT * FROM" not in whole  # never a full read for this query


def test_odd_names_are_read_correctly_and_safely(fed: Fed) -> None:
    fed.remote.run(
        "CREATE TABLE public.x (id int); INSERT INTO public.x VALUES (1);"
        'CREATE TABLE public."we""ird; drop table x" '
        '("a col" int, "%" text, "50%off" text, "q""uote" text, "Tick`" int);'
        """INSERT INTO public."we""ird; drop table x" VALUES (1, '%s', 'a', 'b', 7), """
        """(2, 'x''; drop table x; --', NULL, 'c', 8)"""
    )
    fed.catalog()
    name = 'supabase_data.public.`we"ird; drop table x`'  # Databricks SQL: backticks quote names, "..." is text
    rows = fed.query(f'SELECT `a col`, `%`, `50%off`, `q"uote`, `Tick``` FROM {name} ORDER BY `a col`').to_pylist()
    assert rows == [
        {"a col": 1, "%": "%s", "50%off": "a", 'q"uote': "b", "Tick`": 7},
        {"a col": 2, "%": "x'; drop table x; --", "50%off": None, 'q"uote': "c", "Tick`": 8},
    ]
    sql = f"""SELECT `a col` FROM {name} WHERE `%` = 'x''; drop table x; --' AND `50%off` IS NULL AND `Tick``` > 7"""
    statement, params, _ = remote_sql(fed, sql)
    assert statement.startswith('SELECT "a col" AS "a col" FROM')  # the other columns only filter: remotely
    assert 'FROM "public"."we""ird; drop table x" WHERE ("%" = $1::text)' in statement
    assert params == ["x'; drop table x; --", "7"]
    assert fed.query(sql).to_pylist() == [{"a col": 2}]
    backticks = "SELECT count(*) AS n FROM supabase_data.public.`we\"ird; drop table x` WHERE `%` LIKE '%s'"
    assert fed.query(backticks).to_pylist() == [{"n": 1}]
    assert fed.remote.run("SELECT count(*) FROM public.x") == [(1,)]  # still there


def test_naive_timestamps_meet_timestamptz_in_the_session_time_zone(trips: Fed) -> None:
    import duckdb

    from lakeloader.federation.query import attach

    def run(sql: str, *, pushdown: bool) -> tuple[list[object], list[str]]:
        con = duckdb.connect()
        con.execute("SET TimeZone = 'America/New_York'")
        attached = attach(con, trips.lakehouse, sql, pushdown=pushdown)
        rows = con.sql(attached.sql).fetchall()
        con.close()
        return rows, attached.scans[0].params

    sql = "SELECT id FROM supabase_data.public.trips WHERE started < '2024-01-01 00:30:00' ORDER BY id"
    rows, params = run(sql, pushdown=True)
    assert params == ["2024-01-01 05:30:00+00:00"]  # New York's local time, as DuckDB reads it
    assert rows == run(sql, pushdown=False)[0] and len(rows) == 329
    ambiguous = "SELECT id FROM supabase_data.public.trips WHERE started > '2024-11-03 01:30:00' ORDER BY id"
    rows, params = run(ambiguous, pushdown=True)
    assert params == [] and rows == run(ambiguous, pushdown=False)[0]  # repeated by the DST change: local


def test_sql_naming_no_foreign_table_is_left_alone(trips: Fed) -> None:
    import duckdb

    from lakeloader.federation.query import attach

    odd = "SELECT 1 AS x FROM range(3) t(i) WHERE i IN (SELECT UNNEST([1, 2])) QUALIFY row_number() OVER () = 1"
    con = duckdb.connect()
    assert attach(con, trips.lakehouse, odd).sql is odd


def test_databricks_sql_as_pipelines_give_it(trips: Fed) -> None:
    import duckdb
    import sqlglot

    from lakeloader.federation.query import attach

    sql = (
        "SELECT vehicle, count(*) AS n FROM supabase_data.`public`.trips WHERE day >= DATE'2024-01-10' "
        "AND note LIKE 'note 1%' GROUP BY vehicle ORDER BY n DESC, vehicle LIMIT 3"
    )
    con = duckdb.connect()
    con.execute("SET TimeZone = 'UTC'")
    attached = attach(con, trips.lakehouse, sql, dialect="databricks")
    assert attached.views and all(f"`{v}`" in attached.sql for v in attached.views)
    assert "GROUP BY" in attached.scans[0].statement
    local = sqlglot.transpile(attached.sql, read="databricks", write="duckdb")[0]  # what a pipeline does next
    rows = con.sql(local).fetchall()
    whole = trips.query(
        "SELECT vehicle, count(*) AS n FROM supabase_data.public.trips WHERE day >= DATE '2024-01-10' "
        "AND note LIKE 'note 1%' GROUP BY vehicle ORDER BY n DESC, vehicle LIMIT 3",
        pushdown=False,
    )
    assert rows == [tuple(r.values()) for r in whole.to_pylist()]


def test_only_a_catalog_name_before_a_dot_sends_sql_to_the_planner(trips: Fed) -> None:
    from lakeloader.federation.query import _mentions_foreign

    lh = trips.lakehouse
    named = [
        "SELECT * FROM supabase_data.public.trips",
        "SELECT * FROM `supabase_data`.`public`.trips",
        'SELECT * FROM "supabase_data" . public.trips',
        "select * from SUPABASE_DATA.public.trips",
    ]
    assert all(_mentions_foreign(lh, sql) for sql in named)
    others = ["SELECT 1 AS supabase_data", "SELECT supabase_data FROM range(2) t(supabase_data)"]
    assert not any(_mentions_foreign(lh, sql) for sql in others)
