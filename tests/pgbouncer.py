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
    port = free_port()
    (folder / "users.txt").write_text("".join(f'"{u}" "{p}"\n' for u, p in users.items()))
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
        os.chmod(folder, 0o755)
        for path in [folder, *folder.iterdir()]:
            os.chown(path, user.pw_uid, user.pw_gid)
        command[1:1] = ["-u", "embedded_postgres"]
    # its log goes to the logfile: an unread stderr pipe fills up after ~64 kB and then blocks pgbouncer itself
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 15
        while probe:
            try:
                psycopg.connect(probe.replace("{port}", str(port)), connect_timeout=2).close()
                break
            except psycopg.OperationalError:
                if time.monotonic() > deadline or process.poll() is not None:
                    log = (folder / "pgbouncer.log").read_text() if (folder / "pgbouncer.log").exists() else ""
                    pytest.fail(f"pgbouncer did not start: {log[-500:]}")
                time.sleep(0.2)
        yield port
    finally:
        process.terminate()
        process.wait(timeout=10)
        shutil.rmtree(folder, ignore_errors=True)
