"""Avro codecs, damage and polars' refusals: a file is bad only when its bytes break the spec (issue 20)."""

from __future__ import annotations

import decimal
import io
import shutil
import struct
import zlib
from pathlib import Path
from typing import Any

import pyarrow as pa
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from tests.sources.files.conftest import Ingest, bad_records, read_table
from tests.sources.files.test_files_avro_spec import OPTIONS, schema_of, write_apache, write_fastavro

from lakeloader.lakehouse.root import Lakehouse
from lakeloader.sources.files.formats import avro, read_file

CENT = decimal.Decimal("0.01")  # the Apache writer writes a Decimal's own digits: give it the schema's scale
_E = {"type": "enum", "name": "E", "symbols": ["A", "B"]}
FAST: list[dict[str, Any]] = [  # polars reads these once the header is made plain
    {"name": "status", "type": "string", "default": "open"},
    {"name": "amount", "type": {"type": "bytes", "logicalType": "decimal", "precision": 12, "scale": 2}},
    {"name": "codes", "type": {"type": "array", "items": "string"}, "default": []},
]
RECORDS: list[dict[str, Any]] = [  # polars cannot read these: a map and a union of several types
    {"name": "status", "type": "string", "default": "open"},
    {"name": "attrs", "type": {"type": "map", "values": "long"}},
    {"name": "v", "type": ["null", "long", "string", _E]},
]


def _fast_rows(n: int) -> list[dict[str, Any]]:
    return [
        {"id": i, "status": f"s{i % 3}", "amount": (decimal.Decimal(i) / 4).quantize(CENT), "codes": ["x"] * (i % 3)}
        for i in range(n)
    ]


def _records_rows(n: int) -> list[dict[str, Any]]:
    return [{"id": i, "status": "s", "attrs": {"k": i}, "v": [None, i, str(i)][i % 3]} for i in range(n)]


def _expected_records(row: dict[str, Any]) -> dict[str, Any]:
    v = row["v"]
    ints, texts = isinstance(v, int), isinstance(v, str)
    member = None if v is None else {"member0": v if ints else None, "member1": v if texts else None, "member2": None}
    return {**row, "attrs": list(row["attrs"].items()), "v": member}


def _zigzag(n: int) -> bytes:
    z, out = (n << 1) ^ (n >> 63), bytearray()
    while z > 0x7F:
        out.append((z & 0x7F) | 0x80)
        z >>= 7
    out.append(z)
    return bytes(out)


def _unzigzag(data: bytes, pos: int) -> tuple[int, int]:
    shift = z = 0
    while True:
        z |= (data[pos] & 0x7F) << shift
        pos += 1
        if not data[pos - 1] & 0x80:
            return (z >> 1) ^ -(z & 1), pos
        shift += 7


def to_snappy(data: bytes) -> bytes:
    """A null-codec container re-encoded with the snappy codec (fastavro writes snappy only with cramjam)."""
    import fastavro
    from fastavro.read import HEADER_SCHEMA

    fo = io.BytesIO(data)
    head: Any = fastavro.schemaless_reader(fo, HEADER_SCHEMA, None)
    head["meta"]["avro.codec"] = b"snappy"
    out = io.BytesIO()
    fastavro.schemaless_writer(out, HEADER_SCHEMA, head)
    pos = fo.tell()
    while pos < len(data):
        count, pos = _unzigzag(data, pos)
        size, pos = _unzigzag(data, pos)
        block = data[pos : pos + size]
        pos += size + 16
        packed = pa.Codec("snappy").compress(block, asbytes=True) + struct.pack(">I", zlib.crc32(block))
        out.write(_zigzag(count) + _zigzag(len(packed)) + packed + head["sync"])
    return out.getvalue()


def _write_every_codec(landing: Path, fields: list[dict[str, Any]], rows: list[dict[str, Any]]) -> list[str]:
    schema = schema_of(fields)
    names = []
    for codec in ("null", "deflate", "bzip2", "xz", "zstandard"):
        write_fastavro(landing / f"fastavro-{codec}.avro", schema, rows, codec=codec)
        names.append(f"fastavro-{codec}.avro")
    for codec in ("null", "deflate", "bzip2"):  # what the Apache package writes without extra libraries
        write_apache(landing / f"apache-{codec}.avro", schema, rows, codec=codec)
        names.append(f"apache-{codec}.avro")
    snappy = landing / "fastavro-snappy.avro"
    snappy.write_bytes(to_snappy((landing / "fastavro-null.avro").read_bytes()))
    return [*names, snappy.name]


@pytest.mark.parametrize("shape", ["fast", "records"])
def test_every_codec_from_both_writers_lands_exactly(
    shape: str, ingest: Ingest, lh: Lakehouse, landing: Path, tmp_path: Path
) -> None:
    fields, rows = (FAST, _fast_rows(40)) if shape == "fast" else (RECORDS, _records_rows(40))
    names = _write_every_codec(landing, fields, rows)
    got = ingest(format="avro", includeMetadata=True)
    assert got.stats.bad_records == 0, bad_records(tmp_path).to_pylist()
    table = read_table(lh)
    expected = rows if shape == "fast" else [_expected_records(r) for r in rows]
    for name in names:
        mine = [r for r in table.to_pylist() if r["_metadata"]["file_name"] == name]
        mine = sorted(({k: v for k, v in r.items() if k in expected[0]} for r in mine), key=lambda r: r["id"])
        assert mine == expected, name


def test_realdata_avro_files(landing: Path, realdata: Path) -> None:
    """Third-party files: each codec, a sync marker in the metadata (not UTF-8); an Avro 1.2 file is refused."""
    import polars as pl

    for path in sorted((realdata / "avro").glob("*.avro")):
        got = read_file(avro.read, str(path), OPTIONS, None)
        assert got.bad == [] and got.table is not None, path.name
        if path.name != "weather-zstd.avro":
            assert got.table.num_rows == pl.read_avro(path).height
    shutil.copy(realdata / "avro" / "test.avro12", landing / "old.avro")
    got = read_file(avro.read, str(landing / "old.avro"), OPTIONS, None)
    assert got.table is None and "version 0" in got.bad[0].reason


def test_a_truncated_file_with_defaults_keeps_the_records_before_the_damage(tmp_path: Path) -> None:
    import fastavro

    path = tmp_path / "t.avro"
    with open(path, "wb") as fh:
        fastavro.writer(fh, schema_of(FAST), _fast_rows(1000), codec="deflate", sync_interval=500)
    data = path.read_bytes()
    path.write_bytes(data[:-40])
    got = read_file(avro.read, str(path), OPTIONS, None)
    assert got.table is not None and 0 < got.table.num_rows < 1000
    assert got.table.column("id").to_pylist() == list(range(got.table.num_rows))
    assert len(got.bad) == 1 and got.bad[0].offset == got.table.num_rows and "corrupt Avro" in got.bad[0].reason


def test_a_block_out_of_sync_is_reported_and_the_blocks_before_it_kept(tmp_path: Path) -> None:
    import fastavro

    path = tmp_path / "s.avro"
    with open(path, "wb") as fh:
        fastavro.writer(fh, schema_of(RECORDS), _records_rows(600), sync_interval=400)
    data = bytearray(path.read_bytes())
    sync = bytes(data[-16:])
    header_end = data.index(sync) + 16
    second_end = data.index(sync, data.index(sync, header_end) + 16)  # the end of the second data block
    data[second_end] ^= 0xFF
    path.write_bytes(bytes(data))
    got = read_file(avro.read, str(path), OPTIONS, None)
    assert got.table is not None and 0 < got.table.num_rows < 600
    assert "sync marker" in got.bad[0].reason and got.bad[0].offset == got.table.num_rows


def test_a_valid_file_polars_refuses_is_read_all_the_same(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Whatever polars raises on a valid file (an error, a panic), fastavro reads it: never a bad record."""
    import polars as pl

    path = write_fastavro(tmp_path / "v.avro", schema_of(FAST), _fast_rows(5))

    class PanicException(BaseException):  # what pyo3 raises for a Rust panic
        pass

    for error in (pl.exceptions.ComputeError("avro-error: OutOfSpec"), PanicException("unwrap on Err")):

        def refuse(*args: Any, error: BaseException = error, **kwargs: Any) -> Any:
            raise error

        monkeypatch.setattr(pl, "read_avro", refuse)
        got = read_file(avro.read, str(path), OPTIONS, None)
        assert got.bad == [] and got.table is not None and got.table.to_pylist() == _fast_rows(5)


_text = st.text(alphabet=st.characters(codec="utf-8", exclude_categories=["Cs"]), max_size=8)
_long = st.integers(-(2**63), 2**63 - 1)
_cents = st.integers(-(10**11), 10**11).map(lambda c: decimal.Decimal(c).scaleb(-2))
_rows: dict[str, st.SearchStrategy[dict[str, Any]]] = {
    "fast": st.fixed_dictionaries({"status": _text, "amount": _cents, "codes": st.lists(_text, max_size=3)}),
    "records": st.fixed_dictionaries(
        {"status": _text, "attrs": st.dictionaries(_text, _long, max_size=3), "v": st.none() | _long | _text}
    ),
}


@pytest.mark.parametrize("shape", ["fast", "records"])
@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data(), codec=st.sampled_from(["null", "deflate", "bzip2", "xz", "zstandard"]))
def test_random_records_of_a_schema_with_defaults_read_back_exactly(
    tmp_path: Path, shape: str, data: st.DataObject, codec: str
) -> None:
    rows: list[dict[str, Any]] = data.draw(st.lists(_rows[shape], max_size=30))
    records = [{"id": i, **r} for i, r in enumerate(rows)]
    fields = FAST if shape == "fast" else RECORDS
    path = write_fastavro(tmp_path / "h.avro", schema_of(fields), records, codec=codec)
    got = read_file(avro.read, str(path), OPTIONS, None)
    assert got.bad == [] and got.table is not None
    expected = records if shape == "fast" else [_expected_records(r) for r in records]
    assert got.table.to_pylist() == expected
