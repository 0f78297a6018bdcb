"""The `lakeloader` command's entry: hand the run to a warm worker of `lakeloader daemon` when one serves it.

A daemon serves the runs of one lakehouse root, one Python, one copy of lakeloader's code and one environment:
its socket, `<root>/.lakeloader/daemon/<key>.sock`, is named after a hash of all four, so that a run whose code
or environment differs (a `git pull`, another `LAKELOADER_ROOT`) finds no socket and runs here, cold, as before.
A worker gets this process's stdin, stdout and stderr (passed as file descriptors), its arguments, folder,
environment, umask and import path (`sys.path`: a served run imports what a cold run would, never a module that
merely lies in the caller's folder); signals sent here are forwarded to it, and its exit status is this process's.

Only light standard modules are imported here: the point is to start in milliseconds.
"""

from __future__ import annotations

import marshal
import os
import signal
import socket
import stat
import sys

ROOT_ENV = "LAKELOADER_ROOT"  # the same names as lakeloader.paths (not imported: pathlib costs 6 ms here)
DEFAULT_ROOT = "./lakehouse"
STATE_DIR = ".lakeloader"
NO_DAEMON_ENV = "LAKELOADER_NO_DAEMON"
DAEMON_ENV = "LAKELOADER_DAEMON"  # "auto": a cold run starts a daemon for the runs after it
IGNORED_ENV = frozenset({"PWD", "OLDPWD", "SHLVL", "_", "COLUMNS", "LINES"})  # differ between shells, not runs
NOT_SERVED = frozenset({"daemon", "secrets", "postgres", "bootstrap", "demo"})  # prompts, or start servers
ANSWER_TIMEOUT_S = 5.0  # a daemon that accepts but no worker answers: run here instead
MAX_SOCKET_PATH = 100  # sockaddr_un holds 108 bytes: a longer path is reached from its folder


def root_from(argv: list[str], env: dict[str, str]) -> str:
    """The local folder of the lakehouse a run uses (`--root` before the command, else $LAKELOADER_ROOT, else
    ./lakehouse): for a lakehouse on an object store, the local folder of its state (paths.resolve_root)."""
    chosen = env.get(ROOT_ENV, DEFAULT_ROOT)
    for i, arg in enumerate(argv):
        if not arg.startswith("-"):
            break
        if arg == "--root" and i + 1 < len(argv):
            chosen = argv[i + 1]
        elif arg.startswith("--root="):
            chosen = arg.split("=", 1)[1]
    if "://" in chosen:
        from lakeloader.paths import resolve_root

        return str(resolve_root(chosen))  # a URL lakeloader cannot serve is refused here, in one line
    return os.path.abspath(os.path.expanduser(chosen))


def command_of(argv: list[str]) -> str | None:
    i = 0
    while i < len(argv) and argv[i].startswith("-"):
        i += 2 if argv[i] == "--root" else 1
    return argv[i] if i < len(argv) else None


def daemon_dir(root: str) -> str:
    return os.path.join(root, STATE_DIR, "daemon")


def key(env: dict[str, str]) -> str:
    """A hash of this Python and its library folders, this user, the environment (but IGNORED_ENV) and the code."""
    import hashlib

    h = hashlib.sha256(f"{sys.executable}\0{os.getuid()}\0".encode())
    for name in sorted(env):
        if name not in IGNORED_ENV:
            h.update(f"{name}={env[name]}\0".encode(errors="surrogateescape"))
    for entry in sys.path[1:]:  # [0] is the script's folder; an install or upgrade changes a folder's mtime
        if os.path.isdir(entry):  # (a zip or a missing folder has no entries to change)
            h.update(f"{entry}:{os.stat(entry).st_mtime_ns}\0".encode(errors="surrogateescape"))
    package = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    for folder, dirs, files in os.walk(package):
        dirs[:] = sorted(d for d in dirs if d != "__pycache__")
        for name in sorted(files):
            if name.endswith(".py"):
                st = os.stat(os.path.join(folder, name))
                h.update(f"{folder[len(package) :]}/{name}:{st.st_size}:{st.st_mtime_ns}\0".encode())
    return h.hexdigest()[:20]


def socket_path(root: str, env: dict[str, str]) -> str:
    return os.path.join(daemon_dir(root), key(env) + ".sock")


def private_dir(path: str) -> bool:
    """`path` is a real folder of ours that nobody else can enter (so nobody else can have put a socket there)."""
    try:
        st = os.lstat(path)
    except OSError:
        return False
    return stat.S_ISDIR(st.st_mode) and st.st_uid == os.getuid() and not st.st_mode & 0o077


def serve_remotely(argv: list[str]) -> int | None:
    """Run `argv` in a warm worker and return its exit status; None if no daemon serves this run."""
    env = dict(os.environ)
    if env.get(NO_DAEMON_ENV) or command_of(argv) in NOT_SERVED or not hasattr(socket, "SO_PEERCRED"):
        return None
    try:
        root = root_from(argv, env)
    except Exception:  # a root URL lakeloader cannot serve: the command itself says so, in one line
        return None
    if not private_dir(daemon_dir(root)):
        return None
    path = socket_path(root, env)
    if not os.path.exists(path):
        return None
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    try:
        cwd = os.getcwd()
        sock.settimeout(ANSWER_TIMEOUT_S)
        connect(sock, path)
        request = marshal.dumps(
            {"argv": [sys.argv[0], *argv], "cwd": cwd, "env": env, "umask": _umask(), "path": list(sys.path)}
        )
        socket.send_fds(sock, [len(request).to_bytes(8, "big")], [0, 1, 2])
        sock.sendall(request)
        pid = int.from_bytes(recv_exactly(sock, 8), "big")  # a worker took the run; until "go" it does nothing
    except OSError:  # no daemon (a stale socket), or none of its workers answered in time
        sock.close()
        return None
    return _supervise(sock, pid)


def connect(sock: socket.socket, path: str) -> None:
    """Connect to the socket at `path`; a path too long for a socket address by its name, from its folder."""
    if len(path) <= MAX_SOCKET_PATH:
        sock.connect(path)
        return
    here = os.open(".", os.O_RDONLY)
    try:
        os.chdir(os.path.dirname(path))
        sock.connect(os.path.basename(path))
    finally:
        os.fchdir(here)
        os.close(here)


def _supervise(sock: socket.socket, pid: int) -> int:
    """Tell the worker to go, forward our signals to it, and return the exit status it reports."""
    forwarded: list[int] = []

    def forward(signum: int, _frame: object) -> None:
        forwarded.append(signum)
        try:  # noqa: SIM105 - contextlib is one more import at start
            os.kill(pid, signum)
        except ProcessLookupError:
            pass

    for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP, signal.SIGQUIT, signal.SIGUSR1, signal.SIGUSR2):
        signal.signal(sig, forward)
    sock.settimeout(None)
    sock.sendall(b"g")
    try:
        return int.from_bytes(recv_exactly(sock, 4), "big", signed=True)
    except OSError:
        if forwarded:  # it was told to stop and did so without a word, as a process killed by that signal
            return 128 + forwarded[-1]
        sys.stderr.write(
            f"error: the daemon's worker (pid {pid}) ended without an exit status; rerun with {NO_DAEMON_ENV}=1 "
            "and see `lakeloader daemon status`\n"
        )
        return 1
    finally:
        sock.close()


def recv_exactly(sock: socket.socket, n: int) -> bytes:
    """`n` bytes from `sock`; ConnectionError if the other side closes first."""
    data = b""
    while len(data) < n:
        chunk = sock.recv(n - len(data))
        if not chunk:
            raise ConnectionError("closed")
        data += chunk
    return data


def _umask() -> int:
    mask = os.umask(0o077)
    os.umask(mask)
    return mask


def run() -> None:
    """Console-script entry: a warm worker when a daemon serves this run, else the command right here."""
    argv = sys.argv[1:]
    from lakeloader import pandas_guard

    pandas_guard.defer()  # pyarrow would import pandas at the first conversion: ~0.3 s of every command
    code = serve_remotely(argv)
    if code is not None:
        sys.exit(code)
    from lakeloader.cli.main import run as run_here

    try:
        run_here()
    finally:
        if os.environ.get(DAEMON_ENV) == "auto" and command_of(argv) not in NOT_SERVED:
            from lakeloader.cli.daemon import start_for_next_runs

            try:
                start_for_next_runs(argv)
            except Exception as exc:  # the run itself is done: say why there is no daemon, change nothing else
                sys.stderr.write(f"warning: {DAEMON_ENV}=auto: no daemon started ({type(exc).__name__}: {exc})\n")
