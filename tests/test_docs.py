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
