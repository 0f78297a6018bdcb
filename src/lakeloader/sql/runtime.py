"""What a DuckDB session needs before it runs translated SQL: the macros some rules call (`spark_*`).

Macros are created once per database (they live in its catalog, so every cursor sees them); the session's time
zone is not DuckDB's setting but part of each translated expression (the translation names the zone), so the
shared, locked-down database stays in UTC whatever a query's session says.
"""

from __future__ import annotations

from typing import Any

MACROS: dict[str, str] = {}  # name -> "CREATE MACRO name(args) AS body", filled by the function modules


def macro(name: str, definition: str) -> str:
    """Register `CREATE OR REPLACE MACRO name<definition>` and return `name` (for the rule that calls it)."""
    MACROS[name] = f"CREATE OR REPLACE MACRO {name}{definition}"
    return name


def prepare(con: Any) -> None:
    """Create every macro on `con`'s database (before the guard locks it down)."""
    from lakeloader.sql import functions  # noqa: F401 — registers every macro

    for statement in MACROS.values():
        con.execute(statement)
