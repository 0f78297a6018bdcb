"""Two updates of one pipeline at once (a cron overlap), and a target dropped between updates."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from lakeloader.lakehouse.root import Lakehouse
from tests.pipelines.conftest import MEDALLION_CHAIN, Write, add_events, rows, run

_SCRIPT = """
import sys, time
from lakeloader.lakehouse.root import Lakehouse
from lakeloader.pipelines.update import run_update
from lakeloader.errors import LakeloaderError
start = float(sys.argv[3])
while time.time() < start:
    time.sleep(0.001)
try:
    result = run_update(sys.argv[2], Lakehouse(sys.argv[1]))
    print(result.status)
except LakeloaderError as exc:
    print("REFUSED", exc)
"""


@pytest.mark.slow
def test_two_updates_at_once_one_runs_the_other_says_who_holds_it(lh: Lakehouse, pipeline: Write) -> None:
    import time

    for commit in range(10):
        add_events(lh, [{"id": commit * 5000 + i, "kind": f"k{i % 5}", "amount": float(i % 50)} for i in range(5000)])
    folder = pipeline(MEDALLION_CHAIN)
    start = str(time.time() + 2.0)  # both released at the same instant, after the imports
    procs = [
        subprocess.Popen([sys.executable, "-c", textwrap.dedent(_SCRIPT), str(lh.root), str(folder), start],
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        for _ in range(2)
    ]  # fmt: skip
    outs = [p.communicate(timeout=300)[0].strip() for p in procs]
    assert sorted(o.split()[0] for o in outs) == ["COMPLETED", "REFUSED"], outs
    refused = next(o for o in outs if o.startswith("REFUSED"))
    assert "pipeline p" in refused and "pid" in refused and "\n" not in refused
    assert rows(lh, "SELECT count(*) AS n, count(DISTINCT id) AS ids FROM main.silver.bronze") == [
        {"n": 50_000, "ids": 50_000}]  # fmt: skip
    assert run(folder, lh).status == "COMPLETED"  # the refused one's work is still to do: nothing new by now
    assert rows(lh, "SELECT count(*) AS n FROM main.silver.bronze") == [{"n": 50_000}]


def test_a_dropped_streaming_table_is_filled_again_once(lh: Lakehouse, pipeline: Write) -> None:
    add_events(lh, [{"id": i, "kind": "a", "amount": 1.0} for i in range(10)])
    folder = pipeline(MEDALLION_CHAIN)
    assert run(folder, lh).status == "COMPLETED"
    lh.drop_table("main.silver.bronze")  # dropped between updates: its stream starts over, not from where it was
    add_events(lh, [{"id": 10 + i, "kind": "b", "amount": 2.0} for i in range(5)])
    result = run(folder, lh)
    bronze = next(o for o in result.outcomes if o.flow == "bronze")
    assert bronze.status == "COMPLETED" and bronze.rows_out == 15, bronze.message
    assert rows(lh, "SELECT count(*) AS n, count(DISTINCT id) AS ids FROM main.silver.bronze") == [{"n": 15, "ids": 15}]
    assert Path(lh.table("main.silver.bronze").location).exists()


def test_a_stream_whose_upstream_was_replaced_says_to_refresh(lh: Lakehouse, pipeline: Write) -> None:
    add_events(lh, [{"id": i, "kind": "a", "amount": 1.0} for i in range(10)])
    folder = pipeline(MEDALLION_CHAIN)
    assert run(folder, lh).status == "COMPLETED"
    lh.drop_table("main.silver.bronze")
    add_events(lh, [{"id": 10 + i, "kind": "b", "amount": 2.0} for i in range(5)])
    result = run(folder, lh)
    clean = next(o for o in result.outcomes if o.flow == "clean")
    assert clean.status == "FAILED" and "was dropped or replaced since this stream last read it" in clean.message
    assert rows(lh, "SELECT count(*) AS n FROM main.silver.clean") == [{"n": 10}]  # nothing half-read
    fixed = run(folder, lh, full_refresh_selection=["clean"])
    assert fixed.status == "COMPLETED", [o.message for o in fixed.outcomes]
    assert rows(lh, "SELECT count(*) AS n, count(DISTINCT id) AS ids FROM main.silver.clean") == [{"n": 15, "ids": 15}]


def test_a_streaming_table_that_now_reads_another_table_says_to_refresh(lh: Lakehouse, pipeline: Write) -> None:
    add_events(lh, [{"id": i, "kind": "a", "amount": 1.0} for i in range(3)])
    lh.create_table("main.raw.other", if_not_exists=True)
    add_events(lh, [{"id": 100 + i, "kind": "o", "amount": 1.0} for i in range(4)], "main.raw.other")
    folder = pipeline({"a.sql": "CREATE OR REFRESH STREAMING TABLE t AS SELECT * FROM STREAM(main.raw.events);"})
    assert run(folder, lh).status == "COMPLETED"
    (folder / "transformations" / "a.sql").write_text(
        "CREATE OR REFRESH STREAMING TABLE t AS SELECT * FROM STREAM(main.raw.other);"
    )
    result = run(folder, lh)
    message = result.outcomes[0].message
    assert (
        result.status == "FAILED"
        and "now reads delta:main.raw.other" in message
        and "--full-refresh-selection" in message
    )
    assert run(folder, lh, full_refresh_selection=["t"]).status == "COMPLETED"
    assert rows(lh, "SELECT count(*) AS n, min(id) AS lo FROM main.silver.t") == [{"n": 4, "lo": 100}]
