"""Spark's tumbling time windows: `window(ts, '10 minutes'[, '10 minutes'[, '2 minutes']])` is the struct
`{start, end}` of the window holding `ts`, windows aligned on the epoch (plus the start offset) in UTC microseconds,
as Spark's TimeWindowing computes them. As there, a SELECT that computes a window leaves out the rows whose time is
NULL (`filter_null_times`, before the SELECT's own WHERE). Sliding windows (a slide shorter than the window, each
row in several windows) and session windows are refused by name."""

from __future__ import annotations

import re

from sqlglot import exp

from lakeloader.sql import types
from lakeloader.sql.context import Context, call, typed
from lakeloader.sql.functions import datetime_zones as zones
from lakeloader.sql.functions.collections import raise_spark
from lakeloader.sql.registry import refuse, rule
from lakeloader.sql.runtime import macro

_MICROS = {
    "microsecond": 1,
    "millisecond": 1000,
    "second": 1000000,
    "minute": 60 * 1000000,
    "hour": 3600 * 1000000,
    "day": 86400 * 1000000,
    "week": 7 * 86400 * 1000000,
}
_PART = re.compile(r"\s*([+-]?\d+(?:\.\d+)?)\s*([a-z]+)\s*", re.IGNORECASE)


def duration_micros(text: str, what: str) -> int:
    """A Spark interval string (`'10 minutes'`, `'1 hour 30 minutes'`, `'interval 5 seconds'`) in microseconds;
    months and years are refused as Spark refuses them for windows."""
    rest = re.sub(r"^\s*interval\s+", "", text, flags=re.IGNORECASE)
    total, position = 0, 0
    while position < len(rest):
        found = _PART.match(rest, position)
        unit = found.group(2).lower().removesuffix("s") if found else ""
        if found is None or found.end() == position:
            raise_spark(f"function window: the {what} '{text}' is not an interval; write it as '10 minutes'")
        if unit in ("month", "year"):
            raise_spark(f"function window: the {what} '{text}' has months; a window's {what} is at most weeks")
        if unit not in _MICROS:
            raise_spark(f"function window: '{found.group(2)}' in the {what} '{text}' is not a time unit")
        total += round(float(found.group(1)) * _MICROS[unit])
        position = found.end()
    if not rest.strip():
        raise_spark(f"function window: the {what} '{text}' is empty; write it as '10 minutes'")
    return total


def _durations(node: exp.Expr) -> tuple[int, int, int]:
    """(window, slide, start) in microseconds, from the literal arguments."""
    args = list(node.expressions)
    if not 2 <= len(args) <= 4:
        raise_spark("function window: takes (time, window duration[, slide duration[, start time]])")
    texts = []
    for arg, what in zip(args[1:], ("window duration", "slide duration", "start time"), strict=False):
        if not isinstance(arg, exp.Literal) or not arg.is_string:
            raise_spark(f"function window: the {what} must be a string literal such as '10 minutes'")
        texts.append(duration_micros(arg.this, what))
    size = texts[0]
    slide = texts[1] if len(texts) > 1 else size
    start = texts[2] if len(texts) > 2 else 0
    if size <= 0 or slide <= 0:
        raise_spark(f"function window: the window duration ({size} us) and slide ({slide} us) must be positive")
    if slide != size:
        raise_spark(
            "function window: sliding windows (a slide shorter than the window, each row in several windows) are "
            "not supported; use tumbling windows (no slide, or a slide equal to the window)"
        )
    if abs(start) >= slide:
        raise_spark(f"function window: the start time ({start} us) must be shorter than the slide ({slide} us)")
    return size, slide, start


macro(  # the start of the tumbling window holding `us` (a floor modulo, as Spark's TimeWindowing)
    "spark_window_start",
    "(us, size, shift) AS us - (((us - shift) % size) + size) % size",
)


def _window_type(node: exp.Expr) -> exp.DataType:
    args = list(node.expressions)
    inner = "timestamp_ntz" if args and zones.is_ntz(args[0].type) else "timestamp"
    return types.of(f"struct<start:{inner},end:{inner}>")


@rule("window", returns=_window_type, note="tumbling windows; sliding windows are refused")
def _window(node: exp.Expr, context: Context) -> exp.Expr:
    size, _slide, offset = _durations(node)
    value = node.expressions[0]
    ntz = zones.is_ntz(value.type)
    time = value if ntz else zones.as_timestamp(value, context)
    if time is None:
        raise_spark(f"function window: the time column must be a timestamp, got {value.sql(dialect='spark')}")
    start = call("spark_window_start", call("epoch_us", time), exp.Literal.number(size), exp.Literal.number(offset))
    make = "make_timestamp" if ntz else "make_timestamptz"
    body = call(
        "struct_pack",
        exp.PropertyEQ(this=exp.to_identifier("start"), expression=call(make, start)),
        exp.PropertyEQ(
            this=exp.to_identifier("end", quoted=True),
            expression=call(make, exp.Add(this=start.copy(), expression=exp.Literal.number(size))),
        ),
    )
    return typed(body, _window_type(node))


def _is_window(node: exp.Expr) -> bool:
    return isinstance(node, exp.Anonymous) and node.name.lower() == "window"


def prepare(tree: exp.Expr) -> None:
    """As Spark's TimeWindowing: each SELECT that computes `window(ts, ...)` leaves out rows whose `ts` is NULL, and
    the window it groups by is the column `window` there (`SELECT window.start ... GROUP BY window(ts, '1 day')`).
    Two different windows in one SELECT are refused (Spark: a cartesian product of windows)."""
    for select in list(tree.find_all(exp.Select)):
        windows = [w for w in select.find_all(exp.Anonymous) if _is_window(w) and w.find_ancestor(exp.Select) is select]
        if not windows:
            continue
        if len({w.sql(dialect="spark") for w in windows}) > 1:
            raise_spark("function window: one SELECT computes several different time windows; compute one per query")
        if windows[0].expressions:
            time = windows[0].expressions[0].copy()
            select.where(exp.Not(this=exp.Is(this=time, expression=exp.Null())), copy=False)
        group = select.args.get("group")
        if group is not None and any(_is_window(g) for g in group.expressions):
            _name_the_window(select, windows[0])


def _name_the_window(select: exp.Select, window: exp.Expr) -> None:
    """`window` and `window.<field>` in a SELECT grouped by a window are that window."""
    for column in list(select.find_all(exp.Column)):
        if column.find_ancestor(exp.Select) is not select:
            continue
        parts = [p.name.lower() for p in column.parts]
        if parts[0] != "window" or len(parts) > 2:
            continue
        new: exp.Expr = window.copy()
        if len(parts) == 2:
            new = exp.Dot(this=new, expression=exp.to_identifier(column.parts[1].name))
        if column.parent is select and column.arg_key == "expressions":
            new = exp.alias_(new, column.parts[-1].name, quoted=True)
        column.replace(new)


refuse(
    "session_window",
    "window_time",
    why="not supported: session windows are not built; group by window(ts, '10 minutes') for tumbling windows",
)
