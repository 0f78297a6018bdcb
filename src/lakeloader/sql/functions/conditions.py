"""Predicates and conditional functions beyond the operators (NaN tests, NULL shortcuts, typeof, raise_error),
and the miscellaneous functions that are refused, each with its reason."""

from __future__ import annotations

import getpass

from sqlglot import exp

from lakeloader.sql import types
from lakeloader.sql.context import Context, call, cast, typed, when
from lakeloader.sql.registry import refuse, rule

T = exp.DType


@rule("isnan", nodes=(exp.IsNan,), returns=lambda node: types.of("boolean"))
def _isnan(node: exp.IsNan, context: Context) -> exp.Expr:
    """`isnan(NULL)` is false in Spark (DuckDB: NULL)."""
    return call("coalesce", call("isnan", cast(node.this, "double")), exp.false())


@rule("nanvl", nodes=(exp.Nanvl,), returns=lambda node: types.of("double"))
def _nanvl(node: exp.Nanvl, context: Context) -> exp.Expr:
    first, second = cast(node.this, "double"), cast(node.expression, "double")
    return typed(when(call("isnan", first.copy()), second, first), types.of("double"))


@rule("equal_null", nodes=(exp.EqualNull,), returns=lambda node: types.of("boolean"))
def _equal_null(node: exp.EqualNull, context: Context) -> exp.Expr:
    return exp.NullSafeEQ(this=node.this, expression=node.expression)


@rule("isnull", returns=lambda node: types.of("boolean"))
def _isnull(node: exp.Anonymous, context: Context) -> exp.Expr:
    return exp.Is(this=node.expressions[0], expression=exp.Null())


@rule("isnotnull", returns=lambda node: types.of("boolean"))
def _isnotnull(node: exp.Anonymous, context: Context) -> exp.Expr:
    return exp.Not(this=exp.Is(this=node.expressions[0], expression=exp.Null()))


@rule("nullifzero")
def _nullifzero(node: exp.Anonymous, context: Context) -> exp.Expr:
    value = node.expressions[0]
    return typed(exp.Nullif(this=value, expression=exp.Literal.number(0)), value.type)


@rule("zeroifnull")
def _zeroifnull(node: exp.Anonymous, context: Context) -> exp.Expr:
    value = node.expressions[0]
    return typed(exp.Coalesce(this=value, expressions=[exp.Literal.number(0)]), value.type)


def spark_type_name(t: exp.DataType) -> str:
    """Spark's `simpleString` of a type: `int`, `decimal(10,2)`, `array<int>`, `struct<a:int,b:string>`."""
    text = t.sql(dialect="spark").lower()
    return text.replace(", ", ",").replace(": ", ":")


@rule("typeof", nodes=(exp.Typeof,), returns=lambda node: types.of("string"))
def _typeof(node: exp.Typeof, context: Context) -> exp.Expr:
    """The argument's Spark type, known at translation time (the same for every row, as in Spark)."""
    argument = node.this
    if not types.is_known(argument.type) and types.kind(argument.type) != T.NULL:
        from lakeloader.sql.translate import TranslateError

        raise TranslateError("function typeof: the argument's type is not known here; name a column of a table")
    assert argument.type is not None
    name = "void" if types.kind(argument.type) == T.NULL else spark_type_name(argument.type)
    if any(isinstance(n, exp.AggFunc) for n in argument.walk()):  # typeof(sum(v)) keeps the query an aggregate
        return typed(
            when(exp.Is(this=argument, expression=exp.Null()), exp.Literal.string(name), exp.Literal.string(name)),
            types.of("string"),
        )
    return typed(exp.Literal.string(name), types.of("string"))


@rule("raise_error")
def _raise_error(node: exp.Anonymous, context: Context) -> exp.Expr:
    message = cast(node.expressions[0], "string")
    text = exp.DPipe(this=exp.Literal.string("[USER_RAISED_EXCEPTION] "), expression=message)
    return typed(call("error", text), exp.DataType(this=T.NULL))


@rule("assert_true")
def _assert_true(node: exp.Anonymous, context: Context) -> exp.Expr:
    condition = node.expressions[0]
    shown = node.expressions[1] if len(node.expressions) > 1 else None
    text = (
        exp.DPipe(this=exp.Literal.string("[USER_RAISED_EXCEPTION] "), expression=cast(shown, "string"))
        if shown is not None
        else exp.Literal.string(f"[USER_RAISED_EXCEPTION] '{condition.sql(dialect='databricks')}' is not true!")
    )
    return typed(when(condition, exp.Null(), call("error", text)), exp.DataType(this=T.NULL))


@rule("current_user", "user", "session_user", nodes=(exp.CurrentUser,), returns=lambda node: types.of("string"))
def _current_user(node: exp.Expr, context: Context) -> exp.Expr:
    """The user running lakeloader (Databricks: the workspace user)."""
    try:
        name = getpass.getuser()
    except (KeyError, OSError):
        name = "unknown"
    return exp.Literal.string(name)


@rule("uuid", nodes=(exp.Uuid,), returns=lambda node: types.of("string"), note="random, a new value per row")
def _uuid(node: exp.Expr, context: Context) -> exp.Expr:
    return cast(call("uuid"), "string")


refuse("current_catalog", "current_database", "current_schema", "current_path",
       why="not supported yet: name the catalog and schema in the query")  # fmt: skip
refuse("version", why="not supported: lakeloader is not Spark; there is no Spark version to report")
refuse("monotonically_increasing_id", "spark_partition_id",
       why="not supported: Spark's partitions do not exist here; use row_number()")  # fmt: skip
refuse("input_file_name", "input_file_block_start", "input_file_block_length",
       why="not supported: read the file's path from the _metadata column (_metadata.file_path)")  # fmt: skip
refuse("java_method", "reflect", "try_reflect", why="not supported: there is no JVM to call into")
refuse("aes_encrypt", "aes_decrypt", "try_aes_decrypt", "hmac",
       why="not supported yet: encrypt before loading, or after reading, in Python")  # fmt: skip
refuse("bitmap_bit_position", "bitmap_bucket_number", "bitmap_count", why="not supported yet")
refuse("collations", "sql_keywords", "python_worker_logs", why="not supported: a Spark catalog listing")
