"""`lakeloader daemon`'s processes: a supervisor that owns the socket, and warm workers that each serve one run.

The supervisor imports nothing heavy and never runs a command. It keeps `workers` fresh interpreters (spawned,
never forked: deltalake cannot live through a fork) that have imported the libraries a run needs and wait in
`accept()` on the shared socket; the kernel hands each connection to one of them. A worker serves exactly one
run and exits, so no state leaks from one run into the next; the supervisor starts a replacement at once. After
`idle_timeout` seconds without a run, or on SIGTERM, the supervisor removes the socket and stops its idle workers.
"""

from __future__ import annotations

import atexit
import contextlib
import fcntl
import importlib
import marshal
import os
import select
import signal
import socket
import struct
import subprocess
import sys
import threading
import time
from typing import Any

PRELOAD = (  # what most runs import; a run imports anything else itself
    "psycopg",
    "pyarrow",
    "pyarrow.compute",
    "pyarrow.dataset",
    "pyarrow.parquet",
    "deltalake",
    "duckdb",
    "pydantic",
    "rich.console",
    "rich.progress",
    "rich.table",
    "adbc_driver_manager",
    "adbc_driver_postgresql",
    "lakeloader.cli.main",
    "lakeloader.cli.ingest",
    "lakeloader.cli.ingest_postgres",
    "lakeloader.cli.ingest_files",
    "lakeloader.cli.tables",
    "lakeloader.cli.sql",
    "lakeloader.cli.pipelines",
    "lakeloader.lakehouse.datafiles",
    "lakeloader.lakehouse.delta",
    "lakeloader.lakehouse.metastore",
    "lakeloader.lakehouse.sql",
    "lakeloader.sources.postgres.triggered",
    "lakeloader.sources.files.runner",
    "lakeloader.sources.files.formats.parquet",
    "lakeloader.pipelines.update",
    "lakeloader.pipelines.load",
    "lakeloader.pipelines.streaming",
    "lakeloader.pipelines.files_input",
    "lakeloader.federation.query",
    "lakeloader.lakehouse.guard",
    "lakeloader.secrets.store",
    "sqlglot",
    "sqlglot.dialects.databricks",
    "sqlglot.dialects.duckdb",
    "yaml",
    "cryptography.hazmat.primitives.ciphers.aead",
)
READY, TAKEN, DONE = b"r", b"t", b"d"  # what a worker tells the supervisor, with its pid
MAX_FAILED_STARTS = 3


def worker(listen_fd: int, notify_fd: int) -> None:
    """Import, say ready, take one connection, serve that one run, exit."""
    if sys.path and not sys.path[0]:  # `-c`'s entry: the current folder, whichever it is when a module is imported
        del sys.path[0]
    supervisor = os.getppid()
    _die_with_parent(signal.SIGTERM)  # while warm: a supervisor killed outright takes its idle workers along
    if os.getppid() != supervisor:
        os._exit(0)
    for name in PRELOAD:
        with contextlib.suppress(ImportError):  # an optional extra that is not installed
            importlib.import_module(name)
    listener = socket.socket(fileno=listen_fd)
    os.write(notify_fd, READY + os.getpid().to_bytes(4, "big"))
    conn, _ = listener.accept()
    _die_with_parent(0)  # serving: the run finishes whatever happens to the supervisor
    os.write(notify_fd, TAKEN + os.getpid().to_bytes(4, "big"))  # 5 bytes: one atomic write to the pipe
    listener.close()
    os.set_inheritable(notify_fd, False)  # not for the processes the run may start
    _pid, uid, _gid = struct.unpack("3i", conn.getsockopt(socket.SOL_SOCKET, socket.SO_PEERCRED, 12))
    if uid != os.getuid():  # the socket's folder is private, so this is a bug or an attack: serve nothing
        os._exit(2)
    header, fds, _flags, _addr = socket.recv_fds(conn, 8, 3)
    request: dict[str, Any] = marshal.loads(_exactly(conn, int.from_bytes(header, "big")))
    conn.sendall(os.getpid().to_bytes(8, "big"))
    if _exactly(conn, 1) != b"g":
        os._exit(0)
    _become(request, fds)
    threading.Thread(target=_stop_when_client_goes, args=(conn,), daemon=True).start()
    code = _run()
    with contextlib.suppress(OSError):
        conn.sendall(code.to_bytes(4, "big", signed=True))
    with contextlib.suppress(OSError):
        os.write(notify_fd, DONE + os.getpid().to_bytes(4, "big"))
    os._exit(code)


def _die_with_parent(signum: int) -> None:
    """Linux's PR_SET_PDEATHSIG: `signum` when the parent exits (0: nothing)."""
    import ctypes

    libc = ctypes.CDLL(None, use_errno=True)
    libc.prctl(1, signum, 0, 0, 0)  # PR_SET_PDEATHSIG


def _become(request: dict[str, Any], fds: list[int]) -> None:
    """Take the client's stdin/stdout/stderr, folder, environment, umask, arguments and import path."""
    for target, fd in zip((0, 1, 2), fds, strict=True):
        os.dup2(fd, target)
        os.close(fd)
    encoding = sys.stdout.encoding
    sys.stdin = open(0, encoding=sys.stdin.encoding, closefd=False)  # noqa: SIM115 - the process's own stdio
    sys.stdout = open(1, "w", buffering=1 if os.isatty(1) else -1, encoding=encoding, closefd=False)  # noqa: SIM115
    sys.stderr = open(2, "w", buffering=1, encoding=encoding, errors="backslashreplace", closefd=False)  # noqa: SIM115
    os.environ.clear()
    os.environ.update(request["env"])
    os.umask(request["umask"])
    sys.argv = list(request["argv"])
    os.chdir(request["cwd"])
    # Imports resolve as in the client's own process: its sys.path (the `lakeloader` script's folder first, as
    # Python sets it for a script), then what the preloaded libraries added here. A worker started with `-c`
    # would have put "" first, the folder it is in: after the chdir, any module in the caller's folder.
    client = [str(p) for p in request["path"]]
    sys.path[:] = [*client, *(p for p in sys.path if p and p not in client)]
    importlib.invalidate_caches()


def _stop_when_client_goes(conn: socket.socket) -> None:
    """The client was killed (a cron timeout, kill -9): stop as that run would have been stopped."""
    with contextlib.suppress(OSError):
        conn.recv(1)
    os.kill(os.getpid(), signal.SIGTERM)


def _run() -> int:
    from lakeloader.cli.main import run

    try:
        run()
        code: object = 0
    except SystemExit as exc:
        code = exc.code
    except KeyboardInterrupt:
        code = 130
    if code is None:
        code = 0
    elif not isinstance(code, int):
        sys.stderr.write(f"{code}\n")
        code = 1
    atexit._run_exitfuncs()
    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(Exception):
            stream.flush()
    return code


def _exactly(conn: socket.socket, n: int) -> bytes:
    from lakeloader.cli.launch import recv_exactly

    try:
        return recv_exactly(conn, n)
    except ConnectionError:
        os._exit(0)  # the client went away before the run began: nothing was done


def serve(path: str, *, workers: int, idle_timeout: float) -> None:
    """The supervisor: hold `<path>.lock`, listen on `path`, keep `workers` warm workers until idle or stopped.

    `<path>.json` says who serves (pid, since, workers, idle timeout, runs served) once the first worker is warm.
    """
    lock = os.open(path + ".lock", os.O_WRONLY | os.O_CREAT, 0o600)
    try:
        fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return  # another supervisor serves this socket
    with contextlib.suppress(FileNotFoundError):
        os.unlink(path)  # a socket left by a supervisor that was killed
    os.umask(0o077)
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    os.chdir(os.path.dirname(path))
    listener.bind(os.path.basename(path))  # by its name: a full path may be too long for a socket address
    listener.listen(64)
    notify_r, notify_w = os.pipe()
    stop_r, stop_w = os.pipe()
    signal.signal(signal.SIGTERM, lambda *_: os.write(stop_w, b"x"))
    signal.signal(signal.SIGINT, lambda *_: os.write(stop_w, b"x"))
    pool = _Pool(path, listener.fileno(), notify_w, workers, idle_timeout)
    _log(f"serving {path} with {workers} warm workers, idle timeout {idle_timeout:g} s")
    try:
        while True:
            wait = max(0.0, pool.last_run + idle_timeout - time.monotonic())
            ready, _, _ = select.select([notify_r, stop_r], [], [], min(wait, 1.0))
            if stop_r in ready:
                _log("stopped")
                return
            news = os.read(notify_r, 5 * 64) if notify_r in ready else b""
            for i in range(0, len(news), 5):
                pool.told(news[i : i + 1], int.from_bytes(news[i + 1 : i + 5], "big"))
            if not pool.reap():
                _log(f"{MAX_FAILED_STARTS} warm workers failed in a row: stopping (runs go on without the daemon)")
                return
            warm = "warm_since" in pool.info  # idle means idle while serving: not while the first worker warms up
            if warm and time.monotonic() - pool.last_run >= idle_timeout:
                _log(f"idle for {idle_timeout:g} s: stopping")
                return
    finally:
        for leftover in (path, path + ".json"):
            with contextlib.suppress(FileNotFoundError):
                os.unlink(leftover)
        listener.close()
        pool.stop()


class _Pool:
    """The workers: warm (waiting in accept), busy (serving a run), and the replacements owed.

    A taken worker's replacement starts when a run ends, not while it runs (its imports would take a core from
    the run), unless no worker is left warm.
    """

    def __init__(self, path: str, listen_fd: int, notify_fd: int, workers: int, idle_timeout: float) -> None:
        self.path, self.listen_fd, self.notify_fd = path, listen_fd, notify_fd
        self.idle: dict[int, subprocess.Popen[bytes]] = {}
        self.busy: dict[int, subprocess.Popen[bytes]] = {}
        self.owed = 0
        self.done: set[int] = set()  # busy workers that said they are done (and are exiting)
        self.failed_starts = 0
        self.last_run = time.monotonic()
        self.runs = self.warm = 0
        self.info: dict[str, object] = {"pid": os.getpid(), "since": time.time(), "socket": path,
                                        "workers": workers, "idle_timeout_s": idle_timeout}  # fmt: skip
        for _ in range(workers):
            self.spawn()

    def spawn(self) -> None:
        code = f"from lakeloader.cli.warmserver import worker; worker({self.listen_fd}, {self.notify_fd})"
        p = subprocess.Popen(
            [sys.executable, "-c", code], pass_fds=(self.listen_fd, self.notify_fd), stdin=subprocess.DEVNULL
        )
        self.idle[p.pid] = p

    def told(self, what: bytes, pid: int) -> None:
        if what == READY and pid in self.idle:
            if not self.runs and not self.warm and "warm_since" not in self.info:
                self.last_run = time.monotonic()  # idle means idle while serving: the clock starts when warm
                self.info["warm_since"] = time.time()
            self.warm += 1
        elif what == TAKEN and pid in self.idle:
            self.last_run = time.monotonic()
            self.failed_starts = 0
            self.busy[pid] = self.idle.pop(pid)
            self.runs += 1
            self.warm -= 1
            if self.idle:
                self.owed += 1
            else:
                self.spawn()
        elif what == DONE and pid in self.busy:
            self.done.add(pid)
            self._replace()
        _write_info(self.path, {**self.info, "runs": self.runs, "warm": self.warm})

    def _replace(self) -> None:
        if self.owed:
            self.owed -= 1
            self.spawn()

    def reap(self) -> bool:
        """Forget finished workers; replace workers that died warm. False after too many such deaths in a row."""
        for pid, p in list(self.busy.items()):
            if p.poll() is not None:
                del self.busy[pid]
                if pid not in self.done:  # killed before it said it was done: its replacement is owed still
                    self._replace()
                self.done.discard(pid)
        for pid, p in list(self.idle.items()):
            if p.poll() is not None:
                del self.idle[pid]  # died before taking a run: an import failed, or it was killed
                self.failed_starts += 1
                _log(f"a warm worker exited with status {p.returncode} before serving a run")
                if self.failed_starts >= MAX_FAILED_STARTS:
                    return False
                self.spawn()
        return True

    def stop(self) -> None:
        for p in self.idle.values():  # waiting in accept(); the busy ones finish their runs on their own
            with contextlib.suppress(ProcessLookupError):
                p.terminate()
        for p in self.idle.values():
            p.wait()


def _write_info(path: str, info: dict[str, object]) -> None:
    import json

    tmp = f"{path}.json.tmp"
    with open(os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600), "w") as f:
        json.dump(info, f)
    os.replace(tmp, path + ".json")


def _log(message: str) -> None:
    sys.stderr.write(f"{time.strftime('%Y-%m-%dT%H:%M:%S')} lakeloader daemon[{os.getpid()}]: {message}\n")
    sys.stderr.flush()


if __name__ == "__main__":
    serve(sys.argv[1], workers=int(sys.argv[2]), idle_timeout=float(sys.argv[3]))
