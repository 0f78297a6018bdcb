"""The one Delta writer: idempotent batches, schema evolution, merge, overwrite, concurrency, streaming."""

from __future__ import annotations

import json
import multiprocessing
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import pyarrow as pa
import pytest
from deltalake import DeltaTable
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from lakeloader.errors import CommitConflictError, ConfigError, SchemaMismatchError
from lakeloader.lakehouse import delta


def rows(path: Path) -> list[dict[str, object]]:
    return sorted(DeltaTable(str(path)).to_pyarrow_table().to_pylist(), key=lambda r: str(sorted(r.items())))


def test_replay_and_lower_batches_are_skipped(tmp_path: Path) -> None:
    t = tmp_path / "t"
    data = pa.table({"id": [1, 2, 3]})
    first = delta.commit_batch(t, data, stream_id="s", batch_id=5)
    # a new table gets its own CREATE TABLE commit (version 0), then the batch's data (version 1)
    assert (first.version, first.rows, first.skipped) == (1, 3, False)
    assert [h["operation"] for h in delta.history(t)] == ["WRITE", "CREATE TABLE"]
    again = delta.commit_batch(t, data, stream_id="s", batch_id=5)
    lower = delta.commit_batch(t, data, stream_id="s", batch_id=2)
    assert again.skipped and lower.skipped and again.version is None
    assert DeltaTable(str(t)).to_pyarrow_table().num_rows == 3
    assert delta.transaction_version(t, "s") == 5
    # another stream into the same table is independent
    assert not delta.commit_batch(t, data, stream_id="other", batch_id=0).skipped
    assert delta.transaction_version(t, "s") == 5 and delta.transaction_version(t, "other") == 0


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(st.integers(min_value=0, max_value=8), min_size=1, max_size=12))
def test_version_never_goes_down_and_each_batch_lands_once(
    tmp_path_factory: pytest.TempPathFactory, ids: list[int]
) -> None:
    t = tmp_path_factory.mktemp("prop") / "t"
    landed: list[int] = []
    for batch_id in ids:
        result = delta.commit_batch(t, pa.table({"batch": [batch_id]}), stream_id="s", batch_id=batch_id)
        if not result.skipped:
            landed.append(batch_id)
    # a batch lands iff it is above every batch before it
    expected = [b for i, b in enumerate(ids) if all(b > prev for prev in ids[:i])]
    assert landed == expected
    assert delta.transaction_version(t, "s") == max(ids)
    assert sorted(DeltaTable(str(t)).to_pyarrow_table().column("batch").to_pylist()) == sorted(expected)


def test_commit_metadata_is_stamped_and_redacted(tmp_path: Path) -> None:
    from lakeloader.secrets.redact import register

    register("hunter2-secret")
    t = tmp_path / "t"
    delta.commit_batch(t, pa.table({"a": [1]}), stream_id="s", batch_id=0, metadata={"source": "pw=hunter2-secret"})
    entry = delta.history(t)[0]
    assert entry["lakeloader.stream_id"] == "s" and entry["lakeloader.batch_id"] == 0
    log_text = "".join(p.read_text() for p in (t / "_delta_log").glob("*.json"))
    assert "hunter2-secret" not in log_text and "[REDACTED]" in log_text


def test_schema_evolution_adds_columns_and_widens(tmp_path: Path) -> None:
    t = tmp_path / "t"
    delta.write(t, pa.table({"id": pa.array([1], pa.int64()), "name": ["a"]}))
    delta.write(t, pa.table({"id": pa.array([2], pa.int32()), "extra": [1.5]}))
    schema = pa.schema(DeltaTable(str(t)).schema().to_arrow())
    assert schema.field("id").type == pa.int64() and schema.names == ["id", "name", "extra"]
    assert sorted(rows(t), key=lambda r: int(str(r["id"])))[1] == {"id": 2, "name": None, "extra": 1.5}


def test_incompatible_types_are_refused_with_column_and_fix(tmp_path: Path) -> None:
    t = tmp_path / "t"
    version = delta.write(t, pa.table({"id": pa.array([1], pa.int32())}), table_name="c.s.t").version
    with pytest.raises(SchemaMismatchError, match=r"table c\.s\.t: column id is int32 .* has string; cast it"):
        delta.write(t, pa.table({"id": ["x"]}), table_name="c.s.t")
    with pytest.raises(SchemaMismatchError, match="has int64"):
        delta.write(t, pa.table({"id": pa.array([2**40], pa.int64())}), table_name="c.s.t")
    with pytest.raises(SchemaMismatchError, match="new columns extra"):
        delta.write(t, pa.table({"id": pa.array([1], pa.int32()), "extra": [1]}), schema_evolution=False)
    assert DeltaTable(str(t)).version() == version


def test_unsigned_and_nanosecond_types_are_mapped_without_loss(tmp_path: Path) -> None:
    t = tmp_path / "t"
    data = pa.table(
        {
            "u16": pa.array([65535], pa.uint16()),
            "u64": pa.array([2**64 - 1], pa.uint64()),
            "ts": pa.array([1_000_001_000], pa.timestamp("ns", tz="Europe/Paris")),
        }
    )
    delta.write(t, data)
    out = DeltaTable(str(t)).to_pyarrow_table()
    assert out.column("u16").to_pylist() == [65535]
    assert int(out.column("u64")[0].as_py()) == 2**64 - 1
    assert out.schema.field("ts").type == pa.timestamp("us", tz="UTC")


def test_overwrite_replace_where_and_merge(tmp_path: Path) -> None:
    t = tmp_path / "t"
    delta.write(t, pa.table({"k": [1, 2, 3], "v": ["a", "b", "c"]}))
    delta.write(t, pa.table({"k": [2], "v": ["B"]}), mode="overwrite", predicate="k = 2")
    assert [r["v"] for r in rows(t)] == ["a", "B", "c"]
    result = delta.merge(
        t,
        pa.table({"k": [1, 3, 4], "v": ["A", "gone", "d"], "deleted": [False, True, False]}),
        keys=["k"],
        delete_predicate="s.deleted = true",
    )
    assert result.operation == "MERGE"
    assert [(r["k"], r["v"]) for r in sorted(rows(t), key=lambda r: r["k"])] == [(1, "A"), (2, "B"), (4, "d")]
    delta.write(t, pa.table({"k": [9]}), mode="overwrite")
    assert [r["k"] for r in rows(t)] == [9]


def test_transaction_retention_is_refused(tmp_path: Path) -> None:
    t = tmp_path / "t"
    delta.write(t, pa.table({"a": [1]}), properties={"delta.setTransactionRetentionDuration": "interval 1 days"})
    with pytest.raises(ConfigError, match="setTransactionRetentionDuration"):
        delta.commit_batch(t, pa.table({"a": [2]}), stream_id="s", batch_id=0)


def test_maintenance_optimize_vacuum_checkpoint(tmp_path: Path) -> None:
    t = tmp_path / "t"
    for i in range(12):
        delta.write(t, pa.table({"i": [i]}))
    # delta.checkpointInterval=10: the 10th commit (version 9) writes a checkpoint, so the log stays short
    assert [p.name for p in (t / "_delta_log").glob("*.checkpoint.parquet")] == [
        "00000000000000000009.checkpoint.parquet"
    ]
    metrics = delta.optimize(t)
    assert metrics["numFilesRemoved"] == 12 and metrics["numFilesAdded"] == 1
    with pytest.raises(ConfigError, match="168h"):
        delta.vacuum(t, retention_hours=0)
    removed = delta.vacuum(t, retention_hours=0, dry_run=False, force=True)
    assert len(removed) == 12
    assert delta.checkpoint(t) == DeltaTable(str(t)).version()
    assert sorted(DeltaTable(str(t)).to_pyarrow_table().column("i").to_pylist()) == list(range(12))


def _append_many(location: str, worker: int, count: int) -> None:
    for i in range(count):
        delta.write(location, pa.table({"worker": [worker] * 10, "i": [i] * 10}))


@pytest.mark.slow
def test_blind_appends_from_four_processes_all_land(tmp_path: Path) -> None:
    t = tmp_path / "t"
    delta.write(t, pa.table({"worker": [-1], "i": [-1]}))
    ctx = multiprocessing.get_context("spawn")
    procs = [ctx.Process(target=_append_many, args=(str(t), w, 20)) for w in range(4)]
    for p in procs:
        p.start()
    for p in procs:
        p.join(300)
        assert p.exitcode == 0
    table = DeltaTable(str(t)).to_pyarrow_table()
    assert table.num_rows == 1 + 4 * 20 * 10
    assert DeltaTable(str(t)).version() == 1 + 80  # CREATE TABLE, the first row, then 80 appends


_STREAM_SCRIPT = """
import json, sys
import pyarrow as pa
from lakeloader.lakehouse import delta

ROWS, BATCH = int(sys.argv[2]), 100_000

def batches():
    for start in range(0, ROWS, BATCH):
        ids = pa.array(range(start, start + BATCH), pa.int64())
        yield pa.record_batch({"id": ids, "payload": pa.compute.cast(ids, pa.string())})

schema = pa.schema({"id": pa.int64(), "payload": pa.string()})
import pyarrow.compute
result = delta.write(sys.argv[1], pa.RecordBatchReader.from_batches(schema, batches()))
# VmHWM, not ru_maxrss: Linux carries ru_maxrss over from the parent (pytest, maybe big) across fork + exec
peak_kb = next(int(l.split()[1]) for l in open("/proc/self/status") if l.startswith("VmHWM"))
print(json.dumps({"rows": result.rows, "max_rss_kb": peak_kb}))
"""


@pytest.mark.slow
def test_five_million_rows_stream_with_bounded_memory(tmp_path: Path) -> None:
    out = subprocess.run(
        [sys.executable, "-c", _STREAM_SCRIPT, str(tmp_path / "t"), "5000000"],
        check=True,
        capture_output=True,
        text=True,
    )
    report = json.loads(out.stdout.strip().splitlines()[-1])
    assert report["rows"] == 5_000_000
    # The input is ~150 MB of Arrow data; materialising it (plus Parquet encoding) would exceed this.
    assert report["max_rss_kb"] < 600 * 1024, report
    assert DeltaTable(str(tmp_path / "t")).count() == 5_000_000


@pytest.mark.parametrize("path", ["parallel files", "delta-rs writer"])
def test_a_batch_another_writer_commits_mid_write_is_not_landed_twice(tmp_path: Path, path: str) -> None:
    """The race delta-rs' own retry gets wrong: batch 0 is committed by another run while ours is being written."""
    table = str(tmp_path / "t")
    partitioned = path == "delta-rs writer"  # partitioned tables are written by delta-rs itself
    delta.write(table, pa.table({"id": [0], "p": [0]}), partition_by=["p"] if partitioned else None)
    before = DeltaTable(table).version()
    data = pa.table({"id": [1, 2], "p": [1, 1]})
    raced: list[delta.CommitResult] = []

    def batches() -> Iterator[pa.RecordBatch]:  # the other run's whole commit lands while ours reads its data
        other = threading.Thread(
            target=lambda: raced.append(delta.commit_batch(table, data, stream_id="s", batch_id=0))
        )
        other.start()  # its own thread: delta-rs cannot be entered from inside its own reader
        other.join()
        yield from data.to_batches()

    try:
        result = delta.commit_batch(
            table, pa.RecordBatchReader.from_batches(data.schema, batches()), stream_id="s", batch_id=0
        )
        assert result.skipped
    except CommitConflictError:  # rows streamed to delta-rs cannot be read twice: the stream runner replays it
        assert partitioned
    assert raced and raced[0].version == before + 1 and not raced[0].skipped
    assert sorted(DeltaTable(table).to_pyarrow_table().column("id").to_pylist()) == [0, 1, 2]
    if not partitioned:  # our own files go at once (delta-rs leaves its unreferenced ones to vacuum)
        referenced = {Path(u).name for u in DeltaTable(table).file_uris()}
        assert {p.name for p in Path(table).rglob("*.parquet")} == referenced, "the losing run's files were left"
