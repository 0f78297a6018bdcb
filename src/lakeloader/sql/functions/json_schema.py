"""The schemas of JSON: from_json's DDL schema as a Spark type, and schema_of_json's inference from a literal."""

from __future__ import annotations

import json
from typing import Any

import sqlglot
from sqlglot import exp

from lakeloader.sql import types
from lakeloader.sql.context import Context, typed
from lakeloader.sql.functions.collections import raise_spark
from lakeloader.sql.registry import rule

T = exp.DType


def struct_fields(t: exp.DataType) -> list[tuple[str, exp.DataType]]:
    """A struct type's fields: (name, type)."""
    return [(f.name, f.args["kind"]) for f in t.expressions if isinstance(f, exp.ColumnDef)]


# -- the schema ----------------------------------------------------------------------------------------------
_SCALARS = {
    T.BOOLEAN: "boolean",
    T.TINYINT: "tinyint",
    T.SMALLINT: "smallint",
    T.INT: "int",
    T.BIGINT: "bigint",
    T.FLOAT: "float",
    T.DOUBLE: "double",
    T.TEXT: "string",
    T.DATE: "date",
    T.TIMESTAMPTZ: "timestamp",
    T.TIMESTAMPLTZ: "timestamp",
    T.TIMESTAMPNTZ: "timestamp_ntz",
}


class Unsupported(Exception):
    """A schema from_json cannot read here; the message says what."""


def _quoted_name(name: str) -> str:
    return "`" + name.replace("`", "``") + "`"


def _spark_text(t: exp.DataType) -> str:
    """`t` as Spark DDL lakeloader reads back (NOT NULL and comments dropped: from_json's schema is nullable)."""
    kind = t.this
    if kind in _SCALARS:
        return _SCALARS[kind]
    if kind == T.DECIMAL:
        precision, scale = types.precision_scale(t)
        return f"decimal({precision},{scale})"
    if kind == T.ARRAY and t.expressions:
        return f"array<{_spark_text(t.expressions[0])}>"
    if kind == T.MAP and len(t.expressions) == 2:
        key, value = t.expressions
        if key.this != T.TEXT:
            raise Unsupported(f"a map key of {key.sql(dialect='spark')} (Spark reads STRING keys only)")
        return f"map<string,{_spark_text(value)}>"
    if kind == T.STRUCT:
        fields = struct_fields(t)
        if not fields:
            raise Unsupported("an empty STRUCT")
        lowered = [name.lower() for name, _ in fields]
        if len(set(lowered)) < len(lowered):
            raise Unsupported("field names that differ only in case (DuckDB's struct fields are case-insensitive)")
        return "struct<" + ",".join(f"{_quoted_name(n)}:{_spark_text(k)}" for n, k in fields) + ">"
    if kind == T.BINARY:
        raise Unsupported("a BINARY field (Jackson's base64 errors void some rows whole); read a STRING, unbase64 it")
    shown = t.sql(dialect="spark")
    raise Unsupported(f"a field of {shown}")


def _schema_text(node: exp.Expr | None) -> str | None:
    if isinstance(node, exp.Literal) and node.is_string:
        return str(node.this)
    if isinstance(node, exp.Anonymous) and node.name.lower() == "schema_of_json" and len(node.expressions) == 1:
        return schema_of_json(node.expressions[0])
    return None


def schema(node: exp.Expr | None) -> exp.DataType:
    """from_json's schema argument as a Spark type: a DDL string (`a INT, b STRING`, `STRUCT<...>`, `ARRAY<...>`,
    `MAP<STRING, ...>`)."""
    text = _schema_text(node)
    if text is None:
        raise Unsupported("the schema must be a string literal (a DDL schema)")
    stripped = text.strip()
    head = stripped.split("<", 1)[0].strip().upper()
    try:
        parsed = types.of(stripped if head in ("STRUCT", "ARRAY", "MAP") else f"struct<{stripped}>")
    except (sqlglot.errors.ParseError, sqlglot.errors.TokenError, ValueError):
        raise Unsupported(f"the schema {text!r} is not a DDL schema lakeloader reads") from None
    if parsed.this not in (T.STRUCT, T.ARRAY, T.MAP):
        raise Unsupported(f"the schema {text!r} is not a struct, an array or a map")
    return types.of(_spark_text(parsed))


# -- schema_of_json ---------------------------------------------------------------------------------------------
_LONG = 2**63


class _Number:
    """A JSON number's text, for its inferred type."""

    def __init__(self, text: str, integral: bool) -> None:
        self.text, self.integral = text, integral


class _Object:
    """A JSON object's fields in order, repeated names kept."""

    def __init__(self, pairs: list[tuple[str, Any]]) -> None:
        self.pairs = pairs


def _infer(value: Any) -> Any:
    """The type Spark's JsonInferSchema infers, as a nested Python form: 'null', 'bigint', ('decimal', p, s),
    'double', 'string', 'boolean', ('array', t), ('struct', [(name, t), ...])."""
    if value is None or value == "":
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, str):
        return "string"
    if isinstance(value, _Number):
        if not value.integral:
            return "double"
        if -_LONG <= int(value.text) < _LONG:
            return "bigint"
        digits = len(value.text.lstrip("-"))
        return ("decimal", digits, 0) if digits <= 38 else "double"
    if isinstance(value, list):
        element: Any = "null"
        for item in value:
            element = _compatible(element, _infer(item))
        return ("array", element)
    names = [name for name, _ in value.pairs]
    if len(set(names)) < len(names):
        raise Unsupported("an object with a repeated field name")
    return ("struct", tuple(sorted(((name, _infer(item)) for name, item in value.pairs), key=lambda f: f[0])))


def _decimal_of(t: Any) -> Any:
    return ("decimal", 20, 0) if t == "bigint" else t


def _compatible(a: Any, b: Any) -> Any:
    """JsonInferSchema.compatibleType."""
    if a == b:
        return a
    if a == "null":
        return b
    if b == "null":
        return a
    if a in ("bigint", "double") and b in ("bigint", "double"):
        return "double"
    a_dec, b_dec = isinstance(a, tuple) and a[0] == "decimal", isinstance(b, tuple) and b[0] == "decimal"
    if (a == "double" and b_dec) or (b == "double" and a_dec):
        return "double"
    if (a_dec or a == "bigint") and (b_dec or b == "bigint"):
        (_, p1, s1), (_, p2, s2) = _decimal_of(a), _decimal_of(b)
        scale, whole = max(s1, s2), max(p1 - s1, p2 - s2)
        return "double" if whole + scale > 38 else ("decimal", whole + scale, scale)
    if isinstance(a, tuple) and isinstance(b, tuple) and a[0] == b[0] == "array":
        return ("array", _compatible(a[1], b[1]))
    if isinstance(a, tuple) and isinstance(b, tuple) and a[0] == b[0] == "struct":
        merged = dict(a[1])
        for name, t in b[1]:
            merged[name] = _compatible(merged[name], t) if name in merged else t
        return ("struct", tuple(sorted(merged.items(), key=lambda f: f[0])))
    return "string"


def _canonical(t: Any) -> Any:
    """canonicalizeType: NULL types become STRING, empty structs (and fields of them) are dropped (None)."""
    if t == "null":
        return "string"
    if isinstance(t, tuple) and t[0] == "array":
        inner = _canonical(t[1])
        return None if inner is None else ("array", inner)
    if isinstance(t, tuple) and t[0] == "struct":
        fields = tuple((n, c) for n, f in t[1] if n and (c := _canonical(f)) is not None)
        return ("struct", fields) if fields else None
    return t


def _ddl(t: Any) -> str:
    """Spark's DataType.sql."""
    if isinstance(t, str):
        return t.upper()
    if t[0] == "decimal":
        return f"DECIMAL({t[1]},{t[2]})"
    if t[0] == "array":
        return f"ARRAY<{_ddl(t[1])}>"
    fields = ", ".join(
        f"{n if n.isascii() and n.replace('_', 'a').isalnum() and not n.isdigit() else _quoted_name(n)}: {_ddl(f)}"
        for n, f in t[1]
    )
    return f"STRUCT<{fields}>"


def schema_of_json(node: exp.Expr) -> str:
    """The DDL Spark's schema_of_json gives for a JSON string literal."""
    if not (isinstance(node, exp.Literal) and node.is_string):
        raise Unsupported("schema_of_json takes a string literal")

    def constant(name: str) -> Any:
        raise Unsupported(f"{name} in the JSON")

    decoder = json.JSONDecoder(
        object_pairs_hook=_Object,
        parse_int=lambda text: _Number(text, True),
        parse_float=lambda text: _Number(text, False),
        parse_constant=constant,
    )
    try:
        value, _ = decoder.raw_decode(str(node.this).lstrip(" \t\n\r"))
    except json.JSONDecodeError:
        raise Unsupported("the JSON is not one lakeloader reads (strict JSON)") from None
    inferred = _infer(value)
    if isinstance(inferred, tuple) and inferred[0] == "struct":
        found = _canonical(inferred)
        return _ddl(found) if found is not None else "STRUCT<>"
    if isinstance(inferred, tuple) and inferred[0] == "array" and isinstance(inferred[1], tuple) \
            and inferred[1][0] == "struct":  # fmt: skip
        found = _canonical(inferred[1])
        return f"ARRAY<{_ddl(found) if found is not None else 'STRUCT<>'}>"
    found = _canonical(inferred)
    return _ddl(found) if found is not None else "STRING"


@rule("schema_of_json", returns=lambda node: types.of("string"), note="of a string literal of strict JSON")
def _schema_of_json(node: exp.Anonymous, context: Context) -> exp.Expr:
    """`schema_of_json('{"a": 1}')`: the DDL of the type Spark infers, computed from the literal."""
    if len(node.expressions) != 1:
        raise_spark("function schema_of_json: options are not supported")
    try:
        text = schema_of_json(node.expressions[0])
    except Unsupported as refused:
        raise_spark(f"function schema_of_json: {refused}")
    return typed(exp.Literal.string(text), types.of("string"))
