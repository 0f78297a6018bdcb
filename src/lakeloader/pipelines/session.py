"""One flow's DuckDB session: the datasets it reads as views (Delta files read by DuckDB's own Parquet reader), its
stream's new rows as a view, temporary views inlined, and the guard locked before any user SQL runs."""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pyarrow as pa

from lakeloader.errors import ConfigError, NotFoundError, TerminalError
from lakeloader.lakehouse import delta, storage
from lakeloader.pipelines import foreign, translate
from lakeloader.pipelines.model import Flow

if TYPE_CHECKING:
    from lakeloader.lakehouse.root import Lakehouse
    from lakeloader.pipelines.duck import SharedDatabase
    from lakeloader.pipelines.load import Pipeline
    from lakeloader.sql import Settings

_NON_DETERMINISTIC = (
    "current_timestamp",
    "current_date",
    "now(",
    "rand",
    "random",
    "uuid",
    "read_files",
    "unix_timestamp",
)


def quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


@dataclass(frozen=True)
class ParquetFiles:
    """A batch that is plain Parquet files of one table folder: DuckDB's own reader scans them (faster than
    through an Arrow dataset; bench/pipelines.py)."""

    folder: str
    paths: list[str]


@dataclass
class Streams:
    """The stream a flow reads in this batch: which dataset (or files read), and its new rows."""

    key: str | None  # the dataset key read as a stream (None: files or Postgres)
    data: Any  # a pyarrow dataset / table / reader DuckDB scans
    files: translate.FilesRead | None = None
    postgres: bool = False  # the rows dp.read_postgres returns in this batch


@dataclass
class FlowSession:
    """The DuckDB connection one flow's query runs in (implements `api.Session` for Python query functions)."""

    lakehouse: Lakehouse
    pipeline: Pipeline
    flow: Flow
    stream: Streams | None = None
    read_versions: dict[str, int] = field(default_factory=dict)  # table key -> Delta version read (MV refresh state)
    con: Any = None
    _views: dict[str, str] = field(default_factory=dict)
    _folders: set[str] = field(default_factory=set)
    _locked: bool = False
    _python_views: dict[str, pa.Table] = field(default_factory=dict)
    database: SharedDatabase | None = None  # the update's DuckDB database (else one of its own)
    whole_streams: bool = False  # STREAM(t) reads all of t (an aggregating streaming table, recomputed whole)
    extra_views: dict[str, Any] = field(default_factory=dict)  # names the query reads -> rows (a stream join's)

    def __post_init__(self) -> None:
        if self.database is not None:  # locked down already: a cursor, its own session
            self.con = self.database.cursor()
            self._locked = True
            return
        import duckdb

        from lakeloader.sql import runtime

        self.con = duckdb.connect()
        self.con.execute("SET TimeZone = 'UTC'")
        runtime.prepare(self.con)

    def _parquet_ok(self, folder: str | storage.Location) -> bool:
        """May DuckDB's own Parquet reader scan files in `folder` (else they go through Arrow)?"""
        return self.database is None or self.database.allows(folder)

    def close(self) -> None:
        self.con.close()

    # -- sources as views ------------------------------------------------------------------------------
    def _table_view(self, key: str) -> str:
        """A view over the current snapshot of table `key` (a pipeline dataset or any lakehouse table)."""
        if key in self._views:
            return self._views[key]
        info = self.lakehouse.metastore.get(key)
        if info is None or info.location is None:
            raise NotFoundError(
                f"flow {self.flow.name}: table {key} does not exist yet; run the flows that create it first"
            )
        view = f"__lakeloader_t{len(self._views)}"
        location = storage.path(info.location)
        if not delta.is_delta_table(location):
            raise NotFoundError(f"flow {self.flow.name}: table {key} has no data yet; run the flow that fills it first")
        dt = delta.open_table(location, table_name=key)
        self.read_versions[key] = int(dt.version())
        files = delta.plain_files(dt) if self._parquet_ok(location) else None
        if files is None:  # partitions or table features DuckDB's reader cannot honour: Arrow's dataset
            self.con.register(view, delta.dataset(location, table_name=key))
        elif not files:
            schema = pa.schema(dt.schema().to_arrow())
            self.con.register(view, pa.table({f.name: pa.array([], f.type) for f in schema}))
        else:
            self._folders.add(str(location.resolve()) + "/")
            self.con.execute(f"CREATE TEMP VIEW {quote(view)} AS SELECT * FROM {delta.parquet_scan(files)}")
        self._views[key] = view
        return view

    def _view_of_temporary(self, key: str) -> str:
        if key in self._views:
            return self._views[key]
        node = self.pipeline.graph.nodes[key]
        flow = node.flows[0]
        view = f"__lakeloader_v_{len(self._views)}"
        self._views[key] = view
        if flow.query.function is not None:
            result = self.call(flow.query.function, as_sql=True)
            if isinstance(result, str):  # a DataFrame: a view of its SQL, read when the flow's query runs
                self.con.execute(f"CREATE TEMP VIEW {quote(view)} AS {result}")
            else:
                self.con.register(view, to_arrow(result, where=f"temporary view {key}"))
        else:
            assert flow.query.sql is not None
            sql = self.translate(flow.query.sql)
            self.con.execute(f"CREATE TEMP VIEW {quote(view)} AS {sql}")
        return view

    def resolve(self, written: str, streaming: bool) -> str:
        if not streaming and written in self._views.values():  # a view this session registered (a DataFrame's)
            return quote(written)
        if written in self.extra_views:
            if written not in self._views:
                self.con.register(written, self.extra_views[written])
                self._views[written] = written
            return quote(written)
        if written.strip("`").startswith(foreign.VIEW_PREFIX) and not streaming:
            return quote(written.strip("`"))  # a foreign table's scan, registered by foreign.attach
        key = self.pipeline.graph.resolve(written)
        if key is None:
            raise ConfigError(f"flow {self.flow.name}: '{written}' is not a valid table name")
        node = self.pipeline.graph.nodes.get(key)
        if node is not None and node.is_view:
            return quote(self._view_of_temporary(key))
        if streaming and not self.whole_streams:
            if self.stream is None or self.stream.key != key:
                raise TerminalError(f"flow {self.flow.name} reads STREAM({written}) but is not streaming from it here")
            return quote(self._stream_view())
        if key not in self._views and foreign.is_foreign(self.lakehouse, key):  # dp.read / spark.read.table
            self._views[key] = foreign.attach_table(self.con, self.lakehouse, key)
        return quote(self._table_view(key))

    def _stream_view(self) -> str:
        view = "__lakeloader_stream"
        if view not in self._views.values():
            assert self.stream is not None
            data = self.stream.data
            if isinstance(data, ParquetFiles) and not self._parquet_ok(data.folder):
                self.con.register(view, delta.files_dataset(data.paths))
            elif isinstance(data, ParquetFiles):
                self._folders.add(data.folder)
                self.con.execute(f"CREATE TEMP VIEW {quote(view)} AS SELECT * FROM {delta.parquet_scan(data.paths)}")
            else:
                self.con.register(view, data)
            self._views["__stream__"] = view
        return view

    def resolve_files(self, files: translate.FilesRead) -> str:
        if self.stream is not None and self.stream.files is not None and files.streaming:
            return quote(self._stream_view())
        from lakeloader.sources.files.api import read_files

        view = f"__lakeloader_f{len(self._views)}"
        options = {**files_settings(self.pipeline, self.flow), **files.options}
        fmt = str(options.pop("format", ""))
        if not fmt:
            raise ConfigError(f"flow {self.flow.name}: read_files('{files.path}') needs format => 'json' (or csv, ...)")
        self.lakehouse.volume_location(files.path, where=f"{self.flow.location}: flow {self.flow.name}")  # or refused
        self.con.register(view, read_files(files.path, format=fmt, **options))
        self._views[f"files:{view}"] = view
        return quote(view)

    def translate(self, sql: str) -> str:
        from lakeloader.lakehouse import functions

        # the catalog's SQL functions, by full name or in the pipeline's schema (in a dp.sql query: SQL flows have
        # theirs inlined at load)
        sql = functions.inlined(self.lakehouse, sql, catalog=self.pipeline.catalog, schema=self.pipeline.schema)
        sql = foreign.attach(self.con, self.lakehouse, sql)  # foreign tables first, in Databricks SQL: pushed down
        try:
            translated = translate.to_duckdb(
                sql,
                resolve=self.resolve,
                resolve_files=self.resolve_files,
                describe=self.describe,
                settings=self.settings,
            )
        except translate.TranslateError as exc:
            raise ConfigError(f"{self.flow.location}: flow {self.flow.name}: {exc}") from None
        from lakeloader.sql import runtime

        runtime.ready(self.con, translated)
        return translated

    @property
    def settings(self) -> Settings:
        """The session's Spark settings: the pipeline's configuration (`spark.sql.session.timeZone`, ...), then the
        SETs of the flow's file above its definition (a notebook's statements see the SETs before them)."""
        return flow_settings(self.pipeline, self.flow)

    def describe(self, view: str) -> dict[str, Any]:
        """A registered view's columns and their Spark types (what typed rules of the translator read)."""
        from lakeloader.sql import types

        schema = self.con.sql(f"SELECT * FROM {view} LIMIT 0").arrow().schema
        return {field.name: types.from_arrow(field.type) for field in schema}

    def lock(self) -> None:
        """From here on the session reads only volumes and the tables it registered, and runs only queries."""
        if self._locked:
            return
        from lakeloader.lakehouse import guard

        folders = sorted(
            {str(Path(v.location).resolve()) + "/" for v in self.lakehouse.list_volumes() if v.location} | self._folders
        )
        listed = ", ".join("'" + f.replace("'", "''") + "'" for f in folders)
        self.con.execute(f"SET allowed_directories = [{listed}]")
        guard.lock_down_settings(self.con)
        self._locked = True

    # -- api.Session ------------------------------------------------------------------------------------
    def read(self, name: str) -> Any:
        return self.con.view(self.resolve(name, False).strip('"'))

    def read_stream(self, name: str) -> Any:
        return self.con.view(self.resolve(name, True).strip('"'))

    def read_files(self, path: str, options: dict[str, Any]) -> Any:
        streaming = self.pipeline.graph.target_of(self.flow).dataset.kind == "streaming_table"
        view = self.resolve_files(translate.FilesRead(path, options, streaming))
        return self.con.view(view.strip('"'))

    def read_postgres(self, options: dict[str, Any]) -> Any:
        if self.stream is not None and self.stream.postgres:  # a streaming table: this batch's planned rows
            return self.con.view(self._stream_view())
        from lakeloader.pipelines import postgres_input

        view = f"__lakeloader_pg{len(self._views)}"
        where = f"{self.flow.location}: flow {self.flow.name}"
        self.con.register(view, postgres_input.read_all(options, self.lakehouse, where=where))
        self._views[f"postgres:{view}"] = view
        return self.con.view(view)

    def sql(self, query: str) -> Any:
        return self.con.sql(self.translate(query))

    # -- running the flow's own query -------------------------------------------------------------------
    def result(self) -> Any:
        """The flow's rows as a DuckDB relation (SQL) or whatever its Python function returned."""
        if self.flow.query.function is not None:
            return self.call(self.flow.query.function)
        assert self.flow.query.sql is not None
        sql = self.translate(self.flow.query.sql)
        self.lock()
        from lakeloader.lakehouse import guard

        guard.check_statements(self.con, sql)
        return self.con.sql(sql)

    def call(self, function: Callable[[], Any], *, as_sql: bool = False) -> Any:
        """Run a query function with `dp.read`... and PySpark's `spark` bound to this session; a DataFrame it
        returns is run as its Spark SQL by this session (a DuckDB relation; with `as_sql`, the DuckDB SQL)."""
        from lakeloader.pipelines import api
        from lakeloader.pipelines.spark_flow import is_dataframe, spark_running

        with api.running(self), spark_running(self):
            result = function()
            if is_dataframe(result):
                translated = self.translate(result.spark_sql())
                return translated if as_sql else self.con.sql(translated)
        return result

    def deterministic(self) -> bool:
        """False when the query may give other rows on the same inputs (time, randomness, files)."""
        return deterministic(self.lakehouse, self.pipeline, self.flow)


def to_arrow(result: Any, *, where: str, batch_rows: int = 1 << 17) -> pa.RecordBatchReader:
    """What a query returned — DuckDB relation, Polars frame, Arrow table or reader — as an Arrow reader."""
    if result is None:
        raise ConfigError(f"{where}: the query function returned nothing; return a relation, a frame or a table")
    if isinstance(result, pa.RecordBatchReader):
        return result
    if isinstance(result, pa.Table):
        return result.to_reader()
    module = type(result).__module__
    if module.startswith("duckdb"):
        return result.to_arrow_reader(batch_rows)
    if module.startswith("polars"):
        frame = result.collect() if hasattr(result, "collect") and not hasattr(result, "to_arrow") else result
        return frame.to_arrow().to_reader()
    if hasattr(result, "__arrow_c_stream__"):
        return pa.RecordBatchReader.from_stream(result)
    raise ConfigError(
        f"{where}: the query function returned a {type(result).__name__}; return a DuckDB relation, a "
        "Polars frame or an Arrow table"
    )


def files_of(location: str | os.PathLike[str]) -> list[str]:
    return delta.local_files(delta.open_table(location))


Resolver = Callable[[str, bool], str]


def deterministic(lakehouse: Lakehouse, pipeline: Pipeline, flow: Flow) -> bool:
    """False when `flow`'s query may give other rows on the same inputs (time, randomness, files, a remote
    table, Python code)."""
    sql = (flow.query.sql or "").lower()
    return (
        flow.query.function is None
        and not flow.query.reads_files
        and not foreign.reads_foreign(lakehouse, pipeline.graph, flow.name)  # a remote table has no version
        and not any(word in sql for word in _NON_DETERMINISTIC)
    )


def flow_settings(pipeline: Pipeline, flow: Flow) -> Settings:
    """A flow's Spark session settings: the pipeline's configuration, then the SETs of the flow's file above
    its definition."""
    from lakeloader.sql import Settings
    from lakeloader.sql.settings import KNOWN

    settings = Settings.from_conf(pipeline.spec.configuration)
    here = flow.location
    for where, key, value in pipeline.definitions.set_statements:
        if where.file == here.file and where.line < here.line and key.lower() in (k.lower() for k in KNOWN):
            settings = settings.set(key, value)
    return settings


def files_settings(pipeline: Pipeline, flow: Flow) -> dict[str, str]:
    """Auto Loader options the SETs above a flow's definition give its file reads (its own options win)."""
    from lakeloader.sources.files.options import session_option

    found: dict[str, str] = {}
    here = flow.location
    for where, key, value in pipeline.definitions.set_statements:
        option = session_option(key)
        if option is not None and where.file == here.file and where.line < here.line:
            found[option] = value
    return found
