"""to_json as Spark's JacksonGenerator writes a struct, an array or a map.

A struct's NULL fields are left out (`ignoreNullFields`, true by default), a NULL array element or map value is
`null`; strings are escaped as Jackson escapes them (DuckDB's own JSON string writer escapes the same characters:
`"`, `\\`, the control characters, nothing else); doubles and floats are Java's text, NaN and the infinities
quoted; decimals are Java's BigDecimal.toString (`1.50`, `1E-10`); dates `yyyy-MM-dd`, timestamps
`yyyy-MM-dd'T'HH:mm:ss.SSSXXX` in the session zone, binary base64. A map key is written as Spark's `toString`
of the key (a date as its day number).
"""

from __future__ import annotations

import itertools
import json
import re

from sqlglot import exp

from lakeloader.sql import types
from lakeloader.sql.context import Context, call, typed, when
from lakeloader.sql.functions import datetime_zones as zones
from lakeloader.sql.functions.collections import lam, raise_spark, ref
from lakeloader.sql.functions.datetime_format import format_local
from lakeloader.sql.registry import rule
from lakeloader.sql.runtime import macro

T = exp.DType
_STRING = types.of("string")
_INTEGRAL = (T.TINYINT, T.SMALLINT, T.INT, T.BIGINT)
_OPTIONS = {  # to_json's options lakeloader writes with (case-insensitive, as Spark reads them)
    "ignorenullfields": "ignoreNullFields",
    "timestampformat": "timestampFormat",
    "timestampntzformat": "timestampNTZFormat",
    "dateformat": "dateFormat",
}
_DEFAULTS = {
    "timestampFormat": "yyyy-MM-dd'T'HH:mm:ss.SSSXXX",
    "timestampNTZFormat": "yyyy-MM-dd'T'HH:mm:ss.SSS",
    "dateFormat": "yyyy-MM-dd",
}
_BIND = itertools.count(1)
_INFINITY = exp.Cast(this=exp.Literal.string("Infinity"), to=exp.DataType.build("DOUBLE"))

# Java's BigDecimal.toString of a decimal of scale `s` (DuckDB's text is the plain one): scientific when the
# exponent of the first significant digit is below -6 (`0E-7`, `1.20E-8`), plain otherwise.
macro(
    "spark_json_decimal_",
    """(sign, u, s, plain) AS CASE WHEN length(u) - 1 - s >= -6 THEN plain
    ELSE sign || u[1] || CASE WHEN length(u) > 1 THEN '.' || u[2:] ELSE '' END || 'E' || (length(u) - 1 - s) END""",
)
DECIMAL = macro(
    "spark_json_decimal",
    r"""(t, s) AS spark_json_decimal_(regexp_extract(t, '^-', 0),
    coalesce(nullif(ltrim(replace(replace(t, '-', ''), '.', ''), '0'), ''), '0'), s, t)""",
)


def options_of(node: exp.Expr | None, what: str, known: dict[str, str]) -> dict[str, str]:
    """An options map of string literals (`map('k', 'v')`, as the map rule left it: its arrays of keys and of
    values) by Spark's option names; an option not in `known` is refused."""
    if node is None:
        return {}
    arrays = [a for a in node.find_all(exp.Array) if a.expressions and not isinstance(a.expressions[0], exp.Struct)]
    literal = [a for a in arrays if all(isinstance(e, exp.Literal) and e.is_string for e in a.expressions)]
    if (
        len(arrays) != len(literal)
        or len(literal) not in (0, 2)
        or (literal and len(literal[0].expressions) != len(literal[1].expressions))
    ):
        raise_spark(f"function {what}: its options must be a map of string literals")
    found: dict[str, str] = {}
    if literal:
        for key, value in zip(literal[0].expressions, literal[1].expressions, strict=True):
            name = known.get(key.name.lower())
            if name is None:
                raise_spark(f"function {what}: option '{key.name}' is not supported")
            found[name] = value.name
    return found


def _bind(spark_type: exp.DataType) -> tuple[str, exp.Expr]:
    """A fresh lambda variable (for `_bound`) and a reference to it, of `spark_type`."""
    name = f"spark_w{next(_BIND)}"
    return name, typed(ref(name), spark_type)


def _bound(value: exp.Expr, name: str, body: exp.Expr) -> exp.Expr:
    """`body` with the variable `name` bound to `value`, computed once per row."""
    listed = call("list_transform", exp.Array(expressions=[value]), lam([name], body))
    return call("list_extract", listed, exp.Literal.number(1))


def _java(value: exp.Expr, kind: exp.DType) -> exp.Expr:
    """Java's text of a double or a float (NaN, Infinity unquoted)."""
    as_text = exp.Cast(this=value.copy(), to=exp.DataType.build("VARCHAR"))
    as_double = exp.Cast(this=value.copy(), to=exp.DataType.build("DOUBLE"))
    return call("spark_json_java", as_text, as_double, exp.Boolean(this=kind == T.FLOAT))


def _quoted(text: str) -> str:
    """A JSON string as Jackson writes it (non-ASCII as it is, a control character's escape in upper case)."""
    return re.sub(
        r"\\u00[0-9a-f]{2}", lambda m: m.group().upper().replace("\\U", "\\u"), json.dumps(text, ensure_ascii=False)
    )


class Writer:
    """The JSON text of values of one query's session and to_json options."""

    def __init__(self, context: Context, options: dict[str, str]) -> None:
        self.context = context
        self.options = {**_DEFAULTS, **options}
        skip = options.get("ignoreNullFields", "true").lower()
        if skip not in ("true", "false"):
            raise_spark(f"function to_json: option ignoreNullFields is '{skip}', not 'true' or 'false'")
        self.ignore_nulls = skip == "true"

    def text(self, value: exp.Expr, t: exp.DataType) -> exp.Expr:
        """The JSON text of `value` (NULL for NULL)."""
        kind = types.kind(t)
        if kind == T.STRUCT:
            return self._struct(value, t)
        if kind == T.ARRAY:
            return self._array(value, t)
        if kind == T.MAP:
            return self._map(value, t)
        if kind == T.NULL:
            return exp.Cast(this=exp.Null(), to=exp.DataType.build("VARCHAR"))
        if types.is_string(t):
            return exp.Cast(this=call("to_json", value), to=exp.DataType.build("VARCHAR"))
        if kind == T.BINARY or kind in (T.VARBINARY, T.BLOB):
            return exp.DPipe(this=exp.DPipe(this=exp.Literal.string('"'), expression=call("base64", value)),
                             expression=exp.Literal.string('"'))  # fmt: skip
        if kind in (T.DATE, T.TIMESTAMPTZ, T.TIMESTAMPLTZ, T.TIMESTAMP, T.TIMESTAMPNTZ, T.DATETIME):
            return self._datetime(value, t)
        return self._scalar(value, t, "to_json")

    def _scalar(self, value: exp.Expr, t: exp.DataType, what: str) -> exp.Expr:
        """A number or a boolean as Jackson writes it (a map key: the same text)."""
        kind = types.kind(t)
        as_text = exp.Cast(this=value, to=exp.DataType.build("VARCHAR"))
        if kind in _INTEGRAL or kind == T.BOOLEAN:
            return as_text
        if kind in (T.DOUBLE, T.FLOAT):  # NaN and the infinities quoted (Jackson's QUOTE_NON_NUMERIC_NUMBERS)
            quoted = exp.Case(
                ifs=[exp.If(this=call("isnan", value.copy()), true=exp.Literal.string('"NaN"')),
                     exp.If(this=exp.EQ(this=value.copy(), expression=_INFINITY.copy()),
                            true=exp.Literal.string('"Infinity"')),
                     exp.If(this=exp.EQ(this=value.copy(), expression=exp.Neg(this=_INFINITY.copy())),
                            true=exp.Literal.string('"-Infinity"'))],
                default=_java(value, kind),
            )  # fmt: skip
            return quoted
        if kind == T.DECIMAL:
            _, scale = types.precision_scale(t)
            return call(DECIMAL, as_text, exp.Literal.number(scale)) if scale > 6 else as_text
        shown = t.sql(dialect="spark") if types.is_known(t) else "a value of unknown type"
        raise_spark(f"function {what}: {shown} is not supported")

    def _struct(self, value: exp.Expr, t: exp.DataType) -> exp.Expr:
        name, var = _bind(t)
        pieces: list[exp.Expr] = []
        for field in t.expressions:
            if not isinstance(field, exp.ColumnDef) or not isinstance(field.args.get("kind"), exp.DataType):
                raise_spark("function to_json: a struct of unknown fields is not supported")
            kind = field.args["kind"]
            item = typed(call("struct_extract", var.copy(), exp.Literal.string(field.name)), kind)
            head = exp.Literal.string(_quoted(field.name) + ":")
            written = self.text(item, kind)
            if not self.ignore_nulls:
                written = call("coalesce", written, exp.Literal.string("null"))
            pieces.append(exp.DPipe(this=head, expression=written))
        joined = call("concat_ws", exp.Literal.string(","), *pieces) if pieces else exp.Literal.string("")
        text = exp.DPipe(this=exp.DPipe(this=exp.Literal.string("{"), expression=joined),
                         expression=exp.Literal.string("}"))  # fmt: skip
        return _bound(value, name, when(exp.Is(this=var.copy(), expression=exp.Null()), exp.Null(), text))

    def _array(self, value: exp.Expr, t: exp.DataType) -> exp.Expr:
        element = t.expressions[0]
        name = f"spark_w{next(_BIND)}"
        item = self.text(typed(ref(name), element), element)
        parts = call("list_transform", value, lam([name], call("coalesce", item, exp.Literal.string("null"))))
        inner = call("array_to_string", parts, exp.Literal.string(","))
        return exp.DPipe(this=exp.DPipe(this=exp.Literal.string("["), expression=inner),
                         expression=exp.Literal.string("]"))  # fmt: skip

    def _map(self, value: exp.Expr, t: exp.DataType) -> exp.Expr:
        key_type, value_type = t.expressions
        name = f"spark_w{next(_BIND)}"
        entry = ref(name)
        key = typed(call("struct_extract", entry, exp.Literal.string("key")), key_type)
        item = typed(call("struct_extract", entry.copy(), exp.Literal.string("value")), value_type)
        head = exp.DPipe(
            this=exp.Cast(this=call("to_json", self._key(key, key_type)), to=exp.DataType.build("VARCHAR")),
            expression=exp.Literal.string(":"),
        )
        pair = exp.DPipe(
            this=head, expression=call("coalesce", self.text(item, value_type), exp.Literal.string("null"))
        )
        parts = call("list_transform", call("map_entries", value), lam([name], pair))
        inner = call("array_to_string", parts, exp.Literal.string(","))
        return exp.DPipe(this=exp.DPipe(this=exp.Literal.string("{"), expression=inner),
                         expression=exp.Literal.string("}"))  # fmt: skip

    def _key(self, key: exp.Expr, t: exp.DataType) -> exp.Expr:
        """A map key as Spark's `toString` of its internal value (a date's day number, a timestamp's microseconds)."""
        kind = types.kind(t)
        if types.is_string(t) or kind == T.NULL:  # NULL: the keys of an empty map()
            return key
        if kind == T.DATE:
            return exp.Cast(this=exp.Sub(this=key, expression=exp.Cast(this=exp.Literal.string("1970-01-01"),
                            to=exp.DataType.build("DATE"))), to=exp.DataType.build("VARCHAR"))  # fmt: skip
        if zones.is_timestamp(t) or zones.is_ntz(t):
            return exp.Cast(this=call("epoch_us", key), to=exp.DataType.build("VARCHAR"))
        if kind in (T.DOUBLE, T.FLOAT):
            return _java(key, kind)
        if kind == T.DECIMAL:
            _, scale = types.precision_scale(t)
            return call(DECIMAL, exp.Cast(this=key, to=exp.DataType.build("VARCHAR")), exp.Literal.number(scale))
        if kind in _INTEGRAL or kind == T.BOOLEAN:
            return self._scalar(key, t, "to_json")
        shown = t.sql(dialect="spark") if types.is_known(t) else "of unknown type"
        raise_spark(f"function to_json: a map key {shown} is not supported (Spark writes its internal form)")

    def _datetime(self, value: exp.Expr, t: exp.DataType) -> exp.Expr:
        name, var = _bind(t)
        if zones.is_date(t):
            local = typed(exp.Cast(this=var, to=exp.DataType.build("TIMESTAMP")), types.of("timestamp_ntz"))
            text = format_local(local, var.copy(), self.options["dateFormat"], self.context, "to_json")
        elif zones.is_ntz(t):
            text = format_local(var, var.copy(), self.options["timestampNTZFormat"], self.context, "to_json")
        else:
            local = zones.wall(var, self.context)
            text = format_local(local, var.copy(), self.options["timestampFormat"], self.context, "to_json")
        quoted = exp.DPipe(this=exp.DPipe(this=exp.Literal.string('"'), expression=text),
                           expression=exp.Literal.string('"'))  # fmt: skip
        return _bound(value, name, quoted)


def _to_json_type(node: exp.Expr) -> exp.DataType:
    return types.of("string")


@rule(
    "to_json",
    nodes=(exp.JSONFormat,),
    returns=_to_json_type,
    note="options: ignoreNullFields, timestampFormat, timestampNTZFormat, dateFormat (others refused)",
)
def _to_json(node: exp.JSONFormat, context: Context) -> exp.Expr:
    """`to_json(struct | array | map[, options])` as Spark writes it; NULL for NULL."""
    t = node.this.type
    if types.kind(t) not in (T.STRUCT, T.ARRAY, T.MAP):
        shown = t.sql(dialect="spark") if types.is_known(t) else "an expression of unknown type"
        raise_spark(f"function to_json: its argument is {shown}; Spark writes a struct, an array or a map")
    assert t is not None
    writer = Writer(context, options_of(node.args.get("options"), "to_json", _OPTIONS))
    return typed(writer.text(node.this, t), _STRING)
