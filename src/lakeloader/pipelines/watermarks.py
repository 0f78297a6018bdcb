"""`WATERMARK <time> DELAY OF INTERVAL ...` on a streamed relation: read out of a query's text before it is parsed.

`FROM STREAM src WATERMARK ts DELAY OF INTERVAL 10 MINUTES AS s` becomes `FROM STREAM src AS s` and the watermark
(column `ts`, 10 minutes, relation `s`). A named expression (`WATERMARK to_timestamp(t) AS ts DELAY OF ...`) adds
its column, as in Databricks: the relation becomes `(SELECT *, to_timestamp(t) AS ts FROM STREAM src) AS s`.
What the watermark does to an update is `windowed.py`'s.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from lakeloader.sql import TranslateError


@dataclass(frozen=True)
class Watermark:
    """The event-time column of a streamed relation and how late its rows may come."""

    column: str  # the column (as the query names it) whose values move the watermark
    delay_us: int  # DELAY OF, in microseconds
    relation: str  # the relation's alias in the query (its table name when it has none)
    source: str  # the streamed relation, as written (`src`, `read_files(...)`)
    expression: str | None = None  # WATERMARK <expression> AS column: what computes the column


MILLISECOND = 1000  # Spark keeps event times and watermarks in milliseconds


def millis(micros: int) -> int:
    """`micros` cut to a whole millisecond, toward zero (Java's TimeUnit.MICROSECONDS.toMillis)."""
    return -((-micros) // MILLISECOND) * MILLISECOND if micros < 0 else micros // MILLISECOND * MILLISECOND


_UNITS = {
    "MICROSECOND": 1,
    "MILLISECOND": 1000,
    "SECOND": 1000000,
    "MINUTE": 60000000,
    "HOUR": 3600000000,
    "DAY": 86400000000,
    "WEEK": 7 * 86400000000,
}
_ENDS = {"AS", "ON", "JOIN", "LEFT", "RIGHT", "FULL", "INNER", "CROSS", "WHERE", "GROUP", "HAVING", "ORDER", "LIMIT"}


def _tokens(sql: str) -> list[Any]:
    from sqlglot.errors import TokenError

    from lakeloader.sql.dialect import SparkSql

    try:
        return list(SparkSql().tokenize(sql))
    except TokenError as exc:
        raise TranslateError(f"the query cannot be read: {exc}") from None


def read_out(sql: str) -> tuple[str, list[Watermark]]:
    """The query without its WATERMARK clauses, and the watermarks they declared (none: `sql` as it is)."""
    if "WATERMARK" not in sql.upper():
        return sql, []
    tokens = _tokens(sql)
    marks: list[Watermark] = []
    out, done = [], 0
    for i, token in enumerate(tokens):
        if token.text.upper() != "WATERMARK" or i == 0 or token.start < done:
            continue
        delay_at = next((k for k in range(i + 1, len(tokens) - 1) if _word(tokens, k, "DELAY", "OF")), None)
        if delay_at is None:
            raise TranslateError("WATERMARK <column> has no DELAY OF INTERVAL ...; write WATERMARK ts DELAY OF "
                                 "INTERVAL 10 MINUTES")  # fmt: skip
        start = _relation_start(tokens, i)
        relation_sql = sql[tokens[start].start : tokens[i - 1].end + 1]
        named = sql[tokens[i + 1].start : tokens[delay_at].start].strip()
        column, expression = _named(tokens[i + 1 : delay_at], sql, named)
        delay, after = _interval(tokens, delay_at + 2, sql)
        alias, alias_end = _alias(tokens, after)
        source = _source_name(relation_sql)
        name = alias or source.split(".")[-1].strip("`")
        if expression is not None:
            relation_sql = f"(SELECT *, {expression} AS {column} FROM {relation_sql})"
        out.append(sql[done : tokens[start].start])
        out.append(f"{relation_sql} AS {name}" if expression is not None or alias else relation_sql)
        done = tokens[alias_end - 1].end + 1 if alias else tokens[after - 1].end + 1
        marks.append(Watermark(column.strip("`"), delay, name, source, expression))
    out.append(sql[done:])
    return "".join(out), marks


def _word(tokens: list[Any], k: int, *words: str) -> bool:
    return all(k + j < len(tokens) and tokens[k + j].text.upper() == w for j, w in enumerate(words))


def _relation_start(tokens: list[Any], at: int) -> int:
    """The first token of the relation WATERMARK follows: `STREAM src`, `STREAM(src)`, `src`, `(query)`."""
    k = at - 1
    if tokens[k].text == ")":
        depth = 0
        while k >= 0:
            depth += tokens[k].text == ")"
            depth -= tokens[k].text == "("
            if depth == 0:
                break
            k -= 1
        if k > 0 and tokens[k - 1].text.upper() not in ("FROM", "JOIN", ",", "STREAM"):
            k -= 1  # a table function: read_files(...)
    else:
        while k >= 2 and tokens[k - 1].text == ".":
            k -= 2
    if k > 0 and tokens[k - 1].text.upper() == "STREAM":
        k -= 1
    if k <= 0:
        raise TranslateError("WATERMARK follows no relation; write FROM STREAM src WATERMARK ts DELAY OF ...")
    return k


def _named(tokens: list[Any], sql: str, text: str) -> tuple[str, str | None]:
    """(column, expression computing it or None) of WATERMARK's named expression."""
    if len(tokens) >= 3 and tokens[-2].text.upper() == "AS":
        return tokens[-1].text, sql[tokens[0].start : tokens[-2].start].strip()
    if len(tokens) == 1:
        return tokens[0].text, None
    if len(tokens) == 3 and tokens[1].text == ".":  # s.ts
        return tokens[2].text, None
    raise TranslateError(f"WATERMARK {text}: name the expression (WATERMARK {text} AS event_time DELAY OF ...)")


def _interval(tokens: list[Any], k: int, sql: str) -> tuple[int, int]:
    """The delay in microseconds and the index after it: INTERVAL 10 MINUTES, INTERVAL '10' MINUTE,
    INTERVAL '10 minutes', INTERVAL 1 HOUR 30 MINUTES."""
    from lakeloader.sql.functions.time_windows import duration_micros

    if k >= len(tokens) or tokens[k].text.upper() != "INTERVAL":
        raise TranslateError("WATERMARK ... DELAY OF must be followed by an INTERVAL literal (INTERVAL 10 MINUTES)")
    first, k = k + 1, k + 1
    while k < len(tokens) and tokens[k].text.upper() not in _ENDS and tokens[k].text not in (",", ")", ";"):
        if tokens[k].token_type.name not in ("NUMBER", "STRING") and tokens[k].text.upper().rstrip("S") not in _UNITS:
            break
        k += 1
    if k == first:
        raise TranslateError("WATERMARK ... DELAY OF INTERVAL has no value; write INTERVAL 10 MINUTES")
    text = " ".join(str(t.text) for t in tokens[first:k])
    delay = duration_micros(text, "delay")
    if delay <= 0:
        raise TranslateError(f"WATERMARK ... DELAY OF INTERVAL {text}: the delay must be positive")
    return delay, k


def _alias(tokens: list[Any], k: int) -> tuple[str | None, int]:
    if k < len(tokens) and tokens[k].text.upper() == "AS" and k + 1 < len(tokens):
        return tokens[k + 1].text, k + 2
    if k < len(tokens) and tokens[k].token_type.name in ("VAR", "IDENTIFIER") and tokens[k].text.upper() not in _ENDS:
        return tokens[k].text, k + 1
    return None, k


def _source_name(relation: str) -> str:
    text = relation.strip()
    if text.upper().startswith("STREAM"):
        text = text[len("STREAM") :].strip()
    return text.strip("()").strip()
