"""What a DataFrame's Spark SQL does with the stream it reads (asked before it runs)."""

from __future__ import annotations


def aggregates_stream(sql: str, stream_view: str) -> bool:
    """Does a DataFrame's Spark SQL aggregate (GROUP BY, DISTINCT, an aggregate function) the rows of the stream it
    reads, in a step over the stream or over steps derived from it row by row?"""
    from sqlglot import exp

    from lakeloader.sql import parse

    tree = parse(sql)
    derived = {stream_view}

    def reads_stream(select: exp.Expr) -> bool:
        return any(t.name in derived for t in select.find_all(exp.Table) if t.find_ancestor(exp.Select) is select)

    steps: list[tuple[str | None, exp.Expr]] = []
    if isinstance(tree, exp.Query):
        steps = [(cte.alias, cte.this) for cte in tree.ctes]
    steps.append((None, tree))
    for alias, step in steps:
        for select in step.find_all(exp.Select):
            if not reads_stream(select):
                continue
            grouped = select.args.get("group") or select.args.get("distinct")
            if grouped or any(f.find_ancestor(exp.Select) is select for f in select.find_all(exp.AggFunc)):
                return True
            if alias is not None:
                derived.add(alias)
    return False
