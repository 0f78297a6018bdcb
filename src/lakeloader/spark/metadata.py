"""Auto Loader's hidden `_metadata` column through DataFrame transformations.

A files DataFrame's columns leave `_metadata` out (Spark's `*` does), yet `F.col("_metadata.file_path")` reads
it after any projection or filter, as in Spark. SQLFrame writes each step as a CTE listing its columns, so the
column is carried: every row-wise CTE over the files' view (and over such CTEs) also selects `_metadata`.
"""

from __future__ import annotations

import sqlglot
from sqlglot import exp

NAME = "_metadata"


def mentions(tree: exp.Expr) -> bool:
    return any(c.name == NAME or c.table == NAME for c in tree.find_all(exp.Column))


def carried(sql: str, view: str) -> str:
    """`sql` (Spark SQL over `view`) with `_metadata` selected by each row-wise step between the view and the
    steps that read it; unchanged when nothing reads it."""
    tree = sqlglot.parse_one(sql, read="spark")
    if not mentions(tree):
        return sql
    having = {view}
    for cte in tree.ctes if isinstance(tree, exp.Query) else []:
        select = cte.this
        source = select.args.get("from_") if isinstance(select, exp.Select) else None
        table = source.this if source is not None else None
        if not (isinstance(table, exp.Table) and table.name in having):
            continue
        if select.args.get("group") or select.args.get("distinct") or select.find(exp.AggFunc, exp.Window):
            continue  # an aggregate has no per-row file: the column stops here, as in Spark
        if NAME not in select.named_selects and not any(isinstance(e, exp.Star) for e in select.expressions):
            select.select(exp.column(NAME), append=True, copy=False)
        having.add(cte.alias)
    return tree.sql(dialect="spark")
