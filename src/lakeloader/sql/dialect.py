"""Databricks SQL as Spark 4 reads it: sqlglot's Databricks dialect with three corrections.

- A doubled quote inside a literal is a quote (`'it''s'` is `it's`, `"q""r"` is `q"r`); sqlglot read two adjacent
  literals ('it' 's', joined). Adjacent literals with anything between them (`'a' 'b'`) are still joined, as in Spark.
- `percentile(v, p, frequency)` keeps its frequency (sqlglot dropped the third argument).
- The unit of `trunc` and `date_trunc` stays as written: sqlglot spells out abbreviations (`'Q'` as QUARTER), which
  Spark does not accept (`trunc(d, 'Q')` is NULL there).
- A typed integral literal (`1L`, `2S`, `3Y`) stays a literal: sqlglot reads it as a cast (`CAST(1 AS BIGINT)`),
  which Spark types otherwise beside a decimal (`1L + 1.5` is decimal(3,1), `CAST(1 AS BIGINT) + 1.5`
  decimal(22,1)). Its cast carries `meta["spark_literal"]`."""

from __future__ import annotations

import itertools
import re
from collections.abc import Callable
from typing import Any, ClassVar

from sqlglot import exp
from sqlglot.dialects.databricks import Databricks
from sqlglot.helper import seq_get
from sqlglot.parsers.databricks import DatabricksParser
from sqlglot.tokenizer_core import Token, TokenType

_INTEGRAL_SUFFIXES = frozenset("LSYlsy")


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

        def parse(self, raw_tokens: list[Token], sql: str) -> list[exp.Expr | None]:
            for token, after in itertools.pairwise(raw_tokens):
                if token.token_type == TokenType.WINDOW and after.token_type == TokenType.L_PAREN:
                    token.token_type = TokenType.VAR  # `GROUP BY window(ts, ...)`: Spark's function, no WINDOW clause
            trees = super().parse(raw_tokens, sql)
            for tree in trees:
                for literal in tree.find_all(exp.Literal) if tree is not None else ():
                    if _typed_integral(literal, sql):
                        literal.parent.meta["spark_literal"] = True  # type: ignore[union-attr]
            return trees

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


def _typed_integral(literal: exp.Literal, sql: str) -> bool:
    """Was `literal` written with an integral suffix (`1L`): a number whose text in `sql` ends with L, S or Y?"""
    start, end = literal.meta.get("start"), literal.meta.get("end")
    if literal.is_string or not isinstance(literal.parent, exp.Cast) or start is None or end is None:
        return False
    return end < len(sql) and sql[end] in _INTEGRAL_SUFFIXES and sql[start:end].replace("_", "").isdigit()


_WATERMARK = re.compile(r"\bWATERMARK\s+\S+\s+DELAY\s+OF\b", re.IGNORECASE)


def unreadable(sql: str, error: Exception) -> str:
    """Why `sql` cannot be read, in one line: a WATERMARK outside a pipeline's streaming table by name, else the
    parser's words."""
    if _WATERMARK.search(sql):
        return (
            "WATERMARK ... DELAY OF applies to a stream a pipeline's streaming table reads (FROM STREAM t WATERMARK "
            "ts DELAY OF INTERVAL 10 MINUTES); here there is no stream, so leave it out"
        )
    errors = getattr(error, "errors", None) or [{}]
    where = f" at line {errors[0].get('line')}" if errors[0].get("line") else ""
    return f"the query cannot be read{where}: {errors[0].get('description') or error}"
