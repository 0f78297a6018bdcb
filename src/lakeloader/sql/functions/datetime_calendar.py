"""Calendar units as Spark counts them: differences in whole units (datediff, date_diff, timestampdiff,
months_between), truncation to a unit (trunc, date_trunc) and days of the month and week (last_day, next_day),
on the wall-clock times in the session time zone.

A difference is Java's ChronoUnit.between over LocalDateTime (truncated toward zero: Jan 31 to Feb 29 is no whole
month); date_trunc keeps a timestamp's offset where it can, as Java's truncatedTo.
"""

from __future__ import annotations

from sqlglot import exp

from lakeloader.sql import types
from lakeloader.sql.context import Context, call, cast, error, typed, when
from lakeloader.sql.functions import datetime_zones as zones
from lakeloader.sql.functions.casts import spark_cast
from lakeloader.sql.functions.datetime import BIGINT, DATE, INT, TIMESTAMP, date_of, local_of, spark_error, timestamp_of
from lakeloader.sql.functions.datetime_arithmetic import unit_name
from lakeloader.sql.registry import rule
from lakeloader.sql.runtime import macro

T = exp.DType


# -- differences ---------------------------------------------------------------------------------------------------
def _first_position(node: exp.Expr) -> int | None:
    for sub in node.walk():
        if "start" in sub.meta:
            return int(sub.meta["start"])
    return None


def _is_two_argument_datediff(node: exp.DateDiff) -> bool:
    """datediff(end, start) (INT) and date_diff(unit, start, end) (timestampdiff, BIGINT) parse alike: the end
    comes first in the text only in the two-argument form."""
    end, start = _first_position(node.this), _first_position(node.expression)
    return end is None or start is None or end < start


def _datediff_type(node: exp.Expr) -> exp.DataType:
    return INT if isinstance(node, exp.DateDiff) and _is_two_argument_datediff(node) else BIGINT


_DIFF_UNITS = ("MICROSECOND", "MILLISECOND", "SECOND", "MINUTE", "HOUR", "DAY", "WEEK", "MONTH", "QUARTER", "YEAR")


# Java's LocalDateTime.until for date units: the end date moved a day back (forward) when its time of day is
# before (after) the start's, then whole months from packed (month * 32 + day) numbers, or whole days.
macro(
    "spark_dt_until_date",
    """(a, b) AS CASE
    WHEN CAST(b AS DATE) > CAST(a AS DATE) AND CAST(b AS TIME) < CAST(a AS TIME) THEN CAST(b AS DATE) - 1
    WHEN CAST(b AS DATE) < CAST(a AS DATE) AND CAST(b AS TIME) > CAST(a AS TIME) THEN CAST(b AS DATE) + 1
    ELSE CAST(b AS DATE) END""",
)
macro("spark_dt_packed", "(d) AS (CAST(year(d) AS BIGINT) * 12 + month(d) - 1) * 32 + day(d)")
macro(
    "spark_dt_months_until",
    "(a, b) AS (spark_dt_packed(spark_dt_until_date(a, b)) - spark_dt_packed(CAST(a AS DATE))) // 32",
)
macro(
    "spark_dt_days_until",
    "(a, b) AS date_diff('day', CAST(a AS DATE), spark_dt_until_date(a, b))",
)
_DATE_UNITS = {"YEAR": ("months", 12), "QUARTER": ("months", 3), "MONTH": ("months", 1), "WEEK": ("days", 7),
               "DAY": ("days", 1)}  # fmt: skip


def timestampdiff(unit: str, start: exp.Expr, end: exp.Expr, context: Context, what: str) -> exp.Expr:
    """Whole units from `start` to `end`, counted on their wall-clock times in the session zone (Java's
    ChronoUnit.between over LocalDateTime: truncated toward zero; Jan 31 to Feb 29 is no whole month)."""
    if unit not in _DIFF_UNITS:
        raise spark_error(f"function {what}: '{unit}' is not a unit (YEAR, QUARTER, MONTH, WEEK, DAY, ... MICROSECOND)")
    low, high = local_of(start, context, what), local_of(end, context, what)
    if unit in _DATE_UNITS:
        kind, per = _DATE_UNITS[unit]
        counted = call("spark_dt_months_until" if kind == "months" else "spark_dt_days_until", low, high)
        whole: exp.Expr = exp.IntDiv(this=counted, expression=exp.Literal.number(per)) if per > 1 else counted
        return typed(cast(whole, BIGINT), BIGINT)
    return typed(cast(call("date_sub", exp.Literal.string(unit.lower()), low, high), BIGINT), BIGINT)


@rule("datediff", "date_diff", nodes=(exp.DateDiff,), returns=_datediff_type)
def _datediff(node: exp.DateDiff, context: Context) -> exp.Expr:
    """`datediff(end, start)`: days between the dates (INT); `date_diff(unit, start, end)`: timestampdiff. (Which
    one was written is read from the text's positions when the query is typed: the children rewritten since
    have none.)"""
    if types.kind(node.type) == T.INT:
        end, start = date_of(node.this, context, "datediff"), date_of(node.expression, context, "datediff")
        return typed(cast(call("date_diff", exp.Literal.string("day"), start, end), INT), INT)
    return timestampdiff(unit_name(node, "date_diff"), node.expression, node.this, context, "date_diff")


@rule("timestampdiff", nodes=(exp.TimestampDiff,), returns=lambda node: BIGINT)
def _timestampdiff(node: exp.TimestampDiff, context: Context) -> exp.Expr:
    return timestampdiff(unit_name(node, "timestampdiff"), node.expression, node.this, context, "timestampdiff")


# months_between: whole months, plus the rest of the day difference over 31-day months, in seconds (Hive's), rounded
# to 8 digits (Java's Math.round) unless roundOff is false; the same day of month, or both month ends, is whole.
macro(
    "spark_dt_months_between",
    """(l1, l2, s1, s2, round_off) AS CASE
    WHEN day(l1) = day(l2) OR (l1::DATE = last_day(l1::DATE) AND l2::DATE = last_day(l2::DATE))
    THEN CAST((year(l1) * 12 + month(l1)) - (year(l2) * 12 + month(l2)) AS DOUBLE)
    ELSE spark_dt_months_round(CAST((year(l1) * 12 + month(l1)) - (year(l2) * 12 + month(l2)) AS DOUBLE)
        + CAST((day(l1) - day(l2)) * 86400 + s1 - s2 AS DOUBLE) / 2678400.0, round_off) END""",
)
macro(
    "spark_dt_months_round",
    "(v, round_off) AS CASE WHEN round_off THEN CAST(floor(v * 1e8 + 0.5) AS DOUBLE) / 1e8 ELSE v END",
)


def _seconds_in_day(instant: exp.Expr, local: exp.Expr, context: Context) -> exp.Expr:
    """Whole seconds elapsed since the local midnight of `instant` (23 or 25 hours long on a DST day)."""
    midnight = zones.instant(
        exp.Cast(this=exp.Cast(this=local, to=exp.DataType.build("DATE")), to=exp.DataType.build("TIMESTAMP")), context
    )
    micros = exp.Sub(this=call("epoch_us", instant), expression=call("epoch_us", midnight))
    return call("spark_cast_floor_div", micros, exp.Literal.number(1_000_000))


@rule("months_between", nodes=(exp.MonthsBetween,), returns=lambda node: types.of("double"))
def _months_between(node: exp.MonthsBetween, context: Context) -> exp.Expr:
    """`months_between(t1, t2[, roundOff])`: Spark's rule (31-day months for the fraction, month ends count as
    whole months, rounded to 8 digits by default), on the wall-clock times in the session zone."""
    first = timestamp_of(node.this, context, "months_between")
    second = timestamp_of(node.expression, context, "months_between")
    round_off = node.args.get("roundoff")
    rounded = spark_cast(round_off, types.of("boolean"), context) if round_off is not None else exp.true()
    l1, l2 = zones.wall(first, context), zones.wall(second, context)
    s1 = _seconds_in_day(first.copy(), l1.copy(), context)
    s2 = _seconds_in_day(second.copy(), l2.copy(), context)
    return typed(call("spark_dt_months_between", l1, l2, s1, s2, rounded), types.of("double"))


# -- days of the month and week ------------------------------------------------------------------------------------
@rule("last_day", nodes=(exp.LastDay,), returns=lambda node: DATE)
def _last_day(node: exp.LastDay, context: Context) -> exp.Expr:
    return typed(call("last_day", date_of(node.this, context, "last_day")), DATE)


macro(
    "spark_dt_day_number",
    """(name) AS CASE upper(name)
    WHEN 'MO' THEN 1 WHEN 'MON' THEN 1 WHEN 'MONDAY' THEN 1 WHEN 'TU' THEN 2 WHEN 'TUE' THEN 2 WHEN 'TUESDAY' THEN 2
    WHEN 'WE' THEN 3 WHEN 'WED' THEN 3 WHEN 'WEDNESDAY' THEN 3 WHEN 'TH' THEN 4 WHEN 'THU' THEN 4
    WHEN 'THURSDAY' THEN 4 WHEN 'FR' THEN 5 WHEN 'FRI' THEN 5 WHEN 'FRIDAY' THEN 5 WHEN 'SA' THEN 6 WHEN 'SAT' THEN 6
    WHEN 'SATURDAY' THEN 6 WHEN 'SU' THEN 7 WHEN 'SUN' THEN 7 WHEN 'SUNDAY' THEN 7 END""",
)


@rule("next_day", nodes=(exp.NextDay,), returns=lambda node: DATE)
def _next_day(node: exp.NextDay, context: Context) -> exp.Expr:
    """`next_day(d, 'MO')`: the first later date on that day of the week (MO, MON, MONDAY, any case); another
    name is ILLEGAL_DAY_OF_WEEK in ANSI mode, NULL without it."""
    day = date_of(node.this, context, "next_day")
    number = call("spark_dt_day_number", node.expression)
    ahead = exp.Add(
        this=exp.Mod(
            this=exp.Paren(
                this=exp.Add(
                    this=exp.Sub(this=number, expression=call("isodow", day)), expression=exp.Literal.number(6)
                )
            ),
            expression=exp.Literal.number(7),
        ),
        expression=exp.Literal.number(1),
    )
    found = typed(exp.Add(this=day.copy(), expression=cast(ahead, "int")), DATE)
    if not context.ansi:
        return found
    bad = error("ILLEGAL_DAY_OF_WEEK", "Illegal input for day of week; use MO, TU, WE, TH, FR, SA or SU.")
    invalid = exp.And(
        this=exp.Not(this=exp.Is(this=node.expression.copy(), expression=exp.Null())),
        expression=exp.Is(this=number.copy(), expression=exp.Null()),
    )
    return typed(when(invalid, bad, found), DATE)


# -- truncation ----------------------------------------------------------------------------------------------------
_TRUNC_DATE = {
    "YEAR": "year",
    "YYYY": "year",
    "YY": "year",
    "QUARTER": "quarter",
    "MONTH": "month",
    "MM": "month",
    "MON": "month",
    "WEEK": "week",
}
_TRUNC_TIME = {
    **_TRUNC_DATE,
    "DAY": "day",
    "DD": "day",
    "HOUR": "hour",
    "MINUTE": "minute",
    "SECOND": "second",
    "MILLISECOND": "millisecond",
    "MICROSECOND": "microsecond",
}


def _unit_text(unit: exp.Expr | None, what: str) -> str:
    if isinstance(unit, (exp.Literal, exp.Var)):
        return unit.name.upper()
    raise spark_error(f"function {what}: the unit must be a string literal such as 'MONTH'")


@rule("trunc", nodes=(exp.DateTrunc,), returns=lambda node: DATE)
def _trunc(node: exp.DateTrunc, context: Context) -> exp.Expr:
    """`trunc(d, unit)`: a DATE at the start of its year, quarter, month or (Monday) week; another unit is NULL."""
    unit = _TRUNC_DATE.get(_unit_text(node.args.get("unit"), "trunc"))
    day = date_of(node.this, context, "trunc")
    if unit is None:
        return typed(exp.Cast(this=exp.Null(), to=exp.DataType.build("DATE")), DATE)
    return typed(exp.Cast(this=call("date_trunc", exp.Literal.string(unit), day), to=exp.DataType.build("DATE")), DATE)


@rule("date_trunc", nodes=(exp.TimestampTrunc,), returns=lambda node: TIMESTAMP)
def _date_trunc(node: exp.TimestampTrunc, context: Context) -> exp.Expr:
    """`date_trunc(unit, ts)`: a TIMESTAMP truncated on the session zone's wall clock (a DAY starts at local
    midnight), keeping its offset where it can as Java's truncatedTo; another unit is NULL."""
    name = _unit_text(node.args.get("unit"), "date_trunc")
    unit = _TRUNC_TIME.get(name)
    instant = timestamp_of(node.this, context, "date_trunc")
    if unit is None:
        return typed(exp.Cast(this=exp.Null(), to=exp.DataType.build("TIMESTAMPTZ")), TIMESTAMP)
    if unit in ("second", "millisecond", "microsecond"):  # offsets are whole seconds: the instant's own
        return zones.utc_instant(call("date_trunc", exp.Literal.string(unit), zones.utc_wall(instant)))
    local = call("date_trunc", exp.Literal.string(unit), zones.wall(instant, context))
    if zones.is_utc(context):
        return zones.utc_instant(local)
    if unit in ("minute", "hour", "day"):
        offset = call("spark_dt_zone_shift", context.zone, instant.copy())
        return typed(call("spark_dt_instant_preferring", local, context.zone, offset), TIMESTAMP)
    return zones.instant(local, context)
