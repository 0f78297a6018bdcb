"""The docs run as printed: every ```sh block of README.md and docs/*.md runs, in order, on a fresh root.

Each file's blocks run in one bash session (`set -euo pipefail`), in an empty folder with `$LAKELOADER_ROOT`
pointing at a new lakehouse there and the venv's `lakeloader` on PATH, as a reader who just ran `make demo` and
activated the venv would run them. Blocks meant to be read, not run (syntax with [options], output), are fenced
as ```text. The README's Quickstart runs once more after `lakeloader demo` (slow): it is what a new user does.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
DOCS = [REPO / "README.md", *sorted((REPO / "docs").glob("*.md")), REPO / "examples" / "README.md"]
FENCE = re.compile(r"^```sh\n(.*?)^```$", re.S | re.M)


def blocks(path: Path) -> list[str]:
    return FENCE.findall(path.read_text())


def _run(script: str, folder: Path, *, timeout: float = 600) -> subprocess.CompletedProcess[str]:
    bin_dir = Path(sys.executable).parent
    env = {k: v for k, v in os.environ.items() if not k.startswith("LAKELOADER_")}
    env |= {"LAKELOADER_ROOT": str(folder / "lakehouse"), "PATH": f"{bin_dir}{os.pathsep}{env.get('PATH', '')}"}
    env |= {"COLUMNS": "160"}
    return subprocess.run(["bash", "-c", "set -euo pipefail\n" + script], cwd=folder, env=env, text=True,
                          capture_output=True, timeout=timeout)  # fmt: skip


def _cleanup(folder: Path) -> None:
    """What a doc may leave running when it fails halfway: its embedded server, its daemon."""
    for command in ("lakeloader postgres stop", "lakeloader daemon stop"):
        _run(command + " >/dev/null 2>&1 || true", folder, timeout=120)


@pytest.mark.parametrize("doc", [d for d in DOCS if blocks(d)], ids=lambda d: d.relative_to(REPO).as_posix())
def test_the_shell_blocks_run_as_printed(doc: Path, tmp_path: Path) -> None:
    folder = tmp_path / "reader"
    folder.mkdir()
    script = "\n".join(f"echo '--- block {i + 1} of {doc.name}'\n{b}" for i, b in enumerate(blocks(doc)))
    try:
        done = _run(script, folder)
    finally:
        _cleanup(folder)
    assert done.returncode == 0, f"{doc.name}:\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}"
    assert "Traceback" not in done.stderr, done.stderr[-3000:]


def _openers_without_language(doc: Path) -> list[int]:
    found, inside = [], False
    for n, line in enumerate(doc.read_text().splitlines(), 1):
        if line.startswith("```"):
            if not inside and line.strip() == "```":
                found.append(n)
            inside = not inside
    return found


def test_the_quickstart_is_run_and_every_block_says_whether_it_runs() -> None:
    readme = (REPO / "README.md").read_text()
    quickstart = readme.split("## Quickstart", 1)[1].split("\n## ", 1)[0]
    assert FENCE.search(quickstart), "the Quickstart must be a ```sh block: this test runs it"
    for doc in DOCS:  # a bare ``` is ambiguous: ```sh is run by this test, ```text is read only
        assert _openers_without_language(doc) == [], f"{doc.name}: give each block a language (sh, text, ...)"


@pytest.mark.slow
def test_the_readme_quickstart_runs_after_the_demo(tmp_path: Path) -> None:
    folder = tmp_path / "reader"
    folder.mkdir()
    quickstart = (REPO / "README.md").read_text().split("## Quickstart", 1)[1].split("\n## ", 1)[0]
    try:
        done = _run("lakeloader demo >/dev/null\n" + "\n".join(FENCE.findall(quickstart)), folder, timeout=900)
    finally:
        _cleanup(folder)
        shutil.rmtree(folder / "lakehouse", ignore_errors=True)
    assert done.returncode == 0, f"{done.stdout[-3000:]}\n{done.stderr[-3000:]}"
