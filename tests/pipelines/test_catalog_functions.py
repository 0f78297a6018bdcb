"""SQL functions kept in the catalog (CREATE FUNCTION catalog.schema.f ...): created and dropped by `lakeloader
sql`, called from `lakeloader sql` and from a pipeline's SQL by their full, two-part or bare name, scalar and
table functions, with the same answers as the expressions they stand for."""

from __future__ import annotations

import pyarrow as pa
import pytest

from lakeloader.errors import LakeloaderError
from lakeloader.lakehouse import delta
from lakeloader.lakehouse.root import Lakehouse
from lakeloader.lakehouse.sql import query
from tests.pipelines.conftest import Write, add_events, rows, run

TO_CELSIUS = "CREATE FUNCTION main.default.to_celsius(f DOUBLE) RETURNS DOUBLE RETURN (f - 32) * 5 / 9"
BIG_ONES = (
    "CREATE FUNCTION main.raw.big_ones(threshold DOUBLE) RETURNS TABLE (id BIGINT, amount DOUBLE) "
    "RETURN SELECT id, amount FROM main.raw.events WHERE amount > threshold"
)


def test_created_called_replaced_and_dropped_from_sql(lh: Lakehouse) -> None:
    assert query(lh, TO_CELSIUS).to_pylist() == [{"status": "function main.default.to_celsius created"}]
    got = query(lh, "SELECT to_celsius(212) AS a, main.default.to_celsius(32) AS b, default.to_celsius(50) AS c")
    assert got.to_pylist() == [{"a": 100.0, "b": 0.0, "c": 10.0}]
    assert got.schema.field("a").type == pa.float64()
    with pytest.raises(LakeloaderError, match="already exists; CREATE OR REPLACE"):
        query(lh, TO_CELSIUS)
    query(lh, TO_CELSIUS.replace("CREATE", "CREATE OR REPLACE").replace("* 5 / 9", "* 5 / 9 + 1000"))
    assert query(lh, "SELECT to_celsius(212) AS a").to_pylist() == [{"a": 1100.0}]
    assert query(lh, "CREATE FUNCTION IF NOT EXISTS main.default.to_celsius(x INT) RETURNS INT RETURN x").num_rows
    assert query(lh, "SELECT to_celsius(212) AS a").to_pylist() == [{"a": 1100.0}]  # kept
    assert query(lh, "DROP FUNCTION main.default.to_celsius").to_pylist()[0]["status"].endswith("dropped")
    with pytest.raises(LakeloaderError, match="UNRESOLVED_ROUTINE"):
        query(lh, "SELECT to_celsius(212)")
    assert query(lh, "DROP FUNCTION IF EXISTS main.default.to_celsius").num_rows == 1


def test_a_builtin_name_stays_the_builtin_and_bad_definitions_are_refused(lh: Lakehouse) -> None:
    query(lh, "CREATE FUNCTION main.default.upper(s STRING) RETURNS STRING RETURN 'mine'")
    assert query(lh, "SELECT upper('a') AS a, main.default.upper('a') AS b").to_pylist() == [{"a": "A", "b": "mine"}]
    for bad, said in [
        ("CREATE FUNCTION main.nowhere.f(x INT) RETURNS INT RETURN x", "schema main.nowhere does not exist"),
        ("CREATE TEMPORARY FUNCTION f(x INT) RETURNS INT RETURN x", "temporary function lives in one session"),
        ("CREATE FUNCTION main.default.f(x INT) RETURN x", "RETURNS"),
        ("DROP FUNCTION main.default.nothing", "does not exist"),
    ]:
        with pytest.raises(LakeloaderError, match=said) as caught:
            query(lh, bad)
        assert "\n" not in str(caught.value)


def test_a_table_function_of_the_catalog(lh: Lakehouse) -> None:
    add_events(lh, [{"id": i, "kind": "k", "amount": float(i)} for i in range(10)])
    query(lh, BIG_ONES)
    got = query(lh, "SELECT count(*) AS n, sum(amount) AS s FROM main.raw.big_ones(6.5)").to_pylist()
    assert got == [{"n": 3, "s": 24.0}]


def test_a_pipeline_calls_catalog_functions(lh: Lakehouse, pipeline: Write) -> None:
    add_events(lh, [{"id": i, "kind": "k", "amount": float(i * 10)} for i in range(10)])
    query(lh, TO_CELSIUS)
    query(lh, BIG_ONES)
    lh.create_schema("main.silver", if_not_exists=True)
    query(lh, "CREATE FUNCTION main.silver.doubled(x DOUBLE) RETURNS DOUBLE RETURN x * 2")
    folder = pipeline(
        {
            "a.sql": """\
            CREATE OR REFRESH MATERIALIZED VIEW warm AS
            SELECT id, main.default.to_celsius(amount) AS c, doubled(amount) AS d FROM main.raw.events;
            CREATE OR REFRESH MATERIALIZED VIEW big AS SELECT * FROM main.raw.big_ones(55);
            """
        }
    )
    result = run(folder, lh)
    assert result.status == "COMPLETED", result.error
    expected = [{"id": i, "c": (i * 10 - 32) * 5 / 9, "d": i * 20.0} for i in range(10)]
    assert rows(lh, "SELECT * FROM main.silver.warm ORDER BY id") == expected
    assert rows(lh, "SELECT id FROM main.silver.big ORDER BY id") == [{"id": i} for i in range(6, 10)]
    assert delta.is_delta_table(lh.table("main.silver.big").location)
