"""Dates and timestamps as Spark computes them: fields, epoch conversions, time zones, constructors and the
current time, all in the session time zone.

A Spark TIMESTAMP is an instant (DuckDB's TIMESTAMPTZ); its fields, its text and its truncations are read from
the wall-clock time it shows in the session zone (`datetime_zones.wall`), never from DuckDB's TimeZone. Strings
and dates given where Spark expects a date or a timestamp are cast as Spark casts them (ANSI: an invalid one is
an error). Formatting and parsing with Spark's patterns are in `datetime_format`, arithmetic in
`datetime_arithmetic`, differences and truncation in `datetime_calendar`.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqlglot import exp

from lakeloader.sql import types
from lakeloader.sql.context import Context, call, cast, error, typed, when
from lakeloader.sql.functions import datetime_zones as zones
from lakeloader.sql.functions.casts import spark_cast
from lakeloader.sql.registry import refuse, rule
from lakeloader.sql.runtime import macro

T = exp.DType
INT, BIGINT, DATE = types.of("int"), types.of("bigint"), types.of("date")
TIMESTAMP, NTZ, STRING = types.of("timestamp"), types.of("timestamp_ntz"), types.of("string")


def spark_error(message: str) -> Exception:
    from lakeloader.sql.translate import TranslateError

    return TranslateError(message)


def fixed(spark_type: exp.DataType) -> Callable[[exp.Expr], exp.DataType]:
    return lambda node: spark_type


def args_of(node: exp.Expr) -> list[exp.Expr]:
    """An anonymous function's arguments."""
    return list(node.expressions)


def date_of(value: exp.Expr, context: Context, what: str) -> exp.Expr:
    """`value` as a DATE as Spark takes it for function `what`, or a refusal naming the function."""
    found = zones.as_date(value, context)
    if found is None:
        raise spark_error(f"function {what}: expects a date, got {shown(value)}; cast the argument to DATE")
    return found


def timestamp_of(value: exp.Expr, context: Context, what: str) -> exp.Expr:
    """`value` as a Spark TIMESTAMP (an instant) for function `what`."""
    found = zones.as_timestamp(value, context)
    if found is None:
        raise spark_error(f"function {what}: expects a timestamp, got {shown(value)}; cast the argument to TIMESTAMP")
    return found


def local_of(value: exp.Expr, context: Context, what: str) -> exp.Expr:
    """The wall-clock time (DuckDB TIMESTAMP) a date, timestamp or timestamp_ntz shows in the session zone."""
    if zones.is_ntz(value.type):
        return value
    if zones.is_date(value.type):
        return typed(exp.Cast(this=value, to=exp.DataType.build("TIMESTAMP")), NTZ)
    return zones.wall(timestamp_of(value, context, what), context)


def shown(value: exp.Expr) -> str:
    t = value.type
    return t.sql(dialect="spark") if t is not None and types.is_known(t) else "a value of unknown type"


def _int(value: exp.Expr) -> exp.Expr:
    return cast(value, INT)


def _literal_text(node: exp.Expr | None) -> str | None:
    if isinstance(node, exp.Literal) and node.is_string:
        return node.name
    if isinstance(node, exp.Var):
        return node.name
    return None


# -- fields ----------------------------------------------------------------------------------------------------
_DATE_FIELDS: dict[str, Callable[[exp.Expr], exp.Expr]] = {
    "YEAR": lambda d: call("year", d),
    "YEAROFWEEK": lambda d: call("isoyear", d),
    "QUARTER": lambda d: call("quarter", d),
    "MONTH": lambda d: call("month", d),
    "WEEK": lambda d: call("weekofyear", d),
    "DAY": lambda d: call("day", d),
    "DAYOFWEEK": lambda d: exp.Add(this=call("dayofweek", d), expression=exp.Literal.number(1)),  # Sunday is 1
    "DAYOFWEEK_ISO": lambda d: call("isodow", d),
    "DOY": lambda d: call("dayofyear", d),
}
_TIME_FIELDS: dict[str, Callable[[exp.Expr], exp.Expr]] = {
    "HOUR": lambda t: call("hour", t),
    "MINUTE": lambda t: call("minute", t),
}
_FIELD_NAMES = {  # extract's and date_part's names for a field (Spark's DatePart)
    **{n: "YEAR" for n in ("YEAR", "Y", "YEARS", "YR", "YRS")},
    "YEAROFWEEK": "YEAROFWEEK",
    **{n: "QUARTER" for n in ("QUARTER", "QTR")},
    **{n: "MONTH" for n in ("MONTH", "MON", "MONS", "MONTHS")},
    **{n: "WEEK" for n in ("WEEK", "W", "WEEKS")},
    **{n: "DAY" for n in ("DAY", "D", "DAYS")},
    **{n: "DAYOFWEEK" for n in ("DAYOFWEEK", "DOW")},
    **{n: "DAYOFWEEK_ISO" for n in ("DAYOFWEEK_ISO", "DOW_ISO")},
    "DOY": "DOY",
    **{n: "HOUR" for n in ("HOUR", "H", "HOURS", "HR", "HRS")},
    **{n: "MINUTE" for n in ("MINUTE", "M", "MIN", "MINS", "MINUTES")},
    **{n: "SECOND" for n in ("SECOND", "S", "SEC", "SECONDS", "SECS")},
}


def _second_fraction(local: exp.Expr) -> exp.Expr:
    """extract(SECOND ...): seconds with their fraction, a decimal(8,6) (DuckDB's microsecond() counts from the
    minute)."""
    micros = exp.Mod(this=call("microsecond", local), expression=exp.Literal.number(60000000))
    return cast(exp.Div(this=exp.Paren(this=micros), expression=exp.Literal.number("1000000.0")), "decimal(8,6)")


def field(name: str, source: exp.Expr, context: Context, what: str) -> exp.Expr:
    """Spark's field `name` (a DatePart name) of a date or timestamp, in the session zone."""
    canonical = _FIELD_NAMES.get(name.upper())
    if canonical is None:
        raise spark_error(f"function {what}: '{name}' is not a field Spark extracts (YEAR, MONTH, DAY, DOW, HOUR, ...)")
    if types.kind(source.type) in (T.INTERVAL,) or (
        isinstance(source.type, exp.DataType) and source.type.this == T.INTERVAL
    ):
        raise spark_error(f"function {what}: fields of intervals are not supported")
    if canonical in _DATE_FIELDS:
        return typed(_int(_DATE_FIELDS[canonical](date_of(source, context, what))), INT)
    local = local_of(source, context, what)
    if canonical == "SECOND":
        return typed(_second_fraction(local), types.of("decimal(8,6)"))
    return typed(_int(_TIME_FIELDS[canonical](local)), INT)


def _field_rule(name: str, fn: str) -> Callable[[exp.Expr, Context], exp.Expr]:
    def rewrite(node: exp.Expr, context: Context) -> exp.Expr:
        source = node.this
        if name in ("HOUR", "MINUTE", "SECOND"):
            local = local_of(source, context, fn)
            return typed(_int(call(name.lower(), local)), INT)
        return field(name, source, context, fn)

    return rewrite


for _name, _fn, _node in (
    ("YEAR", "year", exp.Year),
    ("MONTH", "month", exp.Month),
    ("DAY", "day", exp.Day),
    ("DAY", "dayofmonth", exp.DayOfMonth),
    ("DAYOFWEEK", "dayofweek", exp.DayOfWeek),
    ("DOY", "dayofyear", exp.DayOfYear),
    ("WEEK", "weekofyear", exp.WeekOfYear),
    ("QUARTER", "quarter", exp.Quarter),
    ("HOUR", "hour", exp.Hour),
    ("MINUTE", "minute", exp.Minute),
    ("SECOND", "second", exp.Second),
):
    rule(_fn, nodes=(_node,), returns=fixed(INT))(_field_rule(_name, _fn))


def _extract_type(node: exp.Expr) -> exp.DataType | None:
    name = _literal_text(node.this) if isinstance(node, exp.Extract) else _literal_text(seq(node, 0))
    return types.of("decimal(8,6)") if name and _FIELD_NAMES.get(name.upper()) == "SECOND" else INT


def seq(node: exp.Expr, i: int) -> exp.Expr | None:
    found = args_of(node)
    return found[i] if i < len(found) else None


@rule("extract", nodes=(exp.Extract,), returns=_extract_type)
def _extract(node: exp.Extract, context: Context) -> exp.Expr:
    """`extract(field FROM source)`: DOW counts from Sunday = 1, DOW_ISO from Monday = 1, SECOND keeps its
    fraction (decimal(8,6)); date fields of a timestamp are its date's in the session zone."""
    name = _literal_text(node.this)
    if name is None:
        raise spark_error("function extract: the field must be a name such as YEAR or DOW")
    return field(name, node.expression, context, "extract")


@rule("date_part", "datepart", returns=_extract_type)
def _date_part(node: exp.Anonymous, context: Context) -> exp.Expr:
    """`date_part('field', source)`: extract's fields, named by a string literal."""
    what = node.name.lower()
    found = args_of(node)
    name = _literal_text(found[0]) if found else None
    if len(found) != 2 or name is None:
        raise spark_error(f"function {what}: write {what}('FIELD', source) with the field as a string literal")
    return field(name, found[1], context, what)


@rule("weekday", returns=fixed(INT))
def _weekday(node: exp.Anonymous, context: Context) -> exp.Expr:
    """`weekday(d)`: Monday = 0 ... Sunday = 6."""
    day = date_of(args_of(node)[0], context, "weekday")
    return typed(_int(exp.Sub(this=call("isodow", day), expression=exp.Literal.number(1))), INT)


@rule("dayname", nodes=(exp.Dayname,), returns=fixed(STRING))
def _dayname(node: exp.Dayname, context: Context) -> exp.Expr:
    """`dayname(d)`: the three-letter English name (Mon)."""
    day = date_of(node.this, context, "dayname")
    return typed(call("strftime", day, exp.Literal.string("%a")), STRING)


@rule("monthname", nodes=(exp.Monthname,), returns=fixed(STRING))
def _monthname(node: exp.Monthname, context: Context) -> exp.Expr:
    """`monthname(d)`: the three-letter English name (Jan)."""
    day = date_of(node.this, context, "monthname")
    return typed(call("strftime", day, exp.Literal.string("%b")), STRING)


# -- epoch -------------------------------------------------------------------------------------------------------
def epoch_instant(value: exp.Expr, context: Context, what: str) -> exp.Expr:
    """The instant epoch functions count to: a TIMESTAMP_NTZ's wall-clock time read as UTC (Spark's own rule for
    unix_seconds/unix_timestamp of a timestamp_ntz), anything else as a TIMESTAMP."""
    if zones.is_ntz(value.type):
        return zones.utc_instant(value)
    return timestamp_of(value, context, what)


def epoch_seconds(instant: exp.Expr) -> exp.Expr:
    """Whole seconds since the epoch, rounded down (Spark's floorDiv)."""
    return typed(
        cast(call("spark_cast_floor_div", call("epoch_us", instant), exp.Literal.number(1000000)), BIGINT), BIGINT
    )


@rule("unix_seconds", nodes=(exp.UnixSeconds,), returns=fixed(BIGINT))
def _unix_seconds(node: exp.Expr, context: Context) -> exp.Expr:
    return epoch_seconds(epoch_instant(node.this, context, "unix_seconds"))


@rule("unix_millis", nodes=(exp.UnixMillis,), returns=fixed(BIGINT))
def _unix_millis(node: exp.Expr, context: Context) -> exp.Expr:
    micros = call("epoch_us", epoch_instant(node.this, context, "unix_millis"))
    return typed(cast(call("spark_cast_floor_div", micros, exp.Literal.number(1000)), BIGINT), BIGINT)


@rule("unix_micros", nodes=(exp.UnixMicros,), returns=fixed(BIGINT))
def _unix_micros(node: exp.Expr, context: Context) -> exp.Expr:
    return typed(cast(call("epoch_us", epoch_instant(node.this, context, "unix_micros")), BIGINT), BIGINT)


@rule("unix_date", nodes=(exp.UnixDate,), returns=fixed(INT))
def _unix_date(node: exp.Expr, context: Context) -> exp.Expr:
    day = date_of(node.this, context, "unix_date")
    return typed(
        _int(call("date_diff", exp.Literal.string("day"), cast(exp.Literal.string("1970-01-01"), DATE), day)), INT
    )


@rule("date_from_unix_date", nodes=(exp.DateFromUnixDate,), returns=fixed(DATE))
def _date_from_unix_date(node: exp.Expr, context: Context) -> exp.Expr:
    days = spark_cast(node.this, INT, context)
    return typed(exp.Add(this=cast(exp.Literal.string("1970-01-01"), DATE), expression=days), DATE)


macro(  # a count of microseconds DuckDB can hold as a timestamp (Spark's own limit is the long's)
    "spark_dt_from_micros",
    """(micros, what) AS CASE WHEN micros BETWEEN -210866760000000000 AND 9214646400000000000
    THEN make_timestamptz(CAST(micros AS BIGINT))
    ELSE error('[DATETIME_OVERFLOW] Datetime operation overflow: create a TIMESTAMP from ' || micros
        || ' microseconds since the epoch (' || what || ').') END""",
)


def _from_epoch(unit: int, what: str) -> Callable[[exp.Anonymous, Context], exp.Expr]:
    """timestamp_seconds/millis/micros: an integral count (out of range: DATETIME_OVERFLOW, with ANSI on or off);
    seconds may be a decimal with at most six fraction digits (more: Java's "Rounding necessary") or a double
    (truncated to the microsecond; NaN and infinities are NULL)."""

    def rewrite(node: exp.Anonymous, context: Context) -> exp.Expr:
        found = args_of(node)
        if len(found) != 1:
            raise spark_error(f"function {what}: takes one argument")
        value = found[0]
        name = exp.Literal.string(what)
        if types.is_integral(value.type):
            wide = exp.Mul(
                this=exp.Cast(this=value, to=exp.DataType.build("HUGEINT")), expression=exp.Literal.number(unit)
            )
            return typed(call("spark_dt_from_micros", wide, name), TIMESTAMP)
        if unit == 1000000 and types.kind(value.type) == T.DECIMAL:
            _, scale = types.precision_scale(value.type or types.of("decimal(38,6)"))
            wide = exp.Mul(this=cast(value, f"decimal(38,{scale})"), expression=exp.Literal.number(1000000))
            exact = exp.EQ(this=wide.copy(), expression=call("trunc", wide.copy()))
            rounding = call(
                "error",
                exp.Literal.string(
                    f"[UNCLASSIFIED:ArithmeticException] Rounding necessary: {what} takes at most six fraction digits"
                ),
            )
            micros = exp.Cast(this=when(exact, wide, rounding), to=exp.DataType.build("HUGEINT"))
            return typed(call("spark_dt_from_micros", micros, name), TIMESTAMP)
        if unit == 1000000 and types.kind(value.type) in (T.DOUBLE, T.FLOAT):
            number = cast(value, "double")
            special = exp.Or(this=call("isnan", number), expression=call("isinf", number.copy()))
            scaled = call("trunc", exp.Mul(this=number.copy(), expression=exp.Literal.number(1000000)))
            counted = call("spark_dt_from_micros", exp.TryCast(this=scaled, to=exp.DataType.build("HUGEINT")), name)
            return typed(when(special, cast(exp.Null(), TIMESTAMP), counted), TIMESTAMP)
        raise spark_error(f"function {what}: expects a count (a number), got {shown(value)}")

    return rewrite


rule("timestamp_seconds", returns=fixed(TIMESTAMP))(_from_epoch(1000000, "timestamp_seconds"))
rule("timestamp_millis", returns=fixed(TIMESTAMP))(_from_epoch(1000, "timestamp_millis"))
rule("timestamp_micros", returns=fixed(TIMESTAMP))(_from_epoch(1, "timestamp_micros"))


# -- time zones --------------------------------------------------------------------------------------------------
def zone_name(context: Context) -> str:
    """The session zone as Spark prints it (VV): an offset zone as +01:00."""
    name = context.settings.time_zone
    return name[3:] if name.startswith("GMT") and len(name) > 3 else name


def zone_literal(node: exp.Expr, what: str) -> exp.Expr:
    """A zone argument: a literal is checked and named as DuckDB's ICU knows it; a column is resolved per row as
    Java's ZoneId.of reads it (NULL for a name Java does not know)."""
    if isinstance(node, exp.Literal) and node.is_string:
        from lakeloader.errors import ConfigError
        from lakeloader.sql.settings import time_zone

        try:
            return exp.Literal.string(time_zone(node.name))
        except ConfigError:
            raise spark_error(
                f"function {what}: '{node.name}' is not a time zone; write a region such as "
                "Europe/Berlin or an offset such as +01:00"
            ) from None
    return node


def _in_zone(local: exp.Expr, zone: exp.Expr, context: Context) -> exp.Expr:
    """The instant a wall-clock time names in `zone` (a literal ICU name, or text read as Java reads it)."""
    if isinstance(zone, exp.Literal):
        if zone.name == "UTC":
            return typed(call("timezone", zone, local), TIMESTAMP)
        return typed(call("spark_dt_instant", local, zone), TIMESTAMP)
    return typed(call("spark_dt_instant_in", local, call("spark_dt_zone_text", zone)), TIMESTAMP)


def _wall_in(instant: exp.Expr, zone: exp.Expr) -> exp.Expr:
    """The wall-clock time an instant shows in `zone`."""
    if isinstance(zone, exp.Literal):
        return typed(call("timezone", zone, instant), NTZ)
    zoned = call("spark_dt_zone_text", zone)
    offset = call("spark_dt_zone_offset", zoned)
    by_offset = exp.Add(this=zones.utc_wall(instant), expression=call("to_seconds", offset))
    region = call("spark_dt_zone_region", zoned.copy())
    return typed(
        exp.Case(
            ifs=[
                exp.If(this=exp.Not(this=exp.Is(this=offset.copy(), expression=exp.Null())), true=by_offset),
                exp.If(
                    this=exp.Not(this=exp.Is(this=region, expression=exp.Null())),
                    true=call("timezone", region.copy(), instant.copy()),
                ),
            ]
        ),
        NTZ,
    )


@rule("from_utc_timestamp", nodes=(exp.AtTimeZone,), returns=fixed(TIMESTAMP))
def _from_utc_timestamp(node: exp.AtTimeZone, context: Context) -> exp.Expr:
    """`from_utc_timestamp(ts, zone)`: the wall-clock time `ts` shows in `zone`, read as a UTC time."""
    zone = zone_literal(node.args["zone"], "from_utc_timestamp")
    instant = timestamp_of(_inner(node.this), context, "from_utc_timestamp")
    return zones.utc_instant(_wall_in(instant, zone))


@rule("to_utc_timestamp", nodes=(exp.FromTimeZone,), returns=fixed(TIMESTAMP))
def _to_utc_timestamp(node: exp.FromTimeZone, context: Context) -> exp.Expr:
    """`to_utc_timestamp(ts, zone)`: the UTC wall-clock time of `ts`, read as a time in `zone`."""
    zone = zone_literal(node.args["zone"], "to_utc_timestamp")
    instant = timestamp_of(_inner(node.this), context, "to_utc_timestamp")
    return _in_zone(zones.utc_wall(instant), zone, context)


def _inner(node: exp.Expr) -> exp.Expr:
    """The argument inside the cast to TIMESTAMP the parser wrapped it in (already rewritten: a Spark TIMESTAMP)."""
    return node


@rule("convert_timezone", nodes=(exp.ConvertTimezone,), returns=fixed(NTZ))
def _convert_timezone(node: exp.ConvertTimezone, context: Context) -> exp.Expr:
    """`convert_timezone([source, ]target, ntz)`: the wall-clock time in `source` (default: the session zone)
    shown in `target`."""
    source = node.args.get("source_tz")
    target = zone_literal(node.args["target_tz"], "convert_timezone")
    value = node.args["timestamp"]
    local = zones.as_ntz(value, context)
    if local is None:
        raise spark_error(f"function convert_timezone: expects a timestamp_ntz, got {shown(value)}")
    source_zone = zone_literal(source, "convert_timezone") if source is not None else context.zone
    instant = _in_zone(local, source_zone, context)
    return _wall_in(instant, target)


@rule("current_timezone", nodes=(exp.CurrentTimezone,), returns=fixed(STRING))
def _current_timezone(node: exp.Expr, context: Context) -> exp.Expr:
    return typed(exp.Literal.string(zone_name(context)), STRING)


@rule("current_date", "curdate", nodes=(exp.CurrentDate,), returns=fixed(DATE))
def _current_date(node: exp.Expr, context: Context) -> exp.Expr:
    """Today in the session zone (at the query's start)."""
    return typed(
        exp.Cast(this=zones.wall(typed(exp.CurrentTimestamp(), TIMESTAMP), context), to=exp.DataType.build("DATE")),
        DATE,
    )


@rule("current_timestamp", "now", nodes=(exp.CurrentTimestamp,), returns=fixed(TIMESTAMP))
def _current_timestamp(node: exp.Expr, context: Context) -> exp.Expr:
    return typed(exp.CurrentTimestamp(), TIMESTAMP) if node.args.get("this") is None else _refuse_precision(node)


def _refuse_precision(node: exp.Expr) -> exp.Expr:
    raise spark_error("function current_timestamp: takes no argument")


@rule("localtimestamp", nodes=(exp.Localtimestamp,), returns=fixed(NTZ))
def _localtimestamp(node: exp.Expr, context: Context) -> exp.Expr:
    """The session zone's wall-clock time now, a timestamp_ntz."""
    return zones.wall(typed(exp.CurrentTimestamp(), TIMESTAMP), context)


# -- constructors -------------------------------------------------------------------------------------------------
macro(
    "spark_dt_make_local",
    """(y, mo, d, h, mi, s) AS CASE WHEN s >= 0 AND s <= 60 AND (s < 60 OR s = 60 AND h IS NOT NULL) THEN
    spark_dt_local_time(spark_dt_ymd(y, mo, d), CASE WHEN h BETWEEN 0 AND 23 THEN h END,
        CASE WHEN mi BETWEEN 0 AND 59 THEN mi END, 0, CAST(round(s * 1000000) AS BIGINT)) END""",
)


def _bounds_error(what: str) -> exp.Expr:
    return error(
        "DATETIME_FIELD_OUT_OF_BOUNDS",
        f"Invalid date or time fields in {what}; use try_{what} to get NULL "
        "instead (the date must exist, hours 0-23, minutes 0-59, seconds 0-60).",
    )


def _raising(value: exp.Expr, parts: list[exp.Expr], quiet: bool, what: str, spark_type: exp.DataType) -> exp.Expr:
    if quiet:
        return typed(value, spark_type)
    any_null: exp.Expr = exp.Is(this=parts[0].copy(), expression=exp.Null())
    for part in parts[1:]:
        any_null = exp.Or(this=any_null, expression=exp.Is(this=part.copy(), expression=exp.Null()))
    return typed(exp.Coalesce(this=value, expressions=[when(any_null, exp.Null(), _bounds_error(what))]), spark_type)


@rule("make_date", returns=fixed(DATE))
def _make_date(node: exp.Anonymous, context: Context) -> exp.Expr:
    """`make_date(y, m, d)`: an invalid date is DATETIME_FIELD_OUT_OF_BOUNDS in ANSI mode, NULL without it."""
    found = args_of(node)
    if len(found) != 3:
        raise spark_error("function make_date: takes year, month and day")
    parts = [spark_cast(a, INT, context) for a in found]
    return _raising(call("spark_dt_ymd", *parts), parts, not context.ansi, "make_date", DATE)


def _make_timestamp(what: str, *, safe: bool, ntz: bool) -> Callable[[exp.Expr, Context], exp.Expr]:
    """make_timestamp(y, mo, d, h, mi, sec[, zone]): seconds up to 60 (a whole 60 is the next minute), with up
    to six fraction digits; the wall-clock time in the zone (default: the session's)."""

    def rewrite(node: exp.Expr, context: Context) -> exp.Expr:
        if isinstance(node, exp.TimestampFromParts):
            keys = ("year", "month", "day", "hour", "min", "sec")
            found = [node.args.get(k) for k in keys]
            zone_arg = node.args.get("zone") or node.args.get("nano")
            if any(f is None for f in found):
                raise spark_error(f"function {what}: takes year, month, day, hour, minute and seconds")
            values: list[Any] = [*found, zone_arg] if zone_arg is not None else list(found)
        else:
            values = args_of(node)
        if len(values) not in (6, 7) or (ntz and len(values) == 7):
            raise spark_error(
                f"function {what}: takes year, month, day, hour, minute, seconds" + ("" if ntz else "[, zone]")
            )
        parts = [spark_cast(v, INT, context) for v in values[:5]]
        seconds = spark_cast(values[5], types.of("decimal(16,6)"), context)
        local = call("spark_dt_make_local", *parts, seconds)
        quiet = safe or not context.ansi
        if ntz:
            return _raising(local, [*parts, seconds], quiet, what, NTZ)
        zone = zone_literal(values[6], what) if len(values) == 7 else context.zone
        instant = _in_zone(local, zone, context)
        return _raising(instant, [*parts, seconds], quiet, what, TIMESTAMP)

    return rewrite


rule("make_timestamp", nodes=(exp.TimestampFromParts,), returns=fixed(TIMESTAMP))(
    _make_timestamp("make_timestamp", safe=False, ntz=False)
)
rule("make_timestamp_ltz", returns=fixed(TIMESTAMP))(_make_timestamp("make_timestamp_ltz", safe=False, ntz=False))
rule("make_timestamp_ntz", returns=fixed(NTZ))(_make_timestamp("make_timestamp_ntz", safe=False, ntz=True))
rule("try_make_timestamp", returns=fixed(TIMESTAMP))(_make_timestamp("try_make_timestamp", safe=True, ntz=False))
rule("try_make_timestamp_ltz", returns=fixed(TIMESTAMP))(
    _make_timestamp("try_make_timestamp_ltz", safe=True, ntz=False)
)
rule("try_make_timestamp_ntz", returns=fixed(NTZ))(_make_timestamp("try_make_timestamp_ntz", safe=True, ntz=True))


# -- refused -------------------------------------------------------------------------------------------------------
_TIME_TYPE = (
    "not supported: Spark's TIME type has no Delta Lake equivalent (a pipeline could not store it); keep "
    "the time in a timestamp, or as seconds since midnight"
)
refuse(
    "current_time",
    "localtime",
    "make_time",
    "to_time",
    "try_to_time",
    "time_diff",
    "time_trunc",
    "time",
    "time_from_micros",
    "time_from_millis",
    "time_from_seconds",
    "time_to_micros",
    "time_to_millis",
    "time_to_seconds",
    why=_TIME_TYPE,
)
_INTERVAL_VALUE = (
    "not supported: interval values have no Delta Lake type; add intervals to dates and timestamps "
    "(ts + INTERVAL 1 DAY), or use timestampadd / date_add / add_months"
)
refuse("make_interval", "make_dt_interval", "make_ym_interval", "try_make_interval", why=_INTERVAL_VALUE)
refuse(
    "timestamp_nanos",
    "unix_nanos",
    why="not supported: nanosecond timestamps have no Delta Lake type; use timestamp_micros and unix_micros",
)
refuse(
    "time_bucket",
    why="not supported yet: group by date_trunc(unit, ts), or by timestamp_seconds(floor("
    "unix_seconds(ts) / n) * n) for n-second buckets",
)
