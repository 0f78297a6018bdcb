"""`dry-run` binds every SQL query as the run would, without reading a row: what fails at run time on a function
or a type fails here first, with its file and line.

Each query is translated by the one SQL translator and bound by DuckDB over empty tables of the schemas that can
be known before anything runs: the lakehouse's tables as they are, and the pipeline's own datasets as their
queries make them (in the graph's order; a temporary view where it is read). A query that reads what cannot be
known yet (files, a Postgres read, a foreign table, a Python function's dataset, a table not created yet) is
left to the run.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pyarrow as pa

from lakeloader.errors import ConfigError
from lakeloader.lakehouse import delta
from lakeloader.pipelines import foreign, translate, windowed
from lakeloader.pipelines.model import Flow

if TYPE_CHECKING:
    from lakeloader.lakehouse.root import Lakehouse
    from lakeloader.pipelines.load import Pipeline


class _Unknown(Exception):
    """A source whose schema cannot be known before the run."""


class _Binder:
    def __init__(self, pipeline: Pipeline, lakehouse: Lakehouse) -> None:
        import duckdb

        from lakeloader.sql import runtime

        self.pipeline, self.lakehouse = pipeline, lakehouse
        self.con = duckdb.connect()
        self.con.execute("SET TimeZone = 'UTC'")
        runtime.prepare(self.con)
        self.schemas: dict[str, pa.Schema | None] = {}  # dataset key -> the schema its query makes (None: unknown)
        self.views: dict[str, str] = {}

    def close(self) -> None:
        self.con.close()

    def _register(self, key: str, schema: pa.Schema) -> str:
        view = self.views.get(key)
        if view is None:
            view = f"__lakeloader_b{len(self.views)}"
            self.con.register(view, pa.table({f.name: pa.array([], f.type) for f in schema}))
            self.views[key] = view
        return '"' + view + '"'

    def resolve(self, written: str, _streaming: bool) -> str:
        graph = self.pipeline.graph
        key = graph.resolve(written)
        if key is None or foreign.is_foreign(self.lakehouse, key):
            raise _Unknown
        node = graph.nodes.get(key)
        if node is not None:
            if key not in self.schemas and node.flows:
                self.bind(node.flows[0])  # a view (or a dataset bound later in order): bound where it is read
            schema = self.schemas.get(key)
            if schema is None:
                raise _Unknown
            return self._register(key, schema)
        info = self.lakehouse.metastore.get(key)
        if info is None or info.location is None or not delta.is_delta_table(info.location):
            raise _Unknown
        return self._register(key, pa.schema(delta.open_table(info.location).schema().to_arrow()))

    def resolve_files(self, _files: translate.FilesRead) -> str:
        raise _Unknown

    def describe(self, view: str) -> dict[str, Any]:
        from lakeloader.sql import types

        schema = self.con.sql(f"SELECT * FROM {view} LIMIT 0").arrow().schema
        return {field.name: types.from_arrow(field.type) for field in schema}

    def bind(self, flow: Flow) -> str | None:
        """The problem binding `flow`'s query shows, or None; the schema it makes is kept for its readers."""
        import duckdb

        from lakeloader.pipelines.session import flow_settings
        from lakeloader.sql import runtime
        from lakeloader.sql.errors import spark_message

        node = self.pipeline.graph.target_of(flow)
        self.schemas.setdefault(node.key, None)  # a cycle, or a failure: unknown to its readers
        if flow.query.sql is None or flow.kind not in ("append", "complete"):
            return None
        settings = flow_settings(self.pipeline, flow)
        if windowed.applies(flow):
            try:
                windowed.plan(flow)
            except ConfigError as exc:
                return str(exc)
        try:
            sql = translate.to_duckdb(
                flow.query.sql,
                resolve=self.resolve,
                resolve_files=self.resolve_files,
                describe=self.describe,
                settings=settings,
            )
            relation = self.con.sql(runtime.ready(self.con, sql))
            schema = relation.limit(0).arrow().schema
        except _Unknown:
            return None
        except translate.TranslateError as exc:
            return f"{flow.location}: flow {flow.name}: {exc}"
        except duckdb.Error as exc:
            first = str(exc).splitlines()[0]
            return f"{flow.location}: flow {flow.name}: {spark_message(first)}; fix the SQL"
        if len(node.flows) == 1:
            self.schemas[node.key] = schema
        return None


def problems(pipeline: Pipeline, lakehouse: Lakehouse) -> list[str]:
    """What binding each SQL query of the pipeline shows, one line each, in the graph's order."""
    binder = _Binder(pipeline, lakehouse)
    try:
        found = []
        for name in pipeline.graph.order():
            flow = pipeline.graph.flows[name]
            node = pipeline.graph.target_of(flow)
            if binder.schemas.get(node.key) is not None and len(node.flows) == 1:
                continue  # bound already, where a reader needed it
            problem = binder.bind(flow)
            if problem is not None:
                found.append(problem)
        return found
    finally:
        binder.close()
