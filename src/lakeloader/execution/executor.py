"""Who runs a batch's work units: this process (`local`, the default) or a Ray cluster (`ray`).

A batch is planned and committed by the driver exactly as before (execution/stream.py): the executor only runs
the row-wise middle — a unit reads its part of the batch, writes Parquet data files into the table's location and
returns their add actions; the driver commits every unit's files in ONE commit with the stream's transaction.
A unit that fails is retried by Ray (`max_retries`); if it still fails, the batch fails whole, the files the
units wrote are deleted (never committed), and the next run replays the batch from its plan.

Chosen by `--executor ray [--ray-address auto|HOST:PORT]`, `LAKELOADER_EXECUTOR` / `LAKELOADER_RAY_ADDRESS`, or
`executor:` in spark-pipeline.yml; `ray` is the optional extra `lakeloader[ray]`, imported only when chosen.
"""

from __future__ import annotations

import contextlib
import logging
import os
import threading
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any, TypeVar

from lakeloader import units as units_
from lakeloader.errors import ConfigError, TerminalError

log = logging.getLogger(__name__)
T = TypeVar("T")
R = TypeVar("R")

NAMES = ("local", "ray")
DEFAULT_MAX_BYTES_PER_TASK = 256 << 20
UNIT_RETRIES = 3  # Ray runs a unit whose worker died again this often before the batch fails
# what a unit's process needs from the driver's environment to reach the same storage (never Ray's runtime_env,
# which Ray keeps in its control store and shows on its dashboard: these ride in the task's arguments only)
_PASSED_ENV = ("AWS_", "LAKELOADER_STATE_HOME", "AZURE_", "GOOGLE_")


@dataclass(frozen=True)
class ExecutorSettings:
    name: str = "local"
    address: str | None = None
    max_bytes_per_task: int = DEFAULT_MAX_BYTES_PER_TASK

    @property
    def distributed(self) -> bool:
        return self.name != "local"


def settings(
    name: str | None = None, *, address: str | None = None, max_bytes_per_task: str | int | None = None
) -> ExecutorSettings:
    """The executor asked for: an argument wins over LAKELOADER_EXECUTOR / LAKELOADER_RAY_ADDRESS /
    LAKELOADER_MAX_BYTES_PER_TASK; an unknown name is one line."""
    chosen = (name or os.environ.get("LAKELOADER_EXECUTOR") or "local").strip().lower()
    if chosen not in NAMES:
        raise ConfigError(
            f"executor {chosen!r}: unknown; use one of {', '.join(NAMES)} (--executor, LAKELOADER_EXECUTOR)"
        )
    limit = max_bytes_per_task or os.environ.get("LAKELOADER_MAX_BYTES_PER_TASK") or DEFAULT_MAX_BYTES_PER_TASK
    size = units_.parse_bytes(limit, option="max-bytes-per-task")
    if size <= 0:
        raise ConfigError(f"--max-bytes-per-task {limit}: must be positive, e.g. 256MB")
    return ExecutorSettings(chosen, address or os.environ.get("LAKELOADER_RAY_ADDRESS") or None, size)


def units_by_bytes(items: Sequence[T], size_of: Callable[[T], int], max_bytes: int) -> list[list[T]]:
    """`items` cut into consecutive units of at most `max_bytes` each (an item bigger than that is a unit alone)."""
    out: list[list[T]] = []
    unit: list[T] = []
    used = 0
    for item in items:
        size = max(0, int(size_of(item)))
        if unit and used + size > max_bytes:
            out.append(unit)
            unit, used = [], 0
        unit.append(item)
        used += size
    if unit:
        out.append(unit)
    return out


@dataclass
class WorkerContext:
    """What a unit's process takes from the driver before it runs: storage credentials and the environment the
    storage libraries read (the values travel in the task's arguments only, never printed)."""

    credentials: list[Any] = field(default_factory=list)
    env: dict[str, str] = field(default_factory=dict)

    def __repr__(self) -> str:  # never the values
        return f"WorkerContext({len(self.credentials)} credentials, {len(self.env)} variables)"

    @classmethod
    def of_driver(cls) -> WorkerContext:
        from lakeloader.lakehouse import storage

        env = {k: v for k, v in os.environ.items() if k.startswith(_PASSED_ENV)}
        return cls(storage.every_credential(), env)

    def apply(self) -> None:
        from lakeloader.lakehouse import storage

        os.environ.update(self.env)
        for credential in self.credentials:
            storage.use_credentials(credential)


def _check_reachable(address: str | None) -> None:
    """A HOST:PORT that does not answer is one line at once (ray.init would retry for minutes)."""
    import socket

    if not address or address in ("auto", "local") or "://" in address:
        return
    host, _, port = address.rpartition(":")
    try:
        with socket.create_connection((host or "127.0.0.1", int(port)), timeout=5):
            return
    except (OSError, ValueError) as exc:
        raise ConfigError(
            f"executor ray: no Ray cluster answers at {address} ({exc.__class__.__name__}); start one "
            "(ray start --head) or pass the head's --ray-address HOST:PORT"
        ) from None


def _run_unit(fn: Callable[[Any], Any], unit: Any, context: WorkerContext) -> Any:
    """A unit on a Ray worker: the driver's storage context first, then the unit's work."""
    context.apply()
    return fn(unit)


UNIT_DRAIN_SECONDS = 120  # how long a failed batch waits for its other units to end before it says so
MAX_SLOTS = 32  # flows an update runs at once on a cluster: each is a driver thread waiting on its units


class Executor:
    """Runs work units in this process, on threads (the local executor)."""

    name = "local"
    distributed = False

    def __init__(self, max_bytes_per_task: int = DEFAULT_MAX_BYTES_PER_TASK, workers: int | None = None) -> None:
        self.max_bytes_per_task = max_bytes_per_task
        self.workers = workers or max(1, min(4, os.cpu_count() or 1))

    def slots(self) -> int:
        """How many units run at once: what a pipeline update's independent flows can keep busy."""
        return self.workers

    def map(self, fn: Callable[[T], R], work: Sequence[T], *, label: str, cpus: float = 1.0) -> Iterator[R]:
        """`fn` over each unit; results in unit order. The first failure is raised (the other units finish).
        `cpus`: what a unit asks of a cluster (less than 1 for units that mostly wait on a server)."""
        with ThreadPoolExecutor(self.workers, thread_name_prefix="lakeloader-unit") as pool:
            yield from pool.map(fn, work)


class RayExecutor(Executor):
    """Runs each work unit as a Ray task (one CPU each), anywhere in the cluster."""

    name = "ray"
    distributed = True

    def __init__(self, address: str | None, max_bytes_per_task: int = DEFAULT_MAX_BYTES_PER_TASK) -> None:
        super().__init__(max_bytes_per_task)
        try:
            import ray
        except ImportError:
            raise ConfigError(
                "executor ray: the ray package is not installed; pip install 'lakeloader[ray]' "
                "(or use --executor local)"
            ) from None
        self._ray = ray
        self.address = address
        if not ray.is_initialized():
            _check_reachable(address)
            try:
                ray.init(
                    address=address or "auto",
                    logging_level=logging.WARNING,
                    log_to_driver=False,
                    configure_logging=False,
                )
            except (ConnectionError, ValueError, RuntimeError) as exc:
                first = (str(exc).splitlines() or [type(exc).__name__])[0][:200]
                raise ConfigError(
                    f"executor ray: cannot connect to a Ray cluster at {address or 'auto'}: {first}; start one "
                    "(ray start --head) or pass --ray-address HOST:PORT"
                ) from None
        # SPREAD: a batch's units go to every node, not first to fill the one whose worker is already warm
        self._task = ray.remote(_run_unit)
        self._options = {"max_retries": UNIT_RETRIES, "retry_exceptions": False, "scheduling_strategy": "SPREAD"}

    def slots(self) -> int:
        """The cluster's CPUs now (a unit takes one), at most MAX_SLOTS: independent flows of an update run at
        once, each waiting on its units, so they land on different nodes."""
        resources: dict[str, float] = self._ray.cluster_resources()  # type: ignore[no-untyped-call]
        cpus = int(resources.get("CPU", 1))
        return max(1, min(MAX_SLOTS, cpus))

    def map(self, fn: Callable[[T], R], work: Sequence[T], *, label: str, cpus: float = 1.0) -> Iterator[R]:
        ray = self._ray
        context = ray.put(WorkerContext.of_driver())
        remote = self._task.options(num_cpus=cpus, **self._options)
        refs = [remote.remote(fn, unit, context) for unit in work]
        try:
            for i, ref in enumerate(refs):
                try:
                    yield ray.get(ref)
                except ray.exceptions.RayTaskError as exc:  # the unit's own error, as it was raised there
                    cause = exc.cause if isinstance(exc.cause, BaseException) else None
                    if cause is not None:
                        raise cause from None
                    raise TerminalError(f"{label}: work unit {i + 1} of {len(refs)} failed on Ray: {exc}") from None
                except (ray.exceptions.WorkerCrashedError, ray.exceptions.NodeDiedError) as exc:
                    kind = type(exc).__name__
                    raise TerminalError(
                        f"{label}: work unit {i + 1} of {len(refs)} lost its Ray worker {UNIT_RETRIES + 1} times "
                        f"({kind}); the batch was not committed and the next run replays it — check the cluster's "
                        "memory (--max-bytes-per-task) and its nodes"
                    ) from None
        except BaseException as exc:
            # A failed batch: the other units run to their end, never cancelled — Ray 2.60's driver aborts the whole
            # process ("Check failed ... Tried to complete task that was not pending") when a task it force-cancels
            # completes at that moment (seen in CI). Their files are never committed; VACUUM removes them.
            if not isinstance(exc, KeyboardInterrupt):
                with contextlib.suppress(Exception):
                    ray.wait(refs, num_returns=len(refs), timeout=UNIT_DRAIN_SECONDS)
            raise


_open: dict[tuple[str, str | None, int], Executor] = {}
_open_lock = threading.Lock()


def forget_executors() -> None:
    """Drop the executors opened so far (a Ray cluster this process was connected to has stopped)."""
    with _open_lock:
        _open.clear()


def open_executor(chosen: ExecutorSettings | None = None) -> Executor:
    """The executor `chosen` names (one per process and address: a Ray connection is made once)."""
    chosen = chosen or settings()
    key = (chosen.name, chosen.address, chosen.max_bytes_per_task)
    with _open_lock:
        found = _open.get(key)
        if isinstance(found, RayExecutor) and not found._ray.is_initialized():
            found = None  # its cluster was shut down: connect again
        if found is None:
            if chosen.name == "ray":
                found = RayExecutor(chosen.address, chosen.max_bytes_per_task)
            else:
                found = Executor(chosen.max_bytes_per_task)
            _open[key] = found
        return found
