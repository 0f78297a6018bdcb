"""SQL functions a pipeline defines: `CREATE [OR REPLACE] [TEMPORARY] FUNCTION f(p TYPE, ...) RETURNS TYPE RETURN
<expression>` (scalar) and `... RETURNS TABLE (c TYPE, ...) RETURN <query>` (a table function).

A call is inlined where it stands, before the query is translated: a scalar call becomes `CAST(<body> AS TYPE)`
with each parameter replaced by `CAST(<argument> AS its type)`, a table function in FROM becomes the subquery of
its body (its output columns cast to the declared ones). So the one SQL translator sees plain Spark SQL, and the
graph sees the tables a table function reads. A parameter is named bare or as `f.p`; where a table function's
query reads a column of the same name, qualify the column (`t.p`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from lakeloader.pipelines.model import Location

_DEPTH = 16  # functions calling functions: deeper is a cycle


@dataclass(frozen=True)
class SqlFunction:
    name: str  # lower case
    params: tuple[tuple[str, str], ...]  # (name, Spark type)
    returns: str | None  # a scalar function's type
    columns: tuple[tuple[str, str], ...] | None  # a table function's columns
    body: Any  # the RETURN expression or query (sqlglot)
    location: Location


def parse(text: str, where: Location) -> SqlFunction:
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
    name = udf.this.name if isinstance(udf.this, exp.Expr) else str(udf.this)
    returns = tree.find(exp.ReturnsProperty)
    if returns is None:
        raise ValueError(f"function {name}: say what it RETURNS")
    params = tuple((c.name, c.args["kind"].sql(dialect="spark")) for c in udf.expressions)
    target = returns.this
    if returns.args.get("is_table"):
        columns = tuple((c.name, c.args["kind"].sql(dialect="spark")) for c in target.expressions)
        if not isinstance(body.this, exp.Query):
            raise ValueError(f"function {name} RETURNS TABLE: its RETURN must be a query")
        return SqlFunction(name.lower(), params, None, columns, body.this, where)
    return SqlFunction(name.lower(), params, target.sql(dialect="spark"), None, body.this, where)


def inline(sql: str, functions: dict[str, SqlFunction]) -> str | None:
    """`sql` with every call of `functions` inlined (None when it calls none); ValueError: a wrong call."""
    import sqlglot

    from lakeloader.sql.dialect import SparkSql

    tree = sqlglot.parse_one(sql, read=SparkSql)
    changed = False
    for _ in range(_DEPTH):
        if not _inline_once(tree, functions):
            return tree.sql(dialect=SparkSql) if changed else None
        changed = True
    raise ValueError(f"functions call each other more than {_DEPTH} deep (a cycle?)")


def _inline_once(tree: Any, functions: dict[str, SqlFunction]) -> bool:
    from sqlglot import exp

    from lakeloader.sql.dialect import SparkSql

    changed = False
    for table in list(tree.find_all(exp.Table)):
        call = table.this
        if isinstance(call, exp.Anonymous) and call.name.lower() in functions:
            f = functions[call.name.lower()]
            if f.columns is None:
                raise ValueError(f"function {f.name} returns a value, not a table: call it in an expression")
            query = _bound(f, list(call.expressions))
            cast = [f"CAST(`{n}` AS {t}) AS `{n}`" for n, t in f.columns]
            alias = table.alias or f.name
            inner = exp.Subquery(this=query, alias=exp.TableAlias(this=exp.to_identifier("r")))
            select = exp.select(*cast, dialect=SparkSql).from_(inner)
            table.replace(exp.Subquery(this=select, alias=exp.TableAlias(this=exp.to_identifier(alias))))
            changed = True
    for call in list(tree.find_all(exp.Anonymous)):
        scalar = functions.get(call.name.lower())
        if scalar is None or isinstance(call.parent, exp.Table):
            continue
        if scalar.returns is None:
            raise ValueError(f"function {scalar.name} returns a table: read it in FROM")
        value = _bound(scalar, list(call.expressions))
        call.replace(exp.Cast(this=exp.Paren(this=value), to=exp.DataType.build(scalar.returns, dialect="spark")))
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
    for column in list(body.find_all(exp.Column)):
        qualifier = column.table.lower()
        if column.name.lower() in values and qualifier in ("", f.name):
            column.replace(exp.Paren(this=values[column.name.lower()].copy()))
    return body
