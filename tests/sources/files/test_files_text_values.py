"""Text formats keep what the file says: JSON numbers as written, CSV empty vs null, BOMs, headers, short rows.

Issue 10 items 3 and 6, and CSV line numbers (14).
"""

from __future__ import annotations

import io
import json
from decimal import Decimal
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.json as pj
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from tests.sources.files.conftest import Ingest, bad_records, read_table

from lakeloader.lakehouse.root import Lakehouse
from lakeloader.sources.files.formats import json as fjson
from lakeloader.sources.files.options import parse_options

NUMBERS = (
    '{"id": 1, "n": 12345678901234567.89, "p": 19.90, "x": 1e400, "big": 123456789012345678901234567890, "z": -0}\n'
)


def test_json_numbers_keep_their_text_in_string_mode(ingest: Ingest, lh: Lakehouse, landing: Path) -> None:
    (landing / "n.json").write_text(NUMBERS + '{"id": 2, "n": 1.5, "p": 2, "s": {"q": 0.10, "l": [1.0, 2.50]}}\n')
    ingest(format="json")
    rows = sorted(read_table(lh).to_pylist(), key=lambda r: r["id"])
    assert rows[0]["n"] == "12345678901234567.89" and rows[0]["p"] == "19.90" and rows[0]["x"] == "1e400"
    assert rows[0]["big"] == "123456789012345678901234567890" and rows[0]["z"] == "-0"
    assert rows[1]["n"] == "1.5" and rows[1]["p"] == "2" and rows[1]["s"] == {"q": "0.10", "l": ["1.0", "2.50"]}


def test_json_floats_in_an_otherwise_fast_file_keep_their_text(ingest: Ingest, lh: Lakehouse, landing: Path) -> None:
    (landing / "f.json").write_text("".join(f'{{"id": {i}, "amount": {i}.10}}\n' for i in range(100)))
    ingest(format="json")
    amounts = sorted(read_table(lh).column("amount").to_pylist(), key=lambda s: float(s))
    assert amounts == [f"{i}.10" for i in range(100)]


def test_json_integers_beyond_int64_are_decimals_when_typed(ingest: Ingest, lh: Lakehouse, landing: Path) -> None:
    (landing / "b.json").write_text('{"big": 123456789012345678901234567890, "i": 1}\n{"big": 7, "i": 2}\n')
    ingest(format="json", inferColumnTypes=True)
    table = read_table(lh)
    assert table.schema.field("big").type == pa.decimal128(30, 0) and table.schema.field("i").type == pa.int64()
    assert sorted(table.column("big").to_pylist()) == [Decimal(7), Decimal("123456789012345678901234567890")]


def test_csv_integers_beyond_int64_are_decimals_when_typed(ingest: Ingest, lh: Lakehouse, landing: Path) -> None:
    (landing / "b.csv").write_text("big,f\n123456789012345678901234567890,1.5\n7,2\n")
    ingest(format="csv", header=True, inferColumnTypes=True)
    table = read_table(lh)
    assert table.schema.field("big").type == pa.decimal128(30, 0) and table.schema.field("f").type == pa.float64()


def test_csv_bom_is_not_part_of_the_first_name(ingest: Ingest, lh: Lakehouse, landing: Path) -> None:
    (landing / "1.csv").write_bytes("\ufeffid,name\n1,a\n".encode())
    ingest(format="csv", header=True)
    (landing / "2.csv").write_bytes(b"id,name\n2,b\n")
    ingest(format="csv", header=True)
    table = read_table(lh)
    assert [n for n in table.column_names if not n.startswith("_")] == ["id", "name"]
    assert sorted(table.column("id").to_pylist()) == ["1", "2"]


@pytest.mark.parametrize("typed", [False, True])
def test_csv_unquoted_empty_is_null_and_quoted_empty_is_text(
    ingest: Ingest, lh: Lakehouse, landing: Path, typed: bool
) -> None:
    (landing / "e.csv").write_text('id,a,b\n1,,""\n2,x,y\n')
    ingest(format="csv", header=True, inferColumnTypes=typed)
    rows = sorted(read_table(lh).to_pylist(), key=lambda r: int(r["id"]))
    assert (rows[0]["a"], rows[0]["b"]) == (None, "")


def test_csv_duplicate_header_names_get_their_position(ingest: Ingest, lh: Lakehouse, landing: Path) -> None:
    (landing / "d.csv").write_text("id,val,Val,\n1,a,b,c\n")
    ingest(format="csv", header=True)
    row = read_table(lh).to_pylist()[0]
    assert {k: v for k, v in row.items() if k != "_rescued_data"} == {"id": "1", "val1": "a", "Val2": "b", "_c3": "c"}


def test_csv_short_rows_fill_the_missing_columns(ingest: Ingest, lh: Lakehouse, landing: Path, tmp_path: Path) -> None:
    (landing / "s.csv").write_text('id,name,city\n1,a,x\n2\n3,"c"\n4,d,y,extra\n5,e,z\n')
    got = ingest(format="csv", header=True)
    rows = [{k: v for k, v in r.items() if k in ("id", "name", "city")} for r in read_table(lh).to_pylist()]
    rows = sorted((r for r in rows if r["id"]), key=lambda r: r["id"])
    assert rows == [
        {"id": "1", "name": "a", "city": "x"},
        {"id": "2", "name": None, "city": None},
        {"id": "3", "name": "c", "city": None},
        {"id": "5", "name": "e", "city": "z"},
    ]
    bad = bad_records(tmp_path).to_pylist()
    assert got.stats.bad_records == 1 and [(b["line"], b["raw"]) for b in bad] == [(5, "4,d,y,extra")]


def test_csv_bad_row_line_is_the_physical_line(ingest: Ingest, landing: Path, tmp_path: Path) -> None:
    (landing / "m.csv").write_text('id,txt\n1,"two\nlines"\n\n2,"three\nmore\nlines"\n3,a,b\n4,ok\n')
    ingest(format="csv", header=True, multiLine=True)
    bad = bad_records(tmp_path).to_pylist()
    assert [(b["line"], b["raw"]) for b in bad] == [(8, "3,a,b")]


def test_json_with_a_key_twice_is_a_bad_record(ingest: Ingest, lh: Lakehouse, landing: Path, tmp_path: Path) -> None:
    (landing / "k.json").write_text('{"id": 1, "a": "first", "a": "second"}\n{"id": 2, "a": "x"}\n')
    got = ingest(format="json", mode="DROPMALFORMED")
    assert read_table(lh).column("id").to_pylist() == ["2"] and got.stats.bad_records == 1
    assert bad_records(tmp_path).column("raw").to_pylist() == ['{"id": 1, "a": "first", "a": "second"}']


def _exact(text: str) -> pa.Table:
    """What Python's parser makes of NDJSON `text` with typed inference: the reference the fast path must equal."""
    lines = [line for line in text.splitlines() if line.strip()]
    return fjson.rows_to_table([fjson.loads(line, raw=False) for line in lines])


def _typed(text: str) -> pa.Table:
    got = fjson.parse("f.json", text.encode(), parse_options({"format": "json", "inferColumnTypes": "true"}), None)
    assert not got.bad and got.table is not None
    return got.table


@pytest.mark.parametrize("big", ["9223372036854775808", "-9223372036854775809", "99999999999999999999"])
@pytest.mark.parametrize(
    "shape",
    ['{{"n": {big}, "f": 1.5}}\n{{"n": 7, "f": 2.5}}\n', '{{"s": {{"n": {big}}}}}\n', '{{"l": [1, {big}]}}\n'],
    ids=["column", "struct", "list"],
)
def test_json_integers_just_past_int64_are_found_at_any_depth(shape: str, big: str) -> None:
    """pyarrow reads them as doubles (digits lost); the reader spots those doubles and parses the file exactly."""
    text = shape.format(big=big)
    assert str(int(big)) not in str(pj.read_json(io.BytesIO(text.encode())).to_pylist())  # pyarrow alone loses it
    table = _typed(text)
    assert table.equals(_exact(text)) and big in str(table.to_pylist())


def test_json_int64_edges_and_long_digit_runs_keep_the_fast_path() -> None:
    """19-digit runs that are not integers past int64 (an int64, a fraction, an id in a string) change nothing."""
    text = (
        '{"n": 9223372036854775807, "m": -9223372036854775808, "f": 0.12345678901234567890, '
        '"id": "C1234567890123456789", "d": "2020-11-03"}\n'
    )
    table = _typed(text)
    assert table.schema.field("n").type == pa.int64() and table.schema.field("f").type == pa.float64()
    assert table.to_pylist()[0]["n"] == 2**63 - 1 and table.to_pylist()[0]["m"] == -(2**63)
    assert table.equals(pj.read_json(io.BytesIO(text.encode())))  # pyarrow's own reading: no Python parse


# Plain numbers: pyarrow's table is kept. Integers stay within 2**53: one past it beside a float in a list is a
# double in pyarrow's table, as in Spark's, where the reference below (pa.array) would make the list JSON text.
_plain = st.integers(-(2**53), 2**53) | st.floats(-1e15, 1e15)
_edge = st.sampled_from([2**63 - 1, 2**63, -(2**63), -(2**63) - 1, 10**20, -(10**30), 1e19, -1e300])
_number = _plain | _plain | _plain | _edge | st.floats(allow_nan=False, allow_infinity=False)
_shapes = st.recursive(st.just("n"), lambda inner: st.tuples(st.sampled_from(["list", "struct"]), inner), max_leaves=3)


def _values(shape: Any) -> st.SearchStrategy[Any]:
    """Numbers (or nulls) in one nesting shape: `"n"`, `("list", shape)` or `("struct", shape)`."""
    if shape == "n":
        return _number | st.none()
    kind, inner = shape
    if kind == "list":
        return st.lists(_values(inner), max_size=3)
    return st.fixed_dictionaries({"a": _values(inner)})


@settings(max_examples=150, deadline=None)
@given(data=st.data(), shape=_shapes)
def test_json_typed_numbers_equal_an_exact_parse(data: st.DataObject, shape: Any) -> None:
    """With inferColumnTypes a file's numbers, at any depth, are what Python's exact parse makes of them."""
    rows = data.draw(st.lists(st.fixed_dictionaries({"x": _values(shape), "y": _number}), min_size=1, max_size=8))
    text = "".join(json.dumps(r) + "\n" for r in rows)
    assert _typed(text).equals(_exact(text))
