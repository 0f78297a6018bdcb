"""SQL functions: `CREATE [OR REPLACE] [TEMPORARY] FUNCTION f(p TYPE, ...) RETURNS TYPE RETURN <expression>`
(scalar) and `... RETURNS TABLE (c TYPE, ...) RETURN <query>` (a table function), defined by a pipeline or kept in
the catalog (`catalog.schema.f`).

A call is inlined where it stands, before the query is translated: a scalar call becomes `CAST(<body> AS TYPE)`
with each parameter replaced by `CAST(<argument> AS its type)`, a table function in FROM becomes the subquery of
its body (its output columns cast to the declared ones). So the one SQL translator sees plain Spark SQL, and a
pipeline's graph sees the tables a table function reads. A parameter is named bare or as `f.p`; where a table
function's query reads a column of the same name, qualify the column (`t.p`).
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

_DEPTH = 16  # functions calling functions: deeper is a cycle


@dataclass(frozen=True)
class SqlFunction:
    name: str  # lower case, as called (a catalog function: catalog.schema.name)
    params: tuple[tuple[str, str], ...]  # (name, Spark type)
    returns: str | None  # a scalar function's type
    columns: tuple[tuple[str, str], ...] | None  # a table function's columns
    body: Any  # the RETURN expression or query (sqlglot)
    where: Any  # where it was defined (a pipeline file's location, a catalog name)
    temporary: bool = False
    replace: bool = False
    if_not_exists: bool = False
    parts: tuple[str, ...] = ()  # the name as written: (name,), (schema, name) or (catalog, schema, name)


Resolver = Callable[[list[str]], SqlFunction | None]  # a call's name parts -> the function it calls, or None


def parse(text: str, where: Any) -> SqlFunction:
    """The function a `CREATE FUNCTION` statement defines (ValueError: what is wrong with it)."""
    import sqlglot
    from sqlglot import exp
    from sqlglot.errors import ParseError

    from lakeloader.sql.dialect import SparkSql

    try:
        tree = sqlglot.parse_one(text, read=SparkSql)
    except ParseError as exc:
        raise ValueError(f"cannot read the function ({str(exc).splitlines()[0]})") from None
    udf = tree.this if isinstance(tree, exp.Create) else None
    body = tree.args.get("expression") if isinstance(tree, exp.Create) else None
    if not isinstance(udf, exp.UserDefinedFunction) or not isinstance(body, exp.Return):
        raise ValueError("write CREATE FUNCTION f(p TYPE, ...) RETURNS TYPE RETURN <expression> (SQL functions only)")
    target_name = udf.this
    parts = tuple(p.name for p in target_name.parts) if isinstance(target_name, exp.Table) else ()
    if not parts:
        parts = (target_name.name if isinstance(target_name, exp.Expr) else str(target_name),)
    name = parts[-1]
    returns = tree.find(exp.ReturnsProperty)
    if returns is None:
        raise ValueError(f"function {name}: say what it RETURNS")
    params = tuple((c.name, c.args["kind"].sql(dialect="spark")) for c in udf.expressions)
    temporary = tree.find(exp.TemporaryProperty) is not None
    replace, if_not_exists = bool(tree.args.get("replace")), bool(tree.args.get("exists"))
    target = returns.this
    scalar: str | None = target.sql(dialect="spark")
    columns = None
    if returns.args.get("is_table"):
        scalar, columns = None, tuple((c.name, c.args["kind"].sql(dialect="spark")) for c in target.expressions)
        if not isinstance(body.this, exp.Query):
            raise ValueError(f"function {name} RETURNS TABLE: its RETURN must be a query")
    return SqlFunction(
        name.lower(), params, scalar, columns, body.this, where, temporary, replace, if_not_exists, parts
    )


def inline(sql: str, resolve: Resolver) -> str | None:
    """`sql` with every call `resolve` knows inlined (None when it calls none); ValueError: a wrong call."""
    import sqlglot

    from lakeloader.sql.dialect import SparkSql

    tree = sqlglot.parse_one(sql, read=SparkSql)
    changed = False
    for _ in range(_DEPTH):
        if not _inline_once(tree, resolve):
            return tree.sql(dialect=SparkSql) if changed else None
        changed = True
    raise ValueError(f"functions call each other more than {_DEPTH} deep (a cycle?)")


def _call_parts(call: Any) -> tuple[list[str], Any]:
    """A call's name parts (`main.s.f(x)`: main, s, f) and the node that stands for the whole call."""
    from sqlglot import exp

    parent = call.parent
    if isinstance(parent, exp.Dot) and parent.expression is call:
        qualifiers = [p.name for p in parent.this.flatten()] if isinstance(parent.this, exp.Dot) else [parent.this.name]
        return [*qualifiers, call.name], parent
    return [call.name], call


def _inline_once(tree: Any, resolve: Resolver) -> bool:
    from sqlglot import exp

    from lakeloader.sql.dialect import SparkSql

    changed = False
    for table in list(tree.find_all(exp.Table)):
        call = table.this
        if not isinstance(call, exp.Anonymous):
            continue
        parts = [p.name for p in (table.args.get("catalog"), table.args.get("db")) if p is not None] + [call.name]
        f = resolve(parts)
        if f is None:
            continue
        if f.columns is None:
            raise ValueError(f"function {f.name} returns a value, not a table: call it in an expression")
        query = _bound(f, list(call.expressions))
        cast = [f"CAST(`{n}` AS {t}) AS `{n}`" for n, t in f.columns]
        alias = table.alias or parts[-1]
        inner = exp.Subquery(this=query, alias=exp.TableAlias(this=exp.to_identifier("r")))
        select = exp.select(*cast, dialect=SparkSql).from_(inner)
        table.replace(exp.Subquery(this=select, alias=exp.TableAlias(this=exp.to_identifier(alias))))
        changed = True
    for call in list(tree.find_all(exp.Anonymous)):
        if isinstance(call.parent, exp.Table):
            continue
        parts, node = _call_parts(call)
        scalar = resolve(parts)
        if scalar is None:
            continue
        if scalar.returns is None:
            raise ValueError(f"function {scalar.name} returns a table: read it in FROM")
        value = _bound(scalar, list(call.expressions))
        node.replace(exp.Cast(this=exp.Paren(this=value), to=exp.DataType.build(scalar.returns, dialect="spark")))
        changed = True
    return changed


def _bound(f: SqlFunction, args: list[Any]) -> Any:
    """The body of `f` with its parameters replaced by the arguments, each cast to its parameter's type."""
    from sqlglot import exp

    if len(args) != len(f.params):
        raise ValueError(f"function {f.name} takes {len(f.params)} argument(s) ({', '.join(n for n, _ in f.params)}), "
                         f"given {len(args)}")  # fmt: skip
    values = {
        name.lower(): exp.Cast(this=arg.copy(), to=exp.DataType.build(t, dialect="spark"))
        for (name, t), arg in zip(f.params, args, strict=True)
    }
    body = f.body.copy()
    own = f.name.split(".")[-1]
    for column in list(body.find_all(exp.Column)):
        qualifier = column.table.lower()
        if column.name.lower() in values and qualifier in ("", own):
            column.replace(exp.Paren(this=values[column.name.lower()].copy()))
    return body


def is_builtin(name: str) -> bool:
    """Is `name` a Spark built-in function (which a call's bare name means before any SQL function)?"""
    return name.lower() in _builtins()


@functools.cache
def _builtins() -> frozenset[str]:
    from lakeloader.sql.registry import spark_functions

    return frozenset(f["name"].lower() for f in spark_functions())
