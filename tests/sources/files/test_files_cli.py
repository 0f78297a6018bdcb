"""CLI: `lakeloader ingest files` (summary line, options, errors) and `lakeloader files state|schemas`."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from tests.sources.files.conftest import write_ndjson
from typer.testing import CliRunner

from lakeloader.cli.context import state
from lakeloader.cli.main import app
from lakeloader.lakehouse.root import Lakehouse


@pytest.fixture(autouse=True)
def _fresh_state(lh: Lakehouse) -> None:
    state.root = lh.root
    state._lakehouse = None


def _run(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(app, ["--root", str(state.root), *args])
    if result.exception and not isinstance(result.exception, SystemExit):
        return 1, f"{type(result.exception).__name__}: {result.exception}"
    return result.exit_code, result.output


def test_ingest_files_then_state(landing: Path, tmp_path: Path) -> None:
    write_ndjson(landing / "a.json", [{"id": 1}, {"id": 2}])
    (landing / "b.json").write_text("{bad\n")  # PERMISSIVE: kept as a _corrupt_record row, and reported
    cp = str(tmp_path / "cp")
    code, out = _run(
        "ingest",
        "files",
        "--path",
        str(landing),
        "--format",
        "json",
        "--target",
        "bronze.t",
        "--checkpoint",
        cp,
        "-o",
        "inferColumnTypes=true",
        "--option",
        "maxFilesPerTrigger=1",
    )
    assert code == 0, out
    assert "main.bronze.t: 2 files, 3 rows in 2 batches" in out and "1 bad records" in out
    code, out = _run("files", "state", cp, "--json")
    rows = json.loads(out)
    assert code == 0
    assert sorted((Path(r["path"]).name, r["status"]) for r in rows) == [("a.json", "ingested"), ("b.json", "ingested")]
    code, out = _run("files", "state", cp, "--summary")
    assert code == 0 and "ingested" in out
    code, out = _run("files", "schemas", cp, "--json")
    assert code == 0 and json.loads(out)[0]["ddl"].startswith("id bigint")


def test_ingest_files_json_summary_and_schema_mode(landing: Path, tmp_path: Path) -> None:
    write_ndjson(landing / "a.json", [{"id": 1}])
    code, out = _run(
        "ingest",
        "files",
        "--path",
        str(landing),
        "--format",
        "json",
        "--target",
        "bronze.t",
        "--checkpoint",
        str(tmp_path / "cp"),
        "--schema",
        "id BIGINT",
        "--schema-evolution-mode",
        "rescue",
        "--trigger",
        "once",
        "--json",
    )
    assert code == 0, out
    summary = json.loads(out)
    assert summary["rows"] == 1 and summary["trigger"] == "once"


def test_unknown_option_is_one_clear_error(landing: Path, tmp_path: Path) -> None:
    code, out = _run(
        "ingest",
        "files",
        "--path",
        str(landing),
        "--format",
        "json",
        "--target",
        "bronze.t",
        "--checkpoint",
        str(tmp_path / "cp"),
        "-o",
        "maxFilePerTrigger=3",
    )
    assert code != 0 and "did you mean maxFilesPerTrigger" in out


def test_state_of_a_missing_checkpoint(tmp_path: Path) -> None:
    code, out = _run("files", "state", str(tmp_path / "nope"))
    assert code != 0 and "does not exist" in out
