"""CAST and TRY_CAST as Spark does them, for every pair of types Spark casts between.

Fractions are truncated into integers; text is read with Spark's syntax (whitespace and control bytes trimmed,
'NaN'/'Infinity', a `d`/`f` suffix, dates and timestamps in Spark's forms with a zone suffix) before DuckDB sees
it; numbers become text as Java prints them (`1.0E10`, `1.0E-4`, `4.9E-324`; decimals with ANSI off as
BigDecimal.toString, `0E-18`); timestamps are read and shown in the session zone. With ANSI on, malformed text
is CAST_INVALID_INPUT and a value out of range CAST_OVERFLOW (or NUMERIC_VALUE_OUT_OF_RANGE for decimals); with
ANSI off and with TRY_CAST, NULL (ANSI off narrows integers as Java does: wrapping around, doubles saturating).
Pairs Spark refuses, or that lakeloader cannot compute, are refused with the pair named.
"""

from __future__ import annotations

from collections.abc import Callable

from sqlglot import exp

from lakeloader.sql import types
from lakeloader.sql.context import Context, call, cast, typed, when
from lakeloader.sql.functions import datetime_zones as zones
from lakeloader.sql.functions.operators import hugeint, wrapped
from lakeloader.sql.registry import rule
from lakeloader.sql.runtime import macro

T = exp.DType
_WS = r"[\x00-\x20]"
_PATTERNS = {
    "INT": rf"^{_WS}*([+-]?[0-9]+){_WS}*$",
    "LENIENT_INT": rf"^{_WS}*([+-]?)([0-9]*)(?:\.([0-9]*))?{_WS}*$",  # ANSI off: '3.9' is 3, '.5' is 0
    "DECIMAL": rf"^{_WS}*([+-]?(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?){_WS}*$",
    "JAVA_DOUBLE": r"^[+-]?(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?[fFdD]?$",
    "TRIM": rf"^{_WS}+|{_WS}+$",
}


def _macro(name: str, definition: str) -> str:
    """A macro whose text names the patterns above as $INT, $DECIMAL, ... (as SQL string literals)."""
    for key, pattern in sorted(_PATTERNS.items(), key=lambda kv: -len(kv[0])):
        definition = definition.replace(f"${key}", "'" + pattern.replace("'", "''") + "'")
    return macro(name, definition)


_macro("spark_cast_int_text", "(s) AS CASE WHEN regexp_matches(s, $INT) THEN regexp_extract(s, $INT, 1) END")
_macro(
    "spark_cast_lenient_int_text",
    """(s) AS CASE WHEN regexp_matches(s, $LENIENT_INT) AND regexp_matches(s, '[0-9]')
    THEN regexp_extract(s, $LENIENT_INT, 1) || coalesce(nullif(regexp_extract(s, $LENIENT_INT, 2), ''), '0') END""",
)
_macro(
    "spark_cast_decimal_text",
    "(s) AS CASE WHEN regexp_matches(s, $DECIMAL) THEN regexp_extract(s, $DECIMAL, 1) END",
)
# Java's Double.parseDouble, after Spark's own words for the special values (case-insensitive).
_macro(
    "spark_cast_double_of",
    """(t) AS CASE WHEN lower(t) IN ('inf', '+inf', 'infinity', '+infinity') THEN 'inf'
    WHEN lower(t) IN ('-inf', '-infinity') THEN '-inf'
    WHEN lower(t) = 'nan' OR t IN ('+NaN', '-NaN') THEN 'nan'
    WHEN regexp_matches(t, $JAVA_DOUBLE) THEN regexp_replace(t, '[fFdD]$', '') END""",
)
_macro("spark_cast_double_text", "(s) AS spark_cast_double_of(regexp_replace(s, $TRIM, '', 'g'))")
_macro(
    "spark_cast_boolean_of",
    """(t) AS CASE WHEN t IN ('t', 'true', 'y', 'yes', '1') THEN true
    WHEN t IN ('f', 'false', 'n', 'no', '0') THEN false END""",
)
_macro("spark_cast_boolean_text", "(s) AS spark_cast_boolean_of(lower(regexp_replace(s, $TRIM, '', 'g')))")
# A double (or float) as Java's Double.toString (Float.toString) writes it, from DuckDB's shortest text `s` of
# the same value: json.py's spark_json_java (one implementation, shared with to_json).
_macro("spark_cast_java_text", "(s) AS spark_json_java(s, TRY_CAST(s AS DOUBLE), false)")
_macro("spark_cast_java_float_text", "(s) AS spark_json_java(s, CAST(TRY_CAST(s AS FLOAT) AS DOUBLE), true)")
# A decimal as Java's BigDecimal.toString writes it (Spark's text with ANSI off): plain unless the exponent of
# its first digit is below -6 (`0E-18`, `-1.51026E-13`, `1.00000000000E-7`). `t`: DuckDB's (plain) text.
_macro(
    "spark_cast_decimal_java_of",
    """(t, d, scale) AS CASE WHEN t IS NULL OR greatest(length(d), 1) - 1 - scale >= -6 THEN t
    ELSE CASE WHEN t[1] = '-' THEN '-' ELSE '' END || coalesce(nullif(d, ''), '0')[1]
        || CASE WHEN length(d) > 1 THEN '.' || d[2:] ELSE '' END || 'E' || (greatest(length(d), 1) - 1 - scale) END""",
)
_macro(
    "spark_cast_decimal_java",
    "(t, scale) AS spark_cast_decimal_java_of(t, ltrim(replace(replace(t, '-', ''), '.', ''), '0'), scale)",
)
# Seconds (times 1e6) as a TIMESTAMP the way Spark's ANSI-off cast makes it, saturating at the long's limits:
# the lowest limit DuckDB holds, the highest is its 'infinity', so that one is refused.
_macro(
    "spark_cast_saturated_timestamp",
    """(micros, x) AS CASE WHEN micros <= -9223372036854775808.0 THEN make_timestamptz(-9223372036854775808)
    WHEN micros >= 9223372036854775807.0
    THEN error('[UNSUPPORTED_FEATURE] CAST of ' || spark_cast_java_text(CAST(x AS VARCHAR))
        || ' AS TIMESTAMP: Spark saturates it to 9223372036854775807 microseconds since the epoch, an instant '
        || 'DuckDB cannot hold; rewrite that part of the query')
    ELSE make_timestamptz(CAST(trunc(micros) AS BIGINT)) END""",
)
_macro("spark_cast_floor_div", "(a, b) AS (a // b) - CASE WHEN a % b <> 0 AND (a < 0) <> (b < 0) THEN 1 ELSE 0 END")

_NAMES = {
    T.TINYINT: "TINYINT",
    T.SMALLINT: "SMALLINT",
    T.INT: "INT",
    T.BIGINT: "BIGINT",
    T.FLOAT: "FLOAT",
    T.DOUBLE: "DOUBLE",
    T.BOOLEAN: "BOOLEAN",
    T.DATE: "DATE",
}
_INT_RANGE = {T.TINYINT: 2**7, T.SMALLINT: 2**15, T.INT: 2**31, T.BIGINT: 2**63}


class _Refused(Exception):
    """A pair of types this module does not cast."""


def _target(node: exp.Cast) -> exp.DataType:
    to = node.args["to"]
    assert isinstance(to, exp.DataType)
    return to


def _kind(t: exp.DataType | None) -> T:
    k = types.kind(t)
    aliases = {
        T.TEXT: T.VARCHAR,
        T.CHAR: T.VARCHAR,
        T.TIMESTAMP: T.TIMESTAMPTZ,  # the parser's own TIMESTAMP (to_timestamp's cast) is Spark's: an instant
        T.TIMESTAMPLTZ: T.TIMESTAMPTZ,
        T.DATETIME: T.TIMESTAMPNTZ,
        T.VARBINARY: T.BINARY,
        T.BLOB: T.BINARY,
    }
    return aliases.get(k, k)


def _spark_name(t: exp.DataType) -> str:
    return t.sql(dialect="spark").upper()


def _enclosed(left: str, inner: exp.Expr, right: str) -> exp.Expr:
    return exp.DPipe(
        this=exp.DPipe(this=exp.Literal.string(left), expression=inner), expression=exp.Literal.string(right)
    )


def _value_text(value: exp.Expr) -> exp.Expr:
    return call("coalesce", exp.Cast(this=value.copy(), to=exp.DataType.build("VARCHAR")), exp.Literal.string("NULL"))


def _raise(error_class: str, value: exp.Expr, source: str, to: exp.DataType, quote: bool = True) -> exp.Expr:
    """DuckDB's error() with Spark's words for a cast that fails on `value`."""
    shown: exp.Expr = _value_text(value)
    if quote:
        shown = _enclosed("'", shown, "'")
    if error_class == "CAST_INVALID_INPUT":
        tail = f' of the type "{source}" cannot be cast to "{_spark_name(to)}" because it is malformed.'
    elif error_class == "CAST_OVERFLOW":
        tail = f' of the type "{source}" cannot be cast to "{_spark_name(to)}" due to an overflow.'
    else:
        tail = f" cannot be represented as {_spark_name(to)}."
    head = f"[{error_class}] " + ("" if error_class == "NUMERIC_VALUE_OUT_OF_RANGE" else "The value ")
    message = _enclosed(head, shown, tail)
    return call("error", message)


def _checked(
    value: exp.Expr, result: exp.Expr, to: exp.DataType, quiet: bool, failure: Callable[[], exp.Expr]
) -> exp.Expr:
    """`result`, where a NULL from a non-NULL `value` is the cast's failure: NULL when `quiet`, else `failure()`."""
    if quiet:
        return typed(result, to)
    failed = when(exp.Is(this=value.copy(), expression=exp.Null()), exp.Null(), failure())
    return typed(exp.Coalesce(this=result, expressions=[failed]), to)


def _spark_cast(node: exp.Cast, context: Context) -> exp.Expr:
    safe = isinstance(node, exp.TryCast)
    to = _target(node)
    try:
        return spark_cast(node.this, to, context, safe=safe)
    except _Refused as refused:
        from lakeloader.sql.translate import TranslateError

        source = node.this.type
        shown_from = source.sql(dialect="spark") if types.is_known(source) else "an expression of unknown type"
        why = f": {refused}" if str(refused) else " is not supported"
        raise TranslateError(
            f"{'try_cast' if safe else 'cast'} from {shown_from} to {to.sql(dialect='spark')}{why}; "
            "rewrite that part of the query"
        ) from None


def spark_cast(value: exp.Expr, to: exp.DataType, context: Context, *, safe: bool = False) -> exp.Expr:
    """`value` cast to Spark's type `to` as Spark casts it (`safe`: as TRY_CAST does)."""
    if to.this == T.TIMESTAMP:  # the parser's own TIMESTAMP (to_timestamp's) is Spark's TIMESTAMP
        to = types.of("timestamp")
    source = value.type
    src, dst = _kind(source), _kind(to)
    quiet = safe or not context.ansi
    if isinstance(value, exp.Null) or src == T.NULL:
        return cast(exp.Null(), to)
    if src == dst and src not in (T.DECIMAL, T.UNKNOWN, T.ARRAY, T.MAP, T.STRUCT):
        return typed(value, to)
    if src == T.UNKNOWN:
        raise _Refused("")
    if dst == T.VARCHAR:
        return typed(_to_string(value, context, safe=safe), to)
    if dst == T.BOOLEAN:
        return _to_boolean(value, to, context, quiet)
    if dst in _INT_RANGE:
        return _to_integral(value, to, context, safe=safe)
    if dst in (T.DOUBLE, T.FLOAT):
        return _to_fractional(value, to, context, quiet)
    if dst == T.DECIMAL:
        return _to_decimal(value, to, context, quiet)
    if dst in (T.DATE, T.TIMESTAMPTZ, T.TIMESTAMPNTZ):
        return _to_datetime(value, to, context, safe=safe)
    if dst == T.BINARY and src == T.VARCHAR:
        return typed(call("encode", value), to)
    if dst in (T.ARRAY, T.MAP, T.STRUCT) and src == dst:
        return _nested(value, to, context, safe=safe)
    raise _Refused("")


# -- to text ---------------------------------------------------------------------------------------------------
def _to_string(value: exp.Expr, context: Context, *, safe: bool = False) -> exp.Expr:
    src = _kind(value.type)
    if src in (T.DOUBLE, T.FLOAT):
        java = "spark_cast_java_text" if src == T.DOUBLE else "spark_cast_java_float_text"
        return call(java, exp.Cast(this=value, to=exp.DataType.build("VARCHAR")))
    if src == T.DECIMAL and not (context.ansi or safe) and value.type is not None:  # toString, not toPlainString
        _, scale = types.precision_scale(value.type)
        plain = exp.Cast(this=value, to=exp.DataType.build("VARCHAR"))
        return call("spark_cast_decimal_java", plain, exp.Literal.number(scale))
    if src in _INT_RANGE or src in (T.DECIMAL, T.DATE, T.BOOLEAN):
        return exp.Cast(this=value, to=exp.DataType.build("VARCHAR"))
    if src == T.TIMESTAMPTZ:
        return timestamp_text(zones.wall(value, context))
    if src == T.TIMESTAMPNTZ:
        return timestamp_text(value)
    if src == T.BINARY:
        return call("decode", value)
    if src in (T.ARRAY, T.MAP, T.STRUCT):
        return _nested_text(value, context, safe)
    raise _Refused("")


def timestamp_text(local: exp.Expr) -> exp.Expr:
    """A wall-clock TIMESTAMP as Spark shows it: `yyyy-MM-dd HH:mm:ss[.fraction]`, trailing zeros of the fraction
    dropped."""
    whole = call("strftime", local, exp.Literal.string("%Y-%m-%d %H:%M:%S"))
    micros = exp.Mod(this=call("microsecond", local.copy()), expression=exp.Literal.number(1000000))
    fraction = call(
        "rtrim",
        call("lpad", cast(exp.Paren(this=micros), "string"), exp.Literal.number(6), exp.Literal.string("0")),
        exp.Literal.string("0"),
    )
    dot = when(
        exp.EQ(this=exp.Paren(this=micros.copy()), expression=exp.Literal.number(0)),
        exp.Literal.string(""),
        exp.DPipe(this=exp.Literal.string("."), expression=fraction),
    )
    return exp.DPipe(this=whole, expression=dot)


def _lambda(body: Callable[[exp.Expr], exp.Expr], element: exp.DataType, name: str = "x") -> exp.Expr:
    var = typed(exp.column(name), element)
    return exp.Lambda(this=body(var), expressions=[exp.to_identifier(name)])


def _element_text(value: exp.Expr, context: Context, safe: bool) -> exp.Expr:
    text = spark_cast(value, types.of("string"), context, safe=safe)
    return call("coalesce", text, exp.Literal.string("null"))


def _nested_text(value: exp.Expr, context: Context, safe: bool) -> exp.Expr:
    """An array `[1, null]`, a map `{a -> 1}` or a struct `{1, x}` as Spark writes it."""
    t = value.type
    assert t is not None
    if t.this == T.ARRAY:
        element = t.expressions[0]
        parts = call("list_transform", value, _lambda(lambda x: _element_text(x, context, safe), element))
        inner = call("array_to_string", parts, exp.Literal.string(", "))
        return _enclosed("[", inner, "]")
    if t.this == T.MAP:
        key_type, value_type = t.expressions
        entry = exp.DataType.build("STRUCT<key INT, value INT>")

        def pair(e: exp.Expr) -> exp.Expr:
            key = typed(call("struct_extract", e, exp.Literal.string("key")), key_type)
            item = typed(call("struct_extract", e.copy(), exp.Literal.string("value")), value_type)
            return exp.DPipe(
                this=exp.DPipe(this=_element_text(key, context, safe), expression=exp.Literal.string(" -> ")),
                expression=_element_text(item, context, safe),
            )

        parts = call("list_transform", call("map_entries", value), _lambda(pair, entry, "e"))
        inner = call("array_to_string", parts, exp.Literal.string(", "))
        return _enclosed("{", inner, "}")
    fields = [(f.name, f.args.get("kind")) for f in t.expressions if isinstance(f, exp.ColumnDef)]
    if not fields:
        raise _Refused("")
    pieces: list[exp.Expr] = []
    for name, kind in fields:
        field = typed(call("struct_extract", value.copy(), exp.Literal.string(name)), kind)
        pieces.append(_element_text(field, context, safe))
    joined = call("concat_ws", exp.Literal.string(", "), *pieces)
    text = _enclosed("{", joined, "}")
    return when(exp.Is(this=value.copy(), expression=exp.Null()), exp.Null(), text)


# -- to boolean and numbers -------------------------------------------------------------------------------------
def _to_boolean(value: exp.Expr, to: exp.DataType, context: Context, quiet: bool) -> exp.Expr:
    src = _kind(value.type)
    if types.is_numeric(value.type):
        return typed(exp.NEQ(this=value, expression=exp.Literal.number(0)), to)
    if src == T.VARCHAR:
        result = call("spark_cast_boolean_text", value)
        return _checked(value, result, to, quiet, lambda: _raise("CAST_INVALID_INPUT", value, "STRING", to))
    raise _Refused("")


def _overflowing(value: exp.Expr, narrowed: exp.Expr, to: exp.DataType, safe: bool) -> exp.Expr:
    """`narrowed` (a TRY_CAST of `value`), where NULL from a value is CAST_OVERFLOW (TRY_CAST: NULL)."""
    if safe:
        return typed(narrowed, to)
    source = value.type.sql(dialect="spark").upper() if value.type is not None else "the value"
    return _checked(value, narrowed, to, False, lambda: _raise("CAST_OVERFLOW", value, source, to, quote=False))


def _to_integral(value: exp.Expr, to: exp.DataType, context: Context, *, safe: bool) -> exp.Expr:
    src = _kind(value.type)
    quiet = safe or not context.ansi
    if src == T.BOOLEAN:
        return cast(value, to)
    if src in _INT_RANGE:
        if _INT_RANGE[src] <= _INT_RANGE[_kind(to)]:
            return cast(value, to)
        if not context.ansi and not safe:  # Java's narrowing: the low bits
            return wrapped(value, to)
        return _overflowing(value, cast(value, to, safe=True), to, safe)
    if src in (T.FLOAT, T.DOUBLE):
        if safe or context.ansi:  # NaN, ±Infinity and out of range: CAST_OVERFLOW
            return _overflowing(value, cast(call("trunc", value), to, safe=True), to, safe)
        return _saturated(value, to)
    if src == T.DECIMAL:
        truncated = call("trunc", value)
        if not context.ansi and not safe:
            return wrapped(truncated, to)
        return _overflowing(value, cast(truncated, to, safe=True), to, safe)
    if src == T.VARCHAR:
        if context.ansi or safe:
            result = cast(call("spark_cast_int_text", value), to, safe=True)
            return _checked(value, result, to, quiet, lambda: _raise("CAST_INVALID_INPUT", value, "STRING", to))
        return cast(call("spark_cast_lenient_int_text", value), to, safe=True)  # out of range: NULL, not wrapped
    if src == T.TIMESTAMPTZ:
        seconds = call("spark_cast_floor_div", call("epoch_us", value), exp.Literal.number(1000000))
        if quiet:
            return cast(seconds, to, safe=True)
        return _overflowing(value, cast(seconds, to, safe=True), to, safe)
    raise _Refused("Spark casts no " + ("date" if src == T.DATE else "such value") + " to a number")


def _saturated(value: exp.Expr, to: exp.DataType) -> exp.Expr:
    """A double as Java's (long)/(int) cast makes it: NaN is 0, out of range the nearest limit; narrower types
    wrap that int around."""
    dst = _kind(to)
    wide = T.BIGINT if dst == T.BIGINT else T.INT
    limit = _INT_RANGE[wide]
    low, high = hugeint(-limit), hugeint(limit - 1)
    clamped = exp.Case(
        ifs=[
            exp.If(this=call("isnan", value), true=hugeint(0)),
            exp.If(this=exp.GTE(this=value.copy(), expression=exp.Literal.number(float(limit))), true=high),
            exp.If(this=exp.LTE(this=value.copy(), expression=exp.Literal.number(-float(limit))), true=low),
        ],
        default=exp.Cast(this=call("trunc", value.copy()), to=exp.DataType.build("HUGEINT")),
    )
    narrowed = types.of("bigint" if wide == T.BIGINT else "int")
    result = cast(clamped, narrowed)
    return result if dst == wide else wrapped(result, to)


def _to_fractional(value: exp.Expr, to: exp.DataType, context: Context, quiet: bool) -> exp.Expr:
    src = _kind(value.type)
    if types.is_numeric(value.type) or src == T.BOOLEAN:
        return cast(value, to)
    if src == T.VARCHAR:
        result = cast(call("spark_cast_double_text", value), to, safe=True)
        return _checked(value, result, to, quiet, lambda: _raise("CAST_INVALID_INPUT", value, "STRING", to))
    if src == T.TIMESTAMPTZ:
        seconds = exp.Div(this=call("epoch_us", value), expression=exp.Literal.number("1000000.0"))
        return cast(cast(seconds, "double"), to)
    raise _Refused("Spark casts no " + ("date" if src == T.DATE else "such value") + " to a number")


def _to_decimal(value: exp.Expr, to: exp.DataType, context: Context, quiet: bool) -> exp.Expr:
    src = _kind(value.type)

    def out_of_range() -> exp.Expr:
        return _raise("NUMERIC_VALUE_OUT_OF_RANGE", value, "", to, quote=False)

    if src in _INT_RANGE or src == T.DECIMAL or src == T.BOOLEAN:
        source = cast(value, "int") if src == T.BOOLEAN else value
        return _checked(value, cast(source, to, safe=True), to, quiet, out_of_range)
    if src in (T.FLOAT, T.DOUBLE, T.TIMESTAMPTZ):  # through Java's text of the double, as Scala's BigDecimal
        number = value if src != T.TIMESTAMPTZ else _to_fractional(value, types.of("double"), context, quiet)
        text = call("spark_cast_java_text", exp.Cast(this=cast(number, "double"), to=exp.DataType.build("VARCHAR")))
        result = cast(text, to, safe=True)
        special = exp.Or(this=call("isnan", number.copy()), expression=call("isinf", number.copy()))
        if quiet:
            return typed(result, to)
        return typed(when(special, cast(exp.Null(), to), _checked(number, result, to, quiet, out_of_range)), to)
    if src == T.VARCHAR:
        text = call("spark_cast_decimal_text", value)
        result = cast(text, to, safe=True)
        if quiet:
            return typed(result, to)
        invalid = _raise("CAST_INVALID_INPUT", value, "STRING", to)
        failure = when(exp.Is(this=text.copy(), expression=exp.Null()), invalid, out_of_range())
        return _checked(value, result, to, quiet, lambda: failure)
    raise _Refused("Spark casts no " + ("date" if src == T.DATE else "such value") + " to a number")


# -- to dates and timestamps ------------------------------------------------------------------------------------
def _to_datetime(value: exp.Expr, to: exp.DataType, context: Context, *, safe: bool) -> exp.Expr:
    src, dst = _kind(value.type), _kind(to)
    converted: exp.Expr | None = None
    if src in (T.VARCHAR, T.DATE, T.TIMESTAMPTZ, T.TIMESTAMPNTZ):
        if dst == T.DATE:
            converted = zones.as_date(value, context, safe=safe)
        elif dst == T.TIMESTAMPTZ:
            converted = zones.as_timestamp(value, context, safe=safe)
        else:
            converted = zones.as_ntz(value, context, safe=safe)
    elif dst == T.TIMESTAMPTZ and (src in _INT_RANGE or src in (T.DOUBLE, T.FLOAT, T.DECIMAL)):
        converted = _seconds_to_timestamp(value, to, context, safe=safe)
    if converted is None:
        raise _Refused("Spark casts no such value to a date or timestamp")
    return typed(converted, to)


def _seconds_to_timestamp(value: exp.Expr, to: exp.DataType, context: Context, *, safe: bool) -> exp.Expr:
    """Seconds since the epoch as a TIMESTAMP: whole seconds saturate at the long's limits as Spark's do (DuckDB
    then refuses what it cannot hold), fractions are truncated to the microsecond."""
    src = _kind(value.type)
    quiet = safe or not context.ansi
    if src in _INT_RANGE:
        micros: exp.Expr = exp.Mul(
            this=exp.Cast(this=value, to=exp.DataType.build("HUGEINT")), expression=hugeint(1000000)
        )
        low, high = hugeint(-(2**63)), hugeint(2**63 - 1)
        clamped = exp.Case(  # not least/greatest: they skip a NULL, and a NULL must stay NULL
            ifs=[
                exp.If(this=exp.LT(this=micros, expression=low), true=low.copy()),
                exp.If(this=exp.GT(this=micros.copy(), expression=high), true=high.copy()),
            ],
            default=micros.copy(),
        )
        return call("make_timestamptz", exp.Cast(this=clamped, to=exp.DataType.build("BIGINT")))
    scaled = exp.Mul(this=cast(value, "double") if src == T.FLOAT else value, expression=exp.Literal.number(1000000))
    whole = exp.Cast(this=call("trunc", scaled), to=exp.DataType.build("BIGINT"))
    if quiet:
        whole = exp.TryCast(this=call("trunc", scaled.copy()), to=exp.DataType.build("BIGINT"))
    made = call("make_timestamptz", whole)
    if src == T.DECIMAL:
        return made
    if not safe and not context.ansi:  # Scala's toLong saturates at the long's limits
        made = call("spark_cast_saturated_timestamp", scaled.copy(), value.copy())
    nan = _raise("CAST_INVALID_INPUT", value, _NAMES.get(src, "DOUBLE"), to, quote=False)
    special = exp.Or(this=call("isnan", value.copy()), expression=call("isinf", value.copy()))
    return when(special, exp.Null() if quiet else nan, made)


# -- arrays, maps and structs -------------------------------------------------------------------------------------
def _nested(value: exp.Expr, to: exp.DataType, context: Context, *, safe: bool) -> exp.Expr:
    """Element by element (key and value, field by field), each as Spark casts it."""
    t = value.type
    assert t is not None
    if t.this == T.ARRAY:
        element, target = t.expressions[0], to.expressions[0]
        body = _lambda(lambda x: spark_cast(x, target, context, safe=safe), element)
        return typed(call("list_transform", value, body), to)
    if t.this == T.MAP:
        (k1, v1), (k2, v2) = t.expressions, to.expressions
        entry = exp.DataType.build("STRUCT<key INT, value INT>")

        def pair(e: exp.Expr) -> exp.Expr:
            key = typed(call("struct_extract", e, exp.Literal.string("key")), k1)
            item = typed(call("struct_extract", e.copy(), exp.Literal.string("value")), v1)
            new_key = spark_cast(key, k2, context, safe=safe)
            new_value = spark_cast(item, v2, context, safe=safe)
            return call(
                "struct_pack",
                exp.PropertyEQ(this=exp.to_identifier("key"), expression=new_key),
                exp.PropertyEQ(this=exp.to_identifier("value"), expression=new_value),
            )

        entries = call("list_transform", call("map_entries", value), _lambda(pair, entry, "e"))
        return typed(call("map_from_entries", entries), to)
    raise _Refused("")


rule(
    "cast",
    "int",
    "double",
    "float",
    "string",
    "date",
    "timestamp",
    "boolean",
    "timestamp_ltz",
    "timestamp_ntz",
    nodes=(exp.Cast,),
)(_spark_cast)
rule("try_cast", nodes=(exp.TryCast,))(_spark_cast)

_NAMED = {
    "bigint": "bigint",
    "smallint": "smallint",
    "tinyint": "tinyint",
    "binary": "binary",
    "decimal": "decimal(10,0)",
}


@rule(*_NAMED, returns=lambda node: types.of(_NAMED[node.name.lower()]) if isinstance(node, exp.Anonymous) else None)
def _named_cast(node: exp.Anonymous, context: Context) -> exp.Expr:
    """`bigint(x)`, `decimal(x)`, ...: `cast(x AS type)` (decimal is decimal(10,0))."""
    name = node.name.lower()
    if len(node.expressions) != 1:
        from lakeloader.sql.translate import TranslateError

        raise TranslateError(f"function {name}: takes one argument; rewrite that part of the query")
    made = exp.Cast(this=node.expressions[0], to=types.of(_NAMED[name]))
    return _spark_cast(made, context)
