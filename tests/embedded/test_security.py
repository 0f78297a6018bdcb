"""The embedded server against a hostile or careless local user: no trust auth, no root group, no widened folders,
no predictable names in shared folders."""

from __future__ import annotations

import hashlib
import os
import stat
import subprocess
import tempfile
from collections.abc import Callable
from pathlib import Path

import psycopg
import pytest

from lakeloader.embedded import instance, serverhome
from lakeloader.embedded.server import EmbeddedPostgres
from lakeloader.errors import ConfigError
from tests.embedded.conftest import cli

pytestmark = pytest.mark.slow
Start = Callable[..., instance.Started]
as_root = pytest.mark.skipif(os.geteuid() != 0, reason="the server runs as another user only when we are root")


@pytest.mark.parametrize("password", ["", "   ", "\t\n", "short7!"])
def test_blank_or_short_passwords_are_refused(root: Path, postgres: Start, password: str) -> None:
    with pytest.raises(ConfigError, match=r"no password|fewer than 8"):
        postgres(password=password, ephemeral=True)
    done = cli(root, "postgres", "start", "--ephemeral", "--password", password, check=False)
    assert done.returncode == 1 and done.stderr.count("\n") == 1 and "Traceback" not in done.stderr
    assert not instance.status(root=root)["running"]


def test_no_trust_line_is_ever_written(root: Path, password: str, postgres: Start, tmp_path: Path) -> None:
    state = postgres(ephemeral=True).state
    hba = (Path(state.data_dir) / "pg_hba.conf").read_text()
    rules = [line for line in hba.splitlines() if line.strip() and not line.startswith("#")]
    assert rules and all(line.split()[-1] == "scram-sha-256" for line in rules), hba
    with pytest.raises(psycopg.OperationalError):  # the Unix socket asks for the password too
        psycopg.connect(
            host=str(state.server().socket_path.parent), port=state.port, user="postgres", passfile="/dev/null"
        )
    with pytest.raises(ConfigError, match="no password"):
        EmbeddedPostgres(tmp_path / "data").init()


@as_root
def test_another_local_user_cannot_log_in_without_the_password(root: Path, password: str, postgres: Start) -> None:
    port = postgres(ephemeral=True).state.port
    done = subprocess.run(
        ["runuser", "-u", "nobody", "--", "psql", "-h", "127.0.0.1", "-p", str(port), "-U", "postgres", "-w", "-c",
         "SELECT 1"],
        capture_output=True, text=True, env={"PATH": os.environ["PATH"]},
    )  # fmt: skip
    assert done.returncode != 0 and "password" in done.stderr


@as_root
def test_server_runs_without_root_groups(root: Path, password: str, postgres: Start, tmp_path: Path) -> None:
    state = postgres(ephemeral=True).state
    pid = int((Path(state.data_dir) / "postmaster.pid").read_text().splitlines()[0])
    status = dict(line.split(":", 1) for line in Path(f"/proc/{pid}/status").read_text().splitlines() if ":" in line)
    user = serverhome.server_user()
    assert user is not None
    assert status["Uid"].split()[:2] == [str(user.uid)] * 2
    assert status["Gid"].split()[:2] == [str(user.gid)] * 2
    assert status["Groups"].split() in ([], [str(user.gid)])
    secret = Path(tempfile.mkdtemp()) / "root-group-only"  # readable by group root, like /etc/shadow-ish files
    secret.parent.chmod(0o755)
    secret.write_text("root group secret")
    secret.chmod(0o640)
    try:
        with (
            psycopg.connect(instance.connection_url(root=root, reveal=True), autocommit=True) as con,
            pytest.raises(psycopg.errors.InsufficientPrivilege),
        ):
            con.execute("SELECT pg_read_file(%s)", (str(secret),))
    finally:
        secret.unlink()
        secret.parent.rmdir()


def _modes(paths: list[Path]) -> dict[str, int]:
    return {str(p): stat.S_IMODE(p.stat().st_mode) for p in paths if p.exists()}


@as_root
@pytest.mark.parametrize("ephemeral", [True, False])
def test_no_folder_of_the_user_is_widened(password: str, postgres: Start, root: Path, ephemeral: bool) -> None:
    """The root sits in a 0700 folder (mktemp -d, /root): the server starts, and no mode changes anywhere."""
    from lakeloader.lakehouse.root import Lakehouse

    Lakehouse(root)  # the metastore too
    base = root.parent
    assert stat.S_IMODE(base.stat().st_mode) == 0o700
    watched = [*base.parents, base, root, root / ".lakeloader", root / ".lakeloader" / "metastore.db"]
    before = _modes(watched)
    postgres(ephemeral=ephemeral)
    with psycopg.connect(instance.connection_url(root=root, reveal=True)) as con:
        assert con.execute("SELECT 1").fetchone() == (1,)
    instance.stop(root=root)
    assert _modes(watched) == {k: v for k, v in _modes(watched).items() if k in before} == before
    private = root / ".lakeloader"
    for path in [root, private, *(p for p in private.rglob("*") if p.is_dir())]:
        assert stat.S_IMODE(path.stat().st_mode) == 0o700, f"{path}: lakehouse state is for its owner only"
    for name in ("metastore.db", "secrets.enc"):
        assert stat.S_IMODE((private / name).stat().st_mode) == 0o600


def test_long_data_paths_get_an_unpredictable_socket_folder(password: str, tmp_path: Path) -> None:
    """The socket folder used when the data path is too long is made by mkdtemp, never found by a known name."""
    data_dir = serverhome.new_private_dir(serverhome.ram_parent(), serverhome.server_user()) / ("d" * 120)
    old_name = Path(tempfile.gettempdir()) / f"lakeloader-pg-{hashlib.sha256(str(data_dir).encode()).hexdigest()[:12]}"
    victim = tmp_path / "victim"
    victim.write_text("x")
    old_name.symlink_to(victim)  # what a hostile user plants where the name used to be predictable
    server = EmbeddedPostgres(data_dir, password="long-enough-pw")
    try:
        server.start()
        assert server.socket_dir is not None and server.socket_dir != old_name
        assert server.socket_dir.name.startswith("lakeloader-pg-") and not server.socket_dir.is_symlink()
        assert stat.S_IMODE(server.socket_dir.stat().st_mode) == 0o700
        assert victim.stat().st_uid == os.geteuid() and old_name.is_symlink()
    finally:
        server.stop()
        old_name.unlink()
        subprocess.run(["rm", "-rf", str(data_dir.parent), str(server.socket_dir)], check=False)
