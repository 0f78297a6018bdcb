"""A file whose bytes show another format than the stream's is refused in one line: nothing committed, nothing lost.

Before, `--format json` over Parquet files committed the Parquet bytes as `_corrupt_record` rows, marked the files
ingested and exited 0; the corrected rerun was then refused because the checkpoint belonged to `files:json`.
"""

from __future__ import annotations

import gzip
import subprocess
import sys
from pathlib import Path

import fastavro
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from tests.sources.files.conftest import Ingest, read_table, write_ndjson

from lakeloader.errors import ConfigError
from lakeloader.lakehouse import delta
from lakeloader.lakehouse.root import Lakehouse
from lakeloader.sources.files.api import read_files
from lakeloader.sources.files.ledger import FileLedger


def _parquet(folder: Path, n: int = 3) -> None:
    for i in range(n):
        pq.write_table(pa.table({"id": pa.array(range(i * 10, i * 10 + 10), pa.int64())}), folder / f"p{i}.parquet")


def _ledger_files(tmp_path: Path) -> int:
    db = tmp_path / "cp_bronze.t" / "sources" / "files" / "ledger.db"
    return len(FileLedger(db).paths()) if db.exists() else 0


def _rows(lh: Lakehouse) -> int:
    """The table's rows; a table never committed to is not even registered."""
    if lh.metastore.get("main.bronze.t") is None:
        assert not delta.is_delta_table(lh.table_for_write("bronze.t", writer="a test").location)
        return 0
    return read_table(lh).num_rows


def test_parquet_read_as_json_is_refused_then_the_corrected_run_loads_it(
    ingest: Ingest, landing: Path, lh: Lakehouse, tmp_path: Path
) -> None:
    _parquet(landing)
    with pytest.raises(ConfigError) as err:
        ingest(format="json")
    message = str(err.value)
    assert "\n" not in message
    assert "p0.parquet" in message and "is a Parquet file, not json" in message and "--format parquet" in message
    assert _rows(lh) == 0 and _ledger_files(tmp_path) == 0  # nothing committed, every file still unread
    summary = ingest(format="parquet")  # the same checkpoint: it never committed, so it takes the fix
    assert summary.stats.files == 3
    assert sorted(read_table(lh)["id"].to_pylist()) == list(range(30))


def test_avro_read_as_parquet_and_parquet_read_as_avro(ingest: Ingest, landing: Path, lh: Lakehouse) -> None:
    with open(landing / "a.avro", "wb") as fh:
        schema = {"type": "record", "name": "r", "fields": [{"name": "id", "type": "long"}]}
        fastavro.writer(fh, schema, [{"id": 1}])
    with pytest.raises(ConfigError, match=r"a\.avro is an Avro container file, not parquet: use --format avro"):
        ingest(format="parquet")
    with pytest.raises(ConfigError, match=r"a\.avro is an Avro container file, not csv"):
        ingest(format="csv")
    assert ingest(format="avro").stats.rows == 1


def test_one_stray_file_refuses_the_batch_even_in_permissive_mode(ingest: Ingest, landing: Path, lh: Lakehouse) -> None:
    write_ndjson(landing / "a.json", [{"id": 1}])
    _parquet(landing, 1)
    with pytest.raises(ConfigError, match=r"p0\.parquet is a Parquet file, not json.*pathGlobFilter"):
        ingest(format="json", mode="PERMISSIVE")
    assert _rows(lh) == 0
    assert ingest(format="json", pathGlobFilter="*.json").stats.rows == 1


def test_compressed_bytes_under_a_plain_name_are_refused(ingest: Ingest, landing: Path, lh: Lakehouse) -> None:
    (landing / "a.json").write_bytes(gzip.compress(b'{"id": 1}\n'))
    with pytest.raises(ConfigError, match=r"a\.json is gzip-compressed but its name does not say so.*end in \.gz"):
        ingest(format="json")
    (landing / "a.json").rename(landing / "a.json.gz")
    assert ingest(format="json").stats.rows == 1
    assert read_table(lh).column("id").to_pylist() == ["1"]


def test_zstd_and_unread_compressors(landing: Path) -> None:
    import pyarrow as pa

    with pa.CompressedOutputStream(str(landing / "a.csv"), "zstd") as out:
        out.write(b"id\n1\n")
    with pytest.raises(ConfigError, match=r"zstd-compressed but its name does not say so.*\.zst"):
        read_files(landing, format="csv")
    (landing / "a.csv").rename(landing / "a.csv.zst")
    assert read_files(landing, format="csv", header="true").column("id").to_pylist() == ["1"]
    (landing / "b.csv").write_bytes(b"PK\x03\x04" + b"\x00" * 40)
    with pytest.raises(ConfigError, match=r"b\.csv is zip-compressed and zip is not read: unpack it"):
        read_files(landing, format="csv")


def test_gzipped_parquet_named_gz_is_seen_through(landing: Path) -> None:
    buf = pa.BufferOutputStream()
    pq.write_table(pa.table({"id": [1]}), buf)
    (landing / "p.parquet.gz").write_bytes(gzip.compress(buf.getvalue().to_pybytes()))
    with pytest.raises(ConfigError, match=r"p\.parquet\.gz is a Parquet file, not json"):
        read_files(landing, format="json")


def test_text_that_starts_like_a_magic_is_still_text(landing: Path) -> None:
    (landing / "a.csv").write_text("ORCID,PAR1\n0000-0001,x\n")
    (landing / "b.csv").write_text("PAR1\nPAR1")  # starts and ends like Parquet, but has no footer length
    (landing / "c.csv").write_text("ORC\nORC\n")
    assert read_files(landing, format="csv", header="true", pathGlobFilter="a.csv").column_names[:2] == [
        "ORCID",
        "PAR1",
    ]
    assert sorted(read_files(landing, format="text")["value"].to_pylist()) == [
        "0000-0001,x",
        "ORC",
        "ORC",
        "ORCID,PAR1",
        "PAR1",
        "PAR1",
    ]


def test_binary_file_reads_any_bytes(landing: Path) -> None:
    _parquet(landing, 1)
    table = read_files(landing, format="binaryFile")
    assert table.num_rows == 1


def test_the_cli_says_it_in_one_line_and_exits_1(landing: Path, lh: Lakehouse, tmp_path: Path) -> None:
    _parquet(landing)
    cmd = [sys.executable, "-m", "lakeloader.cli", "--root", str(lh.root), "ingest", "files", "--path", str(landing)]
    cmd += ["--format", "json", "--target", "bronze.t", "--checkpoint", str(tmp_path / "cp"), "--no-progress"]
    done = subprocess.run(cmd, capture_output=True, text=True, timeout=120)
    assert done.returncode == 1
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and "is a Parquet file, not json: use --format parquet" in lines[0], done.stderr
