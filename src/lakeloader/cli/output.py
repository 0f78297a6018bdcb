"""Printing results: rich tables for people, `--json` for scripts, and one red line for errors.

Data and messages are printed as plain text, never as rich markup (a value like `[/x]` is data, not a style),
with control characters shown escaped (a name holding a terminal escape cannot repaint the screen).
"""

from __future__ import annotations

import json
import math
import os
import re
import sys
from collections.abc import Sequence
from typing import Any

from lakeloader.secrets.redact import redact, redact_obj

_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")


def _console(stderr: bool = False) -> Any:
    from rich.console import Console

    console = Console(stderr=stderr, highlight=False, soft_wrap=True)
    if not console.is_terminal and "COLUMNS" not in os.environ:
        console.width = 120  # a log or a pipe: rich's 80 columns would fold every table
    return console


def printable(text: str) -> str:
    """`text` with control characters (but newlines and tabs) shown as escapes, e.g. `\\x1b`."""
    return _CONTROL.sub(lambda m: f"\\x{ord(m.group()):02x}", text)


def _plain(text: str) -> Any:
    from rich.text import Text

    return Text(printable(redact(text)))


def _json_safe(obj: Any) -> Any:
    """NaN and infinities as the strings Spark writes ("NaN", "Infinity", "-Infinity"): JSON has no such numbers."""
    if isinstance(obj, float) and not math.isfinite(obj):
        return "NaN" if math.isnan(obj) else ("Infinity" if obj > 0 else "-Infinity")
    if isinstance(obj, dict):
        return {k: _json_safe(v) for k, v in obj.items()}
    if isinstance(obj, list | tuple):
        return [_json_safe(v) for v in obj]
    return obj


def print_json(obj: Any) -> None:
    text = json.dumps(_json_safe(redact_obj(obj)), indent=2, default=str, allow_nan=False)
    sys.stdout.write(redact(text) + "\n")


def print_rows(rows: Sequence[dict[str, Any]], *, columns: Sequence[str], title: str | None = None) -> None:
    """A rich table of `rows` restricted to `columns`; an empty list prints '(none)'."""
    from rich.table import Table

    console = _console()
    if not rows:
        console.print(_plain(f"{title + ': ' if title else ''}(none)"))
        return
    table = Table(title=_plain(title) if title else None, show_lines=False)
    for column in columns:
        table.add_column(_plain(column), overflow="fold")  # a narrow terminal wraps values, never cuts them
    for row in rows:
        table.add_row(*(_plain("" if row.get(c) is None else str(row.get(c))) for c in columns))
    console.print(table)


def emit(rows: Sequence[dict[str, Any]], *, as_json: bool, columns: Sequence[str], title: str | None = None) -> None:
    if as_json:
        print_json(list(rows))
    else:
        print_rows(rows, columns=columns, title=title)


def say(message: str) -> None:
    """A line for people (stderr stays free for errors; stdout for results), printed as plain text."""
    _console().print(_plain(message))


def heading(title: str, rest: str = "") -> None:
    """A bold title, then plain text."""
    from rich.text import Text

    text = Text(printable(redact(title)), style="bold")
    text.append(printable(redact(rest)))
    _console().print(text)


def error_line(message: str) -> None:
    from rich.text import Text

    text = Text("error:", style="red")
    text.append(" " + printable(redact(message)))
    _console(stderr=True).print(text)


def key_values(items: list[str] | None, *, option: str, example: str) -> dict[str, str]:
    """Repeated `--option key=value` values as a dict; a malformed one refused in one line with `example`."""
    from lakeloader.errors import ConfigError

    found: dict[str, str] = {}
    for item in items or []:
        key, sep, value = item.partition("=")
        if not sep or not key.strip():
            raise ConfigError(f"{option} {item!r}: write key=value, e.g. {option} {example}")
        found[key.strip()] = value
    return found
