"""Generators with Spark's answers: explode, posexplode, inline (and their _outer forms), stack; in a SELECT list
(`AS (k, v)` included), in `LATERAL VIEW [OUTER]` and in FROM.

Each generator gives a DuckDB list of its rows (of values for one column, of structs for several) and the names of
its columns (Spark's defaults: col, key/value, pos, col0...); where it stands decides how the rows are unnested.
The OUTER forms keep one row of NULLs for a NULL or empty input, as Spark does. Other families register their
generators (json_tuple) with `generator(...)`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from sqlglot import exp

from lakeloader.sql import types
from lakeloader.sql.context import Context, call, cast
from lakeloader.sql.functions.collections import element, is_map, lam, map_types, raise_spark, ref, struct
from lakeloader.sql.registry import rule
from lakeloader.sql.runtime import macro

T = exp.DType
_EXPLODE_OUTER: type[exp.Expr] = getattr(exp, "_ExplodeOuter", exp.ExplodeOuter)  # what explode_outer parses to


@dataclass(frozen=True)
class Rows:
    """What a generator gives: a DuckDB list of rows, and its columns' names."""

    rows: exp.Expr  # a list of values when `single`, else a list of structs with one field per column
    names: list[str]
    single: bool


# (the generator's node, the column names the query gives or None, the session) -> its rows
Producer = Callable[[exp.Expr, "list[str] | None", Context], Rows]
_PRODUCERS: dict[type[exp.Expr] | str, tuple[Producer, bool]] = {}  # node class or Anonymous name -> (how, outer)
_OUTER = macro("spark_outer", "(l) AS CASE WHEN len(l) > 0 THEN l ELSE [NULL] END")


def generator(*keys: type[exp.Expr] | str, outer: bool = False) -> Callable[[Producer], Producer]:
    """Register how a generator makes its rows (a node class, or a lowercase name sqlglot does not know)."""

    def register(producer: Producer) -> Producer:
        for key in keys:
            _PRODUCERS[key] = (producer, outer)
        return producer

    return register


def _producer(node: exp.Expr | None) -> tuple[Producer, bool] | None:
    if isinstance(node, exp.Anonymous):
        return _PRODUCERS.get(node.name.lower())
    return _PRODUCERS.get(type(node)) if node is not None else None


def _named(names: list[str] | None, defaults: list[str], function: str) -> list[str]:
    if names is None:
        return defaults
    if len(names) != len(defaults):
        raise_spark(
            f"function {function} gives {len(defaults)} column(s) but the query names {len(names)} "
            "(Spark: UDTF_ALIAS_NUMBER_MISMATCH)"
        )
    return names


def _source(node: exp.Expr) -> exp.Expr:
    found: exp.Expr = node.this if isinstance(node.this, exp.Expr) else node.expressions[0]
    return found


# -- the generators -------------------------------------------------------------------------------------------
@generator(exp.Explode)
@generator(_EXPLODE_OUTER, exp.ExplodeOuter, outer=True)
def _explode(node: exp.Expr, names: list[str] | None, context: Context) -> Rows:
    source = _source(node)
    if is_map(source.type):
        key, value = _named(names, ["key", "value"], "explode")
        entry = "spark_g"
        pair = struct([(key, _part(entry, "key")), (value, _part(entry, "value"))])
        return Rows(call("list_transform", call("map_entries", source), lam([entry], pair)), [key, value], False)
    if source.type is not None and types.is_known(source.type) and types.kind(source.type) != T.ARRAY:
        raise_spark(f"function explode takes an array or a map, not {source.type.sql('spark')}")
    return Rows(source, _named(names, ["col"], "explode"), True)


def _part(entry: str, field: str) -> exp.Expr:
    return call("struct_extract", ref(entry), exp.Literal.string(field))


@generator(exp.Posexplode)
@generator(exp.PosexplodeOuter, outer=True)
def _posexplode(node: exp.Expr, names: list[str] | None, context: Context) -> Rows:
    source = _source(node)
    item, index = "spark_g", "spark_gi"
    position = cast(exp.Sub(this=ref(index), expression=exp.Literal.number(1)), "int")
    if is_map(source.type):
        pos, key, value = _named(names, ["pos", "key", "value"], "posexplode")
        row = struct([(pos, position), (key, _part(item, "key")), (value, _part(item, "value"))])
        rows = call("list_transform", call("map_entries", source), lam([item, index], row))
        return Rows(rows, [pos, key, value], False)
    pos, col = _named(names, ["pos", "col"], "posexplode")
    rows = call("list_transform", source, lam([item, index], struct([(pos, position), (col, ref(item))])))
    return Rows(rows, [pos, col], False)


@generator(exp.Inline)
@generator("inline_outer", outer=True)
def _inline(node: exp.Expr, names: list[str] | None, context: Context) -> Rows:
    source = _source(node)
    entry = element(source.type)
    if types.kind(entry) != T.STRUCT or entry is None:
        raise_spark("function inline takes an array of structs whose type is known")
    fields = [f.name for f in entry.expressions]
    chosen = _named(names, fields, "inline")
    item = "spark_g"
    row = struct([(name, call("struct_extract_at", ref(item), exp.Literal.number(i + 1)))
                   for i, name in enumerate(chosen)])  # fmt: skip
    return Rows(call("list_transform", source, lam([item], row)), chosen, False)


@generator(exp.Stack)
def _stack(node: exp.Expr, names: list[str] | None, context: Context) -> Rows:
    """`stack(n, v1, ..., vk)`: n rows of ceil(k/n) columns (col0, col1, ...), the last row padded with NULLs."""
    count = node.this
    if not (isinstance(count, exp.Literal) and not count.is_string and count.this.isdigit() and int(count.this) > 0):
        raise_spark("function stack: its first argument must be a positive integer literal")
    rows_count, values = int(count.this), list(node.expressions)
    width = -(-len(values) // rows_count)
    chosen = _named(names, [f"col{i}" for i in range(width)], "stack")
    column_types = [_column_type(values[c::width]) for c in range(width)]
    rows = []
    for r in range(rows_count):
        fields = []
        for c in range(width):
            at = r * width + c
            value = values[at] if at < len(values) else exp.Null()
            spark_type = column_types[c]
            fields.append((chosen[c], cast(value, spark_type) if spark_type is not None else value))
        rows.append(struct(fields))
    return Rows(exp.Array(expressions=rows), chosen, False)


def _column_type(values: list[exp.Expr]) -> exp.DataType | None:
    """A column's type: every value's but NULL's must be the same (Spark: no widening in stack)."""
    known = [v.type for v in values if types.kind(v.type) != T.NULL and not isinstance(v, exp.Null)]
    if not known or not all(t is not None and types.is_known(t) for t in known):
        return None
    if any(t != known[0] for t in known[1:]):
        raise_spark(
            "function stack: the values of one column must have one type (Spark: DATATYPE_MISMATCH."
            "STACK_COLUMN_DIFF_TYPES); cast them"
        )
    return known[0]


# -- where a generator stands ---------------------------------------------------------------------------------
def _rows(node: exp.Expr, names: list[str] | None, context: Context, *, outer: bool = False) -> Rows:
    found = _producer(node)
    assert found is not None
    producer, always_outer = found
    made = producer(node, names, context)
    if outer or always_outer:
        return Rows(call(_OUTER, made.rows), made.names, made.single)
    return made


def _unnest(made: Rows) -> exp.Expr:
    """The rows as SELECT-list items: one column named as Spark names it, or one per struct field."""
    if made.single:
        return exp.Alias(this=call("unnest", made.rows), alias=exp.to_identifier(made.names[0], quoted=True))
    depth = exp.Kwarg(this=exp.var("max_depth"), expression=exp.Literal.number(2))
    return call("unnest", made.rows, depth)


def _selected(made: Rows) -> exp.Select:
    return exp.Select(expressions=[_unnest(made)])


def _select_of(node: exp.Expr) -> exp.Select | None:
    found = node.parent
    while found is not None and not isinstance(found, exp.Select):
        found = found.parent
    return found


def _generators(select: exp.Select) -> int:
    items = [i.this if isinstance(i, exp.Alias | exp.Aliases) else i for i in select.expressions]
    return sum(_producer(item) is not None for item in items)


def _in_select(node: exp.Expr, made: Rows) -> exp.Expr:
    """A generator of a SELECT list: unnested in place, or, beside other generators, joined to each row as
    Spark does (every combination of their rows) and read from that join."""
    select = _select_of(node)
    if select is None or _generators(select) < 2:
        return _unnest(made)
    if select.args.get("group") or any(
        isinstance(i, exp.AggFunc) for item in select.expressions for i in item.find_all(exp.AggFunc)
    ):
        raise_spark("several generators in a SELECT with aggregates are not supported yet; use LATERAL VIEW")
    name = exp.to_identifier(f"spark_generated_{len(select.args.get('laterals') or []) + 1}")
    subquery = exp.Subquery(this=_selected(made), alias=exp.TableAlias(this=name))
    select.append("laterals", exp.Join(this=subquery, kind="CROSS"))
    if not made.single:
        return exp.Column(this=exp.Star(), table=name.copy())
    column = exp.Column(this=exp.to_identifier(made.names[0], quoted=True), table=name.copy())
    return exp.Alias(this=column, alias=exp.to_identifier(made.names[0], quoted=True))


def _generate(node: exp.Expr, context: Context) -> exp.Expr:
    """A generator where it stands: a SELECT item (aliased once or not), or the table of a FROM; in `AS (a, b)`
    and LATERAL VIEW the enclosing construct's rule unnests it."""
    parent = node.parent
    if isinstance(parent, exp.Aliases | exp.Lateral):
        return node
    if isinstance(parent, exp.Table) and node.arg_key == "this":
        return exp.Subquery(this=_selected(_rows(node, None, context)))
    if isinstance(parent, exp.Alias) and isinstance(parent.parent, exp.Select):
        placed = _in_select(node, _rows(node, [parent.alias], context))
        return placed.this if isinstance(placed, exp.Alias) else placed  # the AS already names it
    if isinstance(parent, exp.Select) and node.arg_key == "expressions":
        return _in_select(node, _rows(node, None, context))
    from lakeloader.sql.translate import spark_name

    raise_spark(
        f"function {spark_name(node)} inside an expression is not Spark SQL (UNSUPPORTED_GENERATOR."
        "NESTED_IN_EXPRESSIONS); put it alone in the SELECT list or in a LATERAL VIEW"
    )


def _generated_type(node: exp.Expr) -> exp.DataType | None:
    """explode's type: its element's in a SELECT list; under LATERAL VIEW a struct of its columns, named as the
    view names them, from which the typing pass types those columns (it would give them the array's type)."""
    source = _source(node).type
    if is_map(source):
        key, value = map_types(source)
        columns: list[exp.DataType | None] = [key, value]
    elif types.kind(source) == T.ARRAY:
        columns = [element(source)]
    else:
        return None
    positional = isinstance(node, exp.Posexplode | exp.PosexplodeOuter)
    if positional:
        columns = [types.of("int"), *columns]
    lateral = node.parent
    if not isinstance(lateral, exp.Lateral):
        return columns[0] if len(columns) == 1 else None
    alias = lateral.args.get("alias")
    names = [c.name for c in alias.columns] if isinstance(alias, exp.TableAlias) and alias.columns else None
    defaults = (["pos"] if positional else []) + (["key", "value"] if is_map(source) else ["col"])
    names = names or defaults
    if len(names) != len(columns) or not all(t is not None and types.is_known(t) for t in columns):
        return None
    fields = [
        exp.ColumnDef(this=exp.to_identifier(n, quoted=True), kind=t.copy())
        for n, t in zip(names, columns, strict=True)
        if t is not None
    ]
    return exp.DataType(this=T.STRUCT, expressions=fields, nested=True)


rule("explode", nodes=(exp.Explode,), returns=_generated_type)(_generate)
rule("explode_outer", nodes=(_EXPLODE_OUTER, exp.ExplodeOuter), returns=_generated_type)(_generate)
rule("posexplode", nodes=(exp.Posexplode,), returns=_generated_type)(_generate)
rule("posexplode_outer", nodes=(exp.PosexplodeOuter,), returns=_generated_type)(_generate)
rule("inline", nodes=(exp.Inline,))(_generate)
rule("inline_outer")(_generate)
rule("stack", nodes=(exp.Stack,))(_generate)


@rule("AS (...)", nodes=(exp.Aliases,))
def _aliases(node: exp.Aliases, context: Context) -> exp.Expr:
    """`gen(...) AS (a, b)`: the generator's columns renamed."""
    if _producer(node.this) is None:
        return node
    return _in_select(node.this, _rows(node.this, [i.name for i in node.expressions], context))


@rule("LATERAL VIEW", nodes=(exp.Lateral,))
def _lateral(node: exp.Lateral, context: Context) -> exp.Expr:
    """`LATERAL VIEW [OUTER] gen(...) t [AS a, b]`: a join with each row's generated rows (OUTER: a row of NULLs
    for a NULL or empty input)."""
    if not node.args.get("view") or _producer(node.this) is None:
        raise_spark("construct LATERAL: only LATERAL VIEW of a generator (explode, posexplode, inline, stack) is "
                    "supported")  # fmt: skip
    alias = node.args.get("alias")
    columns = [c.name for c in alias.columns] if isinstance(alias, exp.TableAlias) and alias.columns else None
    made = _rows(node.this, columns, context, outer=bool(node.args.get("outer")))
    name = alias.this if isinstance(alias, exp.TableAlias) and alias.this else exp.to_identifier("spark_lateral")
    subquery = exp.Subquery(this=_selected(made), alias=exp.TableAlias(this=name.copy()))
    return exp.Join(this=subquery, kind="CROSS")
