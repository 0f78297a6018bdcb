"""`lakeloader daemon`: warm workers serve runs exactly as a cold run would, and only runs they may serve."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from lakeloader.cli import launch
from tests.conftest import AWKWARD

LAKELOADER = [sys.executable, "-m", "lakeloader.cli"]


@pytest.fixture
def root() -> Iterator[Path]:
    """A lakehouse root whose daemon is stopped at the end, whatever the test did."""
    folder = Path(tempfile.mkdtemp(prefix="ll-daemon-"))
    root = folder / AWKWARD / "lh"
    try:
        yield root
    finally:
        subprocess.run([*LAKELOADER, "daemon", "stop", "--all"], env=_env(root), capture_output=True, timeout=60)
        subprocess.run(["rm", "-rf", str(folder)], check=False)


def _env(root: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k != launch.NO_DAEMON_ENV}
    return {**env, "LAKELOADER_ROOT": str(root), **extra}


def cli(
    root: Path, *args: str, env: dict[str, str] | None = None, cwd: Path | None = None
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*LAKELOADER, *args], capture_output=True, text=True, env=env or _env(root), timeout=120, cwd=cwd
    )


def status(root: Path, env: dict[str, str] | None = None) -> list[dict[str, object]]:
    out = cli(root, "daemon", "status", "--json", env=env)
    assert out.returncode == 0, out.stderr
    return json.loads(out.stdout)  # type: ignore[no-any-return]


def runs_served(root: Path) -> int:
    return sum(int(d["runs"]) for d in status(root))  # type: ignore[call-overload]


def start(root: Path, *args: str) -> None:
    cli(root, "catalogs", "create", "main")
    cli(root, "schemas", "create", "main.default")
    out = cli(root, "daemon", "start", *args)
    assert out.returncode == 0 and "daemon started" in out.stdout, out.stderr


def test_a_served_run_prints_and_exits_as_a_cold_run(root: Path) -> None:
    start(root)
    cli(root, "schemas", "create", "main.s")
    assert runs_served(root) == 1
    for args in (["schemas", "list", "main", "--json"], ["sql", "SELECT 42 AS x"], ["schemas", "create", "nope.s"],
                 ["tables", "list", "--bogus"]):  # fmt: skip
        warm = cli(root, *args)
        cold = cli(root, *args, env=_env(root, **{launch.NO_DAEMON_ENV: "1"}))
        assert (warm.returncode, warm.stdout, warm.stderr) == (cold.returncode, cold.stdout, cold.stderr), args
    assert runs_served(root) == 5  # the four warm ones went through the daemon; the cold ones did not
    assert cli(root, "schemas", "create", "nope.s").returncode == 1
    assert cli(root, "tables", "list", "--bogus").returncode == 2


def test_a_served_run_reads_stdin_and_runs_in_the_callers_folder(root: Path) -> None:
    start(root)
    elsewhere = root.parent / "elsewhere"
    elsewhere.mkdir()
    env = _env(root)
    del env["LAKELOADER_ROOT"]  # so the root is ./lakehouse of the folder the command runs in: not served
    done = subprocess.run([*LAKELOADER, "catalogs", "create", "c"], env=env, cwd=elsewhere, capture_output=True)
    assert done.returncode == 0 and (elsewhere / "lakehouse").is_dir()
    before = runs_served(root)
    relative = subprocess.run(  # --root relative to the caller's folder: served, and resolved there
        [*LAKELOADER, "--root", "lh", "catalogs", "list", "--json"],
        env=_env(root),
        cwd=root.parent,
        capture_output=True,
        text=True,
    )
    assert relative.returncode == 0 and [c["name"] for c in json.loads(relative.stdout)] == ["main"]
    assert runs_served(root) == before + 1
    before += 1
    piped = subprocess.run(
        [*LAKELOADER, "volumes", "create", "main.default.v"], env=_env(root), input=b"ignored\n", capture_output=True
    )
    assert piped.returncode == 0 and runs_served(root) == before + 1


PLANTED = """\
from pathlib import Path

Path(__file__).with_name("planted-imported").write_text("a module of the caller's folder ran")
"""
PROBE = """\
import json
import statistics
import sys
from pathlib import Path

Path("probe.json").write_text(json.dumps({"path": sys.path, "statistics": statistics.__file__}))
"""


def test_a_served_run_imports_exactly_what_a_cold_run_does(root: Path) -> None:
    """A `statistics.py` in the caller's folder is not imported, served or cold: both runs have the `lakeloader`
    script's sys.path (its folder first; a worker started with `python -c` had "" first, the caller's folder)."""
    script = Path(sys.executable).with_name("lakeloader")
    if not script.is_file():
        pytest.skip(f"no lakeloader script beside {sys.executable}")
    start(root)
    caller = root.parent / "caller"
    (caller / "p" / "transformations").mkdir(parents=True)
    (caller / "statistics.py").write_text(PLANTED)  # a stdlib name that no warm worker has imported yet
    (caller / "p" / "spark-pipeline.yml").write_text(
        "name: p\ncatalog: main\nschema: default\nlibraries:\n  - glob:\n      include: transformations/**\n"
    )
    (caller / "p" / "transformations" / "one.sql").write_text("CREATE MATERIALIZED VIEW one AS SELECT 1 AS x;\n")
    (caller / "p" / "transformations" / "probe.py").write_text(PROBE)  # run by the loader, in the run's process
    seen = {}
    for how, env in (("served", _env(root)), ("cold", _env(root, **{launch.NO_DAEMON_ENV: "1"}))):
        before = runs_served(root)
        done = subprocess.run([str(script), "pipelines", "dry-run", "p"], env=env, cwd=caller, capture_output=True)
        assert done.returncode == 0, (how, done.stderr)
        assert runs_served(root) == before + (how == "served"), how
        seen[how] = json.loads((caller / "probe.json").read_text())
        (caller / "probe.json").unlink()
    assert not (caller / "planted-imported").exists()
    assert seen["served"] == seen["cold"]
    assert Path(seen["served"]["statistics"]).parent != caller
    assert seen["served"]["path"][0] == str(script.parent) and "" not in seen["served"]["path"]


def test_another_environment_or_code_is_not_served(root: Path) -> None:
    start(root)
    other = _env(root, SOME_SETTING="x")
    assert cli(root, "schemas", "list", "main", env=other).returncode == 0
    assert runs_served(root) == 0
    assert [d["serves_this_environment"] for d in status(root, env=other)] == [False]
    env = _env(root)
    assert launch.key(env) == launch.key({**env, "PWD": "/elsewhere", "SHLVL": "7"})  # shells differ here
    assert launch.key(env) != launch.key({**env, "LAKELOADER_DEBUG": "1"})


def test_a_folder_others_could_enter_is_not_trusted(root: Path) -> None:
    start(root)
    folder = Path(launch.daemon_dir(str(root)))
    folder.chmod(0o755)  # another user could have put a socket here
    assert cli(root, "schemas", "list", "main").returncode == 0
    folder.chmod(0o700)
    assert runs_served(root) == 0
    assert cli(root, "schemas", "list", "main").returncode == 0
    assert runs_served(root) == 1


@pytest.mark.slow
def test_signals_reach_the_run_and_a_killed_client_stops_it(root: Path, tmp_path: Path) -> None:
    start(root, "--workers", "1")
    landing = tmp_path / "landing"
    landing.mkdir()
    args = [*LAKELOADER, "ingest", "files", "--path", str(landing), "--format", "json", "--target", "main.default.t",
            "--checkpoint", str(tmp_path / "cp"), "--trigger", "interval=0.2s", "--no-progress"]  # fmt: skip
    proc = subprocess.Popen(args, env=_env(root), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    _wait(lambda: runs_served(root) == 1)
    time.sleep(0.5)
    proc.send_signal(signal.SIGTERM)  # as a scheduler stops a continuous run: it ends between batches
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 0, err
    assert "Traceback" not in err

    proc = subprocess.Popen(args, env=_env(root), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    _wait(lambda: runs_served(root) == 2)
    worker = _busy_workers()
    assert len(worker) == 1
    proc.kill()  # a cron timeout's kill -9: the worker must not go on alone
    proc.wait()
    _wait(lambda: not _alive(worker[0]))


@pytest.mark.slow
def test_stop_and_idle_timeout_remove_the_socket(root: Path) -> None:
    start(root, "--idle-timeout", "1s")
    sockets = list(Path(launch.daemon_dir(str(root))).glob("*.sock"))
    assert len(sockets) == 1
    _wait(lambda: not sockets[0].exists())  # idle for a second: gone
    assert status(root) == []
    assert cli(root, "schemas", "list", "main").returncode == 0  # cold again
    start(root)
    assert cli(root, "daemon", "stop").stdout.strip() == "stopped 1 daemon(s)"
    _wait(lambda: status(root) == [])
    assert not any(Path(launch.daemon_dir(str(root))).glob("*.sock"))


def test_an_idle_timeout_shorter_than_a_warm_up_counts_from_the_first_warm_worker(root: Path) -> None:
    """A worker takes far longer than 50 ms to import: the idle clock starts once one is warm (it stopped the
    daemon before any was warm, and `daemon start` failed, under a loaded CI machine with a 1 s timeout)."""
    start(root, "--idle-timeout", "50ms")
    _wait(lambda: status(root) == [])  # then idle for 50 ms: gone


def test_the_daemons_files_hold_no_secret_and_are_private(root: Path) -> None:
    secret = "s3cr3t-" + os.urandom(6).hex()
    env = _env(root, PGPASSWORD=secret)
    cli(root, "catalogs", "create", "main", env=env)
    assert cli(root, "daemon", "start", env=env).returncode == 0
    assert cli(root, "sql", "SELECT 1", env=env).returncode == 0
    assert status(root, env=env)[0]["runs"] == 1
    folder = Path(launch.daemon_dir(str(root)))
    assert folder.stat().st_mode & 0o777 == 0o700
    for f in folder.iterdir():
        assert f.stat().st_mode & 0o077 == 0, f
        if f.is_file():
            assert secret not in f.read_text(errors="replace"), f
    cli(root, "daemon", "stop", env=env)


def _busy_workers() -> list[int]:
    """Workers serving a run: a worker process with a client's stdout (not the daemon's log) on fd 1."""
    found = []
    for pid in os.listdir("/proc"):
        if not pid.isdigit():
            continue
        try:
            cmdline = Path(f"/proc/{pid}/cmdline").read_bytes()
            out = os.readlink(f"/proc/{pid}/fd/1")
        except OSError:
            continue
        if b"warmserver import worker" in cmdline and not out.endswith(".log"):
            found.append(int(pid))
    return found


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    state = Path(f"/proc/{pid}/stat").read_text().split()[2] if Path(f"/proc/{pid}/stat").exists() else "X"
    return state != "Z"


def _wait(condition: object, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():  # type: ignore[operator]
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.05)


@pytest.mark.slow
def test_auto_starts_a_daemon_after_a_cold_run(root: Path) -> None:
    env = _env(root, LAKELOADER_DAEMON="auto")
    assert cli(root, "catalogs", "create", "other", env=env).returncode == 0  # cold: nothing serves it yet
    _wait(lambda: status(root, env=env) != [] and int(status(root, env=env)[0]["warm_workers"]) > 0)  # type: ignore[call-overload]
    assert cli(root, "catalogs", "list", env=env).returncode == 0
    assert status(root, env=env)[0]["runs"] == 1
    assert cli(root, "catalogs", "list").returncode == 0  # without the variable: another environment, cold
    assert status(root, env=env)[0]["runs"] == 1


@pytest.mark.slow
def test_two_served_runs_of_one_stream_at_once_land_each_file_once(root: Path, tmp_path: Path) -> None:
    """A cron overlap through warm workers: the stream's lock holds across them, as across cold runs."""
    start(root, "--workers", "2")
    landing = tmp_path / "landing"
    landing.mkdir()
    for i in range(40):
        (landing / f"f{i:03d}.json").write_text("".join(f'{{"id": {i * 50 + j}}}\n' for j in range(50)))
    args = [*LAKELOADER, "ingest", "files", "--path", str(landing), "--format", "json", "--target", "main.default.t",
            "--checkpoint", str(tmp_path / "cp"), "--option", "maxFilesPerTrigger=5", "--wait-for-lock", "2m",
            "--no-progress"]  # fmt: skip
    runs = [subprocess.Popen(args, env=_env(root), stdout=subprocess.PIPE, stderr=subprocess.PIPE) for _ in range(2)]
    for run in runs:
        _, err = run.communicate(timeout=120)
        assert run.returncode == 0, err
    assert runs_served(root) == 2
    rows = json.loads(
        cli(root, "sql", "SELECT count(*) AS n, count(DISTINCT id) AS d FROM main.default.t", "--json").stdout
    )
    assert rows == [{"n": 2000, "d": 2000}]


@pytest.mark.skipif(os.geteuid() != 0, reason="needs root to act as another user")
def test_a_worker_serves_nobody_but_its_user(root: Path) -> None:
    """Even with every folder and the socket opened up, a worker answers another user with nothing."""
    start(root, "--workers", "1")
    sock = next(Path(launch.daemon_dir(str(root))).glob("*.sock"))
    for folder in [*reversed(sock.parents)]:
        if str(folder).startswith(str(root.parents[1])):  # from the fixture's mkdtemp folder down
            folder.chmod(0o755)
    sock.chmod(0o777)
    import marshal
    import socket

    read, write = os.pipe()
    child = os.fork()  # the hostile user: a child that drops to nobody (it uses sockets only, nothing forked-unsafe)
    if child == 0:
        try:
            os.setuid(65534)
            s = socket.socket(socket.AF_UNIX)
            s.settimeout(20)
            s.connect(str(sock))
            request = marshal.dumps({"argv": ["lakeloader", "catalogs", "list"], "cwd": "/", "env": {}, "umask": 18})
            socket.send_fds(s, [len(request).to_bytes(8, "big")], [0, 1, 2])  # a well-formed request
            s.sendall(request)
            try:
                answer = s.recv(8)
            except ConnectionResetError:  # closed with our request unread
                answer = b""
            os.write(write, b"closed" if answer == b"" else b"answered " + answer)
        except BaseException as exc:  # reported to the parent, which fails on anything but a closed connection
            os.write(write, f"{type(exc).__name__}: {exc}".encode())
        finally:
            os._exit(0)
    os.close(write)
    os.waitpid(child, 0)
    assert os.read(read, 200) == b"closed"  # the worker closed the connection: no pid, nothing run
    assert runs_served(root) == 1  # it took the connection, checked who it was, and served nothing


@pytest.mark.slow
def test_a_supervisor_killed_outright_takes_its_idle_workers_along(root: Path) -> None:
    """kill -9 of the supervisor: no warm worker is left waiting on its socket, and runs go on cold."""
    start(root, "--workers", "2")
    supervisor = int(status(root)[0]["pid"])  # type: ignore[call-overload]
    workers = _workers_of(supervisor)
    assert len(workers) == 2
    os.kill(supervisor, signal.SIGKILL)
    _wait(lambda: not any(_alive(pid) for pid in workers))
    assert cli(root, "schemas", "list", "main").returncode == 0  # the stale socket refuses: cold at once
    assert status(root) == []
    start(root)  # and a new daemon takes over the stale socket's name
    assert cli(root, "schemas", "list", "main").returncode == 0
    assert status(root)[0]["runs"] == 1


def _workers_of(supervisor: int) -> list[int]:
    found = []
    for pid in os.listdir("/proc"):
        if pid.isdigit():
            try:
                fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(fields[1]) == supervisor:
                found.append(int(pid))
    return found
