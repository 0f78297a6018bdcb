"""Shared fixtures: a fresh lakehouse per test (real folders, real Delta tables)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from lakeloader.lakehouse.root import Lakehouse

REALDATA = Path(__file__).resolve().parents[1].parent / "shared" / "realdata"


@pytest.fixture
def lakehouse(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Lakehouse]:
    root = tmp_path / "lakehouse"
    monkeypatch.setenv("LAKELOADER_ROOT", str(root))
    yield Lakehouse(root)


@pytest.fixture(scope="session")
def realdata() -> Path:
    if not REALDATA.is_dir():
        pytest.skip(f"../shared/realdata not found at {REALDATA}")
    return REALDATA
