"""Text formats keep what the file says: JSON numbers as written, CSV empty vs null, BOMs, headers, short rows.

Issue 10 items 3 and 6, and CSV line numbers (14).
"""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pyarrow as pa
import pytest
from tests.sources.files.conftest import Ingest, bad_records, read_table

from lakeloader.lakehouse.root import Lakehouse

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
