"""Foreign catalogs: the remote listing, types as the Postgres source maps them, refresh and staleness, read-only."""

from __future__ import annotations

import pyarrow as pa
import pytest

from lakeloader.errors import ConfigError, NotFoundError, ReadOnlyError, TerminalError
from lakeloader.federation import catalogs
from lakeloader.federation.probe import describe_table

from .conftest import Fed

TYPES = """
CREATE TYPE mood AS ENUM ('sad', 'ok');
CREATE DOMAIN positive AS int CHECK (VALUE > 0);
CREATE TABLE public.every_type (
    id bigint PRIMARY KEY, i2 smallint, i4 integer, n numeric(12, 3), nu numeric, f4 real, f8 double precision,
    b boolean, t text, v varchar(20), c char(4), d date, ts timestamp, tz timestamptz, u uuid, j jsonb, js json,
    iv interval, ip inet, by bytea, arr int[], tarr text[], m mood, p positive, tm time
);
INSERT INTO public.every_type VALUES (1, 2, 3, 4.5, 6.75, 1.5, 2.25, true, 'x', 'y', 'z', '2024-01-02',
    '2024-01-02 03:04:05', '2024-01-02 03:04:05+00', 'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11', '{"a": 1}', '[1]',
    '1 day', '10.0.0.1', '\\x00ff', '{1,2}', '{a,b}', 'ok', 7, '12:00');
"""


def test_every_schema_and_table_is_listed(fed: Fed) -> None:
    fed.remote.run(
        "CREATE SCHEMA sales; CREATE TABLE sales.orders (id int); CREATE VIEW public.v AS SELECT 1 AS one;"
        "CREATE MATERIALIZED VIEW public.mv AS SELECT 2 AS two;"
        "CREATE TABLE public.parts (id int) PARTITION BY RANGE (id);"
        "CREATE TABLE public.parts_1 PARTITION OF public.parts FOR VALUES FROM (0) TO (10);"
        'CREATE TABLE public."Mixed Case" (id int)'
    )
    fed.catalog()
    listed = {(t.schema, t.name): t.kind for t in catalogs.list_tables(fed.lakehouse, "supabase_data")}
    assert listed == {
        ("sales", "orders"): "TABLE",
        ("public", "v"): "VIEW",
        ("public", "mv"): "MATERIALIZED_VIEW",
        ("public", "parts"): "TABLE",  # partitions are read through their parent
        ("public", "Mixed Case"): "TABLE",
    }
    assert set(catalogs.list_schemas(fed.lakehouse, "supabase_data")) >= {"public", "sales"}
    assert fed.lakehouse.foreign_catalog("supabase_data") is not None
    assert [t.name for t in catalogs.list_tables(fed.lakehouse, "supabase_data", "SALES")] == ["orders"]


def test_columns_are_typed_as_the_postgres_source_types_them(fed: Fed, tmp_path: object) -> None:
    from lakeloader.sources.postgres import ingest_postgres

    fed.remote.run(TYPES)
    fed.catalog()
    info = describe_table(fed.lakehouse, "supabase_data.public.every_type")
    fed.lakehouse.create_catalog("main", if_not_exists=True)
    fed.lakehouse.create_schema("main.bronze", if_not_exists=True)
    ingest_postgres(
        "bronze.every_type", lakehouse=fed.lakehouse, source_url=fed.remote.url(), table="public.every_type", audit={}
    )
    from deltalake import DeltaTable

    delta = pa.schema(DeltaTable(str(fed.lakehouse.table("bronze.every_type").location)).schema().to_arrow())
    from lakeloader.lakehouse.types import sql_type

    source_types = {f.name: sql_type(f.type) for f in delta if not f.name.startswith("_")}
    assert {c["name"]: c["type"] for c in info["columns"]} == source_types
    assert {c["name"]: c["remote_type"] for c in info["columns"]}["n"] == "numeric(12,3)"
    row = fed.query("SELECT * FROM supabase_data.public.every_type").to_pylist()[0]
    ingested = fed.query("SELECT * EXCLUDE (_ingested_at, _source, _batch_id) FROM main.bronze.every_type")
    assert row == ingested.to_pylist()[0]


def test_an_unmapped_type_is_named_and_kept_aside(fed: Fed) -> None:
    fed.remote.run("CREATE TABLE public.geo (id int, spot point); INSERT INTO public.geo VALUES (1, '(1,2)')")
    fed.catalog()
    info = describe_table(fed.lakehouse, "supabase_data.public.geo")
    assert [c["name"] for c in info["columns"]] == ["id", "spot"] and "not mapped" in info["columns"][1]["type"]
    assert fed.query("SELECT * FROM supabase_data.public.geo").to_pylist() == [{"id": 1}]
    with pytest.raises(ConfigError, match=r"spot of foreign table supabase_data\.public\.geo has type point"):
        fed.query("SELECT g.spot FROM supabase_data.public.geo g")


def test_a_table_created_after_the_catalog_is_found_by_one_refresh(fed: Fed) -> None:
    fed.catalog()
    fed.remote.run("CREATE TABLE public.late AS SELECT 42 AS answer")
    assert fed.query("SELECT answer FROM supabase_data.public.late").to_pylist() == [{"answer": 42}]
    with pytest.raises(NotFoundError, match=r"supabase_data.public.nope does not exist in foreign catalog"):
        fed.query("SELECT * FROM supabase_data.public.nope")


def test_columns_added_dropped_or_retyped_remotely(fed: Fed) -> None:
    fed.remote.run("CREATE TABLE public.t (id int, a int); INSERT INTO public.t VALUES (1, 10)")
    fed.catalog()
    assert fed.query("SELECT * FROM supabase_data.public.t").to_pylist() == [{"id": 1, "a": 10}]
    fed.remote.run("ALTER TABLE public.t ADD COLUMN b text DEFAULT 'new'")
    assert fed.query("SELECT t.b FROM supabase_data.public.t t").to_pylist() == [{"b": "new"}]  # refreshed once
    fed.remote.run("ALTER TABLE public.t DROP COLUMN a")
    assert fed.query("SELECT * FROM supabase_data.public.t").to_pylist() == [{"id": 1, "b": "new"}]  # stale: retried
    with pytest.raises(NotFoundError, match=r"column a does not exist in foreign table supabase_data\.public\.t"):
        fed.query("SELECT t.a FROM supabase_data.public.t t")
    fed.remote.run("ALTER TABLE public.t ALTER COLUMN b DROP DEFAULT, ALTER COLUMN b TYPE int USING 5")
    assert fed.query("SELECT * FROM supabase_data.public.t").to_pylist() == [{"id": 1, "b": 5}]
    fed.remote.run("DROP TABLE public.t")
    with pytest.raises(NotFoundError, match="does not exist"):
        fed.query("SELECT * FROM supabase_data.public.t")


def test_refresh_and_drop(fed: Fed) -> None:
    fed.catalog()
    fed.remote.run("CREATE TABLE public.a (id int)")
    assert catalogs.refresh(fed.lakehouse, "supabase_data")["tables"] == 1
    assert fed.lakehouse.metastore.find_records(catalogs.TABLE_KIND, scope="supabase_data")
    fed.lakehouse.drop_catalog("supabase_data")  # DROP CATALOG works on a foreign catalog too
    assert not fed.lakehouse.metastore.find_records(catalogs.TABLE_KIND, scope="supabase_data")
    with pytest.raises(NotFoundError, match="foreign catalog supabase_data does not exist"):
        catalogs.refresh(fed.lakehouse, "supabase_data")


def test_a_name_taken_or_a_missing_connection(fed: Fed) -> None:
    fed.lakehouse.create_catalog("main", if_not_exists=True)
    with pytest.raises(TerminalError, match="catalog main already exists"):
        fed.catalog("main")
    with pytest.raises(NotFoundError, match="connection nope does not exist"):
        fed.catalog("other", connection="nope")


def test_every_write_names_the_foreign_catalog_and_refuses(fed: Fed) -> None:
    from lakeloader.sources.postgres import ingest_postgres

    fed.remote.run('CREATE TABLE public.t (id int); CREATE TABLE public."We""ird" (id int)')
    fed.catalog()
    lh = fed.lakehouse
    attempts = [
        lambda: lh.create_table("supabase_data.public.new"),
        lambda: lh.create_schema("supabase_data.newschema"),
        lambda: lh.create_volume("supabase_data.public.vol"),
        lambda: lh.drop_table("supabase_data.public.t"),
        lambda: lh.drop_table('supabase_data.public.`We"ird`'),
        lambda: lh.drop_schema("supabase_data.public"),
        lambda: lh.table("supabase_data.public.t"),
        lambda: ingest_postgres("supabase_data.public.t2", lakehouse=lh, source_url=fed.remote.url(), table="t"),
    ]
    for attempt in attempts:
        with pytest.raises(ReadOnlyError, match="catalog supabase_data is a foreign catalog"):
            attempt()
    lh.use_catalog("supabase_data")
    with pytest.raises(ReadOnlyError, match="catalog supabase_data is a foreign catalog"):
        lh.create_table("public.two_part")
    lh.use_catalog("supabase_data")
    for statement in (
        "CREATE TABLE supabase_data.public.x AS SELECT 1",
        "INSERT INTO supabase_data.public.t VALUES (1)",
        "DELETE FROM supabase_data.public.t",
        "DROP TABLE supabase_data.public.t",
    ):
        from lakeloader.federation.query import attach
        from lakeloader.lakehouse.sql import query

        with pytest.raises(ReadOnlyError, match="catalog supabase_data is a foreign catalog"):
            query(lh, statement, unsafe=True, rewrite=lambda con, text: attach(con, lh, text).sql)
    assert fed.remote.run("SELECT count(*) FROM public.t") == [(0,)]


def test_scans_run_in_read_only_transactions(fed: Fed) -> None:
    fed.remote.run(
        "CREATE TABLE public.audit (n int);"
        "CREATE FUNCTION public.sneaky() RETURNS int LANGUAGE sql AS 'INSERT INTO public.audit VALUES (1) RETURNING n';"
        "CREATE VIEW public.writes AS SELECT public.sneaky() AS n"
    )
    fed.catalog()
    offset = fed.remote.log_size()
    with pytest.raises(TerminalError, match="read-only transaction"):
        fed.query("SELECT * FROM supabase_data.public.writes")
    assert fed.remote.run("SELECT count(*) FROM public.audit") == [(0,)]
    log = fed.remote.log_since(offset)
    assert "SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY" in log
