"""Nested evolution and names differing by case: every mode at every depth, in every format (issue 10: 1, 2, 11)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from tests.sources.files.conftest import Ingest, read_table, write_ndjson

from lakeloader.errors import SchemaMismatchError
from lakeloader.lakehouse.root import Lakehouse
from lakeloader.sources.files.schema import SchemaStore

CUSTOMER = pa.struct([("name", pa.string())])
CUSTOMER2 = pa.struct([("name", pa.string()), ("email", pa.string())])


def _write(fmt: str, path: Path, rows: list[dict[str, Any]], schema: pa.Schema) -> Path:
    """One file of `rows` in `fmt` with Arrow `schema` (JSON ignores the schema: its text says it all)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    if fmt == "json":
        return write_ndjson(path, rows)
    table = pa.Table.from_pylist(rows, schema=schema)
    if fmt == "parquet":
        pq.write_table(table, path)
    else:
        import polars as pl

        pl.from_arrow(table).write_avro(path)  # type: ignore[union-attr]
    return path


def _rows(lh: Lakehouse) -> list[dict[str, Any]]:
    return sorted(read_table(lh).to_pylist(), key=lambda r: int(r["id"]))


def _rescued(row: dict[str, Any]) -> dict[str, Any] | None:
    text = row.get("_rescued_data")
    return None if text is None else dict(json.loads(text))


@pytest.mark.parametrize("fmt", ["json", "parquet", "avro"])
@pytest.mark.parametrize("mode", ["addNewColumns", "rescue", "failOnNewColumns", "none"])
def test_a_new_nested_field_follows_the_mode(
    ingest: Ingest, lh: Lakehouse, landing: Path, tmp_path: Path, fmt: str, mode: str
) -> None:
    schema1 = pa.schema([("id", pa.int64()), ("customer", CUSTOMER)])
    schema2 = pa.schema([("id", pa.int64()), ("customer", CUSTOMER2)])
    _write(fmt, landing / f"1.{fmt}", [{"id": 1, "customer": {"name": "Ann"}}], schema1)
    ingest(format=fmt, schemaEvolutionMode=mode)
    second = _write(fmt, landing / f"2.{fmt}", [{"id": 2, "customer": {"name": "Bob", "email": "b@x"}}], schema2)
    if mode == "failOnNewColumns":
        with pytest.raises(SchemaMismatchError, match=r"customer\.email"):
            ingest(format=fmt, schemaEvolutionMode=mode)
        assert read_table(lh).num_rows == 1
        return
    got = ingest(format=fmt, schemaEvolutionMode=mode)
    rows = _rows(lh)
    if mode == "addNewColumns":
        assert rows[1]["customer"] == {"name": "Bob", "email": "b@x"}
        assert rows[0]["customer"] == {"name": "Ann", "email": None}
        assert got.stats.schema_versions == [1]
        assert "email" in SchemaStore(tmp_path / "cp_bronze.t").history()[-1]["ddl"]
        assert _rescued(rows[1]) is None
    elif mode == "rescue":
        assert rows[1]["customer"] == {"name": "Bob"}
        assert _rescued(rows[1]) == {"customer": {"email": "b@x"}, "_file_path": str(second)}
        assert got.stats.schema_versions == []
    else:  # none: dropped, knowingly (no rescue column in this mode)
        assert rows[1]["customer"] == {"name": "Bob"} and "_rescued_data" not in rows[1]


@pytest.mark.parametrize("mode", ["addNewColumns", "rescue"])
def test_a_list_of_structs_gaining_a_field(ingest: Ingest, lh: Lakehouse, landing: Path, mode: str) -> None:
    write_ndjson(landing / "1.json", [{"id": 1, "items": [{"sku": "a"}]}])
    ingest(format="json", schemaEvolutionMode=mode)
    second = write_ndjson(landing / "2.json", [{"id": 2, "items": [{"sku": "b"}, {"sku": "c", "qty": "3"}]}])
    ingest(format="json", schemaEvolutionMode=mode)
    row = _rows(lh)[1]
    if mode == "addNewColumns":
        assert row["items"] == [{"sku": "b", "qty": None}, {"sku": "c", "qty": "3"}]
    else:
        assert row["items"] == [{"sku": "b"}, {"sku": "c"}]
        assert _rescued(row) == {"items": [None, {"qty": "3"}], "_file_path": str(second)}


def test_both_files_in_one_batch_grow_the_struct(ingest: Ingest, lh: Lakehouse, landing: Path) -> None:
    write_ndjson(landing / "1.json", [{"id": 1, "customer": {"name": "Ann"}}])
    write_ndjson(landing / "2.json", [{"id": 2, "customer": {"name": "Bob", "email": "b@x"}}])
    got = ingest(format="json")
    assert got.stats.batches == 1
    assert [r["customer"] for r in _rows(lh)] == [{"name": "Ann", "email": None}, {"name": "Bob", "email": "b@x"}]


def test_a_new_field_deep_down_in_parquet(ingest: Ingest, lh: Lakehouse, landing: Path) -> None:
    inner1 = pa.struct([("b", pa.struct([("c", pa.int32())]))])
    inner2 = pa.struct([("b", pa.struct([("c", pa.int32()), ("d", pa.list_(pa.string()))]))])
    _write(
        "parquet",
        landing / "1.parquet",
        [{"id": 1, "a": {"b": {"c": 1}}}],
        pa.schema([("id", pa.int64()), ("a", inner1)]),
    )
    ingest(format="parquet")
    row2 = {"id": 2, "a": {"b": {"c": 2, "d": ["x", "y"]}}}
    _write("parquet", landing / "2.parquet", [row2], pa.schema([("id", pa.int64()), ("a", inner2)]))
    ingest(format="parquet")
    assert [r["a"] for r in _rows(lh)] == [{"b": {"c": 1, "d": None}}, {"b": {"c": 2, "d": ["x", "y"]}}]


def test_columns_differing_only_by_case_in_one_file(ingest: Ingest, lh: Lakehouse, landing: Path) -> None:
    write_ndjson(landing / "1.json", [{"id": 1, "a": "first", "b": "x"}])
    ingest(format="json")
    second = write_ndjson(landing / "2.json", [{"id": 2, "a": "lower", "A": "UPPER", "B": "other"}])
    ingest(format="json")
    row = _rows(lh)[1]
    assert row["a"] == "lower" and row["b"] is None  # the spelling the schema has keeps its column
    assert _rescued(row) == {"A": "UPPER", "B": "other", "_file_path": str(second)}
    assert "A" not in read_table(lh).column_names and "B" not in read_table(lh).column_names


def test_nested_fields_differing_only_by_case(ingest: Ingest, lh: Lakehouse, landing: Path) -> None:
    write_ndjson(landing / "1.json", [{"id": 1, "c": {"x": "1"}}])
    ingest(format="json")
    second = write_ndjson(landing / "2.json", [{"id": 2, "c": {"x": "2", "X": "3"}}])
    ingest(format="json")
    row = _rows(lh)[1]
    assert row["c"] == {"x": "2"}
    assert _rescued(row) == {"c": {"X": "3"}, "_file_path": str(second)}


def test_a_first_file_with_a_and_capital_a(ingest: Ingest, lh: Lakehouse, landing: Path, tmp_path: Path) -> None:
    first = write_ndjson(landing / "1.json", [{"id": 1, "a": "lower", "A": "UPPER", "s": {"k": "1", "K": "2"}}])
    ingest(format="json")
    ingest(format="json")  # and every later run works too
    row = _rows(lh)[0]
    assert row["a"] == "lower" and row["s"] == {"k": "1"}
    assert _rescued(row) == {"A": "UPPER", "s": {"K": "2"}, "_file_path": str(first)}
    ddl = SchemaStore(tmp_path / "cp_bronze.t").history()[0]["ddl"]
    assert "A " not in ddl and "K:" not in ddl


def test_reader_case_sensitive_false_matches_any_case(ingest: Ingest, lh: Lakehouse, landing: Path) -> None:
    write_ndjson(landing / "1.json", [{"id": 1, "name": "Ann"}])
    ingest(format="json", readerCaseSensitive=False)
    write_ndjson(landing / "2.json", [{"id": 2, "NAME": "Bob"}])
    ingest(format="json", readerCaseSensitive=False)
    assert [r["name"] for r in _rows(lh)] == ["Ann", "Bob"]
    assert all(r["_rescued_data"] is None for r in _rows(lh))


def test_nested_schema_hints(ingest: Ingest, lh: Lakehouse, landing: Path) -> None:
    write_ndjson(landing / "1.json", [{"id": 1, "s": {"c": 5, "d": "x"}, "arr": [1, 2], "m": {"k": {"v": 1}}}])
    ingest(format="json", schemaHints="s.c BIGINT, arr.element INT, m.k.v DOUBLE, s.new DATE")
    types = {f.name: f.type for f in read_table(lh).schema}
    assert types["s"] == pa.struct([("c", pa.int64()), ("d", pa.string()), ("new", pa.date32())])
    assert types["arr"] == pa.list_(pa.int32())
    assert types["m"] == pa.struct([("k", pa.struct([("v", pa.float64())]))])
    assert _rows(lh)[0]["s"] == {"c": 5, "d": "x", "new": None}


def test_a_parquet_file_with_one_name_twice_is_a_bad_file(
    ingest: Ingest, lh: Lakehouse, landing: Path, tmp_path: Path
) -> None:
    from tests.sources.files.conftest import bad_records

    pq.write_table(pa.table({"id": [1]}), landing / "1.parquet")
    ingest(format="parquet")
    twice = pa.Table.from_arrays([pa.array([2]), pa.array([3]), pa.array([4])], names=["id", "a", "a"])
    pq.write_table(twice, landing / "2.parquet")
    got = ingest(format="parquet")
    assert got.stats.bad_files == 1 and "two fields named a" in bad_records(tmp_path).column("reason").to_pylist()[0]
