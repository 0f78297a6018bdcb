"""Avro schemas that evolve: each file with its own writer's values, or resolved against a declared .avsc (issue 20)."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pyarrow as pa
import pytest
from tests.sources.files.conftest import Ingest, bad_records, read_table
from tests.sources.files.test_files_avro_spec import write_apache, write_fastavro

from lakeloader.lakehouse.root import Lakehouse
from lakeloader.sources.files.formats.avro import avsc_to_arrow


def _record(fields: list[dict[str, Any]], name: str = "Claim", namespace: str = "w") -> dict[str, Any]:
    return {"type": "record", "name": name, "namespace": namespace, "fields": fields}


V1 = _record([{"name": "id", "type": "int"}, {"name": "name", "type": "string"}])
V2 = _record([*V1["fields"], {"name": "status", "type": "string", "default": "open"}])
V3 = _record(
    [
        {"name": "id", "type": "long"},
        {"name": "status", "type": "string", "default": "open"},
        {"name": "amount", "type": "int", "default": 0},
    ]
)  # name removed, id promoted
V4 = _record(
    [
        {"name": "id", "type": "long"},
        {"name": "full_name", "type": "string", "aliases": ["name"]},
        {"name": "status", "type": "string", "default": "open"},
        {"name": "amount", "type": "long", "default": 0},
    ]
)  # name renamed (with an alias), amount promoted
FILES = [
    ("1.avro", V1, [{"id": 1, "name": "a"}]),
    ("2.avro", V2, [{"id": 2, "name": "b", "status": "paid"}]),
    ("3.avro", V3, [{"id": 3, "status": "open", "amount": 30}]),
    ("4.avro", V4, [{"id": 4, "full_name": "d", "status": "denied", "amount": 2**40}]),
]


@pytest.mark.parametrize("writer", ["fastavro", "apache"])
def test_files_of_successive_writer_schemas_land_with_their_own_values(
    writer: str, ingest: Ingest, lh: Lakehouse, landing: Path, tmp_path: Path
) -> None:
    """No declared schema: each file is read with its own writer schema; the table grows as for any format."""
    write = write_fastavro if writer == "fastavro" else write_apache
    for name, schema, rows in FILES:
        write(landing / name, schema, rows)
        got = ingest(format="avro", includeMetadata=True)
        assert got.stats.bad_records == 0, bad_records(tmp_path).to_pylist()
    table = read_table(lh)
    assert {"id", "name", "status", "amount", "full_name"} <= set(table.column_names)
    by_file = {r["_metadata"]["file_name"]: r for r in table.to_pylist()}
    for name, _, rows in FILES:
        got = by_file[name]
        rescued = json.loads(got["_rescued_data"]) if got.get("_rescued_data") else {}
        landed = {k: v for k, v in got.items() if v is not None and k not in ("_metadata", "_rescued_data")}
        landed.update({k: v for k, v in rescued.items() if k != "_file_path"})
        assert landed == rows[0], name  # a value too wide for the column is rescued, never lost


READER = _record(
    [
        {"name": "id", "type": "long"},
        {"name": "full_name", "type": "string", "aliases": ["name"], "default": "unknown"},
        {"name": "status", "type": "string", "default": "open"},
        {"name": "amount", "type": ["null", "double"], "default": None},
        {"name": "tier", "type": {"type": "enum", "name": "Tier", "symbols": ["GOLD", "BASIC"]}, "default": "BASIC"},
        {
            "name": "fee",
            "type": {"type": "bytes", "logicalType": "decimal", "precision": 6, "scale": 2},
            "default": "\u0001\u0000",
        },
    ],
    namespace="declared",
)
READER_TYPES = {
    "id": pa.int64(),
    "full_name": pa.string(),
    "status": pa.string(),
    "amount": pa.float64(),
    "tier": pa.string(),
    "fee": pa.decimal128(6, 2),
}


def _reference(path: Path, reader: dict[str, Any]) -> list[dict[str, Any]]:
    """What fastavro's schema resolution makes of the file (its JSON defaults decoded as the spec says)."""
    import fastavro

    with open(path, "rb") as fh:
        rows: list[Any] = list(fastavro.reader(fh, reader_schema=reader))
    for row in rows:
        if isinstance(row.get("fee"), str):  # fastavro leaves a default as its JSON text
            import decimal

            raw = row["fee"].encode("latin-1")
            row["fee"] = decimal.Decimal(int.from_bytes(raw, "big", signed=True)).scaleb(-2)
    return rows


def _declared_ingest(
    ingest: Ingest, tmp_path: Path, landing: Path, reader: dict[str, Any], writer: str
) -> list[dict[str, Any]]:
    write = write_fastavro if writer == "fastavro" else write_apache
    for name, schema, rows in FILES:
        write(landing / name, schema, rows)
    (tmp_path / "claims.avsc").write_text(json.dumps(reader))
    got = ingest(format="avro", schema=str(tmp_path / "claims.avsc"))
    assert got.stats.bad_records == 0, bad_records(tmp_path).to_pylist()
    expected: list[dict[str, Any]] = []
    for name, _, _ in FILES:
        expected += _reference(landing / name, reader)
    return sorted(expected, key=lambda r: r["id"])


@pytest.mark.parametrize("writer", ["fastavro", "apache"])
def test_a_declared_avsc_resolves_each_file_as_avro_specifies(
    writer: str, ingest: Ingest, lh: Lakehouse, landing: Path, tmp_path: Path
) -> None:
    """Defaults fill missing fields, the alias finds the renamed field, int and long widen to double."""
    expected = _declared_ingest(ingest, tmp_path, landing, READER, writer)
    table = read_table(lh)
    assert {f.name: f.type for f in table.schema} == READER_TYPES  # the declared fields, no others
    assert sorted(table.to_pylist(), key=lambda r: r["id"]) == expected
    assert [r["full_name"] for r in expected] == ["a", "b", "unknown", "d"]


def test_a_declared_avsc_with_nested_changes_resolves_each_record(
    ingest: Ingest, lh: Lakehouse, landing: Path, tmp_path: Path
) -> None:
    """A nested field added with a default, an enum symbol the reader lacks: fastavro resolves record by record."""
    point = {"type": "record", "name": "Pt", "fields": [{"name": "x", "type": "int"}]}
    writer = _record(
        [
            {"name": "id", "type": "long"},
            {"name": "p", "type": point},
            {"name": "e", "type": {"type": "enum", "name": "E", "symbols": ["A", "B", "GONE"]}},
        ]
    )
    reader = copy.deepcopy(writer)
    reader["fields"][1]["type"]["fields"].append({"name": "y", "type": "string", "default": "none"})
    reader["fields"][1]["type"]["fields"][0]["type"] = "long"
    reader["fields"][2]["type"].update(symbols=["A", "B", "OTHER"], default="OTHER")
    path = write_fastavro(
        landing / "n.avro", writer, [{"id": 1, "p": {"x": 5}, "e": "GONE"}, {"id": 2, "p": {"x": 6}, "e": "A"}]
    )
    (tmp_path / "r.avsc").write_text(json.dumps(reader))
    got = ingest(format="avro", schema=str(tmp_path / "r.avsc"))
    assert got.stats.bad_records == 0, bad_records(tmp_path).to_pylist()
    table = read_table(lh)
    assert table.schema.field("p").type == pa.struct([("x", pa.int64()), ("y", pa.string())])
    assert sorted(table.to_pylist(), key=lambda r: r["id"]) == _reference(path, reader)


def test_a_declared_field_without_default_that_a_file_lacks_makes_it_a_bad_file(
    ingest: Ingest, landing: Path, tmp_path: Path
) -> None:
    write_fastavro(landing / "1.avro", V1, [{"id": 1, "name": "a"}])
    reader = _record([{"name": "id", "type": "long"}, {"name": "status", "type": "string"}])
    (tmp_path / "r.avsc").write_text(json.dumps(reader))
    got = ingest(format="avro", schema=str(tmp_path / "r.avsc"))
    assert got.stats.bad_records == 1
    assert "field status has no default" in bad_records(tmp_path).to_pylist()[0]["reason"]


def test_avsc_to_arrow_takes_defaults_and_named_types_used_twice() -> None:
    """polars 2 refused any .avsc with a field default: the declared schema could not even be loaded."""
    avsc = _record(
        [
            {
                "name": "a",
                "type": {"type": "record", "name": "P", "fields": [{"name": "x", "type": "int", "default": 1}]},
            },
            {"name": "b", "type": ["null", "P"], "default": None},
            {"name": "t", "type": {"type": "int", "logicalType": "time-millis"}, "default": 0},
        ]
    )
    arrow = avsc_to_arrow(json.dumps(avsc))
    point = pa.struct([("x", pa.int32())])
    assert list(zip(arrow.names, arrow.types, strict=True)) == [("a", point), ("b", point), ("t", pa.int32())]


def test_declared_schema_with_the_writer_schema_reads_fast(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The claims example declares the schema its files are written with: no record-by-record resolution."""
    from lakeloader.sources.files.formats import avro, avro_resolve, read_file
    from lakeloader.sources.files.options import parse_options

    path = write_fastavro(tmp_path / "c.avro", V2, [{"id": 1, "name": "a", "status": "paid"}])
    monkeypatch.setattr(avro_resolve, "_each_record", lambda *a: pytest.fail("resolved record by record"))
    got = read_file(avro.read, str(path), parse_options({"format": "avro"}), avsc_to_arrow(V2))
    assert (
        got.bad == [] and got.table is not None and got.table.to_pylist() == [{"id": 1, "name": "a", "status": "paid"}]
    )
