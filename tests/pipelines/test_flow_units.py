"""What may run in work units (`pipelines/flow_units.py`): a query is row-wise or runs on the driver, and a row-wise
query with its expectations gives, over any split of a batch into units, what it gives over the whole batch."""

from __future__ import annotations

import itertools
import pickle

import pyarrow as pa
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from lakeloader.pipelines.flow_units import RowWise, Shaped, StaysOnDriver, _check_row_wise
from lakeloader.quality.expectations import Rule

S = "__lakeloader_stream"


@pytest.mark.parametrize(
    "sql",
    [
        f"SELECT *, upper(v) AS u FROM {S} WHERE km > 1 AND v IS NOT NULL",
        f"SELECT a, x FROM {S} CROSS JOIN UNNEST(arr) AS t(x)",
        f"SELECT unnest(arr) AS x, a FROM {S}",
        f"SELECT * FROM (SELECT a, b FROM {S}) AS q WHERE q.a > 0",
        f"SELECT list_transform(arr, x -> x + 1) AS l, CASE WHEN a > 1 THEN 'x' END AS c FROM {S}",
        f"CREATE TEMP VIEW v AS SELECT (a * 2) AS a2, b FROM {S};",
        f"SELECT CAST(_metadata.file_path AS VARCHAR) AS f, random() AS r, uuid() AS u FROM {S}",
    ],
)
def test_row_wise_queries_run_in_units(sql: str) -> None:
    _check_row_wise(sql)


@pytest.mark.parametrize(
    ("sql", "reason"),
    [
        (f"SELECT count(*) AS n FROM {S}", "aggregates"),
        (f"SELECT v, sum(km) FROM {S} GROUP BY v", "GROUP"),
        (f"SELECT DISTINCT v FROM {S}", "DISTINCT"),
        (f"SELECT v FROM {S} ORDER BY v", "ORDER"),
        (f"SELECT v FROM {S} LIMIT 10", "LIMIT"),
        (f"SELECT v, row_number() OVER (PARTITION BY v ORDER BY km) AS n FROM {S}", "aggregates"),
        (f"SELECT * FROM {S} AS s JOIN other AS o ON s.v = o.v", "joins"),
        (f"SELECT * FROM {S} WHERE km > (SELECT avg(km) FROM {S})", "subquery"),
        (f"SELECT * FROM {S} WHERE v IN (SELECT v FROM {S} WHERE km > 3)", "subquery"),
        (f"SELECT v FROM {S} UNION ALL SELECT v FROM {S}", "combines"),
        (f"SELECT v, current_timestamp AS t FROM {S}", "clock"),
        (f"SELECT v, now() AS t FROM {S}", "clock"),
        (f"SELECT v, current_date AS d FROM {S}", "clock"),
    ],
)
def test_whole_batch_queries_run_on_the_driver(sql: str, reason: str) -> None:
    with pytest.raises(StaysOnDriver, match=reason):
        _check_row_wise(sql)


SCHEMA = pa.schema([("a", pa.int64()), ("s", pa.string())])
RULES = [Rule("positive", "a2 > 0", "drop", "a2 > 0"), Rule("short", "length(s) < 3", "warn", "length(s) < 3")]


def _shape() -> RowWise:
    sql = f"SELECT a * 2 AS a2, upper(s) AS s FROM {S} WHERE a % 3 <> 0"
    return RowWise(sql, [], list(RULES), ["s"], "main.x.t", "t", ("u-1", 4, "files"))


def _run(shape: RowWise, rows: list[dict[str, int | str]]) -> tuple[list[dict[str, object]], Shaped]:
    shape = pickle.loads(pickle.dumps(shape))  # as Ray ships it: no connection, no state
    reader = shape.open(pa.Table.from_pylist(rows, schema=SCHEMA).to_reader())
    out = reader.read_all()
    assert not out.schema.field("s").nullable  # declared NOT NULL
    return out.to_pylist(), shape.finish()


@settings(max_examples=60, deadline=None)
@given(
    rows=st.lists(
        st.fixed_dictionaries({"a": st.integers(-50, 50), "s": st.text("abcde", min_size=1, max_size=5)}),
        max_size=60,
    ),
    cuts=st.lists(st.integers(0, 60), max_size=4),
)
def test_units_over_any_split_give_the_whole_batch(rows: list[dict[str, int | str]], cuts: list[int]) -> None:
    whole, counts = _run(_shape(), rows)
    bounds = [0, *sorted(c for c in cuts if c <= len(rows)), len(rows)]
    parts = [_run(_shape(), rows[lo:hi]) for lo, hi in itertools.pairwise(bounds)]

    def key(r: dict[str, object]) -> str:
        return repr(sorted(r.items()))

    assert sorted(map(key, (r for p, _ in parts for r in p))) == sorted(map(key, whole))
    assert sum(c.input_rows for _, c in parts) == counts.input_rows
    assert sum(c.dropped for _, c in parts) == counts.dropped
    for i in range(len(RULES)):
        assert sum(c.counts[i][1] for _, c in parts) == counts.counts[i][1]
    dropped = sorted(r["a2"] for _, c in parts for t in c.dropped_rows for r in t.to_pylist())
    assert dropped == sorted(r["a2"] for t in counts.dropped_rows for r in t.to_pylist())
    numbers = [(int(r["a"]), str(r["s"])) for r in rows]
    expected = [{"a2": a * 2, "s": s.upper()} for a, s in numbers if a % 3 != 0 and a > 0]
    assert sorted(map(key, whole)) == sorted(map(key, expected))
    assert counts.dropped == sum(1 for a, _ in numbers if a % 3 != 0 and a < 0)


def test_a_null_in_a_not_null_column_fails_the_unit() -> None:
    shape = _shape()
    reader = shape.open(pa.Table.from_pylist([{"a": 1, "s": None}], schema=SCHEMA).to_reader())
    with pytest.raises(Exception, match="DELTA_NOT_NULL_CONSTRAINT_VIOLATED"):
        reader.read_all()


def test_what_ray_shows_of_a_unit_names_the_flow_only() -> None:
    shape = _shape()
    shape.sql = "SELECT 'a literal the query holds' AS x FROM __lakeloader_stream"
    assert repr(shape) == "RowWise(flow t of main.x.t)"
