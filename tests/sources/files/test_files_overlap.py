"""Overlapping runs of one files stream (a cron overlap): every row exactly once, whatever the timing."""

from __future__ import annotations

from pathlib import Path

import pyarrow.compute as pc
import pytest
from tests.overlap import bypass_stream_lock, run_at_once
from tests.sources.files.conftest import read_table, write_ndjson

from lakeloader.lakehouse.root import Lakehouse

FILES, ROWS = 200, 10


def _land(landing: Path) -> set[int]:
    expected = set()
    for i in range(FILES):
        lines = [{"id": i * 100 + j, "file": i} for j in range(ROWS)]
        expected |= {r["id"] for r in lines}
        write_ndjson(landing / f"f{i:03d}.json", lines)
    return expected


def _ingest(root: str, landing: str, checkpoint: str, wait: float, bypass: bool) -> int:
    from lakeloader.lakehouse.root import Lakehouse
    from lakeloader.sources.files.runner import ingest_files

    if bypass:
        bypass_stream_lock()
    summary = ingest_files(
        "bronze.t",
        path=landing,
        checkpoint=checkpoint,
        lakehouse=Lakehouse(root),
        format="json",
        inferColumnTypes=True,
        maxFilesPerTrigger=20,
        zeroByteFileGracePeriod="0s",
        wait_for_lock=wait,
    )
    return summary.stats.rows


def _exactly_once(lh: Lakehouse, expected: set[int]) -> None:
    table = read_table(lh)
    ids = table.filter(pc.is_valid(table["id"])).column("id").to_pylist()
    assert len(ids) == len(expected), f"{len(ids)} rows for {len(expected)} source rows"
    assert set(ids) == expected


@pytest.mark.slow
def test_second_run_fails_naming_the_first_or_waits_for_it(lh: Lakehouse, landing: Path, tmp_path: Path) -> None:
    expected = _land(landing)
    args = (str(lh.root), str(landing), str(tmp_path / "cp"))
    outcomes = run_at_once(_ingest, [(*args, 0.0, False), (*args, 0.0, False), (*args, 0.0, False)])
    ok = [v for s, v in outcomes if s == "ok"]
    refused = [v for s, v in outcomes if s == "error"]
    assert all("StreamInUseError" in r and "is in use by another run (pid " in r for r in refused), refused
    assert len(ok) >= 1 and sum(ok) == FILES * ROWS  # the winner did it all; the others committed nothing
    _exactly_once(lh, expected)
    write_ndjson(landing / "late.json", [{"id": -1, "file": -1}])
    waited = run_at_once(_ingest, [(*args, 120.0, False), (*args, 120.0, False)])
    assert sorted(v for _, v in waited) == [0, 1], waited  # both ran, one after the other
    _exactly_once(lh, expected | {-1})


@pytest.mark.slow
@pytest.mark.parametrize("runs", [2, 3])
def test_runs_that_bypass_the_lock_still_land_each_batch_once(
    lh: Lakehouse, landing: Path, tmp_path: Path, runs: int
) -> None:
    expected = _land(landing)
    args = (str(lh.root), str(landing), str(tmp_path / "cp"), 0.0, True)
    outcomes = run_at_once(_ingest, [args] * runs)
    print("OUT", outcomes)
    for status, value in outcomes:  # a run may stop when it sees the other's plan; it never duplicates
        assert status == "ok" or "StreamInUseError" in value, value
    _ingest(*args[:3], 0.0, False)  # a last, normal run finishes whatever the others left
    _exactly_once(lh, expected)
