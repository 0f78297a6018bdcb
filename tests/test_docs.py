"""The docs stay true to what is built: the CLI reference is regenerated from the app and must match."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def test_cli_reference_matches_the_app(tmp_path: Path) -> None:
    typer_bin = Path(sys.executable).parent / "typer"
    out = tmp_path / "cli.md"
    args = ["utils", "docs", "--name", "lakeloader", "--title", "lakeloader CLI reference", "--output", str(out)]
    subprocess.run(
        [str(typer_bin), "--app", "app", "lakeloader.cli.main", *args],
        check=True,
        capture_output=True,
    )
    assert out.read_text() == (REPO / "docs" / "cli.md").read_text(), "docs/cli.md is stale: run `make docs`"


def test_readme_starts_with_the_two_commands() -> None:
    head = (REPO / "README.md").read_text().split("## ")[0]
    assert "make demo" in head and "make test" in head


def test_sql_reference_lists_every_spark_function_with_its_status() -> None:
    """docs/sql.md is generated from the translator's own table: current, and every Spark built-in is in it."""
    from lakeloader.sql.docs import render
    from lakeloader.sql.registry import spark_functions, status

    text = (REPO / "docs" / "sql.md").read_text()
    assert text == render(), "docs/sql.md is stale: run `make docs`"
    for function in spark_functions():
        state, why = status(function["name"])
        shown = function["name"].replace("|", "\\|")
        assert f"| `{shown}` | {state} |" in text, function["name"]
        assert state == "exact" or why, f"{function['name']} is refused without a reason"
