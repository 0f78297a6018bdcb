"""Avro types polars cannot read (unions of several types, maps), and Rust panics caught per file (issue 10: 7)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pyarrow as pa
from tests.sources.files.conftest import Ingest, bad_records, read_table

from lakeloader.lakehouse.root import Lakehouse
from lakeloader.sources.files.formats import FileRead, read_file
from lakeloader.sources.files.options import parse_options


def _avro(path: Path, fields: list[dict[str, Any]], records: list[dict[str, Any]]) -> Path:
    import fastavro

    schema = {"type": "record", "name": "r", "namespace": "t", "fields": fields}
    with open(path, "wb") as fh:
        fastavro.writer(fh, schema, records)
    return path


def test_a_union_of_several_types_is_a_struct_of_members(ingest: Ingest, lh: Lakehouse, landing: Path) -> None:
    point = {"type": "record", "name": "P", "fields": [{"name": "x", "type": "int"}]}
    fields = [
        {"name": "id", "type": "long"},
        {"name": "v", "type": ["null", "long", "string"]},
        {"name": "w", "type": ["int", point]},
        {"name": "n", "type": ["int", "long"]},
    ]
    records = [
        {"id": 1, "v": 5, "w": 3, "n": 1},
        {"id": 2, "v": "five", "w": {"x": 7}, "n": 2**40},
        {"id": 3, "v": None, "w": 4, "n": 3},
    ]
    _avro(landing / "u.avro", fields, records)
    got = ingest(format="avro")
    assert got.stats.bad_records == 0
    table = read_table(lh)
    assert table.schema.field("v").type == pa.struct([("member0", pa.int64()), ("member1", pa.string())])
    assert table.schema.field("n").type == pa.int64()  # spark-avro: int and long make a long
    rows = sorted(table.to_pylist(), key=lambda r: r["id"])
    assert [r["v"] for r in rows] == [
        {"member0": 5, "member1": None},
        {"member0": None, "member1": "five"},
        None,
    ]
    assert [r["w"] for r in rows] == [
        {"member0": 3, "member1": None},
        {"member0": None, "member1": {"x": 7}},
        {"member0": 4, "member1": None},
    ]
    assert [r["n"] for r in rows] == [1, 2**40, 3]


def test_a_map_field_is_read_as_a_map(ingest: Ingest, lh: Lakehouse, landing: Path, tmp_path: Path) -> None:
    fields = [
        {"name": "id", "type": "long"},
        {"name": "attrs", "type": {"type": "map", "values": "long"}},
        {"name": "tags", "type": ["null", {"type": "map", "values": "string"}]},
    ]
    _avro(
        landing / "m.avro",
        fields,
        [{"id": 1, "attrs": {"a": 1, "b": 2}, "tags": None}, {"id": 2, "attrs": {}, "tags": {"k": "v"}}],
    )
    got = ingest(format="avro")
    assert got.stats.bad_records == 0 and bad_records(tmp_path).num_rows == 0
    table = read_table(lh)
    assert table.schema.field("attrs").type == pa.map_(pa.string(), pa.int64())
    rows = sorted(table.to_pylist(), key=lambda r: r["id"])
    assert [r["attrs"] for r in rows] == [[("a", 1), ("b", 2)], []]
    assert [r["tags"] for r in rows] == [None, [("k", "v")]]


def test_other_columns_keep_the_types_polars_gives(ingest: Ingest, lh: Lakehouse, landing: Path) -> None:
    """A file that needs the slow reader stores the same types as one polars reads: they share one table."""
    import datetime

    plain = [
        {"name": "id", "type": "long"},
        {"name": "i", "type": "int"},
        {"name": "f", "type": "float"},
        {"name": "ts", "type": {"type": "long", "logicalType": "timestamp-micros"}},
        {"name": "d", "type": {"type": "int", "logicalType": "date"}},
        {"name": "e", "type": {"type": "enum", "name": "E", "symbols": ["A", "B"]}},
        {"name": "dec", "type": {"type": "bytes", "logicalType": "decimal", "precision": 10, "scale": 2}},
        {"name": "tags", "type": {"type": "array", "items": "string"}},
    ]
    ts = datetime.datetime(2024, 1, 2, 3, 4, 5, tzinfo=datetime.UTC)
    import decimal

    row = {
        "id": 1,
        "i": 2,
        "f": 1.5,
        "ts": ts,
        "d": datetime.date(2024, 1, 2),
        "e": "B",
        "dec": decimal.Decimal("1.25"),
        "tags": ["x"],
    }
    _avro(landing / "a.avro", plain, [row])
    ingest(format="avro")
    _avro(
        landing / "b.avro",
        [*plain, {"name": "m", "type": {"type": "map", "values": "int"}}],
        [{**row, "id": 2, "m": {"k": 1}}],
    )
    got = ingest(format="avro")
    assert got.stats.bad_records == 0 and got.stats.rows == 1
    rows = sorted(read_table(lh).to_pylist(), key=lambda r: r["id"])
    assert rows[1] == {**rows[0], "id": 2, "m": [("k", 1)]}


def test_a_rust_panic_in_a_reader_is_a_bad_record(landing: Path) -> None:
    import polars as pl

    path = _avro(landing / "m.avro", [{"name": "m", "type": {"type": "map", "values": "long"}}], [{"m": {"a": 1}}])

    def polars_only(p: str, options: Any, schema: Any) -> FileRead:
        return FileRead(pl.read_avro(p).to_arrow())  # polars panics on Avro maps

    got = read_file(polars_only, str(path), parse_options({"format": "avro"}), None)
    assert got.table is None and "panic" in got.bad[0].reason.lower()
