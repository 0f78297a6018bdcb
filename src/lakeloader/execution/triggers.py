"""When a stream runs, in Spark's words: `availableNow` (everything new, then stop), `once` (one batch), and
`processingTime` (`interval=1m`: a micro-batch every interval until SIGINT or SIGTERM, which stop the loop after
the micro-batch in flight). The option shape is `lakeloader ingest files --trigger`'s."""

from __future__ import annotations

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
    """SIGINT/SIGTERM set the flag (in the main thread); the loop stops after the micro-batch in flight."""

    def __init__(self) -> None:
        self.event = threading.Event()
        self._old: dict[int, Any] = {}

    def __enter__(self) -> StopFlag:
        if threading.current_thread() is threading.main_thread():
            for sig in (signal.SIGINT, signal.SIGTERM):
                self._old[sig] = signal.signal(sig, lambda *_: self.event.set())
        return self

    def __exit__(self, *exc: object) -> None:
        for sig, handler in self._old.items():
            signal.signal(sig, handler)


def run(
    trigger: Trigger,
    micro_batch: Callable[[], T],
    *,
    stop: threading.Event | None = None,
    on_result: Callable[[T], None] | None = None,
) -> list[T]:
    """Run `micro_batch` once (availableNow, once), or every `trigger.interval` seconds from the start of the
    previous one (processingTime; a late one starts at once) until `stop` or a signal."""
    results: list[T] = []
    with StopFlag() as flag:
        event = stop or flag.event
        while True:
            started = time.monotonic()
            result = micro_batch()
            results.append(result)
            if on_result is not None:
                on_result(result)
            if trigger.kind != "processingTime" or event.is_set():
                return results
            if event.wait(max(0.0, trigger.interval - (time.monotonic() - started))):
                return results
