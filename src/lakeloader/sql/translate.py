"""Databricks SQL to DuckDB SQL with Spark's answers: parse, type as Spark types, rewrite by the function table.

1. Parse with sqlglot's Databricks dialect.
2. Type every node as Spark would (`types.py` and each rule's `returns`), on a qualified copy of the tree whose
   nodes carry the ids of the original's: the original keeps its names and aliases (the output's column names).
3. Rewrite children before parents: a function or operator with a rule is rewritten by it; one without is
   refused in one line naming it (never passed to DuckDB to mean something else); structure (SELECT, JOIN,
   columns, literals) passes as it is.
4. Generate DuckDB SQL.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Mapping
from typing import Any

from sqlglot import exp

from lakeloader.errors import TerminalError
from lakeloader.sql import types
from lakeloader.sql.context import Context
from lakeloader.sql.registry import REGISTRY
from lakeloader.sql.settings import Settings

Schema = Mapping[str, Mapping[str, exp.DataType]]  # relation (view) name -> column -> Spark type
_ID = "lakeloader_id"


class TranslateError(TerminalError):
    """A query that cannot be read, or that uses what lakeloader refuses; the message names the construct."""


# Nodes that are query structure, not computation: they mean the same in Spark and DuckDB (their parts are
# checked on their own). Everything else needs a rule.
STRUCTURE: tuple[type[exp.Expr], ...] = (
    exp.JSONPath,  # the parts of a `:` path: their JSONExtract has a rule (or is refused)
    exp.JSONPathKey,
    exp.JSONPathRoot,
    exp.JSONPathSubscript,
    exp.JSONPathWildcard,
    exp.Query,
    exp.Subquery,
    exp.Union,
    exp.Intersect,
    exp.Except,
    exp.With,
    exp.CTE,
    exp.From,
    exp.Join,
    exp.Where,
    exp.Group,
    exp.Having,
    exp.Qualify,
    exp.Order,
    exp.Ordered,
    exp.Limit,
    exp.Offset,
    exp.Distinct,
    exp.Table,
    exp.TableAlias,
    exp.Alias,
    exp.Aliases,
    exp.Column,
    exp.Identifier,
    exp.Star,
    exp.Dot,
    exp.Literal,
    exp.Boolean,
    exp.Null,
    exp.Paren,
    exp.Tuple,
    exp.DataType,
    exp.DataTypeParam,
    exp.ColumnDef,
    exp.Values,
    exp.Window,
    exp.WindowSpec,
    exp.PartitionedByProperty,
    exp.Lambda,
    exp.Var,
    exp.Placeholder,
    exp.Parameter,
    exp.Kwarg,
    exp.PropertyEQ,
    exp.Hint,
    exp.Exists,
    exp.Semicolon,
)


@functools.lru_cache(maxsize=1024)
def _parsed(sql: str) -> exp.Expr:
    import sqlglot
    from sqlglot.errors import ParseError

    from lakeloader.sql.dialect import SparkSql, unreadable

    try:
        expressions = sqlglot.parse(sql, read=SparkSql)
    except ParseError as exc:
        raise TranslateError(f"{unreadable(sql, exc)}; fix the SQL") from None
    if len(expressions) != 1 or expressions[0] is None:
        raise TranslateError("expected one statement")
    return expressions[0]


def parse(sql: str) -> exp.Expr:
    """The statement's syntax tree in the Databricks dialect (a copy: callers change it)."""
    return _parsed(sql).copy()


def to_duckdb(tree: exp.Expr | str, *, settings: Settings | None = None, schema: Schema | None = None) -> str:
    """The statement as DuckDB SQL that gives Spark's answer under `settings`.

    `schema` names the columns and Spark types of the relations the statement reads (after any renaming the
    caller did), so that type-dependent rules (casts, division, decimals) pick Spark's behaviour.
    """
    from sqlglot.errors import ErrorLevel, UnsupportedError

    from lakeloader.sql import functions  # noqa: F401 — registers every rule
    from lakeloader.sql.functions import time_windows

    node = parse(tree) if isinstance(tree, str) else tree.copy()
    if not isinstance(node, exp.Query):
        what = spark_name(node).split(" ")[0].upper()
        raise TranslateError(f"{what}: only a query (SELECT, WITH, VALUES) runs here; this SQL is read-only")
    context = Context(settings or Settings())
    name_outputs(node)
    time_windows.prepare(node)
    annotate(node, schema or {}, ansi=context.ansi)
    zero_keys = _mark_zero_keys(node)
    node = rewrite(node, context)
    _normalize_zero_keys(node, zero_keys)
    try:
        return str(node.sql(dialect="duckdb", unsupported_level=ErrorLevel.RAISE))
    except UnsupportedError as exc:
        raise TranslateError(f"{str(exc).splitlines()[0]} has no DuckDB translation; rewrite that part") from None


_ZERO_KEY = "lakeloader_zero_key"


def _mark_zero_keys(tree: exp.Expr) -> int:
    """Mark the float and double columns a SELECT DISTINCT outputs, or a GROUP BY key where the output shows it
    (outside aggregates): Spark shows such a key's -0.0 as 0.0 (NormalizeFloatingNumbers); DuckDB keeps the first
    value of the group. Returns how many were marked."""
    marked = 0
    for select in tree.find_all(exp.Select):
        distinct, group = select.args.get("distinct"), select.args.get("group")
        keys = [_ordinal(select, k) if isinstance(k, exp.Literal) else k for k in (group.expressions if group else [])]
        if group and group.args.get("all"):
            keys += [p.unalias() for p in select.expressions if isinstance(p.unalias(), exp.Column)]
        for projection in select.expressions:
            inner = projection.unalias()
            found = [inner] if distinct and not distinct.args.get("on") and isinstance(inner, exp.Column) else []
            found += [c for c in inner.find_all(exp.Column) if c in keys and _outside_aggregates(c)]
            for column in found:
                if types.kind(column.type) in types.FRACTIONAL and not column.meta.get(_ZERO_KEY):
                    column.meta[_ZERO_KEY] = types.kind(column.type)
                    marked += 1
    return marked


def _ordinal(select: exp.Select, key: exp.Literal) -> exp.Expr:
    """The output a `GROUP BY 2` names."""
    n = int(key.this) if not key.is_string and str(key.this).isdigit() else 0
    return select.expressions[n - 1].unalias() if 0 < n <= len(select.expressions) else key


def _outside_aggregates(column: exp.Column) -> bool:
    return isinstance(column.find_ancestor(exp.AggFunc, exp.Window, exp.Select), exp.Select)


def _normalize_zero_keys(tree: exp.Expr, marked: int) -> None:
    """The marked columns with -0.0 as 0.0 (NaN and NULL as they are), each keeping its output name."""
    for column in [n for n in tree.walk() if marked and isinstance(n, exp.Column) and n.meta.get(_ZERO_KEY)]:
        zero = exp.Cast(this=exp.Literal.number(0), to=exp.DataType.build(column.meta[_ZERO_KEY]))
        case = exp.Case(ifs=[exp.If(this=exp.EQ(this=column.copy(), expression=exp.Literal.number(0)), true=zero)])
        case.set("default", column.copy())
        parent = column.parent
        column.replace(exp.alias_(case, column.name, quoted=True) if isinstance(parent, exp.Select) else case)


def spark_column_name(expression: exp.Expr) -> str:
    """The name Spark gives an unaliased output column: its SQL with functions in lower case, each operation in
    parentheses (`sum(fare)`, `(a + 1)`, `count(1)` for count(*)), a string literal's text without quotes."""
    if isinstance(expression, exp.Literal) and expression.is_string:
        return str(expression.this)
    if isinstance(expression, exp.Anonymous) and expression.name.lower() == "window":
        return "window"  # Spark's time window is named `window`
    shown = expression.copy()
    for node in list(shown.walk()):
        if isinstance(node, exp.Count) and isinstance(node.this, exp.Star):
            node.set("this", exp.Literal.number(1))
        elif isinstance(node, exp.Binary) and not isinstance(node, (exp.Dot, exp.Bracket)):
            node.replace(exp.Paren(this=node.copy()))
    text = shown.sql(dialect="spark", normalize_functions="lower")
    return f"({text})" if isinstance(shown, exp.Binary) and not isinstance(shown, (exp.Dot, exp.Bracket)) else text


_GENERATORS = {"inline_outer", "json_tuple", "explode_outer", "posexplode_outer", "variant_explode"}


def _generates(node: exp.Expr) -> bool:
    return isinstance(node, exp.UDTF) or (isinstance(node, exp.Anonymous) and node.name.lower() in _GENERATORS)


def name_outputs(tree: exp.Expr) -> None:
    """Alias every unaliased computed column of the outermost SELECT with Spark's name for it: the rules' rewrites
    (casts, macros) must not become the column's name."""
    select = tree
    while isinstance(select, exp.SetOperation):
        select = select.this
    if not isinstance(select, exp.Select):
        return
    for projection in list(select.expressions):
        if isinstance(projection, (exp.Alias, exp.Column, exp.Star)) or projection.find(exp.Star) is projection:
            continue
        if any(_generates(n) for n in projection.walk()):
            continue  # a generator names its own columns (col, pos, key, value)
        projection.replace(exp.alias_(projection.copy(), spark_column_name(projection), quoted=True))


def annotate(tree: exp.Expr, schema: Schema, *, ansi: bool = True) -> None:
    """Give every node Spark's type (`node.type`), as far as the schema allows."""
    from sqlglot.errors import OptimizeError
    from sqlglot.optimizer.annotate_types import annotate_types
    from sqlglot.optimizer.qualify import qualify

    _field_access(tree, schema)
    nodes = list(tree.walk())
    for i, node in enumerate(nodes):
        node.meta[_ID] = i
    plain: dict[str, object] = {
        name: {c: t.sql(dialect="spark") for c, t in cols.items()} for name, cols in schema.items()
    }
    copy = tree.copy()
    try:
        copy = qualify(copy, schema=plain, dialect="databricks", validate_qualify_columns=False, identify=False)
    except (OptimizeError, ValueError, KeyError):
        copy = tree.copy()  # a reference the schema does not know: DuckDB will name it; type what we can
    annotate_types(copy, schema=plain, dialect="databricks", expression_metadata=_metadata(ansi))
    found: dict[int, exp.DataType] = {}
    for annotated in copy.walk():
        key = annotated.meta.get(_ID)
        if key is not None and annotated.type is not None and key not in found:
            found[key] = annotated.type
    for i, node in enumerate(nodes):
        if i in found:
            node.type = found[i]
    _type_order_keys(tree)


def _field_access(tree: exp.Expr, schema: Schema) -> None:
    """`w.start` where no relation is called `w` but a column is: the field `start` of struct column `w`, as Spark
    resolves it (written as such, so that it is typed: qualify's own rewrite of it would leave it untyped)."""
    columns = {c.lower() for cols in schema.values() for c in cols}
    columns |= {p.alias_or_name.lower() for select in tree.find_all(exp.Select) for p in select.expressions}
    relations = {t.alias_or_name.lower() for t in tree.find_all(exp.Table)}
    relations |= {a.name.lower() for a in tree.find_all(exp.TableAlias) if a.name}
    for column in list(tree.find_all(exp.Column)):
        table = column.args.get("table")
        if table is None or column.args.get("db") is not None or isinstance(column.this, exp.Star):
            continue
        if table.name.lower() in relations or table.name.lower() not in columns:
            continue
        column.replace(exp.Dot(this=exp.column(table.copy()), expression=column.this.copy()))


def _type_order_keys(tree: exp.Expr) -> None:
    """An ORDER BY key that repeats an output's expression (`ORDER BY avg(n)`): sqlglot's qualify made it a
    reference to the output, so its own nodes were not typed; they take the output's types."""
    for ordered in tree.find_all(exp.Ordered):
        key, select = ordered.this, ordered.find_ancestor(exp.Select)
        if select is None or types.is_known(key.type):
            continue
        for projection in select.expressions:
            if projection.unalias() == key:
                for mine, theirs in zip(key.walk(), projection.unalias().walk(), strict=False):
                    if not types.is_known(mine.type) and theirs.type is not None:
                        mine.type = theirs.type
                break


@functools.cache
def _metadata(ansi: bool) -> dict[type[exp.Expr], dict[str, Any]]:
    """sqlglot's Databricks typing, with Spark's own rules where they differ (literals, decimals, each rule's
    `returns`)."""
    from sqlglot.dialects.databricks import Databricks

    from lakeloader.sql import functions  # noqa: F401 — registers every rule

    metadata: dict[type[exp.Expr], dict[str, Any]] = dict(Databricks.EXPRESSION_METADATA)

    def override(cls: type[exp.Expr], spark_type: Any) -> None:
        base = metadata.get(cls, {})

        def annotator(annotator_self: Any, node: exp.Expr) -> None:
            if "annotator" in base:
                base["annotator"](annotator_self, node)
            elif "returns" in base:
                annotator_self._set_type(node, base["returns"])
            decided = spark_type(node)
            if decided is not None:
                annotator_self._set_type(node, decided)

        metadata[cls] = {"annotator": annotator}

    override(exp.Literal, lambda node: types.literal(node))
    operators: list[tuple[type[exp.Expr], str]] = [
        (exp.Add, "+"),
        (exp.Sub, "-"),
        (exp.Mul, "*"),
        (exp.Div, "/"),
        (exp.Mod, "%"),
    ]
    for operator, op in operators:
        override(operator, functools.partial(_arithmetic_type, op, ansi))
    for node_class, rule in REGISTRY.by_node.items():
        if rule.returns is not None:
            override(node_class, rule.returns)
    return metadata


def operand_type(operand: exp.Expr, other: exp.Expr, *, ansi: bool) -> exp.DataType | None:
    """The type an operand of `+ - * / %` takes in Spark's arithmetic: an integer literal beside a decimal is a
    decimal of its own digits (`3` is decimal(1,0)), NULL takes the other side's type, a string is cast to a
    bigint (ANSI) or a double."""
    mine, theirs = operand.type, other.type
    if types.kind(mine) == exp.DType.NULL or isinstance(operand, exp.Null):
        return theirs if types.is_numeric(theirs) else mine
    if types.is_string(mine) and types.is_numeric(theirs):
        return types.of("bigint") if ansi and types.is_integral(theirs) else types.of("double")
    literal = operand.this if isinstance(operand, exp.Neg) else operand
    if isinstance(literal, exp.Cast) and literal.meta.get("spark_literal"):  # `1L`: still a literal (dialect.py)
        literal = literal.this
    if types.is_integral(mine) and types.kind(theirs) == exp.DType.DECIMAL and isinstance(literal, exp.Literal):
        return types.decimal(max(len(literal.this.lstrip("-")), 1), 0)
    return mine


def _arithmetic_type(op: str, ansi: bool, node: exp.Expr) -> exp.DataType | None:
    left = operand_type(node.this, node.expression, ansi=ansi)
    right = operand_type(node.expression, node.this, ansi=ansi)
    if types.is_numeric(left) and types.is_numeric(right):
        assert left is not None and right is not None
        return types.arithmetic(op, left, right)
    return None


def rewrite(tree: exp.Expr, context: Context) -> exp.Expr:
    """Apply the function table, children before parents."""
    for node in reversed(list(tree.walk())):
        rule = REGISTRY.rule_for(node)
        if rule is None:
            if isinstance(node, STRUCTURE) or not isinstance(node, exp.Expr):
                continue
            raise TranslateError(refusal(node))
        if rule.rewrite is None:
            continue
        spark_type = node.type
        parent, key, index = node.parent, node.arg_key, node.index
        new = rule.rewrite(node, context)  # it may wrap `node` itself: put the result where `node` was
        if new is node:
            continue
        if new.type is None or not types.is_known(new.type):
            new.type = spark_type
        if isinstance(parent, exp.Window) and key == "this":  # an aggregate over a window: window what it became
            window = parent
            new = _windowed(new, window)
            parent, key, index = window.parent, window.arg_key, window.index
        if parent is None or key is None:
            tree = new
        else:
            parent.set(key, new, index)
    return tree


def unsupported(tree: exp.Expr) -> str | None:
    """The refusal of the first function or construct of `tree` that no rule translates (what `to_duckdb` would
    say), found without types: a pipeline's dry-run names it before anything runs. Sources (tables, STREAM(...),
    table functions) are the caller's to replace, so they are not looked into."""
    from lakeloader.sql import functions  # noqa: F401 — registers every rule

    skipped: set[int] = set()
    for node in tree.walk():
        if id(node) in skipped:
            continue
        if isinstance(node, (exp.Table, exp.Stream)):
            skipped |= {id(n) for n in node.walk()}
            continue
        if REGISTRY.rule_for(node) is None and isinstance(node, exp.Expr) and not isinstance(node, STRUCTURE):
            return refusal(node)
    return None


def _windowed(rewritten: exp.Expr, window: exp.Window) -> exp.Expr:
    """An aggregate's rewrite used over `window`: each aggregate call in it takes the window's OVER clause."""
    spec = {k: v for k, v in window.args.items() if k != "this" and v is not None}
    for call in list(rewritten.find_all(exp.AggFunc)):
        if isinstance(call.parent, exp.Window):
            continue
        over = exp.Window(this=call.copy(), **{k: v.copy() if isinstance(v, exp.Expr) else v for k, v in spec.items()})
        if call is rewritten:
            return over
        call.replace(over)
    return rewritten


_SYMBOLS: dict[type[exp.Expr], str] = {  # operators, as the user writes them
    exp.DPipe: "||",
    exp.NullSafeEQ: "<=>",
    exp.IntDiv: "div",
    exp.Mod: "%",
    exp.BitwiseAnd: "&",
    exp.BitwiseOr: "|",
    exp.BitwiseXor: "^",
    exp.BitwiseNot: "~",
    exp.BitwiseLeftShift: "<<",
    exp.BitwiseRightShift: ">>",
    exp.JSONExtract: ":",
    exp.Bracket: "[]",
}


def spark_name(node: exp.Expr) -> str:
    """How a user writes the function or construct `node` in Databricks SQL (`try_add`, not sqlglot's
    `safe_add`; `GROUPING SETS`): the words its Databricks SQL starts with."""
    if isinstance(node, exp.Anonymous):
        return node.name.lower()
    symbol = _SYMBOLS.get(type(node))
    if symbol is not None:
        return symbol
    try:
        text = node.sql(dialect="databricks")
    except Exception:  # a node that cannot print itself alone
        text = ""
    words = re.match(r"\s*([A-Za-z_][A-Za-z0-9_]*(?: [A-Z][A-Z_]*)*)\s*\(", text)
    if words and isinstance(node, exp.Func):
        return words.group(1).lower()
    if words:
        return words.group(1)
    return re.sub(r"(?<=[a-z])(?=[A-Z])", " ", type(node).__name__).upper()


def _spark_version() -> str:
    from lakeloader.sql.registry import spark_version

    return spark_version()


def refusal(node: exp.Expr) -> str:
    from lakeloader.sql.registry import REGISTRY as registry
    from lakeloader.sql.registry import spark_functions

    name = spark_name(node)
    spark_has = name in {f["name"] for f in spark_functions()} or name in registry.refused
    if isinstance(node, exp.Func) and re.fullmatch(r"[a-z_][a-z0-9_]*", name) and not spark_has:
        version = _spark_version()
        return f"[UNRESOLVED_ROUTINE] function {name} does not exist (no Spark {version} built-in); check its name"
    reason = registry.refused.get(name)
    why = reason.why if reason else "it is not supported yet (docs/sql.md lists what is)"
    what = "function" if isinstance(node, exp.Func) else "construct"
    return f"{what} {name}: {why}; rewrite that part of the query"
