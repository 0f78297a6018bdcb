"""The progress bar moves while a batch is read (files, bytes, rows, rows/s), not only at its commit; the final
line gives the throughput. Before, a long first batch showed `0 files 0 rows` until it committed."""

from __future__ import annotations

import itertools
import os
import pty
import re
import subprocess
import sys
import time
from pathlib import Path

from tests.sources.files.conftest import Ingest, write_ndjson

from lakeloader.lakehouse.root import Lakehouse
from lakeloader.sources.files.stats import RunStats


def test_figures_grow_file_by_file_before_the_batch_commits(ingest: Ingest, landing: Path) -> None:
    for i in range(12):
        write_ndjson(landing / f"{i:02}.json", [{"id": i * 10 + j} for j in range(10)])
    events: list[tuple[str, RunStats]] = []
    ingest(
        format="json",
        maxFilesPerTrigger="6",
        on_read=lambda stats: events.append(("read", stats)),
        on_batch=lambda _b, stats: events.append(("commit", RunStats(**vars(stats)))),
    )
    kinds = [k for k, _ in events]
    assert kinds == ["read"] * 6 + ["commit"] + ["read"] * 6 + ["commit"]
    reads = [s for k, s in events if k == "read"]
    assert [s.files for s in reads] == list(range(1, 13))
    assert [s.rows for s in reads] == [10 * n for n in range(1, 13)]
    assert all(a.bytes < b.bytes for a, b in itertools.pairwise(reads))
    assert [s.batches for s in reads] == [0] * 6 + [1] * 6


def test_the_cli_bar_moves_during_the_first_batch_and_the_summary_gives_throughput(
    lh: Lakehouse, landing: Path, tmp_path: Path
) -> None:
    for i in range(60):  # one batch of JSON that takes a while to decode
        (landing / f"{i:02}.json").write_text(
            "".join(f'{{"id": {i * 3000 + j}, "pad": "{"x" * 200}"}}\n' for j in range(3000))
        )
    main, child = pty.openpty()
    os.set_blocking(main, False)
    cmd = [sys.executable, "-m", "lakeloader.cli", "--root", str(lh.root), "ingest", "files", "--path", str(landing),
           "--format", "json", "--target", "bronze.t", "--checkpoint", str(tmp_path / "cp")]  # fmt: skip
    env = {**os.environ, "COLUMNS": "200", "LAKELOADER_DAEMON": "off"}
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=child, env=env, text=True)
    os.close(child)
    screen = b""
    while proc.poll() is None:
        try:
            screen += os.read(main, 65536)
        except (BlockingIOError, OSError):
            time.sleep(0.02)
    out = proc.stdout.read() if proc.stdout else ""
    os.close(main)
    assert proc.returncode == 0, screen.decode(errors="replace")[-2000:]
    frames = re.findall(
        r"([\d,]+) files\s+[\d.,]+ MB\s+([\d,]+) rows\s+([\d,]+) rows/s\s+\d+ bad\s+0 batches in",
        screen.decode(errors="replace"),
    )
    moving = [(int(f.replace(",", "")), int(r.replace(",", ""))) for f, r, _ in frames]
    assert any(0 < files < 60 and rows == files * 3000 for files, rows in moving), moving  # before the commit
    assert re.search(r"60 files, 180,000 rows in 1 batch.*MB/s, [\d,]+ rows/s", out), out
