"""DuckDB's errors on translated SQL, said as Spark says them: the error class first (`[DIVIDE_BY_ZERO] ...`)."""

from __future__ import annotations

import re

_CLASSES = [  # (DuckDB's message, Spark's error class) for what translated SQL raises
    (re.compile(r"^(?:Invalid Input Error: )?\[([A-Z_]+)\] (.*)$"), None),  # raised by a rule: already Spark's
    (re.compile(r"Overflow in (?:addition|subtraction|multiplication|negation)"), "ARITHMETIC_OVERFLOW"),
    (re.compile(r"out of range|can't be cast because the value is out of range|Overflow"), "CAST_OVERFLOW"),
    (re.compile(r"Could not convert string|Conversion Error"), "CAST_INVALID_INPUT"),
]


def spark_message(duckdb_message: str) -> str:
    """One line: Spark's error class and DuckDB's words, e.g. `[ARITHMETIC_OVERFLOW] Overflow in addition...`."""
    first = duckdb_message.strip().splitlines()[0] if duckdb_message.strip() else duckdb_message
    for pattern, error_class in _CLASSES:
        found = pattern.search(first)
        if not found:
            continue
        if error_class is None:
            return f"[{found.group(1)}] {found.group(2)}"
        detail = re.sub(r"^[A-Za-z ]+ Error: ", "", first)
        return f"[{error_class}] {detail}"
    return first
