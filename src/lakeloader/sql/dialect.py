"""Databricks SQL as Spark 4 reads it: sqlglot's Databricks dialect with three corrections.

- A doubled quote inside a literal is a quote (`'it''s'` is `it's`, `"q""r"` is `q"r`); sqlglot read two adjacent
  literals ('it' 's', joined). Adjacent literals with anything between them (`'a' 'b'`) are still joined, as in Spark.
- `percentile(v, p, frequency)` keeps its frequency (sqlglot dropped the third argument).
- The unit of `trunc` and `date_trunc` stays as written: sqlglot spells out abbreviations (`'Q'` as QUARTER), which
  Spark does not accept (`trunc(d, 'Q')` is NULL there)."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any, ClassVar

from sqlglot import exp
from sqlglot.dialects.databricks import Databricks
from sqlglot.helper import seq_get
from sqlglot.parsers.databricks import DatabricksParser
from sqlglot.tokenizer_core import TokenType


def _as_written(unit: exp.Expr | None) -> exp.Expr | None:
    return exp.Var(this=unit.name) if isinstance(unit, (exp.Literal, exp.Var)) and unit.name else unit


def _trunc(args: list[exp.Expr]) -> exp.Expr:
    node = exp.DateTrunc(this=seq_get(args, 0), unit=seq_get(args, 1))  # type: ignore[no-untyped-call]
    node.set("unit", _as_written(seq_get(args, 1)))
    return node


def _date_trunc(args: list[exp.Expr]) -> exp.Expr:
    node = exp.TimestampTrunc(this=seq_get(args, 1), unit=seq_get(args, 0))
    node.set("unit", _as_written(seq_get(args, 0)))
    return node


def _percentile(args: list[exp.Expr]) -> exp.Expr:
    node = exp.Quantile(this=seq_get(args, 0), quantile=seq_get(args, 1))
    if len(args) > 2:
        node.set("frequency", args[2])
    if len(args) > 3:
        node.set("extra", args[3:])
    return node


class SparkSql(Databricks):
    """The dialect every Databricks SQL text is read with (parse with `read=SparkSql`)."""

    class Tokenizer(Databricks.Tokenizer):
        STRING_ESCAPES: ClassVar[list[str]] = ["\\", "'", '"']

    class Parser(DatabricksParser):
        FUNCTIONS: ClassVar[dict[str, Callable[..., Any]]] = {
            **DatabricksParser.FUNCTIONS,
            "TRUNC": _trunc,
            "DATE_TRUNC": _date_trunc,
        }
        FUNCTION_PARSERS: ClassVar[dict[str, Callable[..., Any]]] = {
            **DatabricksParser.FUNCTION_PARSERS,
            "PERCENTILE": lambda self: self._parse_percentile(),
        }

        def _parse_percentile(self) -> exp.Expr:
            distinct = self._match(TokenType.DISTINCT)
            if not distinct:
                self._match(TokenType.ALL)
            args = [self._parse_lambda()]
            if self._match(TokenType.COMMA):
                args.extend(self._parse_function_args())
            if distinct and args[0] is not None:
                args[0] = self.expression(exp.Distinct(expressions=[args[0]]))
            return _percentile([a for a in args if a is not None])


_TIME_WINDOW = re.compile(r"\b(window|session_window)\s*\(", re.IGNORECASE)


def unreadable(sql: str, error: Exception) -> str:
    """Why `sql` cannot be read, in one line: Spark's time-window functions by name, else the parser's words."""
    found = _TIME_WINDOW.search(sql)
    if found:
        name = found.group(1).lower()
        return (
            f"function {name} (Spark's time windows) is not supported; group by date_trunc('HOUR', ts) for tumbling "
            "windows of a calendar unit"
        )
    errors = getattr(error, "errors", None) or [{}]
    where = f" at line {errors[0].get('line')}" if errors[0].get("line") else ""
    return f"the query cannot be read{where}: {errors[0].get('description') or error}"
