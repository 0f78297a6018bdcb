"""What a rewrite needs: the session's settings, Spark's types of the nodes, and builders of DuckDB expressions."""

from __future__ import annotations

from dataclasses import dataclass

from sqlglot import exp

from lakeloader.sql import types
from lakeloader.sql.settings import Settings


@dataclass(frozen=True)
class Context:
    settings: Settings

    @property
    def ansi(self) -> bool:
        return self.settings.ansi

    @property
    def zone(self) -> exp.Literal:
        return exp.Literal.string(self.settings.time_zone)


def call(name: str, *args: exp.Expr) -> exp.Expr:
    """A DuckDB function call by name (sqlglot keeps an unknown name as it is)."""
    return exp.Anonymous(this=name, expressions=list(args))


def cast(node: exp.Expr, to: exp.DataType | str, *, safe: bool = False) -> exp.Expr:
    """`CAST(node AS to)` (`TRY_CAST` when `safe`), typed as Spark's `to`."""
    target = to if isinstance(to, exp.DataType) else types.of(to)
    made = (exp.TryCast if safe else exp.Cast)(this=node, to=target.copy())
    made.type = target.copy()
    return made


def error(error_class: str, message: str) -> exp.Expr:
    """DuckDB's `error(...)`, raising Spark's error class in the message (`[DIVIDE_BY_ZERO] ...`)."""
    return call("error", exp.Literal.string(f"[{error_class}] {message}"))


def when(condition: exp.Expr, then: exp.Expr, otherwise: exp.Expr) -> exp.Expr:
    return exp.Case(ifs=[exp.If(this=condition, true=then)], default=otherwise)


def literal_int(value: int) -> exp.Expr:
    return exp.Literal.number(value)


def typed(node: exp.Expr, spark_type: exp.DataType | None) -> exp.Expr:
    """`node`, carrying Spark's type (what later rewrites and the final casts read)."""
    if spark_type is not None:
        node.type = spark_type.copy()
    return node
