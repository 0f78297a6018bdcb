"""Aggregations pushed down: a query over one foreign table, with every filter pushed, has its GROUP BY and its
aggregates computed remotely, typed as the local query types them over the same rows (the query's dialect), so the
answer is the one the same query gives over a Delta copy of the table; the local query then reads one row per
group. Databricks SQL: count bigint, sum of integers bigint, sum of decimal(p,s) decimal(p+10,s), min and max the
column's type, avg of integers a double sum divided by the count (as Spark adds them), avg of decimal(p,s) the
decimal sum and the count, divided locally by the translator as its own avg divides them (Postgres' avg rounds at
a scale of its own). DuckDB's SQL: sums of integers and decimals decimal(38,s); its avg of an integer or a decimal
is not pushed.

Group keys must group alike in both engines (integers, decimals, booleans, dates, timestamps, text under a
deterministic collation), dates and timestamps with +-infinity mapped where the ingest stores them
(`pushdown.finite`); min and max need keys that order alike (`pushdown.orders_alike`). Sums and averages of
floating-point columns depend on the order of addition, as they do between two runs of a parallel engine.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import pyarrow as pa
from sqlglot import exp

from lakeloader.federation.metadata import ForeignColumn
from lakeloader.federation.pushdown import Operand, family, finite, orders_alike
from lakeloader.sources.postgres.typemap import Column

if TYPE_CHECKING:
    from lakeloader.federation.planner import Namer, References, Scan

_GROUPABLE = {"int", "decimal", "bool", "date", "timestamp", "timestamptz", "text"}
_COUNT_DISTINCT = _GROUPABLE
_PREFIX = "__lakeloader_agg_"


class _No(Exception):
    pass


def _column(node: exp.Expression, refs: References) -> ForeignColumn:
    if not isinstance(node, exp.Column):
        raise _No
    column = refs.resolve(node)
    if column is None:
        raise _No
    return column


def _decimal(column: ForeignColumn, extra_precision: int, extra_scale: int) -> tuple[int, int]:
    t = column.arrow_type
    precision = min(38, t.precision + extra_precision)
    return precision, min(precision, t.scale + extra_scale)


@dataclass
class Pushed:
    """One aggregate computed remotely: its columns, and the local expression over them (None: the column)."""

    columns: list[Column]
    combine: Callable[[Sequence[exp.Expression]], exp.Expression] | None = None


def _numeric(name: str, expression: str, precision: int, scale: int) -> Column:
    """A remote numeric read exactly as decimal(precision, scale) (the driver hands numeric over as text)."""
    typed = f"numeric({precision},{scale})"
    return Column(name, f"({expression})::{typed}::text", typed, pa.decimal128(precision, scale))


def _average(total: exp.Expression, count: exp.Expression, precision: int, scale: int) -> exp.Expression:
    """Spark's avg of a decimal(precision, scale) from its sum and its count: the translator's own avg code
    (`lakeloader_average_of`), one rounding half up at the result's scale."""
    args = [total, count, exp.Literal.number(precision), exp.Literal.number(scale)]
    return exp.Anonymous(this="lakeloader_average_of", expressions=args)


def remote_aggregate(node: exp.AggFunc, refs: References, names: Iterator[str], *, dialect: str) -> Pushed:
    """The remote expression(s) of one aggregate, typed as the local query types its result."""
    arg = node.this
    if isinstance(node, exp.Count):
        if isinstance(arg, exp.Star) or (isinstance(arg, exp.Literal) and not arg.is_string):
            return Pushed([Column(next(names), "count(*)", "bigint", pa.int64())])
        if isinstance(arg, exp.Distinct):
            if len(arg.expressions) != 1:
                raise _No
            column = _column(arg.expressions[0], refs)
            if family(column) not in _COUNT_DISTINCT or not column.deterministic:
                raise _No
            distinct = finite(column.quoted, family(column))
            return Pushed([Column(next(names), f"count(DISTINCT {distinct})", "bigint", pa.int64())])
        return Pushed([Column(next(names), f"count({_column(arg, refs).quoted})", "bigint", pa.int64())])
    column = _column(arg, refs)
    fam, q = family(column), column.quoted
    spark = dialect == "databricks"
    if isinstance(node, exp.Sum):
        if fam == "int" and spark:
            return Pushed([Column(next(names), f"sum({q})::int8", "bigint", pa.int64())])
        if fam == "int":  # DuckDB sums integers into a HUGEINT, which reaches Arrow as decimal(38,0)
            return Pushed([_numeric(next(names), f"sum({q})", 38, 0)])
        if fam == "decimal":
            p, s = _decimal(column, 10, 0) if spark else (38, column.arrow_type.scale)
            return Pushed([_numeric(next(names), f"sum({q})", p, s)])
        if fam in ("float4", "float8"):
            return Pushed([Column(next(names), f"sum({q}::float8)", "double precision", pa.float64())])
        raise _No
    if isinstance(node, exp.Avg):
        if fam in ("float4", "float8"):
            return Pushed([Column(next(names), f"avg({q}::float8)", "double precision", pa.float64())])
        if not spark:
            raise _No  # DuckDB's average of integers and decimals: its own arithmetic, computed locally
        if fam == "int":  # Spark: each value as a double, added, divided by the count (exact both ways to 2^53)
            average = f"sum({q}::float8) / nullif(count({q}), 0)::float8"
            return Pushed([Column(next(names), average, "double precision", pa.float64())])
        if fam == "decimal":
            p, s = _decimal(column, 10, 0)
            total = _numeric(next(names), f"sum({q})", p, s)
            count = _numeric(next(names), f"nullif(count({q}), 0)", 20, 0)  # Spark divides by decimal(20,0)
            precision, scale = _decimal(column, 0, 0)  # the column's own type: avg's is the translator's
            return Pushed([total, count], lambda c: _average(c[0], c[1], precision, scale))
        raise _No
    if isinstance(node, exp.Min | exp.Max):
        if fam == "bool" or not orders_alike(Operand(q, fam, column)):
            raise _No
        word = "min" if isinstance(node, exp.Min) else "max"
        expression = column.column.expression.replace(q, f"{word}({q})", 1)
        return Pushed([Column(next(names), expression, column.declared, column.arrow_type)])
    raise _No


def _key(node: exp.Expression, select: exp.Select, refs: References) -> ForeignColumn:
    if isinstance(node, exp.Literal) and not node.is_string and str(node.this).isdigit():
        index = int(node.this) - 1
        if not 0 <= index < len(select.expressions):
            raise _No
        item = select.expressions[index]
        node = item.this if isinstance(item, exp.Alias) else item
    column = _column(node, refs)
    if family(column) not in _GROUPABLE or not column.deterministic:
        raise _No
    return column


def _key_column(key: ForeignColumn) -> Column:
    fam = family(key)
    expression = finite(key.quoted, fam) if fam in ("date", "timestamp", "timestamptz") else key.column.expression
    return Column(key.name, expression, key.declared, key.arrow_type)


def _parts(select: exp.Select) -> list[exp.Expression]:
    """The expressions evaluated on the groups: the SELECT list, HAVING and ORDER BY."""
    out = list(select.expressions)
    if select.args.get("having"):
        out.append(select.args["having"].this)
    if select.args.get("order"):
        out += [o.this for o in select.args["order"].expressions]
    return out


def push(scan: Scan, select: exp.Select, refs: References, namer: Namer, *, dialect: str) -> bool:
    """Push the aggregation of `select` into `scan` and rewrite `select` to read the groups; False if it cannot."""
    try:
        return _push(scan, select, refs, namer, dialect)
    except _No:
        return False


def _push(scan: Scan, select: exp.Select, refs: References, namer: Namer, dialect: str) -> bool:
    if any(select.args.get(k) for k in ("qualify", "windows")):
        return False
    group = select.args.get("group")
    if group is not None and any(group.args.get(k) for k in ("rollup", "cube", "grouping_sets", "all", "totals")):
        return False
    parts = _parts(select)
    if not all(_only_count_star(part) for part in parts):
        return False
    keys = [_key(k, select, refs) for k in (group.expressions if group is not None else [])]
    aggregates: dict[str, tuple[Pushed, list[exp.AggFunc]]] = {}
    names = (f"{_PREFIX}{i}" for i in itertools.count())
    for part in parts:
        for node in part.find_all(exp.AggFunc):
            if any(isinstance(inner, exp.AggFunc) for inner in node.walk() if inner is not node):
                raise _No  # an aggregate inside an aggregate
            text = node.sql()
            if text not in aggregates:
                aggregates[text] = (remote_aggregate(node, refs, names, dialect=dialect), [])
            aggregates[text][1].append(node)
    key_names = {k.name for k in keys}
    outputs = {i.alias.lower() for i in select.expressions if isinstance(i, exp.Alias)}
    for part in parts:
        for column in part.find_all(exp.Column):
            if column.find_ancestor(exp.AggFunc) is not None:
                continue
            resolved = refs.resolve(column)
            if resolved is not None and resolved.name in key_names:
                continue
            if resolved is None and not column.table and column.name.lower() in outputs:
                continue
            raise _No  # a column that is neither grouped nor aggregated (or not ours)
    outputs_named = namer(select, refs.node, refs.table)
    if len(outputs_named) != len(select.expressions):
        return False
    scan.columns = [_key_column(k) for k in keys]
    scan.columns += [column for pushed, _ in aggregates.values() for column in pushed.columns]
    # the input column, not an output one; +-infinity where the ingest puts them, as the key's column does
    scan.group_by = [finite(f"{refs.table.remote_sql}.{k.quoted}", family(k)) for k in keys]
    scan.local.append("GROUP BY and aggregates computed remotely; the query reads one row per group")
    alias = exp.to_identifier(refs.alias, quoted=True)
    for pushed, nodes in aggregates.values():
        for node in nodes:
            read = [exp.column(c.name, table=alias.copy(), quoted=True) for c in pushed.columns]
            node.replace(pushed.combine(read) if pushed.combine is not None else read[0])
    for i, item in enumerate(list(select.expressions)):
        if not isinstance(item, exp.Alias):
            item.replace(exp.alias_(item.copy(), outputs_named[i], quoted=True))
    having = select.args.get("having")
    select.set("where", exp.Where(this=having.this) if having is not None else None)
    select.set("having", None)
    select.set("group", None)
    return True


def _only_count_star(part: exp.Expression) -> bool:
    """Whether the only stars in `part` are count(*)'s (other windows and subqueries are refused)."""
    for node in part.walk():
        if isinstance(node, exp.Star) and not isinstance(node.parent, exp.Count):
            return False
        if isinstance(node, exp.Window | exp.Select | exp.Subquery | exp.Filter):
            return False
    return True
