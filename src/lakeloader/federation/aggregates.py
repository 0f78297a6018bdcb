"""Aggregations pushed down: a query over one foreign table, with every filter pushed, has its GROUP BY and its
count / sum / avg / min / max computed remotely, cast to the types Databricks returns (count and sum of integers
bigint, avg double — Postgres' avg is numeric —, sum and avg of decimal(p,s) decimal(p+10,s) and
decimal(p+4,s+4), min and max the column's type); the local query then reads one row per group.

Group keys must group alike in both engines (integers, decimals, booleans, dates, timestamps, text under a
deterministic collation); min and max need keys that order alike (`pushdown.orders_alike`). Sums and averages
of floating-point columns depend on the order of addition, as they do between two runs of a parallel engine.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import pyarrow as pa
from sqlglot import exp

from lakeloader.federation.metadata import ForeignColumn
from lakeloader.federation.pushdown import Operand, family, orders_alike
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


def remote_aggregate(node: exp.AggFunc, refs: References, name: str) -> Column:
    """The remote expression of one aggregate, typed as Databricks types its result."""
    arg = node.this
    if isinstance(node, exp.Count):
        if isinstance(arg, exp.Star) or (isinstance(arg, exp.Literal) and not arg.is_string):
            return Column(name, "count(*)", "bigint", pa.int64())
        if isinstance(arg, exp.Distinct):
            if len(arg.expressions) != 1:
                raise _No
            column = _column(arg.expressions[0], refs)
            if family(column) not in _COUNT_DISTINCT or not column.deterministic:
                raise _No
            return Column(name, f"count(DISTINCT {column.quoted})", "bigint", pa.int64())
        return Column(name, f"count({_column(arg, refs).quoted})", "bigint", pa.int64())
    column = _column(arg, refs)
    fam, q = family(column), column.quoted
    if isinstance(node, exp.Sum):
        if fam == "int":
            return Column(name, f"sum({q})::int8", "bigint", pa.int64())
        if fam == "decimal":
            p, s = _decimal(column, 10, 0)
            return Column(name, f"(sum({q})::numeric({p},{s}))::text", f"numeric({p},{s})", pa.decimal128(p, s))
        if fam in ("float4", "float8"):
            return Column(name, f"sum({q}::float8)", "double precision", pa.float64())
        raise _No
    if isinstance(node, exp.Avg):
        if fam == "int":
            return Column(name, f"avg({q})::float8", "double precision", pa.float64())
        if fam in ("float4", "float8"):
            return Column(name, f"avg({q}::float8)", "double precision", pa.float64())
        if fam == "decimal":
            p, s = _decimal(column, 4, 4)
            return Column(name, f"(avg({q})::numeric({p},{s}))::text", f"numeric({p},{s})", pa.decimal128(p, s))
        raise _No
    if isinstance(node, exp.Min | exp.Max):
        if fam == "bool" or not orders_alike(Operand(q, fam, column)):
            raise _No
        word = "min" if isinstance(node, exp.Min) else "max"
        expression = column.column.expression.replace(q, f"{word}({q})", 1)
        return Column(name, expression, column.declared, column.arrow_type)
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


def _parts(select: exp.Select) -> list[exp.Expression]:
    """The expressions evaluated on the groups: the SELECT list, HAVING and ORDER BY."""
    out = list(select.expressions)
    if select.args.get("having"):
        out.append(select.args["having"].this)
    if select.args.get("order"):
        out += [o.this for o in select.args["order"].expressions]
    return out


def push(scan: Scan, select: exp.Select, refs: References, namer: Namer) -> bool:
    """Push the aggregation of `select` into `scan` and rewrite `select` to read the groups; False if it cannot."""
    try:
        return _push(scan, select, refs, namer)
    except _No:
        return False


def _push(scan: Scan, select: exp.Select, refs: References, namer: Namer) -> bool:
    if any(select.args.get(k) for k in ("qualify", "windows")):
        return False
    group = select.args.get("group")
    if group is not None and any(group.args.get(k) for k in ("rollup", "cube", "grouping_sets", "all", "totals")):
        return False
    parts = _parts(select)
    if not all(_only_count_star(part) for part in parts):
        return False
    keys = [_key(k, select, refs) for k in (group.expressions if group is not None else [])]
    aggregates: dict[str, tuple[Column, list[exp.AggFunc]]] = {}
    for part in parts:
        for node in part.find_all(exp.AggFunc):
            if any(isinstance(inner, exp.AggFunc) for inner in node.walk() if inner is not node):
                raise _No  # an aggregate inside an aggregate
            text = node.sql()
            if text not in aggregates:
                aggregates[text] = (remote_aggregate(node, refs, f"{_PREFIX}{len(aggregates)}"), [])
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
    names = namer(select, refs.node, refs.table)
    if len(names) != len(select.expressions):
        return False
    scan.columns = [Column(k.name, k.column.expression, k.declared, k.arrow_type) for k in keys]
    scan.columns += [column for column, _ in aggregates.values()]
    scan.group_by = [f"{refs.table.remote_sql}.{k.quoted}" for k in keys]  # the input column, not an output one
    scan.local.append("GROUP BY and aggregates computed remotely; the query reads one row per group")
    for remote_column, nodes in aggregates.values():
        for node in nodes:
            node.replace(exp.column(remote_column.name, table=exp.to_identifier(refs.alias, quoted=True), quoted=True))
    for i, item in enumerate(list(select.expressions)):
        if not isinstance(item, exp.Alias):
            item.replace(exp.alias_(item.copy(), names[i], quoted=True))
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
