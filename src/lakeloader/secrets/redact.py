"""One process-wide redactor: every secret value resolved anywhere is registered here and masked everywhere."""

from __future__ import annotations

import logging
import threading
from typing import Any

REDACTED = "[REDACTED]"
_MIN_LENGTH = 3  # masking one- or two-character values would shred ordinary text

_lock = threading.Lock()
_values: set[str] = set()


def register(value: str) -> None:
    """Remember a secret value so that `redact` masks it from now on, in this process."""
    if len(value) >= _MIN_LENGTH:
        with _lock:
            _values.add(value)


def redact(text: str) -> str:
    """Replace every registered secret value in `text` by `[REDACTED]` (longest first)."""
    if not _values:
        return text
    with _lock:
        values = sorted(_values, key=len, reverse=True)
    for value in values:
        if value in text:
            text = text.replace(value, REDACTED)
    return text


def redact_obj(obj: Any) -> Any:
    """Redact every string inside a JSON-like object (dicts, lists, strings)."""
    if isinstance(obj, str):
        return redact(obj)
    if isinstance(obj, dict):
        return {redact(str(k)): redact_obj(v) for k, v in obj.items()}
    if isinstance(obj, list | tuple):
        return [redact_obj(v) for v in obj]
    return obj


class RedactingFilter(logging.Filter):
    """A logging filter that masks registered secrets in every record's final message."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        redacted = redact(message)
        if redacted != message:
            record.msg, record.args = redacted, None
        return True


def install_logging_filter(logger: logging.Logger | None = None) -> None:
    """Attach the redacting filter to every handler of `logger` (default: root)."""
    target = logger or logging.getLogger()
    for handler in target.handlers:
        if not any(isinstance(f, RedactingFilter) for f in handler.filters):
            handler.addFilter(RedactingFilter())
