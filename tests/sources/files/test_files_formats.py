"""Readers: every format and its options, compressed inputs, property round trips for CSV and JSON."""

from __future__ import annotations

import csv
import gzip
import io
import json
from pathlib import Path
from typing import Any

import pyarrow as pa
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from lakeloader import read_files
from lakeloader.sources.files.formats import create_reader, read_file
from lakeloader.sources.files.options import parse_options


def _read(fmt: str, path: Path, **options: Any) -> Any:
    return read_file(create_reader(fmt), str(path), parse_options({"format": fmt, **options}), None)


def test_ndjson_plain_gzip_zstd(tmp_path: Path) -> None:
    text = b'{"a": 1, "b": {"c": [1, 2]}}\n{"a": 2, "b": {"c": []}}\n'
    (tmp_path / "x.json").write_bytes(text)
    (tmp_path / "x.json.gz").write_bytes(gzip.compress(text))
    with pa.output_stream(str(tmp_path / "x.json.zst"), compression="zstd") as out:
        out.write(text)
    for name in ("x.json", "x.json.gz", "x.json.zst"):
        got = _read("json", tmp_path / name, inferColumnTypes=True)
        assert got.table.to_pylist() == [{"a": 1, "b": {"c": [1, 2]}}, {"a": 2, "b": {"c": []}}], name


def test_json_multiline_and_malformed_lines(tmp_path: Path) -> None:
    (tmp_path / "doc.json").write_text(json.dumps([{"a": 1}, {"a": 2}], indent=2))
    assert _read("json", tmp_path / "doc.json", multiLine=True).table.num_rows == 2
    (tmp_path / "one.json").write_text(json.dumps({"a": {"b": 1}}, indent=2))
    assert _read("json", tmp_path / "one.json", multiLine=True).table.to_pylist() == [{"a": {"b": 1}}]
    (tmp_path / "bad.json").write_text('{"a": 1}\n{"a": \n[1]\n{"a": 3}\n')
    got = _read("json", tmp_path / "bad.json")
    assert got.table.column("a").to_pylist() == [1, 3]
    assert [(b.line, b.raw) for b in got.bad] == [(2, '{"a":'), (3, "[1]")]
    assert got.bad[0].offset == len('{"a": 1}\n')


def test_json_mixed_types_between_lines_become_text(tmp_path: Path) -> None:
    (tmp_path / "m.json").write_text('{"a": 1}\n{"a": "x"}\n')
    got = _read("json", tmp_path / "m.json")
    assert got.table.column("a").to_pylist() == ["1", "x"] and not got.bad


def test_csv_options(tmp_path: Path) -> None:
    (tmp_path / "h.csv").write_text('id;name\n1;"a;b"\n2;"say ""hi"""\n')
    got = _read("csv", tmp_path / "h.csv", header=True, sep=";")
    assert got.table.to_pylist() == [{"id": "1", "name": "a;b"}, {"id": "2", "name": 'say "hi"'}]
    (tmp_path / "e.csv").write_text("1,'x\\'y'\n")
    got = _read("csv", tmp_path / "e.csv", quote="'", escape="\\")
    assert got.table.to_pylist() == [{"_c0": "1", "_c1": "x'y"}]
    (tmp_path / "l.csv").write_bytes("id,name\n1,Zoë\n".encode("latin-1"))
    got = _read("csv", tmp_path / "l.csv", header=True, encoding="latin-1", inferColumnTypes=True)
    assert got.table.to_pylist() == [{"id": 1, "name": "Zoë"}]
    (tmp_path / "ml.csv").write_text('id,txt\n1,"two\nlines"\n')
    assert _read("csv", tmp_path / "ml.csv", header=True, multiLine=True).table.column("txt").to_pylist() == [
        "two\nlines"
    ]


def test_csv_wrong_column_count_is_bad_with_line(tmp_path: Path) -> None:
    (tmp_path / "b.csv").write_text("id,name\n1,a\n2,b,c\n3,c\n")
    got = _read("csv", tmp_path / "b.csv", header=True)
    assert got.table.column("id").to_pylist() == ["1", "3"]
    assert [(b.line, b.raw) for b in got.bad] == [(3, "2,b,c")]


def test_text_and_binary(tmp_path: Path) -> None:
    (tmp_path / "t.txt").write_bytes(b"one\ntwo\r\n\xff\xfe\n")
    got = _read("text", tmp_path / "t.txt")
    assert got.table.column("value").to_pylist() == ["one", "two"] and got.bad[0].line == 3
    assert _read("text", tmp_path / "t.txt", wholetext=True, encoding="latin-1").table.num_rows == 1
    got = _read("binaryFile", tmp_path / "t.txt")
    assert got.table.column("content").to_pylist() == [b"one\ntwo\r\n\xff\xfe\n"]
    assert got.table.column("length").to_pylist() == [12]


def test_unreadable_and_vanished_files_are_bad_records(tmp_path: Path) -> None:
    (tmp_path / "x.parquet").write_bytes(b"PAR1 not really")
    assert "unreadable" in _read("parquet", tmp_path / "x.parquet").bad[0].reason
    assert "vanished" in _read("avro", tmp_path / "gone.avro").bad[0].reason


_text = st.text(st.characters(blacklist_categories=("Cs", "Cc")), max_size=12)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(rows=st.lists(st.tuples(_text, _text, st.integers(-(2**40), 2**40)), min_size=1, max_size=20))
def test_csv_round_trip(tmp_path: Path, rows: list[tuple[str, str, int]]) -> None:
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(["a", "b", "n"])
    writer.writerows(rows)
    path = tmp_path / "rt.csv"
    path.write_text(buf.getvalue(), encoding="utf-8")
    got = read_files(str(path), format="csv", header=True, multiLine=True)
    assert [(r["a"] or "", r["b"] or "", int(r["n"])) for r in got.to_pylist()] == rows


_json_value = st.recursive(
    st.none() | st.booleans() | st.integers(-(2**53), 2**53) | _text,
    lambda inner: st.lists(inner, max_size=3),
    max_leaves=5,
)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(rows=st.lists(st.fixed_dictionaries({"k": st.integers(0, 10**6), "v": _text}), min_size=1, max_size=20))
def test_json_round_trip(tmp_path: Path, rows: list[dict[str, Any]]) -> None:
    path = tmp_path / "rt.json"
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))
    got = read_files(str(path), format="json", inferColumnTypes=True)
    assert got.select(["k", "v"]).to_pylist() == rows


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(values=st.lists(_json_value, min_size=1, max_size=10))
def test_json_any_values_never_lose_a_row(tmp_path: Path, values: list[Any]) -> None:
    path = tmp_path / "any.json"
    path.write_text("".join(json.dumps({"x": v}) + "\n" for v in values))
    got = read_files(str(path), format="json")
    assert got.num_rows == len(values)
    assert "_corrupt_record" not in got.column_names


@pytest.mark.parametrize("codec", ["null", "deflate", "snappy", "zstandard"])
def test_avro_codecs(tmp_path: Path, codec: str) -> None:
    import fastavro

    schema = {
        "type": "record",
        "name": "r",
        "fields": [
            {"name": "id", "type": "long"},
            {"name": "tags", "type": {"type": "array", "items": "string"}},
            {"name": "amount", "type": ["null", "double"]},
        ],
    }
    records = [{"id": i, "tags": ["a"] * (i % 3), "amount": None if i % 2 else i / 2} for i in range(50)]
    if codec == "snappy":  # fastavro needs cramjam to write snappy; polars writes it natively
        import polars as pl

        pl.from_dicts(records).write_avro(tmp_path / "x.avro", compression="snappy")
    else:
        with open(tmp_path / "x.avro", "wb") as fh:
            fastavro.writer(fh, schema, records, codec=codec)
    got = _read("avro", tmp_path / "x.avro")
    assert got.table.to_pylist() == records


def test_truncated_avro_keeps_the_records_before_the_damage(tmp_path: Path) -> None:
    import fastavro

    schema = {"type": "record", "name": "r", "fields": [{"name": "id", "type": "long"}]}
    with open(tmp_path / "t.avro", "wb") as fh:
        fastavro.writer(fh, schema, [{"id": i} for i in range(1000)], codec="deflate", sync_interval=500)
    data = (tmp_path / "t.avro").read_bytes()
    (tmp_path / "t.avro").write_bytes(data[: len(data) - 40])
    got = _read("avro", tmp_path / "t.avro")
    assert 0 < got.table.num_rows < 1000
    assert got.table.column("id").to_pylist() == list(range(got.table.num_rows))
    assert got.bad[0].offset == got.table.num_rows and "corrupt Avro" in got.bad[0].reason
