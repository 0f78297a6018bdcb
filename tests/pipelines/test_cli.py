"""`lakeloader pipelines ...` as a user runs it: init, dry-run, run, graph, events, replay-quarantine, errors."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from lakeloader.cli import main
from lakeloader.cli.context import state
from lakeloader.lakehouse.root import Lakehouse

_capture: pytest.CaptureFixture[str]


@pytest.fixture(autouse=True)
def _fresh_state(lh: Lakehouse, capsys: pytest.CaptureFixture[str]) -> None:
    global _capture
    state.root = lh.root
    state._lakehouse = None
    _capture = capsys


def _run(*args: str) -> tuple[int, str]:
    """The console script's entry point (error lines, exit codes), in this process: stdout then stderr."""
    import sys

    argv = sys.argv
    sys.argv = ["lakeloader", "--root", str(state.root), *args]
    _capture.readouterr()
    try:
        main.run()
        code = 0
    except SystemExit as exc:
        code = int(exc.code or 0)
    finally:
        sys.argv = argv
    out = _capture.readouterr()
    return code, out.out + out.err


def test_init_dry_run_run_graph_and_events(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    code, out = _run("pipelines", "init", "demo_pipeline")
    assert code == 0 and "lakeloader pipelines run demo_pipeline" in out
    code, out = _run("pipelines", "dry-run", "demo_pipeline")
    assert code == 0 and "no problems" in out, out
    code, out = _run("pipelines", "run", "demo_pipeline", "--json")
    assert code == 0, out
    result = json.loads(out)
    assert result["status"] == "COMPLETED" and result["flows"], result
    code, again = _run("pipelines", "run", "demo_pipeline")
    assert code == 0 and "COMPLETED" in again
    code, out = _run("pipelines", "graph", "demo_pipeline", "--format", "mermaid")
    assert (code == 0 and out.startswith("flowchart")) or "graph" in out.splitlines()[0], out
    code, out = _run("pipelines", "events", "demo_pipeline", "--json", "--type", "flow_progress")
    events = json.loads(out)
    assert code == 0 and events and {e["event_type"] for e in events} == {"flow_progress"}
    assert {"id", "timestamp", "origin", "level", "details"} <= set(events[0])


def test_problems_and_mistakes_are_one_line_errors(tmp_path: Path) -> None:
    folder = tmp_path / "broken"
    (folder / "transformations").mkdir(parents=True)
    (folder / "spark-pipeline.yml").write_text(
        "name: broken\nlibraries:\n  - glob:\n      include: transformations/**\n"
    )
    (folder / "transformations" / "a.sql").write_text(
        "CREATE MATERIALIZED VIEW a AS SELECT * FROM missing_table;\nCREATE MATERIALIZED VIEW b AS SELEC 1;\n"
    )
    code, out = _run("pipelines", "dry-run", str(folder))
    assert code == 1
    errors = [line for line in out.splitlines() if line.startswith("error:")]
    assert len(errors) >= 2 and any("a.sql:1" in e for e in errors) and any("a.sql:2" in e for e in errors), out
    assert "Traceback" not in out
    code, out = _run("pipelines", "replay-quarantine", str(folder))
    assert code != 0 and "--table" in out and "Traceback" not in out


def test_replay_quarantine_from_the_cli(lh: Lakehouse, tmp_path: Path) -> None:
    source = Path(lh.create_table("main.raw.speeds", if_not_exists=True).location)
    import pyarrow as pa

    from lakeloader.lakehouse import delta

    delta.write(source, pa.table({"id": [1, 2, 3], "speed": [10, -1, 400]}))
    folder = tmp_path / "p"
    (folder / "transformations").mkdir(parents=True)
    (folder / "spark-pipeline.yml").write_text(
        "name: p\ncatalog: main\nschema: silver\nlibraries:\n  - glob:\n      include: transformations/**\n"
    )
    sql = (
        "CREATE OR REFRESH STREAMING TABLE clean (CONSTRAINT ok EXPECT (speed BETWEEN 0 AND {top}) "
        "ON VIOLATION DROP ROW) AS SELECT * FROM STREAM(main.raw.speeds);\n"
    )
    (folder / "transformations" / "clean.sql").write_text(sql.format(top=300))
    code, out = _run("pipelines", "run", str(folder))
    assert code == 0, out
    (folder / "transformations" / "clean.sql").write_text(sql.format(top=500))
    code, out = _run("pipelines", "replay-quarantine", str(folder), "--table", "clean", "--json")
    assert code == 0, out
    assert json.loads(out) | {"expectations": None} == {
        "table": "main.silver.clean", "quarantine": "main.silver.clean_quarantine", "selected": 2, "replayed": 1,
        "still_failing": 1, "batches": 1, "through": {"clean": "query"}, "expectations": None}  # fmt: skip
    code, out = _run("pipelines", "replay-quarantine", str(folder), "--table", "clean")
    assert code == 0 and "0 of 1 quarantined rows replayed" in out, out
    code, out = _run("pipelines", "replay-quarantine", str(folder), "--table", "nope")
    assert code == 1 and out.startswith("error: --table nope is not a table of pipeline p"), out
