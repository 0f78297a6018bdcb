"""A fresh root has catalog `main`, current, with schema `default` (a new Unity Catalog workspace's); creating
what exists says how to go on with it (`--if-not-exists`)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from lakeloader.lakehouse.root import Lakehouse


def _cli(root: Path, *args: str) -> subprocess.CompletedProcess[str]:
    cmd = [sys.executable, "-m", "lakeloader.cli", "--root", str(root), *args]
    return subprocess.run(cmd, capture_output=True, text=True, timeout=120)


def test_a_fresh_root_has_main_and_its_default_schema(tmp_path: Path) -> None:
    lh = Lakehouse(tmp_path / "new")
    assert lh.current_catalog == "main"
    assert [c.name for c in lh.list_catalogs()] == ["main"]
    assert [s.full_name for s in lh.list_schemas()] == ["main.default"]
    assert (tmp_path / "new" / "main" / "default").is_dir()


def test_a_dropped_main_is_not_made_again(tmp_path: Path) -> None:
    Lakehouse(tmp_path / "lh").drop_catalog("main", cascade=True)
    assert Lakehouse(tmp_path / "lh").list_catalogs() == []


def test_a_first_ingest_needs_no_setup(tmp_path: Path) -> None:
    landing = tmp_path / "landing"
    landing.mkdir()
    (landing / "a.json").write_text('{"id": 1}\n')
    done = _cli(tmp_path / "lh", "ingest", "files", "--path", str(landing), "--format", "json", "--target",
                "default.events", "--checkpoint", str(tmp_path / "cp"), "--no-progress")  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert "main.default.events: 1 files, 1 rows" in done.stdout


@pytest.mark.parametrize(
    ("kind", "name"), [("catalogs", "main"), ("schemas", "main.default"), ("volumes", "main.default.raw")]
)
def test_creating_what_exists_says_how_to_go_on(tmp_path: Path, kind: str, name: str) -> None:
    root = tmp_path / "lh"
    if kind == "volumes":
        assert _cli(root, kind, "create", name).returncode == 0
    done = _cli(root, kind, "create", name)
    assert done.returncode == 1
    assert "already exists" in done.stderr and "--if-not-exists" in done.stderr
    assert _cli(root, kind, "create", name, "--if-not-exists").returncode == 0
