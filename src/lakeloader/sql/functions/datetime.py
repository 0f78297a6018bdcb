"""Dates and timestamps as Spark computes them: fields, formatting and parsing with Spark's patterns, epoch
conversions, time zones, constructors and the current time, all in the session time zone.

A Spark TIMESTAMP is an instant (DuckDB's TIMESTAMPTZ); its fields, its text and its truncations are read from
the wall-clock time it shows in the session zone (`datetime_zones.wall`), never from DuckDB's TimeZone. Strings
and dates given where Spark expects a date or a timestamp are cast as Spark casts them (ANSI: an invalid one is
an error). Arithmetic, differences and truncation are in `datetime_arithmetic`.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqlglot import exp

from lakeloader.sql import types
from lakeloader.sql.context import Context, call, cast, error, typed, when
from lakeloader.sql.functions import datetime_patterns as patterns
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


def _returns(spark_type: exp.DataType) -> Callable[[exp.Expr], exp.DataType]:
    return lambda node: spark_type


def args_of(node: exp.Expr) -> list[exp.Expr]:
    """An anonymous function's arguments."""
    return list(node.expressions)


def date_of(value: exp.Expr, context: Context, what: str) -> exp.Expr:
    """`value` as a DATE as Spark takes it for function `what`, or a refusal naming the function."""
    found = zones.as_date(value, context)
    if found is None:
        raise spark_error(f"function {what}: expects a date, got {_shown(value)}; cast the argument to DATE")
    return found


def timestamp_of(value: exp.Expr, context: Context, what: str) -> exp.Expr:
    """`value` as a Spark TIMESTAMP (an instant) for function `what`."""
    found = zones.as_timestamp(value, context)
    if found is None:
        raise spark_error(f"function {what}: expects a timestamp, got {_shown(value)}; cast the argument to TIMESTAMP")
    return found


def local_of(value: exp.Expr, context: Context, what: str) -> exp.Expr:
    """The wall-clock time (DuckDB TIMESTAMP) a date, timestamp or timestamp_ntz shows in the session zone."""
    if zones.is_ntz(value.type):
        return value
    if zones.is_date(value.type):
        return typed(exp.Cast(this=value, to=exp.DataType.build("TIMESTAMP")), NTZ)
    return zones.wall(timestamp_of(value, context, what), context)


def _shown(value: exp.Expr) -> str:
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
    rule(_fn, nodes=(_node,), returns=_returns(INT))(_field_rule(_name, _fn))


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


@rule("weekday", returns=_returns(INT))
def _weekday(node: exp.Anonymous, context: Context) -> exp.Expr:
    """`weekday(d)`: Monday = 0 ... Sunday = 6."""
    day = date_of(args_of(node)[0], context, "weekday")
    return typed(_int(exp.Sub(this=call("isodow", day), expression=exp.Literal.number(1))), INT)


@rule("dayname", nodes=(exp.Dayname,), returns=_returns(STRING))
def _dayname(node: exp.Dayname, context: Context) -> exp.Expr:
    """`dayname(d)`: the three-letter English name (Mon)."""
    day = date_of(node.this, context, "dayname")
    return typed(call("strftime", day, exp.Literal.string("%a")), STRING)


@rule("monthname", nodes=(exp.Monthname,), returns=_returns(STRING))
def _monthname(node: exp.Monthname, context: Context) -> exp.Expr:
    """`monthname(d)`: the three-letter English name (Jan)."""
    day = date_of(node.this, context, "monthname")
    return typed(call("strftime", day, exp.Literal.string("%b")), STRING)


# -- formatting -------------------------------------------------------------------------------------------------
def zone_name(context: Context) -> str:
    """The session zone as Spark prints it (VV): an offset zone as +01:00."""
    name = context.settings.time_zone
    return name[3:] if name.startswith("GMT") and len(name) > 3 else name


def offset_seconds(instant: exp.Expr, context: Context) -> exp.Expr:
    """The session zone's offset from UTC at `instant`, in seconds."""
    shift = exp.Sub(this=call("epoch", zones.wall(instant, context)), expression=call("epoch", instant.copy()))
    return cast(call("round", shift), "int")


def pattern_of(node: exp.Expr | None, what: str, *, converted: bool = True) -> str:
    found = patterns.pattern_text(node, converted=converted)
    if found is None:
        raise spark_error(f"function {what}: the pattern must be a string literal")
    return found


def format_local(local: exp.Expr, instant: exp.Expr, pattern: str, context: Context, what: str) -> exp.Expr:
    """The wall-clock `local` (of `instant`) written with a Spark pattern."""
    zone = patterns.Zone(offset_seconds(instant, context), zone_name(context))
    try:
        return typed(patterns.formatted(local, pattern, zone), STRING)
    except patterns.PatternError as exc:
        raise spark_error(f"function {what}: {exc}") from None


def _unwrapped(node: exp.Expr) -> exp.Expr:
    """date_format's argument without the cast the parser wrapped it in (its own rule has run: its type tells)."""
    return node


@rule("date_format", nodes=(exp.TimeToStr,), returns=_returns(STRING))
def _date_format(node: exp.TimeToStr, context: Context) -> exp.Expr:
    """`date_format(ts, pattern)`: the value's wall-clock time in the session zone, written with Spark's pattern
    (quoted text, every letter Spark takes; names in English)."""
    pattern = pattern_of(node.args.get("format"), "date_format")
    instant = timestamp_of(node.this, context, "date_format")
    return format_local(zones.wall(instant, context), instant.copy(), pattern, context, "date_format")


@rule("timestamp", nodes=(exp.TimeStrToTime,), returns=_returns(TIMESTAMP))
def _as_timestamp(node: exp.TimeStrToTime, context: Context) -> exp.Expr:
    """The parser's own conversion around date_format's argument: Spark's implicit cast to TIMESTAMP."""
    return timestamp_of(node.this, context, "date_format")


@rule("from_unixtime", nodes=(exp.UnixToStr,), returns=_returns(STRING))
def _from_unixtime(node: exp.UnixToStr, context: Context) -> exp.Expr:
    """`from_unixtime(seconds[, pattern])`: whole seconds since the epoch, written in the session zone."""
    pattern = pattern_of(node.args.get("format"), "from_unixtime")
    seconds = node.this
    if not (types.is_integral(seconds.type) or types.is_string(seconds.type) or types.is_numeric(seconds.type)):
        raise spark_error(f"function from_unixtime: expects seconds (a number), got {_shown(seconds)}")
    whole = spark_cast(seconds, BIGINT, context)
    instant = typed(
        call("make_timestamptz", exp.Mul(this=cast(whole, "bigint"), expression=exp.Literal.number(1000000))), TIMESTAMP
    )
    return format_local(zones.wall(instant, context), instant.copy(), pattern, context, "from_unixtime")


# -- parsing ----------------------------------------------------------------------------------------------------
def _cannot_parse(text: exp.Expr, safe_name: str) -> exp.Expr:
    message = exp.DPipe(
        this=exp.DPipe(this=exp.Literal.string("[CANNOT_PARSE_TIMESTAMP] Text '"), expression=text.copy()),
        expression=exp.Literal.string(
            f"' could not be parsed. Use `{safe_name}` to tolerate invalid input string and return NULL instead."
        ),
    )
    return call("error", message)


def _checked_parse(text: exp.Expr, value: exp.Expr, spark_type: exp.DataType, quiet: bool, safe_name: str) -> exp.Expr:
    if quiet:
        return typed(value, spark_type)
    failed = when(exp.Is(this=text.copy(), expression=exp.Null()), exp.Null(), _cannot_parse(text, safe_name))
    return typed(exp.Coalesce(this=value, expressions=[failed]), spark_type)


def parse_with(
    text: exp.Expr, pattern: str, to: str, context: Context, *, quiet: bool, what: str, safe_name: str
) -> exp.Expr:
    """Text read with a Spark pattern into `to` (date, timestamp, timestamp_ntz): NULL when it does not match
    and `quiet`, else CANNOT_PARSE_TIMESTAMP."""
    if not types.is_string(text.type) and not isinstance(text, exp.Null):
        raise spark_error(f"function {what}: a pattern reads strings, got {_shown(text)}")
    try:
        zoned = patterns.has_zone(pattern)
        if to == "timestamp_ntz" or (to == "date" and not zoned):
            local = patterns.parse_call(text, pattern, zone=None)
            value: exp.Expr = local if to == "timestamp_ntz" else exp.Cast(this=local, to=exp.DataType.build("DATE"))
        else:
            instant = typed(patterns.parse_call(text, pattern, zone=context.zone), TIMESTAMP)
            value = (
                instant
                if to == "timestamp"
                else exp.Cast(this=zones.wall(instant, context), to=exp.DataType.build("DATE"))
            )
    except patterns.PatternError as exc:
        raise spark_error(f"function {what}: {exc}") from None
    return _checked_parse(text, value, types.of(to), quiet, safe_name)


def _text_to(value: exp.Expr, to: str, context: Context, *, safe: bool, what: str) -> exp.Expr:
    """to_date / to_timestamp without a pattern: a cast (Spark's own)."""
    if to == "date":
        converted = zones.as_date(value, context, safe=safe)
    elif to == "timestamp":
        if types.is_numeric(value.type):
            return spark_cast(value, TIMESTAMP, context, safe=safe)
        converted = zones.as_timestamp(value, context, safe=safe)
    else:
        converted = zones.as_ntz(value, context, safe=safe)
    if converted is None:
        raise spark_error(f"function {what}: expects a string, date or timestamp, got {_shown(value)}")
    return typed(converted, types.of(to))


def _to(to: str, *, safe: bool, what: str, safe_name: str) -> Callable[[exp.Expr, exp.Expr | None, Context], exp.Expr]:
    def convert(value: exp.Expr, fmt: exp.Expr | None, context: Context, *, converted: bool = True) -> exp.Expr:
        if fmt is None:
            return _text_to(value, to, context, safe=safe, what=what)
        pattern = pattern_of(fmt, what, converted=converted)
        if not types.is_string(value.type):  # a date or timestamp: the pattern is not used
            return _text_to(value, to, context, safe=safe, what=what)
        return parse_with(value, pattern, to, context, quiet=safe or not context.ansi, what=what, safe_name=safe_name)

    return convert


@rule("to_date", nodes=(exp.TsOrDsToDate,), returns=_returns(DATE))
def _to_date(node: exp.TsOrDsToDate, context: Context) -> exp.Expr:
    """`to_date(x[, pattern])`: a cast without a pattern; with one, Spark's parser (invalid text is
    CANNOT_PARSE_TIMESTAMP in ANSI mode, NULL without it)."""
    return _to("date", safe=False, what="to_date", safe_name="try_to_date")(node.this, node.args.get("format"), context)


@rule("try_to_date", returns=_returns(DATE))
def _try_to_date(node: exp.Anonymous, context: Context) -> exp.Expr:
    found = args_of(node)
    convert = _to("date", safe=True, what="try_to_date", safe_name="try_to_date")
    return convert(found[0], found[1] if len(found) > 1 else None, context, converted=False)  # type: ignore[call-arg]


@rule("to_timestamp", nodes=(exp.StrToTime,), returns=_returns(TIMESTAMP))
def _to_timestamp(node: exp.StrToTime, context: Context) -> exp.Expr:
    """`to_timestamp(x, pattern)` (without a pattern the parser makes it a cast)."""
    convert = _to("timestamp", safe=False, what="to_timestamp", safe_name="try_to_timestamp")
    return convert(node.this, node.args.get("format"), context)


def _anonymous_to(to: str, safe: bool, what: str, safe_name: str) -> Callable[[exp.Anonymous, Context], exp.Expr]:
    def rewrite(node: exp.Anonymous, context: Context) -> exp.Expr:
        found = args_of(node)
        if not 1 <= len(found) <= 2:
            raise spark_error(f"function {what}: takes a value and an optional pattern")
        convert = _to(to, safe=safe, what=what, safe_name=safe_name)
        return convert(found[0], found[1] if len(found) > 1 else None, context, converted=False)  # type: ignore[call-arg]

    return rewrite


rule("try_to_timestamp", returns=_returns(TIMESTAMP))(
    _anonymous_to("timestamp", True, "try_to_timestamp", "try_to_timestamp")
)
rule("to_timestamp_ltz", returns=_returns(TIMESTAMP))(
    _anonymous_to("timestamp", False, "to_timestamp_ltz", "try_to_timestamp")
)
rule("to_timestamp_ntz", returns=_returns(NTZ))(
    _anonymous_to("timestamp_ntz", False, "to_timestamp_ntz", "try_to_timestamp")
)


# -- epoch -------------------------------------------------------------------------------------------------------
def _epoch_instant(value: exp.Expr, context: Context, what: str) -> exp.Expr:
    """The instant epoch functions count to: a TIMESTAMP_NTZ's wall-clock time read as UTC (Spark's own rule for
    unix_seconds/unix_timestamp of a timestamp_ntz), anything else as a TIMESTAMP."""
    if zones.is_ntz(value.type):
        return typed(call("timezone", exp.Literal.string("UTC"), value), TIMESTAMP)
    return timestamp_of(value, context, what)


def epoch_seconds(instant: exp.Expr) -> exp.Expr:
    """Whole seconds since the epoch, rounded down (Spark's floorDiv)."""
    return typed(
        cast(call("spark_cast_floor_div", call("epoch_us", instant), exp.Literal.number(1000000)), BIGINT), BIGINT
    )


@rule("unix_timestamp", "to_unix_timestamp", nodes=(exp.StrToUnix,), returns=_returns(BIGINT))
def _unix_timestamp(node: exp.StrToUnix, context: Context) -> exp.Expr:
    """`unix_timestamp([x[, pattern]])`: seconds since the epoch of a timestamp or date (in the session zone), or
    of text read with the pattern (default yyyy-MM-dd HH:mm:ss)."""
    value = node.this
    if isinstance(value, exp.CurrentTimestamp) or value is None:
        return epoch_seconds(typed(exp.CurrentTimestamp(), TIMESTAMP))
    fmt = node.args.get("format")
    if types.is_string(value.type):
        pattern = pattern_of(fmt, "unix_timestamp") if fmt is not None else "yyyy-MM-dd HH:mm:ss"
        instant = parse_with(
            value,
            pattern,
            "timestamp",
            context,
            quiet=not context.ansi,
            what="unix_timestamp",
            safe_name="try_to_timestamp",
        )
        return epoch_seconds(instant)
    return epoch_seconds(_epoch_instant(value, context, "unix_timestamp"))


@rule("unix_seconds", nodes=(exp.UnixSeconds,), returns=_returns(BIGINT))
def _unix_seconds(node: exp.Expr, context: Context) -> exp.Expr:
    return epoch_seconds(_epoch_instant(node.this, context, "unix_seconds"))


@rule("unix_millis", nodes=(exp.UnixMillis,), returns=_returns(BIGINT))
def _unix_millis(node: exp.Expr, context: Context) -> exp.Expr:
    micros = call("epoch_us", _epoch_instant(node.this, context, "unix_millis"))
    return typed(cast(call("spark_cast_floor_div", micros, exp.Literal.number(1000)), BIGINT), BIGINT)


@rule("unix_micros", nodes=(exp.UnixMicros,), returns=_returns(BIGINT))
def _unix_micros(node: exp.Expr, context: Context) -> exp.Expr:
    return typed(cast(call("epoch_us", _epoch_instant(node.this, context, "unix_micros")), BIGINT), BIGINT)


@rule("unix_date", nodes=(exp.UnixDate,), returns=_returns(INT))
def _unix_date(node: exp.Expr, context: Context) -> exp.Expr:
    day = date_of(node.this, context, "unix_date")
    return typed(
        _int(call("date_diff", exp.Literal.string("day"), cast(exp.Literal.string("1970-01-01"), DATE), day)), INT
    )


@rule("date_from_unix_date", nodes=(exp.DateFromUnixDate,), returns=_returns(DATE))
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
        raise spark_error(f"function {what}: expects a count (a number), got {_shown(value)}")

    return rewrite


rule("timestamp_seconds", returns=_returns(TIMESTAMP))(_from_epoch(1000000, "timestamp_seconds"))
rule("timestamp_millis", returns=_returns(TIMESTAMP))(_from_epoch(1000, "timestamp_millis"))
rule("timestamp_micros", returns=_returns(TIMESTAMP))(_from_epoch(1, "timestamp_micros"))


# -- time zones --------------------------------------------------------------------------------------------------
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
    by_offset = exp.Add(
        this=call("timezone", exp.Literal.string("UTC"), instant), expression=call("to_seconds", offset)
    )
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


@rule("from_utc_timestamp", nodes=(exp.AtTimeZone,), returns=_returns(TIMESTAMP))
def _from_utc_timestamp(node: exp.AtTimeZone, context: Context) -> exp.Expr:
    """`from_utc_timestamp(ts, zone)`: the wall-clock time `ts` shows in `zone`, read as a UTC time."""
    zone = zone_literal(node.args["zone"], "from_utc_timestamp")
    instant = timestamp_of(_inner(node.this), context, "from_utc_timestamp")
    return typed(call("timezone", exp.Literal.string("UTC"), _wall_in(instant, zone)), TIMESTAMP)


@rule("to_utc_timestamp", nodes=(exp.FromTimeZone,), returns=_returns(TIMESTAMP))
def _to_utc_timestamp(node: exp.FromTimeZone, context: Context) -> exp.Expr:
    """`to_utc_timestamp(ts, zone)`: the UTC wall-clock time of `ts`, read as a time in `zone`."""
    zone = zone_literal(node.args["zone"], "to_utc_timestamp")
    instant = timestamp_of(_inner(node.this), context, "to_utc_timestamp")
    return _in_zone(call("timezone", exp.Literal.string("UTC"), instant), zone, context)


def _inner(node: exp.Expr) -> exp.Expr:
    """The argument inside the cast to TIMESTAMP the parser wrapped it in (already rewritten: a Spark TIMESTAMP)."""
    return node


@rule("convert_timezone", nodes=(exp.ConvertTimezone,), returns=_returns(NTZ))
def _convert_timezone(node: exp.ConvertTimezone, context: Context) -> exp.Expr:
    """`convert_timezone([source, ]target, ntz)`: the wall-clock time in `source` (default: the session zone)
    shown in `target`."""
    source = node.args.get("source_tz")
    target = zone_literal(node.args["target_tz"], "convert_timezone")
    value = node.args["timestamp"]
    local = zones.as_ntz(value, context)
    if local is None:
        raise spark_error(f"function convert_timezone: expects a timestamp_ntz, got {_shown(value)}")
    source_zone = zone_literal(source, "convert_timezone") if source is not None else context.zone
    instant = _in_zone(local, source_zone, context)
    return _wall_in(instant, target)


@rule("current_timezone", nodes=(exp.CurrentTimezone,), returns=_returns(STRING))
def _current_timezone(node: exp.Expr, context: Context) -> exp.Expr:
    return typed(exp.Literal.string(zone_name(context)), STRING)


@rule("current_date", "curdate", nodes=(exp.CurrentDate,), returns=_returns(DATE))
def _current_date(node: exp.Expr, context: Context) -> exp.Expr:
    """Today in the session zone (at the query's start)."""
    return typed(
        exp.Cast(this=zones.wall(typed(exp.CurrentTimestamp(), TIMESTAMP), context), to=exp.DataType.build("DATE")),
        DATE,
    )


@rule("current_timestamp", "now", nodes=(exp.CurrentTimestamp,), returns=_returns(TIMESTAMP))
def _current_timestamp(node: exp.Expr, context: Context) -> exp.Expr:
    return typed(exp.CurrentTimestamp(), TIMESTAMP) if node.args.get("this") is None else _refuse_precision(node)


def _refuse_precision(node: exp.Expr) -> exp.Expr:
    raise spark_error("function current_timestamp: takes no argument")


@rule("localtimestamp", nodes=(exp.Localtimestamp,), returns=_returns(NTZ))
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


@rule("make_date", returns=_returns(DATE))
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


rule("make_timestamp", nodes=(exp.TimestampFromParts,), returns=_returns(TIMESTAMP))(
    _make_timestamp("make_timestamp", safe=False, ntz=False)
)
rule("make_timestamp_ltz", returns=_returns(TIMESTAMP))(_make_timestamp("make_timestamp_ltz", safe=False, ntz=False))
rule("make_timestamp_ntz", returns=_returns(NTZ))(_make_timestamp("make_timestamp_ntz", safe=False, ntz=True))
rule("try_make_timestamp", returns=_returns(TIMESTAMP))(_make_timestamp("try_make_timestamp", safe=True, ntz=False))
rule("try_make_timestamp_ltz", returns=_returns(TIMESTAMP))(
    _make_timestamp("try_make_timestamp_ltz", safe=True, ntz=False)
)
rule("try_make_timestamp_ntz", returns=_returns(NTZ))(_make_timestamp("try_make_timestamp_ntz", safe=True, ntz=True))


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
    "window",
    "session_window",
    "window_time",
    why="not supported: time windows are a streaming construct "
    "here; group by date_trunc('HOUR', ts) (or floor of unix_seconds for other sizes) instead",
)
refuse(
    "time_bucket",
    why="not supported yet: group by date_trunc(unit, ts), or by timestamp_seconds(floor("
    "unix_seconds(ts) / n) * n) for n-second buckets",
)
