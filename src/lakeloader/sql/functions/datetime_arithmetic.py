"""Date and timestamp arithmetic as Spark does it: intervals, date_add and add_months keeping DATE, timestampadd,
and comparisons between dates, timestamps and text, in the session time zone (differences, months_between and
truncation are in `datetime_calendar`).

`+`, `-` and the comparison operators are shared with numbers: this module's rules take the operators whose
operands are dates, timestamps or intervals and hand every other case to the rule registered before it
(operators.py), as collections.py does with concat. A day-time interval adds its whole days on the calendar of
the session zone (a day across a DST change is 23 or 25 hours, as Spark's ZonedDateTime.plusDays) and the rest
as elapsed time; year-month intervals add calendar months (Jan 31 + 1 month is Feb 29).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal

from sqlglot import exp

from lakeloader.sql import types
from lakeloader.sql.context import Context, call, cast, typed
from lakeloader.sql.functions import datetime_zones as zones
from lakeloader.sql.functions import operators  # noqa: F401 — its +, - and comparisons are registered first
from lakeloader.sql.functions.casts import spark_cast
from lakeloader.sql.functions.datetime import (
    BIGINT,
    DATE,
    INT,
    NTZ,
    TIMESTAMP,
    date_of,
    spark_error,
    timestamp_of,
)
from lakeloader.sql.registry import REGISTRY, Rule, rule
from lakeloader.sql.runtime import macro

T = exp.DType
DAY_MICROS = 86_400_000_000
_UNIT_MICROS = {
    "WEEK": 7 * DAY_MICROS,
    "DAY": DAY_MICROS,
    "HOUR": 3_600_000_000,
    "MINUTE": 60_000_000,
    "SECOND": 1_000_000,
    "MILLISECOND": 1_000,
    "MICROSECOND": 1,
}
_UNIT_MONTHS = {"YEAR": 12, "MONTH": 1}
_META = "spark_interval"

# A wall-clock time resolved with a preferred offset (ZonedDateTime arithmetic and truncation keep the offset
# they had when it is still valid there), else as Java resolves it.
macro(
    "spark_dt_instant_preferring",
    """(local, zone, off) AS CASE
    WHEN timezone(zone, timezone('UTC', local - off)) = local THEN timezone('UTC', local - off)
    ELSE spark_dt_instant(local, zone) END""",
)


@dataclass(frozen=True)
class Span:
    """An interval as Spark types it: year-month (months) or day-time (microseconds); each a BIGINT expression,
    with its value when the interval is a literal."""

    year_month: bool
    amount: exp.Expr  # months, or microseconds
    value: int | None = None

    def negated(self) -> Span:
        return Span(
            self.year_month,
            exp.Neg(this=exp.Paren(this=self.amount.copy())),
            None if self.value is None else -self.value,
        )

    def whole_days(self) -> bool:
        return not self.year_month and self.value is not None and self.value % DAY_MICROS == 0


def _unit(name: str) -> str:
    upper = name.upper()
    return upper[:-1] if upper.endswith("S") and upper[:-1] in {**_UNIT_MICROS, **_UNIT_MONTHS} else upper


def _number(text: str) -> Decimal:
    return Decimal(text.strip())


_SPANS = {  # Spark's interval strings for `INTERVAL '...' X TO Y`
    ("YEAR", "MONTH"): r"([+-])?(\d+)-(\d+)",
    ("DAY", "HOUR"): r"([+-])?(\d+) (\d+)",
    ("DAY", "MINUTE"): r"([+-])?(\d+) (\d+):(\d+)",
    ("DAY", "SECOND"): r"([+-])?(\d+) (\d+):(\d+):(\d+(?:\.\d*)?)",
    ("HOUR", "MINUTE"): r"([+-])?(\d+):(\d+)",
    ("HOUR", "SECOND"): r"([+-])?(\d+):(\d+):(\d+(?:\.\d*)?)",
    ("MINUTE", "SECOND"): r"([+-])?(\d+):(\d+(?:\.\d*)?)",
}


def span_of(node: exp.Expr) -> Span | None:
    """The interval a node is: one already rewritten by this module (its meta), or an INTERVAL literal."""
    found = node.meta.get(_META)
    if isinstance(found, Span):
        return found
    if not isinstance(node, exp.Interval):
        return None
    unit = node.args.get("unit")
    this = node.this
    if isinstance(unit, exp.IntervalSpan):
        start, end = _unit(unit.this.name), _unit(unit.expression.name)
        pattern = _SPANS.get((start, end))
        text = this.name if isinstance(this, exp.Literal) else None
        if pattern is None or text is None:
            return None
        matched = re.fullmatch(pattern, text.strip())
        if not matched:
            raise spark_error(f"construct INTERVAL: '{text}' is not an interval {start} TO {end}")
        sign = -1 if matched.group(1) == "-" else 1
        parts = [Decimal(p) for p in matched.groups()[1:]]
        if start == "YEAR":
            months = sign * int(parts[0] * 12 + parts[1])
            return Span(True, exp.Literal.number(months), months)
        order = ["DAY", "HOUR", "MINUTE", "SECOND"]
        units = order[order.index(start) : order.index(end) + 1]
        micros = sign * int(sum(p * _UNIT_MICROS[u] for p, u in zip(parts, units, strict=True)))
        return Span(False, exp.Literal.number(micros), micros)
    if not isinstance(unit, exp.Var):
        return None
    name = _unit(unit.name)
    if name not in _UNIT_MICROS and name not in _UNIT_MONTHS:
        return None
    year_month = name in _UNIT_MONTHS
    scale = _UNIT_MONTHS[name] if year_month else _UNIT_MICROS[name]
    if isinstance(this, exp.Literal):
        value = _number(this.name) * scale
        if value != int(value):
            raise spark_error(
                f"construct INTERVAL: '{this.name}' {name} is not a whole number of "
                + ("months" if year_month else "microseconds")
            )
        return Span(year_month, exp.Literal.number(int(value)), int(value))
    count = exp.Cast(this=this.copy(), to=exp.DataType.build("BIGINT"))
    return Span(year_month, exp.Mul(this=count, expression=exp.Literal.number(scale)))


def duckdb_interval(span: Span) -> exp.Expr:
    """The span as a DuckDB INTERVAL (whole days as days: dates plus it stay on the calendar)."""
    if span.value is not None:
        if span.year_month:
            return exp.Interval(this=exp.Literal.string(f"{span.value} months"))
        days, rest = int(span.value / DAY_MICROS), span.value - int(span.value / DAY_MICROS) * DAY_MICROS
        return exp.Interval(this=exp.Literal.string(f"{days} days {rest} microseconds"))
    if span.year_month:
        return call("to_months", cast(span.amount, "int"))
    return call("to_microseconds", span.amount)


@rule("interval", nodes=(exp.Interval,))
def _interval(node: exp.Interval, context: Context) -> exp.Expr:
    """An INTERVAL literal: DuckDB's equal (YEAR TO MONTH, DAY TO SECOND and plural units as Spark reads them)."""
    span = span_of(node)
    if span is None:
        raise spark_error(
            f"construct INTERVAL: {node.sql(dialect='databricks')} is not supported; write one unit "
            "(INTERVAL 3 DAYS) or a span such as INTERVAL '1-2' YEAR TO MONTH"
        )
    made = duckdb_interval(span)
    made.meta[_META] = span
    made.type = exp.DataType.build("INTERVAL")
    return made


# -- shifting dates and timestamps -------------------------------------------------------------------------------
def plus_months(local: exp.Expr, months: exp.Expr) -> exp.Expr:
    return exp.Add(this=local, expression=call("to_months", cast(months, "int")))


def shifted(
    instant: exp.Expr, months: exp.Expr | None, days: exp.Expr | None, micros: exp.Expr | None, context: Context
) -> exp.Expr:
    """A TIMESTAMP moved by calendar months and days in the session zone (keeping its offset where it can, as
    ZonedDateTime.plusMonths/plusDays), then by elapsed microseconds."""
    moved: exp.Expr = instant
    if months is not None or days is not None:
        local: exp.Expr = zones.wall(instant, context)
        if months is not None:
            local = plus_months(local, months)
        if days is not None:
            local = exp.Add(this=local, expression=call("to_days", cast(days, "int")))
        if zones.is_utc(context):
            moved = zones.utc_instant(local)
        else:
            offset = call("spark_dt_zone_shift", context.zone, instant.copy())
            moved = call("spark_dt_instant_preferring", local, context.zone, offset)
    if micros is not None:
        moved = exp.Add(this=moved, expression=call("to_microseconds", micros))
    return typed(moved, TIMESTAMP)


def _split_days(span: Span) -> tuple[exp.Expr | None, exp.Expr | None]:
    """A day-time span as Spark's timestampAddDayTime splits it: whole days (truncated toward zero) and the rest."""
    if span.value is not None:
        whole = int(span.value / DAY_MICROS)
        left = span.value - whole * DAY_MICROS
        return (exp.Literal.number(whole) if whole else None), (exp.Literal.number(left) if left else None)
    total = span.amount
    days_expr = call("trunc", exp.Div(this=cast(total, "double"), expression=exp.Literal.number(DAY_MICROS)))
    days_int = cast(days_expr, "bigint")
    rest = exp.Sub(
        this=total.copy(), expression=exp.Mul(this=days_int.copy(), expression=exp.Literal.number(DAY_MICROS))
    )
    return days_int, rest


def add_span(value: exp.Expr, span: Span, context: Context) -> exp.Expr:
    """`value + span` for a date, timestamp or timestamp_ntz, typed as Spark types it."""
    if zones.is_date(value.type):
        if span.year_month:
            return typed(exp.Cast(this=plus_months(value, span.amount), to=exp.DataType.build("DATE")), DATE)
        if span.whole_days() or (span.value is None and _days_only(span)):
            count = exp.Literal.number(span.value // DAY_MICROS) if span.value is not None else _days_of(span)
            return typed(exp.Add(this=value, expression=cast(count, "int")), DATE)
        value = timestamp_of(value, context, "+")
    if zones.is_ntz(value.type):
        if span.year_month:
            return typed(plus_months(value, span.amount), NTZ)
        return typed(exp.Add(this=value, expression=call("to_microseconds", span.amount)), NTZ)
    if zones.is_timestamp(value.type):
        if span.year_month:
            return shifted(value, span.amount, None, None, context)
        whole_days, rest = _split_days(span)
        return shifted(value, None, whole_days, rest, context)
    shown = value.type.sql(dialect="spark") if value.type else "this value"
    raise spark_error(f"construct +: an interval is added to a date or timestamp, not to {shown}")


def _days_only(span: Span) -> bool:
    amount = span.amount
    return (
        isinstance(amount, exp.Mul)
        and isinstance(amount.expression, exp.Literal)
        and int(amount.expression.name) % DAY_MICROS == 0
    )


def _days_of(span: Span) -> exp.Expr:
    amount = span.amount
    assert isinstance(amount, exp.Mul)
    per = int(amount.expression.name) // DAY_MICROS
    return exp.Mul(this=amount.this.copy(), expression=exp.Literal.number(per))


def _span_type(value_type: exp.DataType | None, span: Span) -> exp.DataType | None:
    if zones.is_date(value_type):
        return DATE if span.year_month or span.whole_days() or (span.value is None and _days_only(span)) else TIMESTAMP
    if zones.is_ntz(value_type):
        return NTZ
    if zones.is_timestamp(value_type):
        return TIMESTAMP
    return None


def _datetime(t: exp.DataType | None) -> bool:
    return zones.is_date(t) or zones.is_ntz(t) or zones.is_timestamp(t)


# -- + and - -------------------------------------------------------------------------------------------------------
_NUMERIC: dict[type[exp.Expr], Rule | None] = {cls: REGISTRY.by_node.get(cls) for cls in (exp.Add, exp.Sub)}


def _other(node: exp.Expr, context: Context) -> exp.Expr:
    found = _NUMERIC.get(type(node))
    if found is not None and found.rewrite is not None:
        return found.rewrite(node, context)
    return node


def _plus_type(node: exp.Expr) -> exp.DataType | None:
    left, right = node.this, node.expression
    span_left, span_right = span_of(left), span_of(right)
    if span_right is not None and _datetime(left.type):
        return _span_type(left.type, span_right)
    if span_left is not None and _datetime(right.type) and isinstance(node, exp.Add):
        return _span_type(right.type, span_left)
    if zones.is_date(left.type) and types.is_integral(right.type):
        return DATE
    if zones.is_date(right.type) and types.is_integral(left.type) and isinstance(node, exp.Add):
        return DATE
    if span_left is not None and span_right is not None and span_left.year_month == span_right.year_month:
        return exp.DataType.build("INTERVAL")
    return None


def _plus(node: exp.Expr, context: Context) -> exp.Expr:
    """`a + b`, `a - b` with a date, timestamp or interval: Spark's date and timestamp arithmetic; numbers go to
    the arithmetic rule."""
    left, right = node.this, node.expression
    subtract = isinstance(node, exp.Sub)
    span_left, span_right = span_of(left), span_of(right)
    if span_right is not None and _datetime(left.type):
        return add_span(left, span_right.negated() if subtract else span_right, context)
    if span_left is not None and _datetime(right.type) and not subtract:
        return add_span(right, span_left, context)
    if span_left is not None and span_right is not None:
        if span_left.year_month != span_right.year_month:
            raise spark_error(
                "construct +: a year-month interval and a day-time interval do not add up here; "
                "add them to the date or timestamp one after the other"
            )
        other = span_right.negated() if subtract else span_right
        total = Span(
            span_left.year_month,
            exp.Add(this=span_left.amount.copy(), expression=other.amount.copy()),
            None if span_left.value is None or other.value is None else span_left.value + other.value,
        )
        made = duckdb_interval(total)
        made.meta[_META] = total
        made.type = exp.DataType.build("INTERVAL")
        return made
    if zones.is_date(left.type) and types.is_integral(right.type):  # date_add / date_sub
        days = exp.Cast(this=spark_cast(right, INT, context), to=BIGINT_TYPE.copy())
        return typed(call(_DATE_PLUS, left, exp.Neg(this=days) if subtract else days), DATE)
    if zones.is_date(right.type) and types.is_integral(left.type) and not subtract:
        days = exp.Cast(this=spark_cast(left, INT, context), to=BIGINT_TYPE.copy())
        return typed(call(_DATE_PLUS, right, days), DATE)
    if _datetime(left.type) and _datetime(right.type) and subtract:
        raise spark_error(
            "construct -: the difference of two dates or timestamps is an interval, which has no "
            "Delta type; use datediff(end, start) or timestampdiff(unit, start, end)"
        )
    if _datetime(left.type) or _datetime(right.type):
        raise spark_error(
            f"construct {'-' if subtract else '+'}: Spark adds days (integers) or intervals to dates "
            "and timestamps; write date_add(d, n) or ts + INTERVAL n HOURS"
        )
    return _other(node, context)


rule("+", nodes=(exp.Add,), returns=_plus_type)(_plus)
rule("-", nodes=(exp.Sub,), returns=_plus_type)(_plus)


# -- date_add, add_months, timestampadd ---------------------------------------------------------------------------
@rule("date_add", "date_sub", "dateadd", nodes=(exp.TsOrDsAdd,), returns=lambda node: DATE)
def _date_add(node: exp.TsOrDsAdd, context: Context) -> exp.Expr:
    """`date_add(d, n)`, `date_sub(d, n)`: a DATE (a timestamp's date in the session zone, text cast to a date)."""
    day = date_of(node.this, context, "date_add")
    amount, negate = node.expression, False
    factor = amount.expression if isinstance(amount, exp.Mul) else None
    while isinstance(factor, (exp.Cast, exp.Paren)):
        factor = factor.this
    if factor is not None and factor.sql() == "-1":  # date_sub(d, n) is parsed as date_add(d, n * -1)
        amount, negate = amount.this, True
    days = exp.Cast(this=spark_cast(amount, INT, context), to=BIGINT_TYPE.copy())
    return typed(call(_DATE_PLUS, day, exp.Neg(this=days) if negate else days), DATE)


# Java adds the day count as an int (it wraps around, even with ANSI on); DuckDB holds days ±2147483646 only.
_DAY_OF = macro(
    "spark_date_of_day",
    "(w) AS CASE WHEN w BETWEEN -2147483646 AND 2147483646 THEN DATE '1970-01-01' + CAST(w AS INTEGER) ELSE "
    "error('[UNSUPPORTED_FEATURE] date_add/date_sub: Spark gives day ' || w || ' after 1970-01-01 (its int day "
    "count wraps around), a date DuckDB cannot hold; rewrite that part of the query') END",
)
_DATE_PLUS = macro(
    "spark_date_plus",
    f"(d, n) AS {_DAY_OF}(((CAST(d - DATE '1970-01-01' AS BIGINT) + n + 2147483648) % 4294967296 + 4294967296) "
    "% 4294967296 - 2147483648)",
)
BIGINT_TYPE = exp.DataType.build("BIGINT")


@rule("add_months", nodes=(exp.AddMonths,), returns=lambda node: DATE)
def _add_months(node: exp.AddMonths, context: Context) -> exp.Expr:
    """`add_months(d, n)`: a DATE; the day is clamped to the month's end (Jan 31 + 1 is Feb 29), never moved to
    it (Feb 29 + 1 is Mar 29)."""
    day = date_of(node.this, context, "add_months")
    months = spark_cast(node.expression, INT, context)
    return typed(exp.Cast(this=plus_months(day, months), to=exp.DataType.build("DATE")), DATE)


_ADD_UNITS = {
    "MICROSECOND": ("micros", 1),
    "MILLISECOND": ("micros", 1000),
    "SECOND": ("micros", 1_000_000),
    "MINUTE": ("micros", 60_000_000),
    "HOUR": ("micros", 3_600_000_000),
    "DAY": ("days", 1),
    "DAYOFYEAR": ("days", 1),
    "WEEK": ("days", 7),
    "MONTH": ("months", 1),
    "QUARTER": ("months", 3),
    "YEAR": ("months", 12),
}


def unit_name(node: exp.Expr, what: str) -> str:
    unit = node.args.get("unit")
    name = unit.name.upper() if isinstance(unit, (exp.Var, exp.Literal)) else ""
    return _unit(name) if _unit(name) in _ADD_UNITS or _unit(name) in _UNIT_MICROS else name


def _add_type(node: exp.Expr) -> exp.DataType | None:
    return NTZ if zones.is_ntz(node.this.type) else TIMESTAMP


@rule("timestampadd", nodes=(exp.TimestampAdd,), returns=_add_type)
def _timestampadd(node: exp.TimestampAdd, context: Context) -> exp.Expr:
    """`timestampadd(unit, n, ts)`: hours and smaller as elapsed time, days and larger on the session zone's
    calendar; a date becomes a TIMESTAMP."""
    name = unit_name(node, "timestampadd")
    if name not in _ADD_UNITS:
        raise spark_error(f"function timestampadd: '{name}' is not a unit (YEAR ... MICROSECOND)")
    kind, scale = _ADD_UNITS[name]
    count = exp.Mul(this=spark_cast(node.expression, BIGINT, context), expression=exp.Literal.number(scale))
    value = node.this
    if zones.is_ntz(value.type):
        step = {"micros": "to_microseconds", "days": "to_days", "months": "to_months"}[kind]
        amount = count if kind == "micros" else cast(count, "int")
        return typed(exp.Add(this=value, expression=call(step, amount)), NTZ)
    instant = timestamp_of(value, context, "timestampadd")
    if kind == "micros":
        return shifted(instant, None, None, count, context)
    if kind == "days":
        return shifted(instant, None, count, None, context)
    return shifted(instant, count, None, None, context)


# -- comparisons ---------------------------------------------------------------------------------------------------
_COMPARISONS = (exp.EQ, exp.NEQ, exp.GT, exp.GTE, exp.LT, exp.LTE, exp.NullSafeEQ, exp.NullSafeNEQ)
_COMPARED: dict[type[exp.Expr], Rule | None] = {cls: REGISTRY.by_node.get(cls) for cls in _COMPARISONS}


def _common(left: exp.Expr, right: exp.Expr, context: Context) -> tuple[exp.Expr, exp.Expr] | None:
    """The operands as Spark compares them: a date or timestamp_ntz with a timestamp as timestamps (in the
    session zone), text with a date or timestamp as one (cast as Spark casts it)."""
    lt, rt = left.type, right.type
    if zones.is_timestamp(lt) and (zones.is_date(rt) or zones.is_ntz(rt) or types.is_string(rt)):
        other = zones.as_timestamp(right, context)
        return (left, other) if other is not None else None
    if zones.is_timestamp(rt) and (zones.is_date(lt) or zones.is_ntz(lt) or types.is_string(lt)):
        other = zones.as_timestamp(left, context)
        return (other, right) if other is not None else None
    for a, b, flip in ((left, right, False), (right, left, True)):
        if types.is_string(b.type) and (zones.is_date(a.type) or zones.is_ntz(a.type)):
            converted = zones.as_date(b, context) if zones.is_date(a.type) else zones.as_ntz(b, context)
            if converted is None:
                return None
            return (converted, a) if flip else (a, converted)
    return None


def _compare(node: exp.Expr, context: Context) -> exp.Expr:
    pair = _common(node.this, node.expression, context)
    if pair is not None:
        return typed(type(node)(this=pair[0], expression=pair[1]), types.of("boolean"))
    found = _COMPARED.get(type(node))
    if found is not None and found.rewrite is not None:
        return found.rewrite(node, context)
    return node


for _cls in _COMPARISONS:
    _before = _COMPARED.get(_cls)
    rule(
        *(_before.names if _before else (_cls.__name__.lower(),)), nodes=(_cls,), note=_before.note if _before else ""
    )(_compare)
