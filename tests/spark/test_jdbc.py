"""JDBC with a `jdbc:postgresql://` URL against a real PostgreSQL: `df.write.format("jdbc")` in each save mode and
`spark.read.format("jdbc")` / `spark.read.jdbc(...)` (a table, a query, a partitioned read), values and types."""

from __future__ import annotations

import datetime
import decimal
from pathlib import Path
from urllib.parse import urlparse

import psycopg
import pytest

from lakeloader.errors import ConfigError
from lakeloader.lakehouse.root import Lakehouse
from lakeloader.spark import session


@pytest.fixture
def spark(tmp_path: Path) -> object:
    return session(Lakehouse(tmp_path / "lh"))


def _jdbc(pg_url: str) -> tuple[str, dict[str, str]]:
    parts = urlparse(pg_url)
    url = f"jdbc:postgresql://{parts.hostname}:{parts.port}{parts.path}"
    return url, {"user": parts.username or "postgres", "password": parts.password or ""}


ROWS = [
    (1, "a", decimal.Decimal("10.50"), datetime.date(2024, 1, 2), True),
    (2, "b", None, datetime.date(2024, 2, 29), False),
    (3, None, decimal.Decimal("-0.01"), None, None),
]
SCHEMA = "id BIGINT, name STRING, amount DECIMAL(12,2), day DATE, ok BOOLEAN"


def test_write_then_read_back_in_every_form(spark: object, pg_url: str) -> None:
    url, props = _jdbc(pg_url)
    df = spark.createDataFrame(ROWS, SCHEMA)  # type: ignore[attr-defined]
    df.write.format("jdbc").option("url", url).option("dbtable", "public.items").options(**props).save()
    with psycopg.connect(pg_url) as con:
        types = dict(con.execute("SELECT column_name, data_type FROM information_schema.columns "
                                 "WHERE table_name = 'items'").fetchall())  # fmt: skip
    assert types == {"id": "bigint", "name": "text", "amount": "numeric", "day": "date", "ok": "boolean"}
    read = spark.read.format("jdbc").option("url", url).option("dbtable", "public.items").options(**props).load()  # type: ignore[attr-defined]
    assert sorted(read.collect()) == sorted(ROWS)
    assert read.schema.simpleString() == "struct<id:bigint,name:string,amount:decimal(12,2),day:date,ok:boolean>"
    parted = spark.read.jdbc(  # type: ignore[attr-defined]
        url, "public.items", column="id", lowerBound=1, upperBound=4, numPartitions=2, properties=props
    )
    assert sorted(r["id"] for r in parted.collect()) == [1, 2, 3]
    counted = spark.read.format("jdbc").option("url", url).options(**props).option(  # type: ignore[attr-defined]
        "query", "SELECT count(*) AS n FROM public.items WHERE ok").load()  # fmt: skip
    assert counted.collect()[0]["n"] == 1
    initialized = spark.read.format("jdbc").option("url", url).options(**props).option(  # type: ignore[attr-defined]
        "query", "SELECT current_setting('application_name') AS app").option(
        "sessionInitStatement", "SET application_name = 'from_init'").load()  # fmt: skip
    assert initialized.collect()[0]["app"] == "from_init"


def test_save_modes_as_spark_has_them(spark: object, pg_url: str) -> None:
    url, props = _jdbc(pg_url)
    with psycopg.connect(pg_url) as con:
        con.execute("CREATE TABLE public.keyed (id BIGINT PRIMARY KEY, name TEXT)")
        con.execute("INSERT INTO public.keyed VALUES (9, 'old')")
    df = spark.createDataFrame([(1, "x"), (2, "y")], "id BIGINT, name STRING")  # type: ignore[attr-defined]

    def write(mode: str, **extra: str) -> None:
        df.write.format("jdbc").mode(mode).option("url", url).option("dbtable", "public.keyed").options(
            **props, **extra).save()  # fmt: skip

    with pytest.raises(ConfigError, match=r"table public\.keyed already exists; use mode"):
        write("error")
    write("ignore")
    write("append")
    write("overwrite", truncate="true")  # the table's definition stays: its primary key too
    with psycopg.connect(pg_url) as con:
        assert con.execute("SELECT id, name FROM public.keyed ORDER BY id").fetchall() == [(1, "x"), (2, "y")]
        keys = con.execute("SELECT count(*) FROM information_schema.table_constraints WHERE "
                           "table_name = 'keyed' AND constraint_type = 'PRIMARY KEY'").fetchone()  # fmt: skip
        assert keys == (1,)
    write("overwrite")  # Spark's default overwrite: dropped and made again from the DataFrame
    with psycopg.connect(pg_url) as con:
        keys = con.execute("SELECT count(*) FROM information_schema.table_constraints WHERE "
                           "table_name = 'keyed' AND constraint_type = 'PRIMARY KEY'").fetchone()  # fmt: skip
        assert keys == (0,)
        assert con.execute("SELECT count(*) FROM public.keyed").fetchone() == (2,)


def test_other_databases_and_bad_options_are_refused(spark: object) -> None:
    reader = spark.read.format("jdbc")  # type: ignore[attr-defined]
    with pytest.raises(ConfigError, match="mysql databases are not supported here"):
        reader.option("url", "jdbc:mysql://h/db").option("dbtable", "t").load()
    with pytest.raises(ConfigError, match="jdbc: option partitionKey is not supported"):
        spark.read.format("jdbc").option("url", "jdbc:postgresql://h/db").option("dbtable", "t").option(  # type: ignore[attr-defined]
            "partitionKey", "id").load()  # fmt: skip
