"""`lakeloader sql` exits with its result every time: nothing native may outlive the interpreter.

Over DATE-partitioned tables it used to print a correct result and then abort (134, `terminate called without an
active exception`), crash (139) or hang: Arrow's I/O threads, reading ahead through delta-rs' Python filesystem,
took the GIL while the interpreter was finalizing. Here on nearly every run; at users', a few runs in a hundred.
"""

from __future__ import annotations

import datetime
import json
import os
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor

import pyarrow as pa
import pytest

from lakeloader.lakehouse import delta
from lakeloader.lakehouse.root import Lakehouse

RUNS = 24  # before the fix, nearly every run failed on this table
DAYS, PER_DAY = 30, 10_000
QUERIES = {  # a query stopped early (LIMIT) leaves reads in flight; whole scans did too
    "SELECT * FROM main.s.events LIMIT 1": 1,
    "SELECT d, count(*) AS n FROM main.s.events WHERE d >= DATE '2024-01-29' GROUP BY d ORDER BY d": [
        {"d": "2024-01-29", "n": PER_DAY},
        {"d": "2024-01-30", "n": PER_DAY},
    ],
    "SELECT count(*) AS n, max(length(text)) AS longest FROM main.s.events": [{"n": DAYS * PER_DAY, "longest": 60}],
}


@pytest.mark.slow
def test_queries_over_a_date_partitioned_table_exit_cleanly_every_time(lakehouse: Lakehouse) -> None:
    lakehouse.create_catalog("main", if_not_exists=True)
    lakehouse.create_schema("main.s")
    rows = DAYS * PER_DAY
    delta.write(
        lakehouse.create_table("main.s.events").location,
        pa.table(
            {
                "id": range(rows),
                "d": [datetime.date(2024, 1, 1) + datetime.timedelta(days=i % DAYS) for i in range(rows)],
                "text": [f"reading {i} " * 4 for i in range(rows)],  # files large enough to be read ahead
            }
        ),
        partition_by=["d"],
    )
    env = {**os.environ, "LAKELOADER_ROOT": str(lakehouse.root), "LAKELOADER_NO_DAEMON": "1"}
    statements = [list(QUERIES)[i % len(QUERIES)] for i in range(RUNS)]

    def run(statement: str) -> tuple[str, object, str]:
        try:
            done = subprocess.run(
                [sys.executable, "-m", "lakeloader.cli", "sql", statement, "--json"],
                capture_output=True,
                text=True,
                env=env,
                timeout=60,
            )
        except subprocess.TimeoutExpired:
            return statement, "hung", ""
        result = json.loads(done.stdout) if done.returncode == 0 else done.stdout
        expected = QUERIES[statement]
        right = len(result) == expected if isinstance(expected, int) else result == expected
        return statement, done.returncode, "" if right else f"{result!r} {done.stderr[-300:]}"

    with ThreadPoolExecutor(max_workers=2) as pool:  # as a scheduler's jobs overlap
        outcomes = list(pool.map(run, statements))
    failed = [(s, code, out) for s, code, out in outcomes if code != 0 or out]
    assert failed == [], f"{len(failed)} of {RUNS} runs failed: {failed[:3]}"
