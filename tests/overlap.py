"""Run the same work in several spawned processes at the same instant (a cron overlap), collecting outcomes."""

from __future__ import annotations

import multiprocessing
import queue
from collections.abc import Callable
from typing import Any


def _worker(fn: Callable[..., Any], args: tuple[Any, ...], barrier: Any, out: Any, index: int) -> None:
    barrier.wait(120)  # every process has imported everything: they start together
    try:
        out.put((index, "ok", fn(*args)))
    except BaseException as exc:
        out.put((index, "error", f"{type(exc).__name__}: {exc}"))


def run_at_once(fn: Callable[..., Any], calls: list[tuple[Any, ...]], *, timeout: float = 300) -> list[tuple[str, Any]]:
    """Call `fn(*args)` for each `args` in its own spawned process, all released at once; (status, value) each.

    `fn` must be a module-level function (spawn pickles it by name). A process that dies without reporting
    (a crash) fails the test.
    """
    ctx = multiprocessing.get_context("spawn")
    barrier = ctx.Barrier(len(calls))
    out: Any = ctx.Queue()
    procs = [ctx.Process(target=_worker, args=(fn, args, barrier, out, i)) for i, args in enumerate(calls)]
    for proc in procs:
        proc.start()
    results: dict[int, tuple[str, Any]] = {}
    try:
        while len(results) < len(procs):
            index, status, value = out.get(timeout=timeout)
            results[index] = (status, value)
    except queue.Empty:
        raise AssertionError(f"only {len(results)} of {len(procs)} runs reported within {timeout}s") from None
    finally:
        for proc in procs:
            proc.join(30)
            if proc.is_alive():
                proc.kill()
    return [results[i] for i in range(len(procs))]


def bypass_stream_lock() -> None:
    """Fault injection: this process ignores the checkpoint lock, as a run that bypasses it would."""
    import contextlib

    from lakeloader.execution.checkpoint import Checkpoint

    Checkpoint.exclusive = lambda self, *, wait=0.0: contextlib.nullcontext()  # type: ignore[method-assign]
