"""One process-wide redactor: every secret value resolved anywhere is registered here and masked everywhere."""

from __future__ import annotations

import logging
import re
import threading
from typing import Any

REDACTED = "[REDACTED]"
_MIN_LENGTH = 3  # masking one- or two-character values would shred ordinary text

_lock = threading.Lock()
_values: set[str] = set()  # every form of every registered value
_registered: set[str] = set()
_pattern: re.Pattern[str] | None = None  # rebuilt lazily after every change to _values


_URL_PARTS = re.compile(r"[@:/?#]")
_MIN_PIECE = 6  # a piece of a secret cut at a URL delimiter is masked too when at least this long


def forms(value: str) -> set[str]:
    """Every form a secret takes on the way out: as given, URL-encoded (path, query and `+` styles),
    percent-decoded, lower-cased (URL parsers lower-case host names), and the pieces a URL parser cuts it
    into at `@ : / ? #` when a secret was put in a URL unencoded (masked when 6 characters or more)."""
    from urllib.parse import quote, quote_plus, unquote

    found = {value, quote(value, safe=""), quote(value), quote_plus(value)}
    if "%" in value:
        found.add(unquote(value))
    found |= {f.lower() for f in found}
    for form in list(found):
        pieces = _URL_PARTS.split(form)
        if len(pieces) > 1:
            found |= {p for p in pieces if len(p) >= _MIN_PIECE}
            found |= {form[m.end() :] for m in _URL_PARTS.finditer(form) if len(form) - m.end() >= _MIN_PIECE}
    return {f for f in found if len(f) >= _MIN_LENGTH and not f.isspace()}


def register(value: str) -> None:
    """Remember a secret value (in all its `forms`) so that `redact` masks it from now on, in this process."""
    global _pattern
    if len(value) < _MIN_LENGTH or value.isspace():  # blanks are never worth masking: they are everywhere
        return
    with _lock:
        if value in _registered and value in _values:
            return
        _registered.add(value)
        _values.update(forms(value))
        _pattern = None


def is_registered(value: str) -> bool:
    """Whether `value` is masked by `redact` (values shorter than three characters never are)."""
    with _lock:
        return value in _registered or value in _values


def _compiled() -> re.Pattern[str]:
    global _pattern
    with _lock:
        if _pattern is None:
            # One alternation, longest first, applied in a single pass: a value is masked whole even when a
            # shorter registered value is part of it, and a replacement is never scanned again.
            values = sorted(_values, key=len, reverse=True)
            _pattern = re.compile("|".join(re.escape(v) for v in values) if values else "(?!)")
        return _pattern


def redact(text: str) -> str:
    """Replace every registered secret value in `text` by `[REDACTED]` (longest first)."""
    if not _values:
        return text
    return _compiled().sub(REDACTED, text)


STATE_MIN_LENGTH = 8  # in stored state a shorter value is too likely ordinary text ("tiny" in "tinyint")


def holds_secret(text: str, *, min_length: int = STATE_MIN_LENGTH) -> bool:
    """Whether a registered secret value of at least `min_length` characters (in any of its forms) is in `text`.

    For state that is data (plans, schemas, ledgers): masking it would corrupt it, so writers refuse instead."""
    with _lock:
        values = [v for v in _values if len(v) >= min_length]
    return any(v in text for v in values)


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
    """A logging filter that masks registered secrets in every record's message, traceback and stack."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        redacted = redact(message)
        if redacted != message:
            record.msg, record.args = redacted, None
        if record.exc_info and not record.exc_text:
            # Formatters reuse exc_text when it is set, so the traceback is printed already masked.
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = redact(record.exc_text)
        if record.stack_info:
            record.stack_info = redact(record.stack_info)
        return True


def install_logging_filter(logger: logging.Logger | None = None) -> None:
    """Attach the redacting filter to every handler of `logger` (default: root)."""
    target = logger or logging.getLogger()
    for handler in target.handlers:
        if not any(isinstance(f, RedactingFilter) for f in handler.filters):
            handler.addFilter(RedactingFilter())
