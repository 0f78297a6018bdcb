"""A real Ray cluster of N nodes on this machine, on loopback only, for the demo, the tests and the benches.

`ray start` binds the machine's own address even when told 127.0.0.1, and `ray stop` kills every Ray process on
the machine by name: neither is used. `ray.cluster_utils.Cluster` starts each node (a raylet with its own temp
folder) from this process, and with RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER=0 every node and the driver take 127.0.0.1
as their address, so nothing listens beyond loopback. Teardown stops the nodes by their handles, then any process
still running out of the cluster's own temp folder.
"""

from __future__ import annotations

import contextlib
import logging
import os
import signal
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

OBJECT_STORE_BYTES = 200_000_000
LOOPBACK_ENV = {
    "RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER": "0",  # every node's and the driver's address: 127.0.0.1
    "RAY_USAGE_STATS_ENABLED": "0",
    "RAY_DISABLE_DOCKER_CPU_WARNING": "1",
}


@dataclass
class LocalRay:
    """A running loopback cluster: its address, its nodes' handles and its temp folder."""

    address: str
    cluster: Any
    folder: Path

    def worker_pids(self) -> list[int]:
        """PIDs of the cluster's worker processes (those that run tasks: `ray::...` under one of its raylets)."""
        raylets = {pid for pid, line in _processes_of(self.folder) if "/raylet " in line}
        return [
            pid
            for pid, parent, line in _every_process()
            if parent in raylets and line.startswith("ray::") and "Agent" not in line
        ]

    def add_node(self) -> Any:
        return self.cluster.add_node(**_node_args(self.folder, len(self.cluster.list_all_nodes())))


def _node_args(folder: Path, index: int) -> dict[str, Any]:
    node_dir = folder / f"node{index}"
    node_dir.mkdir(parents=True, exist_ok=True)
    return {
        "num_cpus": 1,
        "object_store_memory": OBJECT_STORE_BYTES,
        "include_dashboard": False,
        "temp_dir": str(node_dir),
        "node_ip_address": "127.0.0.1",
    }


def _every_process() -> list[tuple[int, int, str]]:
    """(pid, parent pid, command line) of every process, from /proc."""
    out = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            line = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
            parent = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
        except (OSError, ValueError, IndexError):
            continue
        out.append((int(entry.name), parent, line))
    return out


def _processes_of(folder: Path) -> list[tuple[int, str]]:
    """(pid, command line) of the cluster's own processes: those naming `folder`, and their descendants (a Ray
    worker renames itself `ray::...`)."""
    every = _every_process()
    marker = str(folder)
    ours = {pid for pid, _, line in every if marker in line}
    grew = True
    while grew:
        more = {pid for pid, parent, _ in every if parent in ours and pid not in ours}
        ours |= more
        grew = bool(more)
    return [(pid, line) for pid, _, line in every if pid in ours]


@contextlib.contextmanager
def local_ray(nodes: int = 2, *, folder: Path | None = None, connect: bool = True) -> Iterator[LocalRay]:
    """Start a loopback cluster of `nodes` nodes (one CPU each), connect this process to it (unless `connect` is
    False: other processes use it by its address), and stop it after."""
    for key, value in LOOPBACK_ENV.items():
        os.environ[key] = value  # the nodes started below inherit them, and the driver reads them
    import ray
    from ray._private import ray_constants
    from ray.cluster_utils import Cluster

    ray_constants.ENABLE_RAY_CLUSTER = False  # read at Ray's import: this process may have imported it before
    own = folder is None
    base = Path(folder or tempfile.mkdtemp(prefix="llray-"))
    (base / "ray").mkdir(parents=True, exist_ok=True)
    previous_tmp = os.environ.get("RAY_TMPDIR")
    os.environ["RAY_TMPDIR"] = str(base)  # where Ray records the current cluster: ours, not /tmp/ray
    cluster = None
    try:
        cluster = Cluster(initialize_head=True, connect=False, head_node_args=_node_args(base, 0))
        for index in range(1, nodes):
            cluster.add_node(**_node_args(base, index))
        cluster.wait_for_nodes()
        if connect:
            ray.init(address=cluster.address, logging_level=logging.WARNING, log_to_driver=False,
                     configure_logging=False)  # fmt: skip
        yield LocalRay(cluster.address, cluster, base)
    finally:
        if connect:
            with contextlib.suppress(Exception):
                ray.shutdown()
            from lakeloader.execution.executor import forget_executors

            forget_executors()  # an executor made for this cluster must not outlive it
        if cluster is not None:
            with contextlib.suppress(Exception):
                cluster.shutdown()  # type: ignore[no-untyped-call]
        _stop_leftovers(base)
        if previous_tmp is None:
            os.environ.pop("RAY_TMPDIR", None)
        else:
            os.environ["RAY_TMPDIR"] = previous_tmp
        if own:
            import shutil

            shutil.rmtree(base, ignore_errors=True)


def _stop_leftovers(folder: Path) -> None:
    """SIGTERM, then SIGKILL, whatever still runs out of `folder` (never other Ray processes on the machine)."""
    for sig in (signal.SIGTERM, signal.SIGKILL):
        left = [pid for pid, _ in _processes_of(folder) if pid != os.getpid()]
        if not left:
            return
        for pid in left:
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.kill(pid, sig)
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline and any(p != os.getpid() for p, _ in _processes_of(folder)):
            time.sleep(0.1)
