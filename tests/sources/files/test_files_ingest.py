"""Streams end to end: exactly once, batches, new files only, overwrites, extra columns, triggers, cleanSource."""

from __future__ import annotations

import os
import threading
import time
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
import pytest
from tests.sources.files.conftest import Ingest, read_table, write_ndjson

from lakeloader.errors import ConfigError, NotFoundError
from lakeloader.lakehouse.root import Lakehouse
from lakeloader.sources.files.ledger import FileLedger
from lakeloader.sources.files.runner import Trigger, ingest_files


def _files(landing: Path, n: int, rows: int = 3, sub: str = "") -> list[Path]:
    return [
        write_ndjson(landing / sub / f"f{i:03d}.json", [{"id": i * 100 + j, "v": f"r{j}"} for j in range(rows)])
        for i in range(n)
    ]


def test_new_files_only_exactly_once(ingest: Ingest, lh: Lakehouse, landing: Path) -> None:
    _files(landing, 5)
    first = ingest(format="json", maxFilesPerTrigger=2)
    assert (first.stats.files, first.stats.rows, first.stats.batches) == (5, 15, 3)
    assert ingest(format="json").stats.files == 0
    write_ndjson(landing / "late.json", [{"id": 999, "v": "x"}])
    assert ingest(format="json").stats.rows == 1
    ids = read_table(lh).column("id").to_pylist()
    assert sorted(ids) == sorted({*ids}) and len(ids) == 16


def test_max_bytes_per_trigger_is_soft(ingest: Ingest, landing: Path) -> None:
    files = [write_ndjson(landing / f"{i}.json", [{"id": i}]) for i in range(4)]  # equal sizes
    one = files[0].stat().st_size
    got = ingest(format="json", maxBytesPerTrigger=str(one + 1))  # soft: a batch may pass it by one file
    assert got.stats.batches == 2 and got.stats.files == 4


def test_same_file_name_in_two_folders(ingest: Ingest, lh: Lakehouse, landing: Path) -> None:
    write_ndjson(landing / "a" / "data.json", [{"id": 1}])
    write_ndjson(landing / "b" / "data.json", [{"id": 2}])
    assert ingest(format="json", inferColumnTypes=True).stats.rows == 2
    assert sorted(read_table(lh).column("id").to_pylist()) == [1, 2]


def test_files_appearing_during_a_run_wait_for_the_next(ingest: Ingest, lh: Lakehouse, landing: Path) -> None:
    _files(landing, 3)
    added: list[Path] = []

    def on_batch(batch_id: int, stats: object) -> None:
        if not added:
            added.extend(_files(landing, 2, sub="later"))

    first = ingest(format="json", maxFilesPerTrigger=1, on_batch=on_batch)
    assert first.stats.files == 3  # availableNow: what was there when the run started
    assert ingest(format="json").stats.files == 2
    assert read_table(lh).num_rows == 15


def test_allow_overwrites_replaces_the_files_rows(ingest: Ingest, lh: Lakehouse, landing: Path) -> None:
    path = write_ndjson(landing / "a.json", [{"id": 1, "v": "old"}, {"id": 2, "v": "old"}])
    write_ndjson(landing / "b.json", [{"id": 3, "v": "b"}])
    ingest(format="json", allowOverwrites=True, inferColumnTypes=True)
    write_ndjson(path, [{"id": 1, "v": "new"}])
    os.utime(path, ns=(time.time_ns(), time.time_ns() + 10**9))
    write_ndjson(landing / "c.json", [{"id": 4, "v": "c"}])
    got = ingest(format="json", allowOverwrites=True, inferColumnTypes=True)
    assert got.stats.files == 2
    rows = sorted((r["id"], r["v"]) for r in read_table(lh).to_pylist())
    assert rows == [(1, "new"), (3, "b"), (4, "c")]


def test_rewritten_file_is_ignored_without_allow_overwrites(ingest: Ingest, lh: Lakehouse, landing: Path) -> None:
    path = write_ndjson(landing / "a.json", [{"id": 1}])
    ingest(format="json")
    write_ndjson(path, [{"id": 1}, {"id": 2}])
    os.utime(path, ns=(time.time_ns(), time.time_ns() + 10**9))
    assert ingest(format="json").stats.files == 0
    assert read_table(lh).num_rows == 1


def test_metadata_and_audit_columns(ingest: Ingest, lh: Lakehouse, landing: Path) -> None:
    path = write_ndjson(landing / "x" / "a.json", [{"id": 1}])
    ingest(format="json", includeMetadata=True, auditColumns=True, batchIdColumn="_bid")
    row = read_table(lh).to_pylist()[0]
    meta = row["_metadata"]
    assert meta["file_path"] == str(path) and meta["file_name"] == "a.json"
    assert meta["file_size"] == path.stat().st_size
    assert meta["file_modification_time"].timestamp() == pytest.approx(path.stat().st_mtime, abs=1e-3)
    assert row["_source"] == str(path) and row["_bid"] == 0 and row["_ingested_at"] is not None


def test_include_existing_files_false(ingest: Ingest, lh: Lakehouse, landing: Path) -> None:
    _files(landing, 2)
    assert ingest(format="json", includeExistingFiles=False).stats.files == 0
    write_ndjson(landing / "new.json", [{"id": 1}])
    assert ingest(format="json", includeExistingFiles=False).stats.files == 1


def test_volume_paths(lh: Lakehouse, tmp_path: Path) -> None:
    lh.create_schema("landing")
    lh.create_volume("landing.raw")
    raw = lh.resolve_path("/Volumes/main/landing/raw/claims")
    _files(raw, 2)
    got = ingest_files(
        "bronze.claims",
        path="/Volumes/main/landing/raw/claims",
        checkpoint="/Volumes/main/landing/raw/_checkpoints/claims",
        lakehouse=lh,
        format="json",
    )
    assert got.stats.rows == 6
    assert (lh.resolve_path("/Volumes/main/landing/raw/_checkpoints/claims") / "metadata.json").exists()
    assert got.stats.files == 2  # the checkpoint inside the volume is not listed (underscore folder)


def test_missing_folder_and_bad_checkpoint(ingest: Ingest, landing: Path, lh: Lakehouse, tmp_path: Path) -> None:
    with pytest.raises(NotFoundError, match="does not exist"):
        ingest(path=landing / "nope", format="json")
    _files(landing, 1)
    ingest(format="json")
    with pytest.raises(ConfigError, match="belongs to table"):
        ingest_files("bronze.other", path=landing, checkpoint=tmp_path / "cp_bronze.t", lakehouse=lh, format="json")


def test_trigger_once_takes_everything_in_one_batch(ingest: Ingest, landing: Path) -> None:
    _files(landing, 5)
    got = ingest(format="json", trigger="once", maxFilesPerTrigger=2)
    assert (got.stats.batches, got.stats.files) == (1, 5)
    assert Trigger.parse("interval=30s") == Trigger("processingTime", 30.0)
    with pytest.raises(ConfigError):
        Trigger.parse("sometimes")


def test_processing_time_trigger_loops_until_stopped(ingest: Ingest, lh: Lakehouse, landing: Path) -> None:
    _files(landing, 1)
    stop = threading.Event()
    seen: list[int] = []

    def on_batch(batch_id: int, stats: object) -> None:
        seen.append(batch_id)
        if batch_id == 0:
            write_ndjson(landing / "second.json", [{"id": 7}])
        else:
            stop.set()

    got = ingest(format="json", trigger="interval=0.05s", on_batch=on_batch, stop=stop)
    assert seen == [0, 1] and got.stats.files == 2


def test_clean_source_delete_and_move(ingest: Ingest, lh: Lakehouse, landing: Path, tmp_path: Path) -> None:
    files = _files(landing, 2, sub="in")
    got = ingest(format="json", cleanSource="DELETE", **{"cleanSource.retentionDuration": "0s"})
    assert got.cleaned == 2 and not any(f.exists() for f in files)
    assert ingest(format="json").stats.files == 0
    archive = tmp_path / "archive"
    moved = _files(landing, 1, sub="next")
    got = ingest(
        format="json",
        cleanSource="MOVE",
        **{"cleanSource.moveDestination": str(archive), "cleanSource.retentionDuration": "0s"},
    )
    assert got.cleaned == 1 and (archive / "next" / moved[0].name).exists()
    states = {r["status"] for r in FileLedger(tmp_path / "cp_bronze.t/sources/files/ledger.db").rows()}
    assert states == {"deleted", "moved"}
    with pytest.raises(ConfigError, match="moveDestination"):
        ingest(format="json", cleanSource="MOVE")


def test_clean_source_waits_for_retention(ingest: Ingest, landing: Path) -> None:
    files = _files(landing, 1)
    assert ingest(format="json", cleanSource="DELETE").cleaned == 0 and files[0].exists()


def test_parquet_and_avro_streams(ingest: Ingest, lh: Lakehouse, landing: Path) -> None:
    import polars as pl

    pq.write_table(pa.table({"id": [1, 2], "tags": [["a"], []]}), landing / "a.parquet")
    pl.DataFrame({"id": [3], "tags": [["b", "c"]]}).write_avro(landing / "b.avro")
    ingest(format="parquet", pathGlobFilter="*.parquet")
    ingest("bronze.av", format="avro", pathGlobFilter="*.avro")
    assert read_table(lh).select(["id", "tags"]).to_pylist() == [{"id": 1, "tags": ["a"]}, {"id": 2, "tags": []}]
    assert read_table(lh, "bronze.av").select(["id", "tags"]).to_pylist() == [{"id": 3, "tags": ["b", "c"]}]
    assert read_table(lh).column("_rescued_data").null_count == 2  # inferred schema: rescue column on


def test_crash_after_commit_before_record_is_recovered(
    ingest: Ingest, lh: Lakehouse, landing: Path, tmp_path: Path
) -> None:
    """Simulate a crash between the Delta commit and the record step: the replay skips the write."""
    _files(landing, 2)
    ingest(format="json")
    cp = tmp_path / "cp_bronze.t"
    (cp / "commits" / "0.json").unlink()  # the record step never happened
    (cp / "sources" / "files" / "ledger.db").unlink()
    got = ingest(format="json")
    assert got.stats.rows == 0 and read_table(lh).num_rows == 6
    assert ingest(format="json").stats.files == 0
    assert pc.count_distinct(read_table(lh)["id"]).as_py() == 6


def test_content_hash_in_the_ledger(ingest: Ingest, landing: Path, tmp_path: Path) -> None:
    import hashlib

    path = write_ndjson(landing / "a.json", [{"id": 1}])
    ingest(format="json", contentHash=True)
    row = FileLedger(tmp_path / "cp_bronze.t/sources/files/ledger.db").rows()[0]
    assert row["content_hash"] == hashlib.blake2b(path.read_bytes(), digest_size=16).hexdigest()


def test_allow_overwrites_needs_metadata_from_the_start(ingest: Ingest, landing: Path) -> None:
    path = write_ndjson(landing / "a.json", [{"id": 1}])
    ingest(format="json")
    ingest(format="json", allowOverwrites=True)  # nothing rewritten yet: fine
    write_ndjson(path, [{"id": 2}, {"id": 3}])
    os.utime(path, ns=(time.time_ns(), time.time_ns() + 10**9))
    with pytest.raises(ConfigError, match="no _metadata column"):
        ingest(format="json", allowOverwrites=True)


def test_batches_follow_modification_order(ingest: Ingest, lh: Lakehouse, landing: Path) -> None:
    for i in range(7):
        path = write_ndjson(landing / f"z{6 - i}.json", [{"id": i}])
        os.utime(path, ns=(10**18 + i * 10**9, 10**18 + i * 10**9))
    ingest(format="json", inferColumnTypes=True, auditColumns=True, maxFilesPerTrigger=3)
    rows = sorted(read_table(lh).to_pylist(), key=lambda r: r["id"])
    assert [r["_batch_id"] for r in rows] == [0, 0, 0, 1, 1, 1, 2]


def test_skip_duplicate_files_by_content(ingest: Ingest, lh: Lakehouse, landing: Path, tmp_path: Path) -> None:
    first = write_ndjson(landing / "a" / "x.json", [{"id": 1}])
    ingest(format="json", skipDuplicateFiles=True)
    (landing / "reupload").mkdir()
    (landing / "reupload" / "x.json").write_bytes(first.read_bytes())  # same bytes, another path
    write_ndjson(landing / "b" / "y.json", [{"id": 2}])
    (landing / "b" / "y2.json").write_bytes((landing / "b" / "y.json").read_bytes())  # twice in one batch
    got = ingest(format="json", skipDuplicateFiles=True)
    assert got.stats.duplicates == 2 and "2 files skipped as byte-identical duplicates" in got.line()
    assert sorted(read_table(lh).column("id").to_pylist()) == ["1", "2"]
    statuses = sorted(r["status"] for r in FileLedger(tmp_path / "cp_bronze.t/sources/files/ledger.db").rows())
    assert statuses == ["duplicate", "duplicate", "ingested", "ingested"]


def test_a_checkpoint_inside_the_watched_folder_is_never_listed(lh: Lakehouse, landing: Path) -> None:
    write_ndjson(landing / "a.json", [{"id": 1}])
    for _ in range(2):
        got = ingest_files(
            "bronze.t",
            path=landing,
            checkpoint=landing / "checkpoint",
            lakehouse=lh,
            format="json",
            badRecordsPath=str(landing / "bad"),
        )
    assert got.stats.files == 0 and read_table(lh).num_rows == 1
