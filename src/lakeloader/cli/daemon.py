"""`lakeloader daemon start|stop|status`: warm workers, so that a small run does not pay Python's start-up.

A run of lakeloader spends most of a small batch importing its libraries (psycopg, pyarrow, deltalake, duckdb,
typer: about 0.25 s) before it does its 0.05 s of work. A daemon keeps interpreters that have already imported
them; `lakeloader` hands each run to one of them (see cli/launch.py). It serves the runs of this lakehouse root
made with the same Python, code and environment as `daemon start`; any other run works as before, cold.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Annotated, Any

import typer

from lakeloader.cli import launch
from lakeloader.cli.context import state
from lakeloader.cli.output import emit, print_json, say
from lakeloader.errors import ConfigError

daemon_app = typer.Typer(
    help="Warm workers that take small runs without Python's start-up (opt-in; see docs/daemon.md).",
    no_args_is_help=True,
)
START_TIMEOUT_S = 60.0
DEFAULT_WORKERS = 2
DEFAULT_IDLE_TIMEOUT_S = 3 * 3600.0


def _root() -> str:
    """The root as `lakeloader` resolves it for the runs it hands over (launch.root_from)."""
    return launch.root_from([] if state.root is None else ["--root", str(state.root)], dict(os.environ))


def _socket() -> str:
    return launch.socket_path(_root(), dict(os.environ))


def _info(path: str) -> dict[str, Any] | None:
    """What `path`'s supervisor wrote about itself, if it is still running."""
    try:
        info: dict[str, Any] = json.loads(Path(path + ".json").read_text())
        pid = int(info["pid"])
    except (OSError, ValueError, KeyError):
        return None
    return info if _is_supervisor(pid) else None  # (a killed one may linger as a zombie, or its pid be reused)


@daemon_app.command("start")
def start(
    workers: Annotated[
        int, typer.Option(help="Warm workers kept ready (each holds ~130 MB).", min=1, max=16)
    ] = DEFAULT_WORKERS,
    idle_timeout: Annotated[
        str, typer.Option("--idle-timeout", help="Stop after this long without a run, e.g. 30m, 3h.")
    ] = "3h",
) -> None:
    """Start a daemon for runs from this environment (idempotent: an existing one is kept)."""
    from lakeloader.paths import make_private_dir
    from lakeloader.units import parse_seconds

    seconds = parse_seconds(idle_timeout, option="--idle-timeout")
    if not hasattr(socket, "SO_PEERCRED"):
        raise ConfigError("daemon: needs Linux (a worker checks who calls it with SO_PEERCRED); runs work cold here")
    path = _socket()
    running = _info(path)
    if running is not None:
        say(f"daemon already running (pid {running['pid']}), serving {path}")
        return
    make_private_dir(Path(launch.daemon_dir(_root())))
    supervisor = launch_supervisor(path, workers=workers, idle_timeout_s=seconds)
    deadline = time.monotonic() + START_TIMEOUT_S
    while (info := _info(path)) is None or not info.get("warm"):
        if supervisor.poll() is not None:
            raise ConfigError(
                f"daemon: it stopped before a worker was warm (exit {supervisor.returncode}); see {path}.log"
            )
        if time.monotonic() > deadline:
            raise ConfigError(f"daemon: no warm worker after {START_TIMEOUT_S:g} s; see {path}.log")
        time.sleep(0.02)
    say(f"daemon started (pid {info['pid']}, {workers} warm workers, stops after {idle_timeout} idle), serving {path}")


def launch_supervisor(path: str, *, workers: int, idle_timeout_s: float) -> subprocess.Popen[bytes]:
    """Start the supervisor of `path` in the background, in a session of its own, logging to `path`.log."""
    log = os.open(path + ".log", os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
    try:
        return subprocess.Popen(
            [sys.executable, "-m", "lakeloader.cli.warmserver", path, str(workers), str(idle_timeout_s)],
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=log,
            start_new_session=True,  # outlives this command and its terminal
        )
    finally:
        os.close(log)


def start_for_next_runs(argv: list[str]) -> None:
    """LAKELOADER_DAEMON=auto: after a cold run against an existing lakehouse, start a daemon for the next ones."""
    root = launch.root_from(argv, dict(os.environ))
    if not os.path.isdir(os.path.join(root, launch.STATE_DIR)):
        return
    from lakeloader.paths import make_private_dir

    folder = make_private_dir(Path(launch.daemon_dir(root)))
    if launch.private_dir(str(folder)):
        path = launch.socket_path(root, dict(os.environ))
        if _info(path) is None:
            launch_supervisor(path, workers=DEFAULT_WORKERS, idle_timeout_s=DEFAULT_IDLE_TIMEOUT_S)


@daemon_app.command("stop")
def stop(
    every: Annotated[bool, typer.Option("--all", help="Stop every daemon of this lakehouse root.")] = False,
) -> None:
    """Stop the daemon that serves this environment (runs in progress finish)."""
    import signal

    paths = _all_sockets() if every else [_socket()]
    stopped = 0
    for path in paths:
        info = _info(path)
        if info is not None:
            os.kill(int(info["pid"]), signal.SIGTERM)
            stopped += 1
    say(f"stopped {stopped} daemon(s)" if stopped else "no daemon was running")


@daemon_app.command("status")
def status(as_json: Annotated[bool, typer.Option("--json", help="Print JSON for scripts.")] = False) -> None:
    """The daemons of this lakehouse root, and whether one serves runs from this environment."""
    mine = _socket()
    rows = []
    for path in _all_sockets():
        info = _info(path)
        if info is None:
            continue
        rows.append(
            {
                "pid": info["pid"],
                "serves_this_environment": path == mine,
                "warm_workers": info["warm"],
                "runs": info["runs"],
                "idle_timeout_s": info["idle_timeout_s"],
                "since": time.strftime("%Y-%m-%dT%H:%M:%S", time.localtime(info["since"])),
                "socket": path,
            }
        )
    if as_json:
        print_json(rows)
        return
    emit(rows, as_json=False, columns=["pid", "serves_this_environment", "warm_workers", "runs", "since", "socket"])
    if not any(r["serves_this_environment"] for r in rows):
        say("no daemon serves runs from this environment: they run cold (`lakeloader daemon start`)")


def _all_sockets() -> list[str]:
    folder = Path(launch.daemon_dir(_root()))
    return sorted(str(p)[: -len(".json")] for p in folder.glob("*.sock.json")) if folder.is_dir() else []


def _is_supervisor(pid: int) -> bool:
    """`pid` runs our supervisor (a zombie's command line is empty)."""
    try:
        return b"lakeloader.cli.warmserver" in Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return False
