"""Dates and timestamps as text, as Spark writes and reads it: date_format and from_unixtime write the
wall-clock time in the session zone with Spark's patterns (`datetime_patterns`); to_date, to_timestamp and
unix_timestamp read text with them (text that does not match is CANNOT_PARSE_TIMESTAMP in ANSI mode, NULL
without it and for the try_ functions). Without a pattern, text is cast as Spark casts it.
"""

from __future__ import annotations

from collections.abc import Callable

from sqlglot import exp

from lakeloader.sql import types
from lakeloader.sql.context import Context, call, cast, typed, when
from lakeloader.sql.functions import datetime_patterns as patterns
from lakeloader.sql.functions import datetime_zones as zones
from lakeloader.sql.functions.casts import spark_cast
from lakeloader.sql.functions.datetime import (
    BIGINT,
    DATE,
    NTZ,
    STRING,
    TIMESTAMP,
    args_of,
    epoch_instant,
    epoch_seconds,
    fixed,
    shown,
    spark_error,
    timestamp_of,
    zone_name,
)
from lakeloader.sql.registry import rule


# -- formatting -------------------------------------------------------------------------------------------------
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


@rule("date_format", nodes=(exp.TimeToStr,), returns=fixed(STRING))
def _date_format(node: exp.TimeToStr, context: Context) -> exp.Expr:
    """`date_format(ts, pattern)`: the value's wall-clock time in the session zone, written with Spark's pattern
    (quoted text, every letter Spark takes; names in English)."""
    pattern = pattern_of(node.args.get("format"), "date_format")
    instant = timestamp_of(node.this, context, "date_format")
    return format_local(zones.wall(instant, context), instant.copy(), pattern, context, "date_format")


@rule("timestamp", nodes=(exp.TimeStrToTime,), returns=fixed(TIMESTAMP))
def _as_timestamp(node: exp.TimeStrToTime, context: Context) -> exp.Expr:
    """The parser's own conversion around date_format's argument: Spark's implicit cast to TIMESTAMP."""
    return timestamp_of(node.this, context, "date_format")


@rule("from_unixtime", nodes=(exp.UnixToStr,), returns=fixed(STRING))
def _from_unixtime(node: exp.UnixToStr, context: Context) -> exp.Expr:
    """`from_unixtime(seconds[, pattern])`: whole seconds since the epoch, written in the session zone."""
    pattern = pattern_of(node.args.get("format"), "from_unixtime")
    seconds = node.this
    if not (types.is_integral(seconds.type) or types.is_string(seconds.type) or types.is_numeric(seconds.type)):
        raise spark_error(f"function from_unixtime: expects seconds (a number), got {shown(seconds)}")
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
        raise spark_error(f"function {what}: a pattern reads strings, got {shown(text)}")
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
        raise spark_error(f"function {what}: expects a string, date or timestamp, got {shown(value)}")
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


@rule("to_date", nodes=(exp.TsOrDsToDate,), returns=fixed(DATE))
def _to_date(node: exp.TsOrDsToDate, context: Context) -> exp.Expr:
    """`to_date(x[, pattern])`: a cast without a pattern; with one, Spark's parser (invalid text is
    CANNOT_PARSE_TIMESTAMP in ANSI mode, NULL without it)."""
    return _to("date", safe=False, what="to_date", safe_name="try_to_date")(node.this, node.args.get("format"), context)


@rule("try_to_date", returns=fixed(DATE))
def _try_to_date(node: exp.Anonymous, context: Context) -> exp.Expr:
    found = args_of(node)
    convert = _to("date", safe=True, what="try_to_date", safe_name="try_to_date")
    return convert(found[0], found[1] if len(found) > 1 else None, context, converted=False)  # type: ignore[call-arg]


@rule("to_timestamp", nodes=(exp.StrToTime,), returns=fixed(TIMESTAMP))
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


rule("try_to_timestamp", returns=fixed(TIMESTAMP))(
    _anonymous_to("timestamp", True, "try_to_timestamp", "try_to_timestamp")
)
rule("to_timestamp_ltz", returns=fixed(TIMESTAMP))(
    _anonymous_to("timestamp", False, "to_timestamp_ltz", "try_to_timestamp")
)
rule("to_timestamp_ntz", returns=fixed(NTZ))(
    _anonymous_to("timestamp_ntz", False, "to_timestamp_ntz", "try_to_timestamp")
)


# -- unix_timestamp ---------------------------------------------------------------------------------------------
@rule("unix_timestamp", "to_unix_timestamp", nodes=(exp.StrToUnix,), returns=fixed(BIGINT))
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
    return epoch_seconds(epoch_instant(value, context, "unix_timestamp"))
