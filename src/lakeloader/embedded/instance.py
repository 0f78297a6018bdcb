"""The embedded PostgreSQL of one lakehouse root (the seed's "init script"): start, stop, status and its URL.

State lives in `<root>/.lakeloader/postgres/`: `state.json` (port, data folder, ephemeral, tls, the password's
`{{secrets/...}}` reference — never the password), `tls/` (certificates) and `data/` (persistent mode). An
ephemeral server keeps its data in RAM (/dev/shm when writable) and loses it at `stop`.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import quote

from lakeloader.embedded.server import (
    SUPERUSER,
    EmbeddedPostgres,
    check_password,
    child_env,
    free_port,
    private_data_dir,
    server_user,
)
from lakeloader.errors import ConfigError, NotFoundError, TerminalError
from lakeloader.paths import STATE_DIR, make_private_dir, resolve_root

STATE_FILE = "state.json"
PRIVATE_PREFIX = "lakeloader-pg-"  # folders made for a server (serverhome.new_private_dir): safe to remove
REDACTED_IN_URL = "%5BREDACTED%5D"  # "[REDACTED]", percent-encoded so the URL stays parseable
_PROXY_MODULE = "lakeloader.embedded.tls_proxy"


@dataclass
class PostgresState:
    """What a later process needs to find, stop or connect to the running server. Never holds the password."""

    host: str
    port: int
    data_dir: str
    socket_dir: str
    ephemeral: bool
    tls: bool
    password_ref: str | None
    started_at: str
    ca_file: str | None = None
    proxy_pid: int | None = None

    def server(self, password: str | None = None) -> EmbeddedPostgres:
        return EmbeddedPostgres(
            Path(self.data_dir),
            port=self.port,
            host=self.host,
            password=password,
            tcp=not self.tls,
            socket_dir=Path(self.socket_dir) if self.socket_dir else None,
        )


def state_folder(root: str | os.PathLike[str] | None = None) -> Path:
    return resolve_root(root) / STATE_DIR / "postgres"


@contextlib.contextmanager
def _exclusive(root: str | os.PathLike[str] | None) -> Iterator[None]:
    """One start or stop at a time per root: two racing `postgres start`s get one server, not two."""
    import fcntl

    folder = state_folder(root)
    make_private_dir(folder)
    with open(folder / "lock", "a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)  # released when the file closes, or the process dies
        yield


def _persistent_data_dir(folder: Path, *, create: bool) -> Path | None:
    """Where a persistent server of this root keeps its data.

    As a normal user: `<root>/.lakeloader/postgres/data`. As root the server's own user cannot enter the
    lakehouse (0700, and never widened), so the data lives in a server-owned folder made for it
    (`serverhome.persistent_parent()`), which `data_home` in the state folder points at.
    """
    from lakeloader.embedded import serverhome

    user = serverhome.server_user()
    if user is None:
        return folder / "data"
    pointer = folder / "data_home"
    if pointer.is_file():
        home = Path(pointer.read_text().strip())
        try:
            st = home.lstat()
            if home.parent == serverhome.persistent_parent() and st.st_uid == user.uid and home.is_dir():
                return home / "data"
        except OSError:
            pass
    if not create:
        return None
    data_dir = private_data_dir(ephemeral=False)
    make_private_dir(folder)
    pointer.write_text(str(data_dir.parent) + "\n")
    return data_dir


def resolve_password(text: str, *, root: str | os.PathLike[str] | None = None) -> str:
    """The value of a `{{secrets/scope/key}}` reference, or `text` itself; either is registered for redaction."""
    from lakeloader.secrets import find_references, is_reference, resolve_references
    from lakeloader.secrets.redact import register

    if is_reference(text):
        return resolve_references(text.strip(), root=root)
    register(text)
    find_references(text)  # a malformed reference is an error, not a literal password
    return text


def _is_reference(text: str) -> bool:
    from lakeloader.secrets import is_reference

    return is_reference(text)


def load_state(root: str | os.PathLike[str] | None = None) -> PostgresState | None:
    path = state_folder(root) / STATE_FILE
    try:
        return PostgresState(**json.loads(path.read_text()))
    except FileNotFoundError:
        return None
    except (ValueError, TypeError) as exc:
        raise TerminalError(
            f"embedded postgres state {path} is unreadable ({exc.__class__.__name__}); "
            "stop the server by hand with pg_ctl and delete the file"
        ) from None


def _save_state(folder: Path, state: PostgresState) -> None:
    make_private_dir(folder)
    temp = folder / (STATE_FILE + ".tmp")
    temp.unlink(missing_ok=True)
    fd = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as handle:
        handle.write(json.dumps(asdict(state), indent=2) + "\n")
    os.replace(temp, folder / STATE_FILE)


def is_running(state: PostgresState) -> bool:
    return state.server().is_running()


@dataclass(frozen=True)
class Started:
    state: PostgresState
    already_running: bool


def start(
    *,
    root: str | os.PathLike[str] | None = None,
    password: str,
    ephemeral: bool = False,
    port: int = 0,
    tls: bool = False,
    timeout: float = 60,
) -> Started:
    """Start the root's server (detached: it outlives this process) and check that the password logs in.

    `password` is a `{{secrets/scope/key}}` reference (stored in the state so later processes can resolve it)
    or a plain value (never stored). A server that is already running with the same settings is left alone.
    """
    with _exclusive(root):
        return _start(root=root, password=password, ephemeral=ephemeral, port=port, tls=tls, timeout=timeout)


def _start(
    *, root: str | os.PathLike[str] | None, password: str, ephemeral: bool, port: int, tls: bool, timeout: float
) -> Started:
    folder = state_folder(root)
    current = load_state(root)
    if current is not None and is_running(current):
        if (current.ephemeral, current.tls) != (ephemeral, tls) or (port and port != current.port):
            raise ConfigError(
                f"embedded postgres already runs on {current.host}:{current.port} (ephemeral={current.ephemeral}, "
                f"tls={current.tls}); stop it first with 'lakeloader postgres stop'"
            )
        if current.tls and not proxy_alive(current.proxy_pid):  # the proxy alone died: bring it back
            from lakeloader.embedded.tls import ensure_certificates

            files = ensure_certificates(folder / "tls")
            current.proxy_pid = _start_proxy(current, files.cert_file, files.key_file, folder / "proxy.log")
            _save_state(folder, current)
        return Started(current, already_running=True)
    if current is not None:
        _clean_up(current, folder)
    value = check_password(resolve_password(password, root=root), where="postgres start")
    data_dir = private_data_dir(ephemeral=True) if ephemeral else _persistent_data_dir(folder, create=True)
    assert data_dir is not None
    server = EmbeddedPostgres(data_dir, port=port or free_port(), password=value, tcp=not tls)
    state = PostgresState(
        host=server.host,
        port=server.port,
        data_dir=str(server.data_dir),
        socket_dir=str(server.socket_dir or ""),
        ephemeral=ephemeral,
        tls=tls,
        password_ref=password.strip() if _is_reference(password) else None,
        started_at=datetime.now(UTC).isoformat(timespec="seconds"),
    )
    try:
        _save_state(folder, state)  # first: a start killed half way is cleaned up by the next one
        server.start(timeout=timeout)
        state.socket_dir = str(server.socket_dir)
        _save_state(folder, state)
        if tls:
            from lakeloader.embedded.tls import ensure_certificates

            files = ensure_certificates(folder / "tls")
            state.ca_file = str(files.ca_file)
            state.proxy_pid = _start_proxy(state, files.cert_file, files.key_file, folder / "proxy.log")
            _save_state(folder, state)
        _check_login(state, value, timeout=timeout)
    except BaseException:
        _clean_up(state, folder)
        raise
    return Started(state, already_running=False)


def stop(*, root: str | os.PathLike[str] | None = None) -> PostgresState | None:
    """Stop the proxy and the server; an ephemeral server's data is deleted. None when nothing was running."""
    if not state_folder(root).is_dir():
        return None  # never started here (and no folder to create for a lock)
    with _exclusive(root):
        return _stop(root)


def _stop(root: str | os.PathLike[str] | None) -> PostgresState | None:
    state = load_state(root)
    if state is None:
        data_dir = _persistent_data_dir(state_folder(root), create=False)
        orphan = EmbeddedPostgres(data_dir) if data_dir is not None else None
        if orphan is not None and orphan.is_running():  # the state file was lost: still stop the server
            orphan.stop()
        return None
    _clean_up(state, state_folder(root))
    return state


def status(*, root: str | os.PathLike[str] | None = None) -> dict[str, Any]:
    """A JSON-ready description of the root's server (no password)."""
    state = load_state(root)
    if state is None:
        return {"running": False, "state_folder": str(state_folder(root))}
    server = state.server()
    running = server.is_running()
    proxy = proxy_alive(state.proxy_pid) if state.proxy_pid else None
    return {
        "running": running and (proxy is not False),
        "host": state.host,
        "port": state.port,
        "ephemeral": state.ephemeral,
        "tls": state.tls,
        "ca_file": state.ca_file,
        "data_dir": state.data_dir,
        "server_pid": _server_pid(server) if running else None,
        "proxy_pid": state.proxy_pid,
        "proxy_running": proxy,
        "password_ref": state.password_ref,
        "started_at": state.started_at,
        "url": _url(state, None),
        "state_folder": str(state_folder(root)),
    }


def connection_url(
    *,
    root: str | os.PathLike[str] | None = None,
    database: str = "postgres",
    reveal: bool = False,
    password: str | None = None,
) -> str:
    """The libpq URL of the root's running server (with sslmode=verify-full and the CA under --tls).

    The password is shown only with `reveal`: taken from `password` (a reference or a value) or, by default,
    re-resolved from the `{{secrets/...}}` reference the server was started with.
    """
    state = load_state(root)
    if state is None or not is_running(state):
        raise NotFoundError(
            f"embedded postgres of {state_folder(root).parent.parent} is not running; start it with "
            "'lakeloader postgres start --password {{secrets/<scope>/<key>}}'"
        )
    if not reveal:
        return _url(state, None, database)
    text = password or state.password_ref
    if text is None:
        raise ConfigError(
            "embedded postgres was started with a plain password, which is never stored; pass --password, or "
            "start it with --password '{{secrets/<scope>/<key>}}'"
        )
    return _url(state, resolve_password(text, root=root), database)


def _url(state: PostgresState, password: str | None, database: str = "postgres") -> str:
    secret = quote(password, safe="") if password is not None else REDACTED_IN_URL
    url = f"postgresql://{SUPERUSER}:{secret}@{state.host}:{state.port}/{quote(database, safe='')}"
    if state.tls and state.ca_file:
        url += f"?sslmode=verify-full&sslrootcert={quote(state.ca_file, safe='/')}"
    return url


def _check_login(state: PostgresState, password: str, *, timeout: float) -> None:
    import psycopg

    try:
        with psycopg.connect(_url(state, password), connect_timeout=max(2, int(timeout))) as con:
            con.execute("SELECT 1")
    except psycopg.OperationalError as exc:
        if "password authentication failed" in str(exc):
            raise ConfigError(
                f"embedded postgres data at {state.data_dir} was initialised with another password; pass that "
                "one to --password, or start with --ephemeral for a blank server"
            ) from None
        raise TerminalError(
            f"embedded postgres on {state.host}:{state.port} started but refuses logins ({exc}); "
            f"see {Path(state.data_dir) / 'server.log'}"
        ) from None


def _start_proxy(state: PostgresState, cert: Path, key: Path, log: Path) -> int:
    """Start the TLS proxy daemon on the public port; it is accepting connections when this returns."""
    assert state.ca_file is not None
    command = [
        sys.executable,
        "-m",
        _PROXY_MODULE,
        *("--listen-host", state.host, "--listen-port", str(state.port)),
        *("--cert", str(cert), "--key", str(key), "--ca-file", state.ca_file),
        *("--upstream", str(state.server().socket_path), "--log", str(log)),
    ]
    user = server_user()
    if user is not None:
        command += ["--user", user]
    done = subprocess.run(
        command, capture_output=True, text=True, start_new_session=True, env=child_env(), timeout=60, check=False
    )
    if done.returncode != 0:
        detail = (done.stderr.strip().splitlines() or [f"exit code {done.returncode}"])[-1]
        raise TerminalError(f"postgres TLS proxy could not start ({detail}); pick another --port or see {log}")
    return int(done.stdout.strip())


def _clean_up(state: PostgresState, folder: Path) -> None:
    """Stop whatever of `state` still runs, wipe ephemeral data, forget the state."""
    if state.proxy_pid:
        _terminate(state.proxy_pid)
    state.server().stop()
    made_for_it = Path(state.data_dir).parent
    if state.ephemeral and made_for_it.name.startswith(PRIVATE_PREFIX):
        shutil.rmtree(made_for_it, ignore_errors=True)
    socket_dir = Path(state.socket_dir) if state.socket_dir else None
    if socket_dir is not None and socket_dir != Path(state.data_dir) and socket_dir.name.startswith(PRIVATE_PREFIX):
        shutil.rmtree(socket_dir, ignore_errors=True)  # the short folder made when the data path is too long
    (folder / STATE_FILE).unlink(missing_ok=True)


def _server_pid(server: EmbeddedPostgres) -> int | None:
    try:
        return int((server.data_dir / "postmaster.pid").read_text().splitlines()[0])
    except (OSError, ValueError, IndexError):
        return None


def proxy_alive(pid: int | None) -> bool:
    """Whether `pid` is a live TLS proxy (not a zombie, not a recycled pid)."""
    if not pid:
        return False
    with contextlib.suppress(ChildProcessError):
        os.waitpid(pid, os.WNOHANG)  # reap it if it happens to be our child
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        pass
    proc = Path(f"/proc/{pid}")
    if not proc.is_dir():
        return True  # no procfs: trust kill(0)
    try:
        zombie = proc.joinpath("stat").read_text().rsplit(")", 1)[1].split()[0] == "Z"
        return not zombie and _PROXY_MODULE.encode() in proc.joinpath("cmdline").read_bytes()
    except (OSError, IndexError):
        return False


def _terminate(pid: int, *, grace: float = 10) -> None:
    if not proxy_alive(pid):
        return
    with contextlib.suppress(ProcessLookupError):
        os.kill(pid, signal.SIGTERM)
    deadline = time.monotonic() + grace
    while proxy_alive(pid) and time.monotonic() < deadline:
        time.sleep(0.05)
    if proxy_alive(pid):
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)
