"""The Delta streaming source: a new stream reads the table's snapshot first (in batches), then its appends."""

from __future__ import annotations

from pathlib import Path

import pyarrow as pa
import pytest

from lakeloader.errors import TerminalError
from lakeloader.execution import stream
from lakeloader.execution.checkpoint import Checkpoint
from lakeloader.lakehouse import delta
from lakeloader.sources.delta.source import DeltaStreamSource

SCHEMA = pa.schema([("id", pa.int64()), ("part", pa.string())])


def _append(location: Path, ids: list[int], part: str | None = "a b/c") -> None:
    delta.write(location, pa.table({"id": ids, "part": [part] * len(ids)}, schema=SCHEMA), partition_by=["part"])


def _drain(source: DeltaStreamSource, checkpoint: Checkpoint, target: Path) -> list[int]:
    write = stream.append_writer(target, stream_id=checkpoint.stream_id, table_name="target")
    return [r.rows for r in stream.run_available_now(checkpoint, target, source, write)]


def test_a_new_stream_reads_the_snapshot_in_batches_then_only_appends(tmp_path: Path) -> None:
    upstream, target = tmp_path / "up", tmp_path / "target"
    for i in range(5):
        _append(upstream, [i * 10 + j for j in range(10)], part=None if i == 4 else f"p {i}/x%")
    dt = delta.open_table(upstream)
    dt.delete("id < 10")  # a change in the history before the stream starts: the snapshot does not carry it
    source = DeltaStreamSource(upstream, table_name="up", reader_name="test", max_files_per_trigger=2)
    checkpoint = Checkpoint(tmp_path / "cp", target="target", source="delta:up")
    batches = _drain(source, checkpoint, target)
    got = sorted(delta.dataset(target).to_table().column("id").to_pylist())
    assert got == sorted(delta.dataset(upstream).to_table().column("id").to_pylist())
    files = len(delta.open_table(upstream).file_uris())
    assert files == 4 and batches == [20, 20]  # two files a batch (the delete took the first file away)
    parts = set(delta.dataset(target).to_table().column("part").to_pylist())
    assert {"p 1/x%", None} <= parts  # partition values as the log has them
    _append(upstream, [5000, 5001], part="new")
    assert _drain(source, checkpoint, target) == [2]  # then only what was appended
    assert _drain(source, checkpoint, target) == []
    dt = delta.open_table(upstream)
    dt.delete("id = 5000")  # a change after the start fails the stream with the hint
    with pytest.raises(TerminalError, match="skipChangeCommits"):
        _drain(source, checkpoint, target)
