"""Fixtures for secret tests: a fresh root with no key in the environment, and an isolated redactor."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from lakeloader.secrets import redact
from lakeloader.secrets.keys import KEY_FILE_ENV, MASTER_KEY_ENV, NEW_MASTER_KEY_ENV


@pytest.fixture(autouse=True)
def isolated_redactor() -> Iterator[None]:
    """Values registered by a test are forgotten after it, so they cannot mask text in other tests."""
    with redact._lock:
        saved, saved_registered = set(redact._values), set(redact._registered)
    yield
    with redact._lock:
        # Both sets: forgetting the forms but not the value would make a later register() of it a no-op.
        redact._values.clear()
        redact._values.update(saved)
        redact._registered.clear()
        redact._registered.update(saved_registered)
        redact._pattern = None


@pytest.fixture
def root(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A lakehouse root path (not created yet); the key comes from the default key file `<root>.key`."""
    for name in (MASTER_KEY_ENV, KEY_FILE_ENV, NEW_MASTER_KEY_ENV):
        monkeypatch.delenv(name, raising=False)
    path = tmp_path / "lakehouse"
    monkeypatch.setenv("LAKELOADER_ROOT", str(path))
    return path


def run_cli(
    root: Path, *args: str, input: str | None = None, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    """`python -m lakeloader.cli --root ROOT ...` with piped stdin (empty unless `input`)."""
    full_env = {k: v for k, v in os.environ.items() if k not in (MASTER_KEY_ENV, KEY_FILE_ENV, NEW_MASTER_KEY_ENV)}
    full_env.update(env or {})
    return subprocess.run(
        [sys.executable, "-m", "lakeloader.cli", "--root", str(root), *args],
        input=input if input is not None else "",
        capture_output=True,
        text=True,
        env=full_env,
        timeout=60,
    )
