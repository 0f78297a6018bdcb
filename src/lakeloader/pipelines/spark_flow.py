"""PySpark DataFrames in a pipeline's query functions: the flow's DuckDB session as the DataFrames' engine.

`dlt.read`, `spark.read.table`, `spark.readStream.table`, `spark.readStream.format("cloudFiles")...load()` and
`spark.sql` give DataFrames over the views the flow's session registers (its datasets, its stream's batch, its
files); the DataFrame a function returns is its Spark SQL, translated and run by that session like a SQL flow's.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

import pyarrow as pa

if TYPE_CHECKING:
    from lakeloader.pipelines.session import FlowSession


class FlowEngine:
    """`lakeloader.spark.engine.Engine` over one flow's session."""

    def __init__(self, session: FlowSession) -> None:
        self.session = session
        self.lakehouse = session.lakehouse
        self.conf: dict[str, str] = dict(session.pipeline.spec.configuration)
        self.current_schema = session.pipeline.schema

    def run(self, sql: str) -> pa.Table:
        return self.session.sql(sql).to_arrow_table()

    def _view(self, quoted: str) -> str:
        return quoted.strip('"').replace('""', '"')

    def schema(self, name: str) -> pa.Schema:
        return self.session.con.sql(f'SELECT * FROM "{name.replace(chr(34), chr(34) * 2)}" LIMIT 0').arrow().schema

    def table_name(self, name: str) -> str:
        """The view of dataset or table `name` in the flow's session."""
        if name in self.session._views.values():
            return name
        return self._view(self.session.resolve(name, False))

    def register(self, data: Any, name: str | None = None) -> str:
        from lakeloader.spark.engine import view_name

        view = name or view_name()
        if isinstance(data, pa.RecordBatchReader):
            data = data.read_all()
        self.session.con.register(view, data)
        self.session._views[f"spark:{view}"] = view
        return view

    def stream_name(self, name: str) -> str:
        return self._view(self.session.resolve(name, True))

    def files_name(self, path: str, options: dict[str, Any], streaming: bool) -> str:
        from lakeloader.pipelines import translate

        return self._view(self.session.resolve_files(translate.FilesRead(path, options, streaming)))


def is_dataframe(value: Any) -> bool:
    return type(value).__module__.startswith("lakeloader.spark")


@contextmanager
def spark_running(session: FlowSession) -> Iterator[None]:
    """DataFrames built while a query function runs use the flow's session."""
    from lakeloader.spark import engine

    with engine.using(FlowEngine(session)):
        yield


def aggregates_stream(sql: str, stream_view: str) -> bool:
    """Does a DataFrame's Spark SQL aggregate (GROUP BY, DISTINCT, an aggregate function) the rows of the stream it
    reads, in a step over the stream or over steps derived from it row by row?"""
    import sqlglot
    from sqlglot import exp

    tree = sqlglot.parse_one(sql, read="spark")
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


def streaming_aggregation(ctx: Any, flow: Any) -> bool:
    """Does a Python flow's DataFrame aggregate the stream it reads (so it is computed over all its input)? Asked
    by running its query function over an empty batch of the stream: what it returns is a plan, not rows."""
    from lakeloader.lakehouse import delta
    from lakeloader.pipelines.session import FlowSession, Streams

    refs = sorted(flow.query.streaming_references)
    if flow.query.function is None or len(refs) != 1 or flow.query.reads_files:
        return False
    if "spark" not in getattr(flow.query.function, "__globals__", {}):
        return False  # not PySpark code (lakeloader's own dp: relations, appended as they come)
    key = ctx.pipeline.graph.resolve(refs[0])
    info = ctx.lakehouse.metastore.get(key) if key else None
    if info is None or info.location is None or not delta.is_delta_table(info.location):
        return False
    schema = pa.schema(delta.open_table(info.location).schema().to_arrow())
    session = FlowSession(ctx.lakehouse, ctx.pipeline, flow, stream=Streams(key, schema.empty_table()))
    try:
        from lakeloader.pipelines import api

        with api.running(session), spark_running(session):
            result = flow.query.function()
            if not is_dataframe(result):
                return False
            return aggregates_stream(result.spark_sql(), "__lakeloader_stream")
    finally:
        session.close()
