"""Bad input: PERMISSIVE / DROPMALFORMED / FAILFAST, the bad-records table, and nothing lost, counted."""

from __future__ import annotations

import gzip
import shutil
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
import pytest
from tests.sources.files.conftest import Ingest, bad_records, read_table, write_ndjson

from lakeloader.errors import TerminalError
from lakeloader.lakehouse.root import Lakehouse
from lakeloader.sources.files import decode as files_decode
from lakeloader.sources.files import source as files_source

GOOD_LINES = 30


def _messy_json(landing: Path) -> dict[str, int]:
    """Files with good and malformed lines; returns lines per kind."""
    write_ndjson(landing / "good.json", [{"id": i, "name": f"n{i}"} for i in range(GOOD_LINES)])
    (landing / "mixed.json").write_text('{"id": 100, "name": "ok"}\n{"id": 101, "name": \nnot json at all\n[1, 2]\n')
    (landing / "trunc.json.gz").write_bytes(gzip.compress(b'{"id": 200}\n{"id": 201}\n')[:-9])
    (landing / "empty.json").write_bytes(b"")
    return {"good": GOOD_LINES + 1, "malformed": 3}


@pytest.mark.parametrize("mode", ["PERMISSIVE", "DROPMALFORMED"])
def test_nothing_lost_json(ingest: Ingest, lh: Lakehouse, landing: Path, tmp_path: Path, mode: str) -> None:
    counts = _messy_json(landing)
    got = ingest(format="json", mode=mode, inferColumnTypes=True)
    table = read_table(lh)
    bad = bad_records(tmp_path)
    by_reason = [r for r in bad.column("reason").to_pylist()]
    assert sum("malformed JSON" in r for r in by_reason) == counts["malformed"]
    assert any("zero-byte" in r for r in by_reason)
    assert any("trunc.json.gz" in p for p in bad.column("file_path").to_pylist())  # truncated gzip
    good_rows = table.filter(pc.is_valid(table["id"])).num_rows
    assert good_rows == counts["good"]
    if mode == "PERMISSIVE":
        raw = table.column("_corrupt_record").drop_null().to_pylist()
        assert sorted(raw) == sorted(['{"id": 101, "name":', "not json at all", "[1, 2]"])
    else:
        assert "_corrupt_record" not in table.column_names
    assert got.stats.bad_records == bad.num_rows
    lines = bad.filter(pc.is_valid(bad["line"])).column("line").to_pylist()
    assert sorted(lines) == [2, 3, 4]


def test_failfast_commits_nothing(ingest: Ingest, lh: Lakehouse, landing: Path, tmp_path: Path) -> None:
    write_ndjson(landing / "a.json", [{"id": 1}])
    (landing / "b.json").write_text('{"id": 2}\n{broken\n')
    with pytest.raises(TerminalError, match=r"b\.json line 2.*FAILFAST"):
        ingest(format="json", mode="FAILFAST")
    assert not (lh.table_for_write("bronze.t", writer="a test").location / "_delta_log").exists()
    assert bad_records(tmp_path).num_rows == 0
    (landing / "b.json").write_text('{"id": 2}\n')  # fixed in place: the replayed plan now reads clean
    assert ingest(format="json", mode="FAILFAST").stats.rows == 2


def test_corrupt_file_never_blocks_its_batch(ingest: Ingest, lh: Lakehouse, landing: Path, tmp_path: Path) -> None:
    pq.write_table(pa.table({"id": [1, 2]}), landing / "a.parquet")
    (landing / "b.parquet").write_bytes(b"PAR1garbagePAR1")
    good = landing / "c.parquet"
    pq.write_table(pa.table({"id": list(range(100))}), good)
    data = good.read_bytes()
    (landing / "d.parquet").write_bytes(data[: len(data) // 2])  # truncated
    got = ingest(format="parquet")
    assert got.stats.batches == 1 and read_table(lh).num_rows == 102
    bad = {Path(p).name for p in bad_records(tmp_path).column("file_path").to_pylist()}
    assert bad == {"b.parquet", "d.parquet"} and got.stats.bad_files == 2
    from lakeloader.sources.files.ledger import FileLedger

    ledger = {
        Path(r["path"]).name: r["status"] for r in FileLedger(tmp_path / "cp_bronze.t/sources/files/ledger.db").rows()
    }
    assert ledger == {"a.parquet": "ingested", "b.parquet": "bad", "c.parquet": "ingested", "d.parquet": "bad"}


def test_file_vanishing_after_planning_is_a_bad_record(
    ingest: Ingest, lh: Lakehouse, landing: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    write_ndjson(landing / "a.json", [{"id": 1}])
    gone = write_ndjson(landing / "b.json", [{"id": 2}])
    real = files_source.FilesSource.plan_next

    def plan_then_delete(self: Any, *args: Any, **kwargs: Any) -> Any:
        plan = real(self, *args, **kwargs)
        gone.unlink(missing_ok=True)
        return plan

    monkeypatch.setattr(files_source.FilesSource, "plan_next", plan_then_delete)
    got = ingest(format="json")
    assert got.stats.rows == 1
    assert "vanished" in bad_records(tmp_path).column("reason").to_pylist()[0]


def test_bad_records_path_option(ingest: Ingest, landing: Path, tmp_path: Path) -> None:
    (landing / "x.json").write_text("{oops\n")
    ingest(format="json", badRecordsPath=str(tmp_path / "bad"))
    assert (tmp_path / "bad" / "_delta_log").is_dir()


def test_bad_data_sweep_parquet_testing(
    ingest: Ingest, lh: Lakehouse, landing: Path, tmp_path: Path, realdata: Path
) -> None:
    """Every file of parquet-testing/bad_data is reported with a reason, and the run succeeds."""
    src = realdata / "parquet-testing" / "bad_data"
    names = sorted(p.name for p in src.glob("*.parquet"))
    for name in names:
        shutil.copy(src / name, landing / name)
    got = ingest(format="parquet")
    bad = bad_records(tmp_path)
    reported = {Path(p).name for p in bad.column("file_path").to_pylist()}
    assert all(r for r in bad.column("reason").to_pylist())
    # ARROW-GH-43605 (RLE dictionary indices with bit width 0) decodes consistently in pyarrow and polars: all
    # indices are 0, which is valid data; it is ingested, the other files are reported.
    assert reported == set(names) - {"ARROW-GH-43605.parquet"}
    assert got.stats.files == len(names)
    rows_in_table = read_table(lh).num_rows
    assert rows_in_table == got.stats.rows


def test_big_parquet_files_are_read_row_group_by_row_group(
    ingest: Ingest, lh: Lakehouse, landing: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Files over STREAM_FILE_BYTES never sit whole in memory; a bad row group costs only its rows."""
    from lakeloader.sources.files.formats import parquet as parquet_format

    def whole_file(*args: object) -> None:
        raise AssertionError("a big file was decoded whole")

    monkeypatch.setattr(files_decode, "STREAM_FILE_BYTES", 1)  # every file counts as big here
    monkeypatch.setattr(parquet_format, "read", whole_file)  # and must never be read whole
    table = pa.table({"id": list(range(4000)), "name": [f"n{i}" for i in range(4000)]})
    path = landing / "big.parquet"
    pq.write_table(table, path, row_group_size=1000, compression="none", use_dictionary=False)
    chunk = pq.ParquetFile(path).metadata.row_group(2).column(0)
    raw = bytearray(path.read_bytes())
    start = chunk.data_page_offset
    raw[start : start + chunk.total_compressed_size] = b"\xff" * chunk.total_compressed_size
    path.write_bytes(bytes(raw))
    got = ingest(format="parquet", copyThroughMinFileSize="off")
    assert got.stats.rows == 3000 and got.stats.bad_records == 1 and got.stats.bad_files == 0
    ids = sorted(read_table(lh).column("id").to_pylist())
    assert ids == [*range(0, 2000), *range(3000, 4000)]
    bad = bad_records(tmp_path).to_pylist()
    assert [(b["offset"], b["rows"]) for b in bad] == [(2, 1000)]
    assert bad[0]["reason"].startswith("row group 2 unreadable")
