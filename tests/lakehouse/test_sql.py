"""SQL over the lakehouse through DuckDB."""

from __future__ import annotations

import pyarrow as pa
import pytest

from lakeloader.errors import NotFoundError, TerminalError
from lakeloader.lakehouse import delta
from lakeloader.lakehouse.root import Lakehouse
from lakeloader.lakehouse.sql import query


@pytest.fixture
def lh(lakehouse: Lakehouse) -> Lakehouse:
    lakehouse.create_catalog("kardia")
    lakehouse.create_schema("kardia.`01_bronze`")
    lakehouse.create_catalog("main", if_not_exists=True)
    lakehouse.create_schema("main.kardia_bronze")
    claims = lakehouse.create_table("kardia.01_bronze.claims")
    delta.write(claims.location, pa.table({"id": list(range(100)), "amount": [float(i) for i in range(100)]}))
    providers = lakehouse.create_table("kardia_bronze.bronze_providers")
    delta.write(providers.location, pa.table({"npi": ["1", "2"], "state": ["CA", "NY"]}))
    return lakehouse


def test_three_and_two_level_names_and_backticks(lh: Lakehouse) -> None:
    out = query(lh, "SELECT count(*) AS n, sum(amount) AS s FROM kardia.`01_bronze`.claims WHERE id >= 50")
    assert out.to_pylist() == [{"n": 50, "s": float(sum(range(50, 100)))}]
    out = query(lh, "SELECT p.state FROM kardia_bronze.bronze_providers p WHERE p.npi = '2'")
    assert out.to_pylist() == [{"state": "NY"}]


def test_join_across_catalogs_and_strings_are_left_alone(lh: Lakehouse) -> None:
    out = query(
        lh,
        "SELECT 'kardia.01_bronze.claims' AS label, count(*) AS n FROM kardia.01_bronze.claims c "
        "JOIN main.kardia_bronze.bronze_providers p ON cast(c.id AS varchar) = p.npi",
    )
    assert out.to_pylist() == [{"label": "kardia.01_bronze.claims", "n": 2}]


def test_unknown_table_lists_close_matches(lh: Lakehouse) -> None:
    with pytest.raises(NotFoundError, match=r"did you mean kardia\.01_bronze\.claims"):
        query(lh, "SELECT * FROM kardia.01_bronze.claim")


def test_a_suggestion_is_shown_once(lh: Lakehouse) -> None:
    lh.create_schema("main.default", if_not_exists=True)
    for name in ("events", "events2"):
        delta.write(lh.create_table(f"main.default.{name}").location, pa.table({"id": [1]}))
    with pytest.raises(NotFoundError) as err:  # events matches both as main.default.events and default.events
        query(lh, "SELECT * FROM main.default.evnts")
    assert str(err.value).endswith("did you mean main.default.events, main.default.events2?")


def test_sql_errors_are_one_line(lh: Lakehouse) -> None:
    with pytest.raises(TerminalError) as info:
        query(lh, "SELEC 1")
    assert "\n" not in str(info.value) and "fix the SQL" in str(info.value)


def test_filters_on_decimals_and_microsecond_timestamps_find_every_row(lakehouse: Lakehouse) -> None:
    """delta-rs' own dataset drops these rows (null or millisecond bounds from the log); ours must not."""
    import decimal
    from datetime import UTC, datetime

    lakehouse.create_catalog("c")
    lakehouse.create_schema("c.s")
    table = lakehouse.create_table("c.s.t")
    stamp = datetime(2024, 1, 1, 0, 0, 0, 123456, tzinfo=UTC)
    data = pa.table(
        {
            "d": pa.array([decimal.Decimal("0.000000001")], pa.decimal128(38, 9)),
            "ts": pa.array([stamp], pa.timestamp("us", tz="UTC")),
        }
    )
    delta.write(table.location, data, mode="overwrite")  # the delta-rs writer path
    delta.write(table.location, data)  # our parallel path
    out = query(
        lakehouse,
        "SELECT count(*) AS n FROM c.s.t WHERE d >= 0.000000001 AND ts >= TIMESTAMPTZ '2024-01-01 00:00:00.123456+00'",
    )
    assert out.to_pylist() == [{"n": 2}]


def test_nan_in_parquet_is_above_every_double(lakehouse: Lakehouse) -> None:
    """Parquet's statistics leave NaN out of min/max; a scan that trusted them pruned the NaN row, folded
    `x > 0` to false and took max(x) from the footer (a draw of tests/parity/test_parity_properties.py)."""
    lakehouse.create_catalog("c")
    lakehouse.create_schema("c.s")
    table = lakehouse.create_table("c.s.t")
    nan = float("nan")
    data = pa.table(
        {
            "id": [0, 1],
            "x": [-2.0, nan],
            "f": pa.array([-2.0, nan], pa.float32()),
            "y": [None, 0.0],
            "st": [{"v": -2.0}, {"v": nan}],
            "l": [[-2.0], [nan]],
        }
    )
    delta.write(table.location, data)
    out = query(
        lakehouse,
        "SELECT id, x < y AS lt, x > 0 AS gt, f > 0 AS fgt, st.v > 0 AS sgt, l[0] > 0 AS lgt FROM c.s.t ORDER BY id",
    )
    assert out.to_pylist() == [
        {"id": 0, "lt": None, "gt": False, "fgt": False, "sgt": False, "lgt": False},
        {"id": 1, "lt": False, "gt": True, "fgt": True, "sgt": True, "lgt": True},
    ]
    assert query(lakehouse, "SELECT id FROM c.s.t WHERE x > 0 OR st.v > 100").to_pylist() == [{"id": 1}]
    found = query(lakehouse, "SELECT max(x) AS m, max(st.v) AS sm FROM c.s.t").to_pylist()[0]
    assert found["m"] != found["m"] and found["sm"] != found["sm"]  # both NaN


def test_from_inside_an_expression_reads_no_table(lakehouse: Lakehouse) -> None:
    """`extract(year FROM e.d)`, `trim(BOTH 'x' FROM e.t)`, `substring(t FROM 2)` and `IS DISTINCT FROM` name no
    table (they failed with 'table e.d does not exist', or read a table named `d`); a subquery's FROM does."""
    import datetime

    lakehouse.create_catalog("main", if_not_exists=True)
    lakehouse.create_schema("main.default", if_not_exists=True)
    e = lakehouse.create_table("main.default.e")
    delta.write(e.location, pa.table({"d": [datetime.date(2024, 5, 6)], "t": ["xxaxx"], "a": [1], "b": [None]}))
    d = lakehouse.create_table("main.default.d")  # a table named like e's column: never read in its place
    delta.write(d.location, pa.table({"z": [7]}))
    out = query(
        lakehouse,
        "SELECT extract(year FROM e.d) AS y, trim(BOTH 'x' FROM e.t) AS s, e.a IS DISTINCT FROM e.b AS c, "
        "e.a IS NOT DISTINCT FROM e.b AS n, extract(month FROM d) AS m, substring(t FROM 2) AS u, "
        "(SELECT max(z) FROM d) AS q FROM main.default.e e WHERE a IN (SELECT z - 6 FROM d)",
    )
    assert out.to_pylist() == [{"y": 2024, "s": "a", "c": True, "n": False, "m": 5, "u": "xaxx", "q": 7}]
