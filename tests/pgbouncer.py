"""A real PgBouncer in transaction mode in front of the test server (Debian's `pgbouncer`).

Missing pgbouncer skips the test, except under CI (`CI=true`), where it fails: `.ci/run` installs it. PgBouncer
refuses to run as root, so as root it runs as the embedded server's system user.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import subprocess
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import psycopg
import pytest

from lakeloader.embedded.server import free_port

PGBOUNCER = shutil.which("pgbouncer") or ("/usr/sbin/pgbouncer" if os.path.exists("/usr/sbin/pgbouncer") else None)


def require_pgbouncer() -> str:
    if PGBOUNCER is None:
        message = "pgbouncer is not installed (apt-get install pgbouncer)"
        if os.environ.get("CI", "").lower() in ("1", "true", "yes"):
            pytest.fail(f"{message}: CI must run the pooler tests")
        pytest.skip(message)
    return PGBOUNCER


@contextlib.contextmanager
def pgbouncer(
    server_port: int, users: dict[str, str], *, pool_size: int = 4, max_clients: int = 1000, probe: str = ""
) -> Iterator[int]:
    """Start PgBouncer (pool_mode=transaction) for the server on 127.0.0.1:`server_port`; yield its port.

    `users` maps user names to passwords (SCRAM); `probe` is a libpq URL, through the pooler, tried until it works.
    """
    binary = require_pgbouncer()
    folder = Path(tempfile.mkdtemp(prefix="pgbouncer-"))
    (folder / "users.txt").write_text("".join(f'"{u}" "{p}"\n' for u, p in users.items()))
    (folder / "users.txt").chmod(0o600)
    process: subprocess.Popen[bytes] | None = None
    try:
        for _attempt in range(3):  # a port taken between free_port() and pgbouncer's bind: another port
            port = free_port()
            process = _start(binary, folder, server_port, port, pool_size, max_clients)
            if _ready(process, probe.replace("{port}", str(port)) if probe else ""):
                break
            log = (folder / "pgbouncer.log").read_text() if (folder / "pgbouncer.log").exists() else ""
            process.terminate()
            process.wait(timeout=10)
            if "already in use" not in log:
                pytest.fail(f"pgbouncer did not start: {log[-500:]}")
        else:
            pytest.fail("pgbouncer did not start: every port tried was taken")
        yield port
    finally:
        if process is not None and process.poll() is None:
            process.terminate()
            process.wait(timeout=10)
        shutil.rmtree(folder, ignore_errors=True)


def _start(binary: str, folder: Path, server_port: int, port: int, pool_size: int, max_clients: int) -> Any:
    (folder / "pgbouncer.ini").write_text(
        f"[databases]\n* = host=127.0.0.1 port={server_port}\n"
        f"[pgbouncer]\nlisten_addr = 127.0.0.1\nlisten_port = {port}\nunix_socket_dir =\n"
        f"auth_type = scram-sha-256\nauth_file = {folder}/users.txt\npool_mode = transaction\n"
        f"max_client_conn = {max_clients}\ndefault_pool_size = {pool_size}\nlogfile = {folder}/pgbouncer.log\n"
        f"pidfile = {folder}/pgbouncer.pid\nignore_startup_parameters = extra_float_digits\n"
    )
    command = [binary, str(folder / "pgbouncer.ini")]
    if os.geteuid() == 0:  # pgbouncer refuses root: run it as the embedded server's system user
        import pwd

        user = pwd.getpwnam("embedded_postgres")
        for path in [folder, *folder.iterdir()]:
            os.chown(path, user.pw_uid, user.pw_gid)
        command[1:1] = ["-u", "embedded_postgres"]
    # its log goes to the logfile: an unread stderr pipe fills up after ~64 kB and then blocks pgbouncer itself
    return subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def _ready(process: Any, probe: str) -> bool:
    """True once `probe` connects through it (at once without a probe); False if it exited or 15 s passed."""
    deadline = time.monotonic() + 15
    while probe:
        try:
            psycopg.connect(probe, connect_timeout=2).close()
            return True
        except psycopg.OperationalError:
            if time.monotonic() > deadline or process.poll() is not None:
                return False
            time.sleep(0.2)
    return process.poll() is None
