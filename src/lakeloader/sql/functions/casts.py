"""CAST and TRY_CAST as Spark does them: fractions truncated into integers, strings checked before they are
numbers (an invalid one is CAST_INVALID_INPUT in ANSI mode, NULL otherwise and with TRY_CAST), timestamps
shown in the session's zone. Pairs without a rule here are refused rather than left to DuckDB's own casts."""

from __future__ import annotations

from sqlglot import exp

from lakeloader.sql import types
from lakeloader.sql.context import Context, call, cast, error, typed, when
from lakeloader.sql.registry import rule

T = exp.DType
_INTEGER_TEXT = r"^\s*[+-]?[0-9]+\s*$"
_NUMBER_TEXT = r"^\s*[+-]?([0-9]+\.?[0-9]*|\.[0-9]+)([eE][+-]?[0-9]+)?\s*$"
_SAME_MEANING = {  # (from, to) pairs whose DuckDB cast is Spark's
    (T.BOOLEAN, T.VARCHAR),
    (T.DATE, T.VARCHAR),
    (T.DATE, T.TIMESTAMP),
    (T.DATE, T.TIMESTAMPTZ),
    (T.VARCHAR, T.VARCHAR),
    (T.VARCHAR, T.BINARY),
    (T.BINARY, T.BINARY),
}


def _target(node: exp.Cast) -> exp.DataType:
    to = node.args["to"]
    assert isinstance(to, exp.DataType)
    return to


def _kind(t: exp.DataType | None) -> T:
    k = types.kind(t)
    return {T.TEXT: T.VARCHAR, T.CHAR: T.VARCHAR, T.TIMESTAMPTZ: T.TIMESTAMP}.get(k, k)


def _invalid(source: exp.Expr, to: exp.DataType, context: Context, safe: bool) -> exp.Expr:
    if safe or not context.ansi:
        return exp.Null()
    return error(
        "CAST_INVALID_INPUT", f"The value cannot be cast to {to.sql(dialect='spark')} because it is malformed."
    )


def _spark_cast(node: exp.Cast, context: Context) -> exp.Expr:
    safe = isinstance(node, exp.TryCast)
    to = _target(node)
    value = node.this
    source = value.type
    src, dst = _kind(source), _kind(to)
    if src == dst and src not in (T.DECIMAL, T.UNKNOWN):
        return typed(value, to)
    if src in (T.NULL, T.UNKNOWN) and isinstance(value, exp.Null):
        return cast(value, to)
    if types.is_integral(to):
        if src in (T.FLOAT, T.DOUBLE, T.DECIMAL):  # Spark truncates toward zero; DuckDB would round
            truncated = call("trunc", value)
            return cast(truncated, to, safe=safe or not context.ansi)
        if types.is_integral(source) or src == T.BOOLEAN:
            return cast(value, to, safe=safe or not context.ansi)
        if src == T.VARCHAR:
            valid = call("regexp_matches", value, exp.Literal.string(_INTEGER_TEXT))
            inner = cast(call("trim", value.copy()), to, safe=safe)
            return typed(when(valid, inner, _invalid(value, to, context, safe)), to)
    if dst in (T.DOUBLE, T.FLOAT, T.DECIMAL):
        if types.is_numeric(source):
            return cast(value, to, safe=safe or not context.ansi)
        if src == T.VARCHAR and dst == T.DECIMAL:
            valid = call("regexp_matches", value, exp.Literal.string(_NUMBER_TEXT))
            return typed(
                when(valid, cast(call("trim", value.copy()), to, safe=safe), _invalid(value, to, context, safe)), to
            )
    if dst == T.VARCHAR and src == T.TIMESTAMP:
        return typed(_timestamp_text(value, context), to)
    if dst == T.VARCHAR and (types.is_integral(source) or src == T.DECIMAL):
        return cast(value, to)
    if (src, dst) in _SAME_MEANING:
        return cast(value, to, safe=safe)
    from lakeloader.sql.translate import TranslateError

    shown_from = source.sql(dialect="spark") if types.is_known(source) else "an expression of unknown type"
    raise TranslateError(
        f"{'try_cast' if safe else 'cast'} from {shown_from} to {to.sql(dialect='spark')} is not supported yet; "
        "rewrite that part of the query"
    )


def _timestamp_text(value: exp.Expr, context: Context) -> exp.Expr:
    """A timestamp as Spark shows it: `yyyy-MM-dd HH:mm:ss[.fraction]` in the session's zone, no zone suffix,
    trailing zeros of the fraction dropped."""
    local = call("timezone", context.zone, cast(value, "timestamp"))  # TIMESTAMPTZ -> wall time in the zone
    whole = call("strftime", local, exp.Literal.string("%Y-%m-%d %H:%M:%S"))
    micros = call("microsecond", local.copy())
    fraction = call("rtrim", call("lpad", cast(micros, "string"), exp.Literal.number(6), exp.Literal.string("0")),
                    exp.Literal.string("0"))  # fmt: skip
    dot = when(exp.EQ(this=micros.copy(), expression=exp.Literal.number(0)), exp.Literal.string(""),
               exp.DPipe(this=exp.Literal.string("."), expression=fraction))  # fmt: skip
    return exp.DPipe(this=whole, expression=dot)


rule("cast", "bigint", "int", "smallint", "tinyint", "double", "float", "decimal", "string", "date", "timestamp",
     "boolean", "binary", nodes=(exp.Cast,))(_spark_cast)  # fmt: skip
rule("try_cast", nodes=(exp.TryCast,))(_spark_cast)
