"""When a stream runs, in Spark's words: `availableNow` (everything new, then stop), `once` (one batch), and
`processingTime` (`interval=1m`: a micro-batch every interval until SIGINT or SIGTERM, which stop the loop after
the micro-batch in flight). The option shape is `lakeloader ingest files --trigger`'s."""

from __future__ import annotations

import os
import re
import signal
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal, TypeVar

from lakeloader.errors import ConfigError

T = TypeVar("T")
Kind = Literal["availableNow", "once", "processingTime"]


@dataclass(frozen=True)
class Trigger:
    kind: Kind
    interval: float = 0.0

    @classmethod
    def parse(cls, text: str) -> Trigger:
        """'available-now' (availableNow), 'once', or 'interval=30s' (processingTime=30s)."""
        from lakeloader.units import parse_seconds

        t = text.strip()
        key = t.replace("-", "").replace("_", "").lower()
        if key in ("availablenow", "available"):
            return cls("availableNow")
        if key == "once":
            return cls("once")
        m = re.fullmatch(r"(?:interval|processingtime)\s*=\s*(.+)", t, re.IGNORECASE)
        if m:
            seconds = parse_seconds(m.group(1), option="trigger interval")
            if seconds <= 0:
                raise ConfigError(f"trigger {text!r}: the interval must be positive; write e.g. interval=1m")
            return cls("processingTime", seconds)
        raise ConfigError(f"trigger {text!r} is unknown; use available-now, once or interval=30s (processingTime)")

    @property
    def label(self) -> str:
        return f"interval={self.interval:g}s" if self.kind == "processingTime" else self.kind


class StopFlag:
    """Ctrl-C, in two steps. The first SIGINT (or SIGTERM) asks the run to stop after the batch in flight and says
    so (`announce` tells what is left); the second ends the process at once, as kill -9 would, which the commit
    protocol makes safe: a batch is in Delta whole or not at all, and the next run replays a planned one.

    Signals are counted by a thread reading Python's wakeup fd, where each delivery is written as it happens: the
    main thread may be in native code for seconds (a Parquet encode), and Python would run its handler once for
    two presses made meanwhile. Only the main thread can catch signals; elsewhere the flag is set by the caller.
    `event` is the flag the run's loop watches (a caller's own stop event, or a new one).
    """

    def __init__(self, event: threading.Event | None = None, *, announce: Callable[[], str] | None = None) -> None:
        self.event = event or threading.Event()
        self.announce = announce
        self.signal: int | None = None  # the signal that asked to stop, if one did
        # held while a run decides to plan one more batch: what `announce` says left is what the run then leaves
        self.planning = threading.Lock()
        self._old: dict[int, Any] = {}
        self._old_wakeup = -1
        self._pipe: tuple[int, int] | None = None

    def interrupted_by(self, trigger: Trigger) -> int | None:
        """The signal that cut the run short, if one did: its summary says "interrupted" and its exit code is
        128 + the signal. SIGTERM is how a scheduler ends a continuous (`interval=`) stream: that is its normal
        end, not an interruption; Ctrl-C always is."""
        if self.signal == signal.SIGTERM and trigger.kind == "processingTime":
            return None
        return self.signal

    def _watch(self, read_fd: int) -> None:
        try:
            while data := os.read(read_fd, 64):
                for sig in data:
                    if sig in (signal.SIGINT, signal.SIGTERM):
                        self._delivered(sig)
        finally:
            os.close(read_fd)

    def _delivered(self, sig: int) -> None:
        again = "Ctrl-C" if sig == signal.SIGINT else "the signal"
        if self.signal is None:
            with self.planning:
                self.signal = sig
                self.event.set()
                what = self.announce() if self.announce is not None else "stopping after the batch in flight"
            os.write(2, f"{what}; {again} again to abort\n".encode())
            return
        show_cursor = "\x1b[?25h" if os.isatty(2) else ""  # a progress bar hid it
        os.write(
            2,
            f"{show_cursor}\ninterrupted: stopped at once (a batch in flight is in whole or not at all; "
            "the next run goes on)\n".encode(),
        )
        os._exit(128 + sig)

    def __enter__(self) -> StopFlag:
        if threading.current_thread() is not threading.main_thread():
            return self
        read_fd, write_fd = os.pipe()
        os.set_blocking(write_fd, False)
        self._pipe = (read_fd, write_fd)
        self._old_wakeup = signal.set_wakeup_fd(write_fd, warn_on_full_buffer=False)
        for sig in (signal.SIGINT, signal.SIGTERM):
            self._old[sig] = signal.signal(sig, _counted_elsewhere)
        threading.Thread(target=self._watch, args=(read_fd,), name="lakeloader-stop", daemon=True).start()
        return self

    def __exit__(self, *exc: object) -> None:
        for sig, handler in self._old.items():
            signal.signal(sig, handler)
        self._old = {}
        if self._pipe is not None:
            signal.set_wakeup_fd(self._old_wakeup)
            os.close(self._pipe[1])  # the watcher reads the end of the pipe and closes its side
            self._pipe = None


def _counted_elsewhere(_sig: int, _frame: Any) -> None:
    """Python's side of SIGINT and SIGTERM while a StopFlag holds them: nothing (its watcher thread counts them)."""


def exit_code(signal_number: int | None) -> int:
    """The shell's exit code for a run a signal stopped: 128 + the signal (130 for Ctrl-C, 143 for SIGTERM)."""
    return 128 + signal_number if signal_number is not None else 0


def run(
    trigger: Trigger,
    micro_batch: Callable[[], T],
    *,
    flag: StopFlag,
    on_result: Callable[[T], None] | None = None,
) -> list[T]:
    """Run `micro_batch` once (availableNow, once), or every `trigger.interval` seconds from the start of the
    previous one (processingTime; a late one starts at once) until `flag` is raised (by a signal, or its caller)."""
    results: list[T] = []
    while True:
        started = time.monotonic()
        result = micro_batch()
        results.append(result)
        if on_result is not None:
            on_result(result)
        if trigger.kind != "processingTime" or flag.event.is_set():
            return results
        if flag.event.wait(max(0.0, trigger.interval - (time.monotonic() - started))):
            return results
