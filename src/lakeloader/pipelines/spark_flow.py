"""PySpark DataFrames in a pipeline's query functions: the flow's DuckDB session as the DataFrames' engine.

`dlt.read`, `spark.read.table`, `spark.readStream.table`, `spark.readStream.format("cloudFiles")...load()` and
`spark.sql` give DataFrames over the views the flow's session registers (its datasets, its stream's batch, its
files); the DataFrame a function returns is its Spark SQL, translated and run by that session like a SQL flow's.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

import pyarrow as pa

if TYPE_CHECKING:
    from lakeloader.pipelines.session import FlowSession

log = logging.getLogger(__name__)


class FlowEngine:
    """`lakeloader.spark.engine.Engine` over one flow's session."""

    def __init__(self, session: FlowSession) -> None:
        self.session = session
        self.lakehouse = session.lakehouse
        self.conf: dict[str, str] = dict(session.pipeline.spec.configuration)
        self.current_schema = session.pipeline.schema
        self.streams: dict[str, str] = {}  # a stream's view -> the dataset it reads

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
        view = self._view(self.session.resolve(name, True))
        key = self.session.pipeline.graph.resolve(name)
        if key is not None:
            self.streams[view] = key  # which dataset each stream view reads (withWatermark's conversion asks)
        return view

    def files_name(self, path: str, options: dict[str, Any], streaming: bool) -> str:
        from lakeloader.pipelines import translate

        return self._view(self.session.resolve_files(translate.FilesRead(path, options, streaming)))


def is_dataframe(value: Any) -> bool:
    return type(value).__module__.startswith("lakeloader.spark")


@contextmanager
def spark_running(session: FlowSession) -> Iterator[FlowEngine]:
    """DataFrames built while a query function runs use the flow's session."""
    from lakeloader.spark import engine

    flow_engine = FlowEngine(session)
    with engine.using(flow_engine):
        yield flow_engine


def _probe(ctx: Any, flow: Any, inspect: Any) -> Any:
    """`inspect(dataframe, engine, session)` for the DataFrame a Python flow's function returns over its streams
    (read whole: a plan is made, no rows), or None when it is not PySpark code returning a DataFrame."""
    from lakeloader.lakehouse import delta
    from lakeloader.pipelines.session import FlowSession

    refs = sorted(flow.query.streaming_references)
    if flow.query.function is None or not 1 <= len(refs) <= 2 or flow.query.reads_files:
        return None
    if "spark" not in getattr(flow.query.function, "__globals__", {}):
        return None  # not PySpark code (lakeloader's own dp: relations, appended as they come)
    for ref in refs:
        key = ctx.pipeline.graph.resolve(ref)
        info = ctx.lakehouse.metastore.get(key) if key else None
        if info is None or info.location is None or not delta.is_delta_table(info.location):
            return None  # nothing upstream yet: the first update streams it as it comes
    session = FlowSession(ctx.lakehouse, ctx.pipeline, flow, whole_streams=True)
    try:
        from lakeloader.pipelines import api

        with api.running(session), spark_running(session) as flow_engine:
            result = flow.query.function()
            if not is_dataframe(result):
                return None
            return inspect(result, flow_engine, session)
    finally:
        session.close()


def streaming_aggregation(ctx: Any, flow: Any) -> bool:
    """Does a Python flow's DataFrame aggregate its stream, or join two streams, without a watermark (so it is
    computed over all its input, as Databricks does)?"""

    from lakeloader.spark.plans import aggregates_stream

    def inspect(df: Any, flow_engine: FlowEngine, _session: Any) -> bool:
        if df.watermarks:
            return False
        sql = df.spark_sql()
        return len(flow_engine.streams) == 2 or any(aggregates_stream(sql, view) for view in flow_engine.streams)

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
    """A Python flow whose DataFrame reads its streams under `withWatermark` (an aggregation by window, or a join
    of two streams), as the SQL flow it stands for (`... FROM STREAM(t) WATERMARK ts DELAY OF INTERVAL ...`),
    for the windowed or stream-join runner; None otherwise."""
    import dataclasses

    from lakeloader.errors import ConfigError
    from lakeloader.pipelines import translate

    where = f"{flow.location}: flow {flow.name}"

    def inspect(df: Any, flow_engine: FlowEngine, session: Any) -> Any:
        if not df.watermarks:
            return None
        views = list(flow_engine.streams)
        marks = {view: (column, delay) for view, column, delay in df.watermarks}
        text = merged_sql(df.spark_sql(), views, session, where)
        for i, view in enumerate(views):
            relation = f"STREAM({_quoted(flow_engine.streams[view])})"
            if view in marks:
                column, delay = marks[view]
                relation += f" WATERMARK `{column}` DELAY OF INTERVAL {_interval(delay, where)}"
            text = text.replace(f"{_PLACEHOLDER}_{i}", f"{relation} AS {_ALIAS}_{i}")
        log.debug("flow %s runs as: %s", flow.name, text)
        try:
            query = translate.describe(text, where=flow.location)
        except translate.TranslateError as exc:
            raise ConfigError(f"{where}: {exc}") from None
        return dataclasses.replace(flow, query=dataclasses.replace(query, function=None))

    return _probe(ctx, flow, inspect)


_PLACEHOLDER = "LAKELOADER_WATERMARKED_STREAM"
_ALIAS = "lakeloader_stream"  # each stream's alias in the SQL a DataFrame stands for


def _quoted(key: str) -> str:
    from lakeloader.lakehouse import names

    return ".".join(f"`{p}`" for p in names.split_parts(key))


def merged_sql(sql: str, views: list[str], session: Any, where: str) -> str:
    """A DataFrame's Spark SQL as one SELECT over its streams (its row-wise steps merged into it), each stream's
    view swapped for a numbered placeholder."""
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
    schema: dict[str, object] = {}
    for view in views:
        arrow = session.con.sql(f'SELECT * FROM "{view}" LIMIT 0').arrow().schema
        schema[view] = {f.name: spark_types.from_arrow(f.type).sql(dialect="spark") for f in arrow}
    tree = qualify(tree, schema=schema, dialect="databricks", validate_qualify_columns=False, identify=False)
    tree = merge_subqueries(tree)
    tables = list(tree.find_all(exp.Table)) if isinstance(tree, exp.Select) else []
    if not isinstance(tree, exp.Select) or tree.ctes or sorted(t.name for t in tables) != sorted(views):
        raise ConfigError(
            f"{where}: withWatermark: the steps between the streams and groupBy or join must be row-wise (select, "
            "filter, withColumn) for the query to run incrementally"
        )
    for column in tree.find_all(exp.Column):  # qualified by the stream's alias, not by a view of the session
        if column.table in views:
            column.set("table", exp.to_identifier(f"{_ALIAS}_{views.index(column.table)}"))
    for table in tables:
        table.set("alias", None)
        table.set("this", exp.to_identifier(f"{_PLACEHOLDER}_{views.index(table.name)}"))
    return str(tree.sql(dialect="databricks"))
