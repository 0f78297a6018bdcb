"""kill -9 anywhere in an update, then a rerun: the same tables as an update that was never interrupted (streaming
tables, a materialized view, AUTO CDC SCD 1 and 2, windows under a watermark and a stream join, with their state)."""

from __future__ import annotations

from pathlib import Path

import pytest

from lakeloader.lakehouse.root import Lakehouse
from lakeloader.pipelines.update import run_update
from tests.pipelines.conftest import MEDALLION_CHAIN, add_events, rows
from tests.sources.files.conftest import kill_loop

ROWS = 20_000  # per upstream commit
_SCRIPT = """
import sys
from lakeloader.lakehouse.root import Lakehouse
from lakeloader.pipelines.update import run_update
result = run_update(sys.argv[2], Lakehouse(sys.argv[1]))
print(result.status)
assert result.status == "COMPLETED", [o.message for o in result.outcomes]
"""


def _setup(root: Path, folder: Path, pipeline_files: dict[str, str]) -> Lakehouse:
    import textwrap

    lh = Lakehouse(root)
    lh.create_catalog("main", if_not_exists=True)
    lh.create_schema("main.raw", if_not_exists=True)
    lh.create_table("main.raw.events", if_not_exists=True)
    for commit in range(40):  # many upstream commits: the update has real work at every kill point
        add_events(lh, [{"id": commit * ROWS + i, "kind": f"k{i % 7}", "amount": float(i % 100)} for i in range(ROWS)])
    (folder / "transformations").mkdir(parents=True)
    (folder / "spark-pipeline.yml").write_text(
        "name: crash\ncatalog: main\nschema: silver\nlibraries:\n  - glob:\n      include: transformations/**\n"
    )
    for name, text in pipeline_files.items():
        (folder / "transformations" / name).write_text(textwrap.dedent(text))
    return lh


CHAIN_WITH_CDC = {
    **MEDALLION_CHAIN,
    "cdc.sql": """\
    CREATE OR REFRESH STREAMING TABLE latest_by_kind;
    CREATE FLOW latest AS AUTO CDC INTO latest_by_kind FROM STREAM(bronze) KEYS (kind) SEQUENCE BY id
      STORED AS SCD TYPE 1;
    CREATE OR REFRESH STREAMING TABLE kind_history;
    CREATE FLOW history AS AUTO CDC INTO kind_history FROM STREAM(bronze) KEYS (kind) SEQUENCE BY id
      COLUMNS kind, amount STORED AS SCD TYPE 2;
    """,
}

CHAIN_WITH_STATE = {  # the flows that keep state of their own: AUTO CDC, windows under a watermark, a stream join
    **CHAIN_WITH_CDC,
    "windows.sql": """\
    CREATE OR REFRESH STREAMING TABLE per_window
    AS SELECT window(ts, '10000 seconds') AS w, count(*) AS n, sum(amount) AS s
    FROM STREAM(bronze) WATERMARK timestamp_seconds(id) AS ts DELAY OF INTERVAL 1000 SECONDS AS b
    GROUP BY window(ts, '10000 seconds');
    CREATE OR REFRESH STREAMING TABLE matched
    AS SELECT b.id, b.kind, c.amount
    FROM STREAM(bronze) WATERMARK timestamp_seconds(id) AS t1 DELAY OF INTERVAL 100 SECONDS AS b
    LEFT JOIN STREAM(clean) WATERMARK timestamp_seconds(id) AS t2 DELAY OF INTERVAL 100 SECONDS AS c
    ON c.id = b.id AND c.t2 BETWEEN b.t1 AND b.t1 + INTERVAL 10 SECONDS;
    """,
}

SNAPSHOT = [
    "SELECT count(*) AS n, count(DISTINCT id) AS ids, sum(amount) AS s FROM main.silver.bronze",
    "SELECT count(*) AS n, count(DISTINCT id) AS ids FROM main.silver.clean",
    "SELECT * FROM main.silver.by_kind ORDER BY kind",
    "SELECT * FROM main.silver.latest_by_kind ORDER BY kind",
    "SELECT count(*) AS versions, count(__END_AT) AS closed, sum(amount) AS s FROM main.silver.kind_history",
    "SELECT w.start AS start, n, s FROM main.silver.per_window ORDER BY 1",
    "SELECT count(*) AS n, count(DISTINCT id) AS ids, count(amount) AS hits, sum(amount) AS s FROM main.silver.matched",
]


@pytest.mark.slow
def test_kill_minus_nine_mid_update_then_rerun_equals_an_uninterrupted_update(tmp_path: Path) -> None:
    reference = _setup(tmp_path / "ref" / "lh", tmp_path / "ref" / "p", CHAIN_WITH_STATE)
    assert run_update(tmp_path / "ref" / "p", reference).status == "COMPLETED"
    crashed = _setup(tmp_path / "crash" / "lh", tmp_path / "crash" / "p", CHAIN_WITH_STATE)
    args = [str(crashed.root), str(tmp_path / "crash" / "p")]
    kills, out = kill_loop(_SCRIPT, args, seed=7, rounds=8, window=(0.4, 1.4))
    assert kills >= 2 and "COMPLETED" in out
    for sql in SNAPSHOT:
        assert rows(crashed, sql) == rows(reference, sql), sql
    assert rows(crashed, SNAPSHOT[0])[0]["n"] == 40 * ROWS
    assert len(rows(crashed, SNAPSHOT[5])) >= 70  # windows closed
