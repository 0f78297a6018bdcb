"""Schema: inference, stored versions, hints, declared schemas, and each evolution mode on real differences."""

from __future__ import annotations

import json
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from tests.sources.files.conftest import Ingest, bad_records, read_table, write_ndjson

from lakeloader.errors import SchemaMismatchError
from lakeloader.lakehouse.root import Lakehouse
from lakeloader.sources.files.ddl import parse_ddl, to_ddl
from lakeloader.sources.files.schema import SchemaStore


def _pq(path: Path, **columns: pa.Array) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    pq.write_table(pa.table(columns), path)
    return path


def _schema(lh: Lakehouse, name: str = "bronze.t") -> dict[str, pa.DataType]:
    return {f.name: f.type for f in read_table(lh, name).schema}


def test_add_new_columns_evolves_in_the_same_run(ingest: Ingest, lh: Lakehouse, landing: Path, tmp_path: Path) -> None:
    _pq(landing / "1.parquet", id=pa.array([1], pa.int64()))
    ingest(format="parquet")
    _pq(landing / "2.parquet", id=pa.array([2], pa.int64()), extra=pa.array(["x"]))
    got = ingest(format="parquet")
    assert got.stats.rows == 1 and got.stats.schema_versions == [1]
    rows = sorted(read_table(lh).select(["id", "extra"]).to_pylist(), key=lambda r: r["id"])
    assert rows == [{"id": 1, "extra": None}, {"id": 2, "extra": "x"}]
    versions = SchemaStore(tmp_path / "cp_bronze.t").history()
    assert [v["version"] for v in versions] == [0, 1] and "extra" in versions[1]["ddl"]


def test_a_late_file_with_new_columns_retries_the_batch(ingest: Ingest, lh: Lakehouse, landing: Path) -> None:
    write_ndjson(landing / "000.json", [{"a": 1}])
    ingest(format="json")
    for i in range(1, 40):
        write_ndjson(landing / f"{i:03d}.json", [{"a": i}] if i < 39 else [{"a": i, "late": "yes"}])
    got = ingest(format="json")
    assert got.stats.rows == 39 and got.stats.batches == 1
    table = read_table(lh)
    assert table.num_rows == 40 and table.column("late").to_pylist().count("yes") == 1


def test_int_to_long_casts_when_values_fit_and_rescues_when_not(ingest: Ingest, lh: Lakehouse, landing: Path) -> None:
    _pq(landing / "1.parquet", n=pa.array([1], pa.int32()))
    ingest(format="parquet")
    _pq(landing / "2.parquet", n=pa.array([2], pa.int64()))
    big = _pq(landing / "3.parquet", n=pa.array([3, 2**40], pa.int64()))
    ingest(format="parquet")
    assert _schema(lh)["n"] == pa.int32()
    rows = {(r["n"], r["_rescued_data"]) for r in read_table(lh).to_pylist()}
    assert (1, None) in rows and (2, None) in rows and (3, None) in rows
    rescued = [json.loads(r) for n, r in rows if n is None]
    assert rescued == [{"n": 2**40, "_file_path": str(big)}]


def test_string_where_a_number_was_is_rescued(ingest: Ingest, lh: Lakehouse, landing: Path) -> None:
    _pq(landing / "1.parquet", amount=pa.array([1.5]))
    ingest(format="parquet")
    _pq(landing / "2.parquet", amount=pa.array(["12", "abc"]))
    ingest(format="parquet")
    rows = read_table(lh).to_pylist()
    rescued = sorted(json.loads(r["_rescued_data"])["amount"] for r in rows if r["_rescued_data"])
    assert rescued == ["12", "abc"]  # typed formats: text in a number column is a mismatch, not parsed


def test_json_text_parses_into_declared_numbers(ingest: Ingest, lh: Lakehouse, landing: Path) -> None:
    write_ndjson(landing / "1.json", [{"n": 1}, {"n": "12"}, {"n": "abc"}])
    ingest(format="json", schema="n BIGINT", schemaEvolutionMode="rescue")
    rows = sorted(read_table(lh).to_pylist(), key=lambda r: r["n"] or 0)
    assert [r["n"] for r in rows] == [None, 1, 12]
    assert json.loads(rows[0]["_rescued_data"])["n"] == "abc"


def test_rescue_mode_keeps_the_schema(ingest: Ingest, lh: Lakehouse, landing: Path) -> None:
    write_ndjson(landing / "1.json", [{"a": "x"}])
    ingest(format="json", schemaEvolutionMode="rescue")
    path = write_ndjson(landing / "2.json", [{"a": "y", "b": "new"}])
    ingest(format="json", schemaEvolutionMode="rescue")
    assert "b" not in _schema(lh)
    rescued = [json.loads(r) for r in read_table(lh).column("_rescued_data").to_pylist() if r]
    assert rescued == [{"b": "new", "_file_path": str(path)}]


def test_fail_on_new_columns_commits_nothing(ingest: Ingest, lh: Lakehouse, landing: Path) -> None:
    write_ndjson(landing / "1.json", [{"a": "x"}])
    ingest(format="json", schemaEvolutionMode="failOnNewColumns")
    write_ndjson(landing / "2.json", [{"a": "y", "b": "new"}])
    with pytest.raises(SchemaMismatchError, match="new columns b"):
        ingest(format="json", schemaEvolutionMode="failOnNewColumns")
    assert read_table(lh).num_rows == 1
    with pytest.raises(SchemaMismatchError):  # the planned batch replays, and fails again
        ingest(format="json", schemaEvolutionMode="failOnNewColumns")
    got = ingest(format="json", schemaEvolutionMode="addNewColumns")
    assert got.stats.rows == 1 and "b" in _schema(lh)


def test_none_mode_ignores_new_columns_and_reports_misfits(
    ingest: Ingest, lh: Lakehouse, landing: Path, tmp_path: Path
) -> None:
    write_ndjson(landing / "1.json", [{"id": 1, "extra": "e"}, {"id": "oops"}])
    got = ingest(format="json", schema="id INT", mode="DROPMALFORMED")
    assert _schema(lh) == {"id": pa.int32()}
    assert read_table(lh).column("id").to_pylist() == [1]
    bad = bad_records(tmp_path).to_pylist()
    assert got.stats.bad_records == 1 and "does not fit" in bad[0]["reason"] and "oops" in bad[0]["raw"]
    write_ndjson(landing / "2.json", [{"id": "again"}])
    ingest(format="json", schema="id INT")  # PERMISSIVE: the row stays, its raw text in _corrupt_record
    corrupt = read_table(lh).column("_corrupt_record").drop_null().to_pylist()
    assert [json.loads(c) for c in corrupt] == [{"id": "again"}]


def test_declared_avsc_schema(ingest: Ingest, lh: Lakehouse, landing: Path, tmp_path: Path) -> None:
    import fastavro

    avsc = {
        "type": "record",
        "name": "claim",
        "fields": [
            {"name": "claim_id", "type": "string"},
            {"name": "amount", "type": "double"},
            {"name": "codes", "type": {"type": "array", "items": "string"}},
        ],
    }
    (tmp_path / "claims.avsc").write_text(json.dumps(avsc))
    with open(landing / "c.avro", "wb") as fh:
        fastavro.writer(fh, avsc, [{"claim_id": "C1", "amount": 9.5, "codes": ["I10"]}])
    ingest(format="avro", schema=str(tmp_path / "claims.avsc"))
    assert read_table(lh).to_pylist() == [{"claim_id": "C1", "amount": 9.5, "codes": ["I10"]}]


def test_infer_column_types_and_hints(ingest: Ingest, lh: Lakehouse, landing: Path) -> None:
    write_ndjson(landing / "1.json", [{"a": 1, "b": 2.5, "c": {"d": 1}}])
    ingest(format="json")
    assert _schema(lh)["a"] == pa.string() and _schema(lh)["c"] == pa.struct([("d", pa.string())])
    ingest("bronze.typed", format="json", inferColumnTypes=True, schemaHints="b DECIMAL(10,2), z DATE")
    typed = _schema(lh, "bronze.typed")
    assert typed["a"] == pa.int64() and typed["b"] == pa.decimal128(10, 2) and typed["z"] == pa.date32()


def test_schema_location_is_separate_from_the_checkpoint(ingest: Ingest, landing: Path, tmp_path: Path) -> None:
    write_ndjson(landing / "1.json", [{"a": 1}])
    ingest(format="json", schemaLocation=str(tmp_path / "schemas"))
    assert SchemaStore(tmp_path / "schemas").latest() == pa.schema([("a", pa.string())])


def test_ddl_round_trip() -> None:
    schema = parse_ddl("id BIGINT, amount DECIMAL(12,2), s STRUCT<x: INT, `a b`: MAP<STRING, DOUBLE>>, t ARRAY<DATE>")
    assert parse_ddl(to_ddl(schema)) == schema


def test_declared_ddl_longer_than_a_file_name_is_ddl() -> None:
    from lakeloader.sources.files.schema import load_declared_schema

    ddl = ", ".join(f"`column_number_{i}` string" for i in range(20))  # > 255 characters: no file can have it
    assert load_declared_schema(ddl).names == [f"column_number_{i}" for i in range(20)]
