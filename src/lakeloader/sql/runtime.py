"""What a DuckDB session needs before it runs translated SQL: the macros some rules call (`spark_*`).

A macro lives in its database's catalog, so every cursor of that database sees it. `ready(con, sql)` creates the
macros `sql` calls (and those they call) the first time a database needs them: creating all 267 costs ~0.5 s
(DuckDB binds each body, the number-to-text casts alone take 0.35 s), most queries call none or a few. The
session's time zone is not DuckDB's setting but part of each translated expression (the translation names the
zone), so the shared, locked-down database stays in UTC whatever a query's session says.
"""

from __future__ import annotations

import re
import threading
import weakref
from typing import Any

MACROS: dict[str, str] = {}  # name -> "CREATE OR REPLACE MACRO name(args) AS body", filled by the function modules

_NAME = re.compile(r"\bspark_\w+", re.IGNORECASE)  # the translation writes calls in capitals
_LOCK = threading.Lock()  # one creator at a time: two cursors creating one macro conflict in the catalog
_LOADING = threading.Lock()
_MADE: weakref.WeakKeyDictionary[Any, set[str]] = weakref.WeakKeyDictionary()  # connection -> its database's macros
_CALLS: dict[str, list[str]] = {}  # macro -> the macros its body calls


def macro(name: str, definition: str) -> str:
    """Register `CREATE OR REPLACE MACRO name<definition>` and return `name` (for the rule that calls it)."""
    MACROS[name] = f"CREATE OR REPLACE MACRO {name}{definition}"
    return name


def prepare(con: Any) -> None:
    """Mark `con` as a new database that has no macro yet (`ready` creates them as queries need them)."""
    with _LOCK:
        _MADE[con] = set()


def share(database: Any, cursor: Any) -> Any:
    """`cursor`, a connection to `database`'s catalog: it sees the macros made there, and makes them there."""
    with _LOCK:
        _MADE[cursor] = _MADE.setdefault(database, set())
    return cursor


def ready(con: Any, sql: str) -> str:
    """`sql`, once `con`'s database has every macro it calls (each made once, callees first), and every Python
    function it calls (`python.ready`)."""
    from lakeloader.sql import python

    python.ready(con, sql)
    named = {name.lower() for name in _NAME.findall(sql)}
    if not named:
        return sql
    _load()
    wanted = _closure(named & MACROS.keys())
    with _LOCK:
        made = _MADE.setdefault(con, set())
        missing = [name for name in wanted if name not in made]
        if not missing:
            return sql
        creator = con.cursor()  # its own transaction: a caller's open one never rolls a macro back
        try:
            for name in missing:
                creator.execute(MACROS[name])
                made.add(name)
        finally:
            creator.close()
    return sql


def _load() -> None:
    with _LOADING:
        if _CALLS:
            return
        from lakeloader.sql import functions  # noqa: F401 — registers every macro

        for name, statement in MACROS.items():
            _CALLS[name] = sorted({c.lower() for c in _NAME.findall(statement)} & MACROS.keys() - {name})


def _closure(names: set[str]) -> list[str]:
    """`names` and every macro they call, each after the ones it calls."""
    order: list[str] = []
    seen: set[str] = set()

    def visit(name: str) -> None:
        if name in seen:
            return
        seen.add(name)
        for callee in _CALLS.get(name, []):
            visit(callee)
        order.append(name)

    for name in sorted(names):
        visit(name)
    return order
