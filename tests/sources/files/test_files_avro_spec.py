"""Every valid Avro file lands with its own values in spark-avro's types, whoever wrote it (issue 20).

Each case is written by fastavro and by the Apache `avro` package and ingested end to end into a Delta table.
"""

from __future__ import annotations

import datetime as dt
import decimal
import io
import json
import uuid
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pyarrow as pa
import pytest
from tests.sources.files.conftest import Ingest, bad_records, read_table

from lakeloader.lakehouse.root import Lakehouse
from lakeloader.sources.files.formats import avro, read_file
from lakeloader.sources.files.options import parse_options

UTC = dt.UTC
T = dt.datetime(1960, 1, 2, 3, 4, 5, 6000, tzinfo=UTC)  # before the epoch: negative raw values
T2 = dt.datetime(2024, 2, 29, 23, 59, 59, 999000, tzinfo=UTC)
P = {"type": "record", "name": "P", "fields": [{"name": "x", "type": "long"}]}
OPTIONS = parse_options({"format": "avro"})


def schema_of(fields: list[dict[str, Any]]) -> dict[str, Any]:
    return {"type": "record", "name": "r", "namespace": "t", "fields": [{"name": "id", "type": "long"}, *fields]}


def write_fastavro(path: Path, schema: dict[str, Any], records: list[dict[str, Any]], codec: str = "null") -> Path:
    import fastavro

    with open(path, "wb") as fh:
        fastavro.writer(fh, fastavro.parse_schema(schema), records, codec=codec)
    return path


def write_apache(path: Path, schema: dict[str, Any], records: list[dict[str, Any]], codec: str = "null") -> Path:
    import avro.datafile
    import avro.io
    import avro.schema

    with warnings.catch_warnings():  # it warns of the logical types it does not know, and writes their base type
        warnings.simplefilter("ignore")
        parsed = avro.schema.parse(json.dumps(schema))
    with open(path, "wb") as fh:
        writer = avro.datafile.DataFileWriter(fh, avro.io.DatumWriter(), parsed, codec=codec)
        for record in records:
            writer.append(record)
        writer.close()
    return path


WRITERS = {"fastavro": write_fastavro, "apache": write_apache}


@dataclass
class Case:
    id: str
    fields: list[dict[str, Any]]
    values: list[dict[str, Any]]  # as fastavro takes them (ids are added)
    types: dict[str, pa.DataType]  # as the Delta table stores them
    expect: list[dict[str, Any]]  # as the Delta table returns them
    apache: list[dict[str, Any]] | None = None  # as the Apache writer takes them, when it differs


def _ts(lt: str, base: str = "long") -> dict[str, Any]:
    return {"type": base, "logicalType": lt}


_DEC = {"type": "bytes", "logicalType": "decimal", "precision": 10, "scale": 2}
_DECF = {"type": "fixed", "name": "D8", "size": 8, "logicalType": "decimal", "precision": 10, "scale": 2}
_ENUM = {"type": "enum", "name": "E", "symbols": ["A", "B", "C"]}
_FIXED = {"type": "fixed", "name": "F", "size": 4}
NANOS = -315356154994000001
EPOCH = dt.datetime(1970, 1, 1, tzinfo=UTC)

CASES = [
    Case(
        "defaults",
        [
            {"name": "status", "type": "string", "default": "open"},
            {"name": "n", "type": "int", "default": 0},
            {"name": "tags", "type": {"type": "array", "items": "string"}, "default": []},
            {"name": "p", "type": {**P, "fields": [{"name": "x", "type": "long", "default": 1}]}, "default": {"x": 2}},
            {"name": "e", "type": {**_ENUM, "default": "A"}, "default": "B"},
            {"name": "b", "type": "bytes", "default": "\u00ff"},
            {"name": "o", "type": ["long", "null"], "default": 3},
            {"name": "m", "type": ["null", "string"], "default": None},
        ],
        [
            {"status": "paid", "n": 5, "tags": ["a"], "p": {"x": 9}, "e": "C", "b": b"\x01", "o": None, "m": "z"},
            {"status": "open", "n": -1, "tags": [], "p": {"x": -9}, "e": "A", "b": b"", "o": 7, "m": None},
        ],
        {
            "status": pa.string(),
            "n": pa.int32(),
            "tags": pa.list_(pa.string()),
            "p": pa.struct([("x", pa.int64())]),
            "e": pa.string(),
            "b": pa.binary(),
            "o": pa.int64(),
            "m": pa.string(),
        },
        [
            {"status": "paid", "n": 5, "tags": ["a"], "p": {"x": 9}, "e": "C", "b": b"\x01", "o": None, "m": "z"},
            {"status": "open", "n": -1, "tags": [], "p": {"x": -9}, "e": "A", "b": b"", "o": 7, "m": None},
        ],
    ),
    Case(
        "aliases",
        [{"name": "amount", "type": "double", "aliases": ["amt", "t.old_amount"]}, {"name": "s", "type": "string"}],
        [{"amount": 1.5, "s": "x"}],
        {"amount": pa.float64(), "s": pa.string()},
        [{"amount": 1.5, "s": "x"}],
    ),
    Case(
        "named_types_used_twice",
        [
            {"name": "a", "type": P},
            {"name": "b", "type": "P"},
            {"name": "c", "type": {"type": "array", "items": "t.P"}},
            {"name": "e1", "type": _ENUM},
            {"name": "e2", "type": ["null", "E"]},
            {"name": "f1", "type": _FIXED},
            {"name": "f2", "type": "t.F"},
            {
                "name": "q",
                "type": {
                    "type": "record",
                    "name": "Q",
                    "namespace": "other",
                    "fields": [{"name": "p", "type": "t.P"}, {"name": "self_ns", "type": {**P, "name": "P"}}],
                },
            },
            {"name": "q2", "type": "other.Q"},
        ],
        [
            {
                "a": {"x": 1},
                "b": {"x": 2},
                "c": [{"x": 3}],
                "e1": "A",
                "e2": "B",
                "f1": b"abcd",
                "f2": b"efgh",
                "q": {"p": {"x": 4}, "self_ns": {"x": 5}},
                "q2": {"p": {"x": 6}, "self_ns": {"x": 7}},
            }
        ],
        {
            "a": pa.struct([("x", pa.int64())]),
            "c": pa.list_(pa.struct([("x", pa.int64())])),
            "e2": pa.string(),
            "f2": pa.binary(),
        },
        [
            {
                "a": {"x": 1},
                "b": {"x": 2},
                "c": [{"x": 3}],
                "e1": "A",
                "e2": "B",
                "f1": b"abcd",
                "f2": b"efgh",
                "q": {"p": {"x": 4}, "self_ns": {"x": 5}},
                "q2": {"p": {"x": 6}, "self_ns": {"x": 7}},
            }
        ],
    ),
    Case(
        "enum_and_fixed",
        [{"name": "e", "type": _ENUM}, {"name": "f", "type": _FIXED}],
        [{"e": "C", "f": b"\x00\xff\x00\x01"}, {"e": "A", "f": b"abcd"}],
        {"e": pa.string(), "f": pa.binary()},
        [{"e": "C", "f": b"\x00\xff\x00\x01"}, {"e": "A", "f": b"abcd"}],
    ),
    Case(
        "decimals",
        [
            {"name": "d", "type": _DEC},
            {"name": "df", "type": _DECF},
            {"name": "d0", "type": {"type": "bytes", "logicalType": "decimal", "precision": 5}},
            {"name": "wide", "type": {"type": "bytes", "logicalType": "decimal", "precision": 40, "scale": 3}},
        ],
        [
            {
                "d": decimal.Decimal("-1.25"),
                "df": decimal.Decimal("12345678.90"),
                "d0": decimal.Decimal("-99999"),
                "wide": decimal.Decimal("-1234567890123456789012345678901234567.891"),
            }
        ],
        {"d": pa.decimal128(10, 2), "df": pa.decimal128(10, 2), "d0": pa.decimal128(5, 0), "wide": pa.string()},
        [
            {
                "d": decimal.Decimal("-1.25"),
                "df": decimal.Decimal("12345678.90"),
                "d0": decimal.Decimal("-99999"),
                "wide": "-1234567890123456789012345678901234567.891",
            }
        ],
    ),
    Case(
        "uuid_date_time",
        [
            {"name": "u", "type": {"type": "string", "logicalType": "uuid"}},
            {"name": "uf", "type": {"type": "fixed", "name": "U16", "size": 16, "logicalType": "uuid"}},
            {"name": "d", "type": _ts("date", "int")},
            {"name": "tm", "type": _ts("time-millis", "int")},
            {"name": "tu", "type": _ts("time-micros")},
        ],
        [
            {
                "u": uuid.UUID(int=5),
                "uf": uuid.UUID(int=6).bytes,
                "d": dt.date(1960, 1, 2),
                "tm": dt.time(1, 2, 3, 4000),
                "tu": dt.time(1, 2, 3, 4),
            }
        ],
        {"u": pa.string(), "uf": pa.binary(), "d": pa.date32(), "tm": pa.int32(), "tu": pa.int64()},
        [
            {
                "u": str(uuid.UUID(int=5)),
                "uf": uuid.UUID(int=6).bytes,
                "d": dt.date(1960, 1, 2),
                "tm": 3723004,
                "tu": 3723000004,
            }
        ],  # spark-avro: time as ms / µs since midnight
        apache=[
            {
                "u": str(uuid.UUID(int=5)),
                "uf": uuid.UUID(int=6).bytes,
                "d": dt.date(1960, 1, 2),
                "tm": dt.time(1, 2, 3, 4000),
                "tu": dt.time(1, 2, 3, 4),
            }
        ],
    ),
    Case(
        "timestamps",
        [
            {"name": "ms", "type": _ts("timestamp-millis")},
            {"name": "us", "type": _ts("timestamp-micros")},
            {"name": "ns", "type": _ts("timestamp-nanos")},
            {"name": "lms", "type": _ts("local-timestamp-millis")},
            {"name": "lus", "type": _ts("local-timestamp-micros")},
            {"name": "lns", "type": _ts("local-timestamp-nanos")},
            {"name": "dur", "type": {"type": "fixed", "name": "Dur", "size": 12, "logicalType": "duration"}},
        ],
        [
            {
                "ms": T,
                "us": T2,
                "ns": NANOS,
                "lms": T.replace(tzinfo=None),
                "lus": T2.replace(tzinfo=None),
                "lns": NANOS,
                "dur": b"\x01\x00\x00\x00\x02\x00\x00\x00\x03\x00\x00\x00",
            }
        ],
        {
            "ms": pa.timestamp("us", tz="UTC"),
            "us": pa.timestamp("us", tz="UTC"),
            "ns": pa.int64(),
            "lms": pa.timestamp("us"),
            "lus": pa.timestamp("us"),
            "lns": pa.int64(),
            "dur": pa.binary(),
        },
        [
            {
                "ms": T,
                "us": T2,
                "ns": NANOS,
                "lms": T.replace(tzinfo=None),
                "lus": T2.replace(tzinfo=None),
                "lns": NANOS,
                "dur": b"\x01\x00\x00\x00\x02\x00\x00\x00\x03\x00\x00\x00",
            }
        ],
        apache=[
            {
                "ms": T,
                "us": T2,
                "ns": NANOS,
                "lms": (T - EPOCH) // dt.timedelta(milliseconds=1),
                "lus": (T2 - EPOCH) // dt.timedelta(microseconds=1),
                "lns": NANOS,
                "dur": b"\x01\x00\x00\x00\x02\x00\x00\x00\x03\x00\x00\x00",
            }
        ],
    ),
    Case(
        "nested_records_and_arrays",
        [
            {
                "name": "outer",
                "type": {
                    "type": "record",
                    "name": "O",
                    "fields": [
                        {
                            "name": "inner",
                            "type": {"type": "record", "name": "I", "fields": [{"name": "s", "type": "string"}]},
                        },
                        {"name": "grid", "type": {"type": "array", "items": {"type": "array", "items": "int"}}},
                    ],
                },
            },
            {
                "name": "lines",
                "type": {
                    "type": "array",
                    "items": {
                        "type": "record",
                        "name": "L",
                        "fields": [{"name": "n", "type": "int"}, {"name": "code", "type": ["null", "string"]}],
                    },
                },
            },
            {"name": "maybe", "type": {"type": "array", "items": ["null", P]}},
        ],
        [
            {
                "outer": {"inner": {"s": "é"}, "grid": [[1, 2], []]},
                "lines": [{"n": 1, "code": None}, {"n": 2, "code": "x"}],
                "maybe": [None, {"x": 1}],
            }
        ],
        {"lines": pa.list_(pa.struct([("n", pa.int32()), ("code", pa.string())]))},
        [
            {
                "outer": {"inner": {"s": "é"}, "grid": [[1, 2], []]},
                "lines": [{"n": 1, "code": None}, {"n": 2, "code": "x"}],
                "maybe": [None, {"x": 1}],
            }
        ],
    ),
    Case(
        "maps",
        [
            {"name": "m", "type": {"type": "map", "values": "long"}},
            {"name": "mr", "type": {"type": "map", "values": P}},
            {"name": "nm", "type": ["null", {"type": "map", "values": {"type": "array", "items": "string"}}]},
        ],
        [{"m": {"a": 1, "b": -2}, "mr": {"k": {"x": 3}}, "nm": None}, {"m": {}, "mr": {}, "nm": {"z": ["q"]}}],
        {"m": pa.map_(pa.string(), pa.int64()), "nm": pa.map_(pa.string(), pa.list_(pa.string()))},
        [{"m": [("a", 1), ("b", -2)], "mr": [("k", {"x": 3})], "nm": None}, {"m": [], "mr": [], "nm": [("z", ["q"])]}],
    ),
    Case(
        "unions",
        [
            {"name": "nx", "type": ["null", "int"]},
            {"name": "xn", "type": ["string", "null"]},
            {"name": "il", "type": ["int", "long"]},
            {"name": "fd", "type": ["null", "float", "double"]},
            {"name": "many", "type": ["null", "long", "string", P, _ENUM]},
            {"name": "one", "type": ["boolean"]},
            {"name": "nothing", "type": "null"},
        ],
        [
            {"nx": 1, "xn": None, "il": 2**40, "fd": 0.5, "many": "s", "one": True, "nothing": None},
            {"nx": None, "xn": "y", "il": 3, "fd": None, "many": {"x": 4}, "one": False, "nothing": None},
            {"nx": 2, "xn": "z", "il": -3, "fd": 2.5, "many": 7, "one": True, "nothing": None},
        ],
        {
            "il": pa.int64(),
            "fd": pa.float64(),
            "nothing": pa.string(),
            "one": pa.bool_(),
            "many": pa.struct(
                [
                    ("member0", pa.int64()),
                    ("member1", pa.string()),
                    ("member2", pa.struct([("x", pa.int64())])),
                    ("member3", pa.string()),
                ]
            ),
        },
        [
            {
                "nx": 1,
                "xn": None,
                "il": 2**40,
                "fd": 0.5,
                "one": True,
                "nothing": None,
                "many": {"member0": None, "member1": "s", "member2": None, "member3": None},
            },
            {
                "nx": None,
                "xn": "y",
                "il": 3,
                "fd": None,
                "one": False,
                "nothing": None,
                "many": {"member0": None, "member1": None, "member2": {"x": 4}, "member3": None},
            },
            {
                "nx": 2,
                "xn": "z",
                "il": -3,
                "fd": 2.5,
                "one": True,
                "nothing": None,
                "many": {"member0": 7, "member1": None, "member2": None, "member3": None},
            },
        ],
    ),
]


def _records(case: Case, writer: str) -> list[dict[str, Any]]:
    values = case.apache if writer == "apache" and case.apache is not None else case.values
    return [{"id": i, **v} for i, v in enumerate(values)]


@pytest.mark.parametrize("writer", sorted(WRITERS))
@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_a_valid_file_lands_with_its_values_in_spark_types(
    case: Case, writer: str, ingest: Ingest, lh: Lakehouse, landing: Path, tmp_path: Path
) -> None:
    WRITERS[writer](landing / "f.avro", schema_of(case.fields), _records(case, writer))
    got = ingest(format="avro")
    assert got.stats.bad_records == 0, bad_records(tmp_path).to_pylist()
    table = read_table(lh)
    for name, expected in case.types.items():
        assert table.schema.field(name).type == expected, name
    rows = sorted(table.to_pylist(), key=lambda r: r["id"])
    assert [{k: v for k, v in r.items() if k not in ("id", "_rescued_data")} for r in rows] == case.expect


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_either_reader_gives_one_arrow_table(case: Case, tmp_path: Path) -> None:
    """polars (with its header made plain) and fastavro read each file to the very same Arrow table."""
    from lakeloader.sources.files.formats import avro_container as container
    from lakeloader.sources.files.formats import avro_schema as schemas

    path = write_fastavro(tmp_path / "f.avro", schema_of(case.fields), _records(case, "fastavro"))
    data = path.read_bytes()
    header = container.parse_header(data)
    plain = schemas.normalise(header.schema)
    fast = read_file(avro.read, str(path), OPTIONS, None)
    exact = avro.records(str(path), data, header, plain)
    assert fast.bad == exact.bad == []
    assert fast.table is not None and exact.table is not None
    assert fast.table.schema == exact.table.schema == schemas.arrow_schema(plain)
    assert fast.table.equals(exact.table)


def _relabel(data: bytes, schema: dict[str, Any]) -> bytes:
    """The container with `schema` in its header instead (the data blocks as they are), built with fastavro only."""
    import fastavro
    from fastavro.read import HEADER_SCHEMA

    fo = io.BytesIO(data)
    head: Any = fastavro.schemaless_reader(fo, HEADER_SCHEMA, None)
    head["meta"]["avro.schema"] = json.dumps(schema).encode()
    out = io.BytesIO()
    fastavro.schemaless_writer(out, HEADER_SCHEMA, head)
    return out.getvalue() + data[fo.tell() :]


def test_a_union_value_lands_in_the_member_of_the_branch_it_was_written_with(tmp_path: Path) -> None:
    """["int", "long", "string"]: a small long stays a long (member1), a double is not squeezed into a float."""
    wrap = [
        {"type": "record", "name": f"w{i}", "fields": [{"name": "v", "type": t}]}
        for i, t in enumerate(["int", "long", "string", "float", "double"])
    ]
    # a one-field record encodes as its field: written through the wrappers, the branches are chosen exactly
    written = schema_of([{"name": "u", "type": wrap}])
    plain = schema_of([{"name": "u", "type": ["int", "long", "string", "float", "double"]}])
    records = [
        {"id": 0, "u": ("t.w1", {"v": 5})},
        {"id": 1, "u": ("t.w0", {"v": 5})},
        {"id": 2, "u": ("t.w4", {"v": 0.1})},
    ]
    path = write_fastavro(tmp_path / "w.avro", written, records)
    path.write_bytes(_relabel(path.read_bytes(), plain))
    got = read_file(avro.read, str(path), OPTIONS, None)
    assert got.bad == [] and got.table is not None
    members = [{k: v for k, v in u.items() if v is not None} for u in got.table.column("u").to_pylist()]
    assert members == [{"member1": 5}, {"member0": 5}, {"member4": 0.1}]


def test_an_invalid_decimal_reads_as_its_bytes(tmp_path: Path) -> None:
    """Two bytes hold 4 digits, not 10: the spec says to ignore the logical type (fastavro refuses the schema)."""
    fixed = {"type": "fixed", "name": "F2", "size": 2}
    path = write_fastavro(tmp_path / "d.avro", schema_of([{"name": "d", "type": fixed}]), [{"id": 1, "d": b"\xff\xfe"}])
    bad_decimal = {**fixed, "logicalType": "decimal", "precision": 10, "scale": 2}
    path.write_bytes(_relabel(path.read_bytes(), schema_of([{"name": "d", "type": bad_decimal}])))
    got = read_file(avro.read, str(path), OPTIONS, None)
    assert got.bad == [] and got.table is not None
    assert got.table.schema.field("d").type == pa.binary() and got.table.column("d").to_pylist() == [b"\xff\xfe"]
