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


def _probe(ctx: Any, flow: Any, inspect: Any) -> Any:
    """`inspect(dataframe, stream_view, session)` for the DataFrame a Python flow's function returns over an empty
    batch of its one stream (a plan, not rows), or None when it is not PySpark code returning a DataFrame."""
    from lakeloader.lakehouse import delta
    from lakeloader.pipelines.session import FlowSession, Streams

    refs = sorted(flow.query.streaming_references)
    if flow.query.function is None or len(refs) != 1 or flow.query.reads_files:
        return None
    if "spark" not in getattr(flow.query.function, "__globals__", {}):
        return None  # not PySpark code (lakeloader's own dp: relations, appended as they come)
    key = ctx.pipeline.graph.resolve(refs[0])
    info = ctx.lakehouse.metastore.get(key) if key else None
    if info is None or info.location is None or not delta.is_delta_table(info.location):
        return None
    schema = pa.schema(delta.open_table(info.location).schema().to_arrow())
    session = FlowSession(ctx.lakehouse, ctx.pipeline, flow, stream=Streams(key, schema.empty_table()))
    try:
        from lakeloader.pipelines import api

        with api.running(session), spark_running(session):
            result = flow.query.function()
            if not is_dataframe(result):
                return None
            return inspect(result, STREAM_VIEW, session)
    finally:
        session.close()


STREAM_VIEW = "__lakeloader_stream"


def streaming_aggregation(ctx: Any, flow: Any) -> bool:
    """Does a Python flow's DataFrame aggregate the stream it reads without a watermark (so it is computed over
    all its input)?"""

    def inspect(df: Any, view: str, _session: Any) -> bool:
        return df.watermark is None and aggregates_stream(df.spark_sql(), view)

    return bool(_probe(ctx, flow, inspect))


_UNITS = {"s": "SECONDS", "sec": "SECONDS", "second": "SECONDS", "m": "MINUTES", "min": "MINUTES",
          "minute": "MINUTES", "h": "HOURS", "hour": "HOURS", "d": "DAYS", "day": "DAYS", "ms": "MILLISECONDS",
          "millisecond": "MILLISECONDS", "week": "WEEKS"}  # fmt: skip


def _interval(delay: str, where: str) -> str:
    """Spark's delayThreshold ('10 minutes', '1 hour') as an INTERVAL literal's body."""
    import re

    from lakeloader.errors import ConfigError

    parts = re.findall(r"(\d+)\s*([a-z]+?)s?\b", delay.strip().lower().removeprefix("interval").strip())
    if not parts or any(unit not in _UNITS for _n, unit in parts):
        raise ConfigError(f"{where}: withWatermark delay {delay!r}: write it as Spark does, e.g. '10 minutes'")
    return " ".join(f"{n} {_UNITS[unit]}" for n, unit in parts)


def watermarked(ctx: Any, flow: Any) -> Any:
    """A Python flow whose DataFrame aggregates its stream under `withWatermark`, as the SQL flow it stands for
    (`... FROM STREAM(t) WATERMARK ts DELAY OF INTERVAL ...`), for the windowed runner; None otherwise."""
    import dataclasses

    from lakeloader.errors import ConfigError
    from lakeloader.pipelines import translate

    where = f"{flow.location}: flow {flow.name}"

    def inspect(df: Any, view: str, session: Any) -> Any:
        if df.watermark is None:
            return None
        column, delay = df.watermark
        stream = translate_stream_sql(df.spark_sql(), view, session, where)
        key = ctx.pipeline.graph.resolve(sorted(flow.query.streaming_references)[0])
        relation = f"STREAM({_quoted(key)}) WATERMARK `{column}` DELAY OF INTERVAL {_interval(delay, where)}"
        sql = stream.replace(_PLACEHOLDER, f"{relation} AS {STREAM_VIEW}")
        try:
            query = translate.describe(sql, where=flow.location)
        except translate.TranslateError as exc:
            raise ConfigError(f"{where}: {exc}") from None
        return dataclasses.replace(flow, query=dataclasses.replace(query, function=None))

    return _probe(ctx, flow, inspect)


_PLACEHOLDER = "LAKELOADER_WATERMARKED_STREAM"


def _quoted(key: str) -> str:
    from lakeloader.lakehouse import names

    return ".".join(f"`{p}`" for p in names.split_parts(key))


def translate_stream_sql(sql: str, view: str, session: Any, where: str) -> str:
    """A DataFrame's Spark SQL as one SELECT over the stream (its row-wise steps merged into it), the stream's
    view swapped for a placeholder."""
    from sqlglot import exp
    from sqlglot.optimizer.merge_subqueries import merge_subqueries
    from sqlglot.optimizer.qualify import qualify

    from lakeloader.errors import ConfigError
    from lakeloader.sql import parse
    from lakeloader.sql import types as spark_types

    tree = parse(sql)
    if isinstance(tree, exp.Select):
        for projection in tree.expressions:  # Spark names an unaliased window(...) `window`
            if isinstance(projection, exp.Anonymous) and projection.name.lower() == "window":
                projection.replace(exp.alias_(projection.copy(), "window"))
    arrow = session.con.sql(f'SELECT * FROM "{view}" LIMIT 0').arrow().schema
    columns = {f.name: spark_types.from_arrow(f.type).sql(dialect="spark") for f in arrow}
    tree = qualify(tree, schema={view: columns}, dialect="databricks", validate_qualify_columns=False, identify=False)
    tree = merge_subqueries(tree)
    tables = list(tree.find_all(exp.Table)) if isinstance(tree, exp.Select) else []
    if not isinstance(tree, exp.Select) or tree.ctes or [t.name for t in tables] != [view]:
        raise ConfigError(
            f"{where}: withWatermark: the steps between the stream and groupBy must be row-wise (select, filter, "
            "withColumn) for the aggregation to run incrementally"
        )
    tables[0].set("alias", None)
    tables[0].set("this", exp.to_identifier(_PLACEHOLDER))
    return str(tree.sql(dialect="databricks"))
