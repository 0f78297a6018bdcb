"""Fixtures for the embedded server: a root per test, its kardia/pg_pw secret, and servers always stopped."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from lakeloader.embedded import instance

REFERENCE = "{{secrets/kardia/pg_pw}}"


@pytest.fixture
def root(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """The test's lakehouse root; as root, outside /tmp/pytest-of-root.

    Every pytest session that starts on the machine chmods /tmp/pytest-of-<user> to 0700, which would lock the
    server's OS user (`embedded_postgres`) out of a persistent data folder under tmp_path.
    """
    base = Path(tempfile.mkdtemp(prefix="lakeloader-test-")) if os.geteuid() == 0 else tmp_path
    root = base / "lh"
    monkeypatch.setenv("LAKELOADER_ROOT", str(root))
    for name in ("LAKELOADER_MASTER_KEY", "LAKELOADER_KEY_FILE"):
        monkeypatch.delenv(name, raising=False)
    yield root
    if base != tmp_path:
        shutil.rmtree(base, ignore_errors=True)


@pytest.fixture
def password(root: Path) -> str:
    """A fresh password stored as secret kardia/pg_pw of the test's root."""
    from lakeloader.secrets import SecretStore

    value = "pw-" + uuid.uuid4().hex[:16]
    store = SecretStore(root)
    store.create_scope("kardia")
    store.put_secret("kardia", "pg_pw", value)
    return value


@pytest.fixture
def postgres(root: Path) -> Iterator[Callable[..., instance.Started]]:
    """`postgres(**options)` starts the root's server; whatever runs at teardown is stopped and checked gone."""
    seen: list[instance.PostgresState] = []

    def start(**options: Any) -> instance.Started:
        options.setdefault("password", REFERENCE)
        started = instance.start(root=root, **options)
        seen.append(started.state)
        return started

    yield start
    current = instance.load_state(root)
    instance.stop(root=root)
    for state in [*seen, *([current] if current else [])]:
        assert not state.server().is_running(), f"server of {state.data_dir} still runs"
        assert not instance.proxy_alive(state.proxy_pid), f"tls proxy {state.proxy_pid} still runs"


def cli(root: Path, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    """Run `lakeloader ...` in a new process, as a user would."""
    env = {**os.environ, "LAKELOADER_ROOT": str(root)}
    done = subprocess.run(
        [sys.executable, "-m", "lakeloader.cli", *args], capture_output=True, text=True, env=env, timeout=180
    )
    if check:
        assert done.returncode == 0, done.stderr
    return done
