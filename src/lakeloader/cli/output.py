"""Printing results: rich tables for people, `--json` for scripts, and one red line for errors."""

from __future__ import annotations

import json
import math
import sys
from collections.abc import Sequence
from typing import Any

from lakeloader.secrets.redact import redact, redact_obj


def _console(stderr: bool = False) -> Any:
    from rich.console import Console

    return Console(stderr=stderr, highlight=False, soft_wrap=True)


def _json_safe(obj: Any) -> Any:
    """NaN and +-Infinity as the strings Spark's JSON writer emits ("NaN", "Infinity"): JSON has no such numbers."""
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
        console.print(f"{title + ': ' if title else ''}(none)")
        return
    table = Table(title=title, show_lines=False)
    for column in columns:
        table.add_column(column)
    for row in rows:
        table.add_row(*(redact("" if row.get(c) is None else str(row.get(c))) for c in columns))
    console.print(table)


def emit(rows: Sequence[dict[str, Any]], *, as_json: bool, columns: Sequence[str], title: str | None = None) -> None:
    if as_json:
        print_json(list(rows))
    else:
        print_rows(rows, columns=columns, title=title)


def say(message: str) -> None:
    """A line for people (stderr stays free for errors; stdout for results)."""
    _console().print(redact(message))


def error_line(message: str) -> None:
    _console(stderr=True).print(f"[red]error:[/red] {redact(message)}", markup=True, highlight=False)
