"""The function table: one entry per Spark built-in function, exact or refused, from which docs/sql.md is made.

Every Spark 4 built-in (`spark_functions.json`, read from Spark itself) is refused until a rule says how DuckDB
computes exactly what Spark does, and the parity suite (tests/parity) proves it against real Spark. A rule is
keyed by the sqlglot expression class the Databricks parser makes (`exp.Sum`), or by name for functions sqlglot
does not know (`exp.Anonymous`). Its rewrite turns the node into DuckDB's equivalent (None: sqlglot's own DuckDB
output is already exact), and its `returns` gives Spark's result type where sqlglot's guess is not Spark's.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from sqlglot import exp

if TYPE_CHECKING:
    from lakeloader.sql.context import Context

Status = Literal["exact", "refused"]
Rewrite = Callable[[Any, "Context"], exp.Expr]  # (the node, of its class) -> its DuckDB replacement
Returns = Callable[[exp.Expr], exp.DataType | None]


@dataclass(frozen=True)
class Rule:
    """How one Spark function (or operator) runs on DuckDB with Spark's answer."""

    names: tuple[str, ...]  # Spark's names for it (aliases included)
    nodes: tuple[type[exp.Expr], ...] = ()  # the sqlglot classes the Databricks parser makes for it
    rewrite: Rewrite | None = None  # None: sqlglot's DuckDB output is exact
    returns: Returns | None = None  # Spark's result type, where sqlglot's annotation differs
    note: str = ""  # what a user should know (shown in docs/sql.md)


@dataclass(frozen=True)
class Refusal:
    """A Spark function lakeloader refuses, and why (shown in the error and in docs/sql.md)."""

    names: tuple[str, ...]
    why: str


@dataclass
class Registry:
    by_node: dict[type[exp.Expr], Rule] = field(default_factory=dict)
    by_name: dict[str, Rule] = field(default_factory=dict)
    refused: dict[str, Refusal] = field(default_factory=dict)
    user: dict[str, Rule] = field(default_factory=dict)  # Python functions registered by a session (`python`)

    def add(self, rule: Rule) -> Rule:
        for node in rule.nodes:
            self.by_node[node] = rule
        for name in rule.names:
            self.by_name[name] = rule
        return rule

    def refuse(self, refusal: Refusal) -> None:
        for name in refusal.names:
            self.refused[name] = refusal

    def rule_for(self, node: exp.Expr) -> Rule | None:
        if isinstance(node, exp.Anonymous):
            name = node.name.lower()
            return self.user.get(name) or self.by_name.get(name)
        return self.by_node.get(type(node))


REGISTRY = Registry()


def rule(
    *names: str,
    nodes: tuple[type[exp.Expr], ...] = (),
    returns: Returns | None = None,
    note: str = "",
) -> Callable[[Rewrite], Rewrite]:
    """Decorator: register a rewrite for Spark function(s) `names`, parsed as `nodes`."""

    def register(rewrite: Rewrite) -> Rewrite:
        REGISTRY.add(Rule(names, nodes, rewrite, returns, note))
        return rewrite

    return register


def same(*names: str, nodes: tuple[type[exp.Expr], ...] = (), returns: Returns | None = None, note: str = "") -> None:
    """Register functions whose sqlglot translation to DuckDB is already exact (proven by the parity suite)."""
    REGISTRY.add(Rule(names, nodes, None, returns, note))


def refuse(*names: str, why: str) -> None:
    REGISTRY.refuse(Refusal(names, why))


@functools.cache
def spark_functions() -> list[dict[str, str]]:
    """Spark's built-in functions (name, group, since, about), as `SHOW SYSTEM FUNCTIONS` lists them."""
    data = json.loads((Path(__file__).with_name("spark_functions.json")).read_text())
    functions: list[dict[str, str]] = data["functions"]
    return functions


def spark_version() -> str:
    return str(json.loads((Path(__file__).with_name("spark_functions.json")).read_text())["spark"])


def status(name: str) -> tuple[Status, str]:
    """A Spark function's status here, and the note or the reason."""
    from lakeloader.sql import functions  # noqa: F401 — registers every rule

    found = REGISTRY.by_name.get(name)
    if found is not None:
        return "exact", found.note
    refusal = REGISTRY.refused.get(name)
    return "refused", refusal.why if refusal else "not supported yet"
