"""With `--json`, an error is a JSON object on stdout (`{"error", "exit_code"}`) besides the red line on stderr:
a script that parses stdout learns what went wrong instead of failing to parse nothing."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest


def _cli(root: Path, *args: str) -> subprocess.CompletedProcess[str]:
    cmd = [sys.executable, "-m", "lakeloader.cli", "--root", str(root), *args]
    return subprocess.run(cmd, capture_output=True, text=True, timeout=120)


@pytest.mark.parametrize(
    ("args", "code", "says"),
    [
        (("tables", "describe", "main.default.nope", "--json"), 1, "does not exist"),
        (
            (
                "ingest",
                "files",
                "--path",
                "/no/such/folder",
                "--format",
                "json",
                "--target",
                "t",
                "--checkpoint",
                "/tmp/cp",
                "--json",
            ),
            1,
            "/no/such/folder",
        ),
        (("ingest", "files", "--bogus", "--json"), 2, "--bogus"),
    ],
)
def test_an_error_under_json_is_an_object_on_stdout_and_a_line_on_stderr(
    tmp_path: Path, args: tuple[str, ...], code: int, says: str
) -> None:
    done = _cli(tmp_path / "lh", *args)
    assert done.returncode == code
    error = json.loads(done.stdout)
    assert error == {"error": error["error"], "exit_code": code} and says in error["error"]
    assert len(done.stderr.strip().splitlines()) == 1 and says in done.stderr


def test_without_json_stdout_stays_empty(tmp_path: Path) -> None:
    done = _cli(tmp_path / "lh", "tables", "describe", "main.default.nope")
    assert done.returncode == 1 and done.stdout == ""
