"""A lakehouse the user cannot write to: reading commands work, writing ones fail in one line naming the path.

Before, even `lakeloader sql` failed with `internal error OperationalError: attempt to write a readonly database`.
As root, permissions do not bind: the commands run with every capability dropped (the bounding set emptied before
exec), so root is held to the file modes as any user is.
"""

from __future__ import annotations

import ctypes
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from lakeloader.lakehouse.root import Lakehouse
from lakeloader.sources.files.runner import ingest_files

PR_CAPBSET_DROP = 24


def _without_capabilities() -> None:
    libc = ctypes.CDLL(None, use_errno=True)
    for cap in range(64):
        libc.prctl(PR_CAPBSET_DROP, cap, 0, 0, 0)


def _chmod_tree(root: Path, *, writable: bool) -> None:
    for folder, dirs, files in os.walk(root):
        for name in [*dirs, *files]:
            path = Path(folder, name)
            mode = path.lstat().st_mode
            if not path.is_symlink():
                path.chmod(mode | 0o200 if writable else mode & ~0o222)
    root.chmod(root.stat().st_mode | 0o200 if writable else root.stat().st_mode & ~0o222)


@pytest.fixture
def read_only(lakehouse: Lakehouse, tmp_path: Path) -> Iterator[Path]:
    """The root of a lakehouse with a table, made read-only (nothing in this process opens it afterwards)."""
    lakehouse.create_catalog("main", if_not_exists=True)
    lakehouse.create_schema("main.bronze", if_not_exists=True)
    landing = tmp_path / "landing"
    landing.mkdir()
    pq.write_table(
        pa.table({"id": [1, 2, 3], "day": ["2024-01-01", "2024-01-02", "2024-01-02"]}), landing / "a.parquet"
    )
    ingest_files("bronze.t", path=landing, format="parquet", checkpoint=lakehouse.root / "cp", lakehouse=lakehouse)
    lakehouse.metastore.close()  # as a finished run leaves it: no -wal or -shm file beside it
    assert not list(lakehouse.state_dir.glob("metastore.db-*"))
    _chmod_tree(lakehouse.root, writable=False)
    try:
        yield lakehouse.root
    finally:
        _chmod_tree(lakehouse.root, writable=True)


def _cli(root: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "lakeloader.cli", "--root", str(root), *args],
        capture_output=True,
        text=True,
        timeout=120,
        preexec_fn=_without_capabilities if os.geteuid() == 0 else None,
        env={**os.environ, "LAKELOADER_DAEMON": "off"},
    )


def test_the_lakehouse_is_really_read_only_to_the_commands(read_only: Path) -> None:
    done = subprocess.run(
        ["touch", str(read_only / "x")], capture_output=True, preexec_fn=_without_capabilities, check=False
    )
    assert done.returncode != 0  # else the test below proves nothing


@pytest.mark.parametrize(
    ("args", "expect"),
    [
        (("sql", "SELECT count(*) AS n, count(DISTINCT day) AS days FROM main.bronze.t"), "3"),
        (("tables", "list"), "main.bronze.t"),
        (("tables", "describe", "main.bronze.t"), "delta"),
        (("tables", "history", "main.bronze.t"), "WRITE"),
        (("catalogs", "list"), "main"),
        (("schemas", "list"), "main.bronze"),
        (("files", "state", "{root}/cp"), "a.parquet"),
    ],
)
def test_reading_commands_work(read_only: Path, args: tuple[str, ...], expect: str) -> None:
    done = _cli(read_only, *(a.replace("{root}", str(read_only)) for a in args))
    assert done.returncode == 0, done.stderr
    assert expect in done.stdout


@pytest.mark.parametrize(
    "args",
    [
        ("catalogs", "create", "other"),
        ("schemas", "create", "main.silver"),
        (
            "ingest",
            "files",
            "--path",
            "{root}/..",
            "--format",
            "parquet",
            "--target",
            "bronze.t2",
            "--checkpoint",
            "{tmp}/cp2",
        ),
    ],
)
def test_writing_commands_fail_in_one_line_naming_the_folder(
    read_only: Path, tmp_path: Path, args: tuple[str, ...]
) -> None:
    done = _cli(read_only, *(a.replace("{root}", str(read_only)).replace("{tmp}", str(tmp_path)) for a in args))
    assert done.returncode == 1, done.stderr
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1, done.stderr
    assert "internal error" not in lines[0]
    assert str(read_only) in lines[0] and ("read-only" in lines[0] or "permission denied" in lines[0])


def test_a_table_folder_the_user_may_not_write_is_named(lakehouse: Lakehouse, tmp_path: Path) -> None:
    lakehouse.create_catalog("main", if_not_exists=True)
    lakehouse.create_schema("main.bronze", if_not_exists=True)
    landing = tmp_path / "landing"
    landing.mkdir()
    pq.write_table(pa.table({"id": [1]}), landing / "a.parquet")
    ingest_files("bronze.t", path=landing, format="parquet", checkpoint=tmp_path / "cp", lakehouse=lakehouse)
    pq.write_table(pa.table({"id": [2]}), landing / "b.parquet")
    table = lakehouse.table("bronze.t").location
    _chmod_tree(table, writable=False)
    try:
        done = _cli(
            lakehouse.root,
            "ingest",
            "files",
            "--path",
            str(landing),
            "--format",
            "parquet",
            "--target",
            "bronze.t",
            "--checkpoint",
            str(tmp_path / "cp"),
        )
    finally:
        _chmod_tree(table, writable=True)
    assert done.returncode == 1
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and "permission denied" in lines[0] and str(table) in lines[0], done.stderr
