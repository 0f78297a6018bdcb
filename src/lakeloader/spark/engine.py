"""Where a DataFrame's Spark SQL runs: the lakehouse (a notebook, a script) or a pipeline flow's DuckDB session.

SQLFrame turns PySpark's DataFrame calls into Spark SQL; an `Engine` runs that SQL through lakeloader's one
translator (`lakeloader.sql`), so a DataFrame gets the answers `spark.sql` and a pipeline's SQL get. Data that is
not a table (files read, a JDBC read, a batch of a stream) is registered as a named view the SQL reads.
"""

from __future__ import annotations

import contextvars
import itertools
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any, Protocol

import pyarrow as pa

from lakeloader.errors import ConfigError

if TYPE_CHECKING:
    from lakeloader.lakehouse.root import Lakehouse

_ids = itertools.count()


class Engine(Protocol):
    """What the DataFrame API needs from where it runs."""

    lakehouse: Lakehouse
    conf: dict[str, str]

    def run(self, sql: str) -> pa.Table: ...
    def schema(self, name: str) -> pa.Schema: ...
    def table_name(self, name: str) -> str: ...
    def register(self, data: Any, name: str | None = None) -> str: ...
    def stream_name(self, name: str) -> str: ...
    def files_name(self, path: str, options: dict[str, Any], streaming: bool) -> str: ...


def view_name() -> str:
    return f"__lakeloader_df{next(_ids)}"


class LakehouseEngine:
    """DataFrames of a notebook or script over the lakehouse's tables (`lakehouse.sql.query`, guarded)."""

    def __init__(self, lakehouse: Lakehouse, conf: Mapping[str, str] | None = None) -> None:
        self.lakehouse = lakehouse
        self.conf: dict[str, str] = dict(conf or {})
        self.views: dict[str, Any] = {}
        self.current_schema = "default"

    def run(self, sql: str) -> pa.Table:
        from lakeloader.lakehouse.sql import query

        lh = self.lakehouse
        federated = any(lh.foreign_catalog(c.name) for c in lh.list_catalogs())

        def rewrite(con: Any, text: str) -> str:
            for name, data in self.views.items():
                if name in text:
                    con.register(name, data)
            if federated:
                from lakeloader.federation.query import attach

                return attach(con, lh, text).sql
            return text

        return query(lh, sql, rewrite=rewrite, conf=self.conf)

    def table_name(self, name: str) -> str:
        """The full name of table `name` (one part: the current schema's; two parts: the current catalog's)."""
        from lakeloader.lakehouse import names

        if name in self.views:  # a temporary view (createOrReplaceTempView)
            return name
        parts = names.split_parts(name)
        if len(parts) == 1:
            parts = [self.lakehouse.current_catalog, self.current_schema, *parts]
        elif len(parts) == 2:
            parts = [self.lakehouse.current_catalog, *parts]
        return ".".join(names.quote(p) for p in parts)

    def schema(self, name: str) -> pa.Schema:
        if name in self.views:
            data = self.views[name]
            return data.schema
        from lakeloader.lakehouse import delta, names
        from lakeloader.lakehouse.root import require_table_exists

        full = ".".join(names.split_parts(name))
        if self.lakehouse.foreign_catalog(full.split(".")[0]) is not None:  # a foreign table: asked of its server
            return self.run(f"SELECT * FROM {name} LIMIT 0").schema
        table = self.lakehouse.table(name)
        require_table_exists(table)
        return pa.schema(delta.open_table(table.location, table_name=str(table.name)).schema().to_arrow())

    def register(self, data: Any, name: str | None = None) -> str:
        name = name or view_name()
        self.views[name] = data if not isinstance(data, pa.RecordBatchReader) else data.read_all()
        return name

    def stream_name(self, name: str) -> str:
        """A view with table `name`'s columns and no rows: each batch's rows take its place when writeStream runs
        the query."""
        return self.register(self.schema(self.table_name(name)).empty_table())

    def files_name(self, path: str, options: dict[str, Any], streaming: bool) -> str:
        """A view over the files at `path`; for a stream, an empty one with the rows' columns (each batch's rows
        take its place when writeStream runs the query)."""
        from lakeloader.sources.files.api import read_files

        options = dict(options)
        if streaming:  # with the hidden _metadata column a query may name (not in the DataFrame's columns)
            from lakeloader.sources.files.extras import METADATA_TYPE

            schema = self._stream_schema(path, options)
            return self.register(schema.append(pa.field("_metadata", METADATA_TYPE)).empty_table())
        local = self.lakehouse.volume_location(path, where=f"spark.read.load('{path}')")  # refused outside volumes
        fmt = str(options.pop("format", "") or "")
        if not fmt:
            raise ConfigError(f"spark.read.load('{path}'): name the format (.format('json'), 'csv', 'parquet', ...)")
        return self.register(read_files(local, format=fmt, **options))

    def _stream_schema(self, path: str, options: dict[str, Any]) -> pa.Schema:
        """The columns a files stream's batches have: the declared schema, else the files' as read now."""
        import json

        from lakeloader.sources.files.api import read_files

        options = dict(options)
        fmt = str(options.pop("format", ""))
        local = self.lakehouse.volume_location(path, where=f"spark.readStream.load('{path}')")
        if options.get("schema"):
            from lakeloader.sources.files.schema import load_declared_schema

            return load_declared_schema(str(options["schema"]))
        if options.get("avroSchema") is not None and options.get("schema") is None:
            from lakeloader.sources.files.formats.avro import avsc_to_arrow

            avro = options["avroSchema"]
            return avsc_to_arrow(avro if isinstance(avro, str) else json.dumps(avro))
        options.pop("avroSchema", None)
        for key in (
            "schemaLocation",
            "checkpointLocation",
            "maxFilesPerTrigger",
            "maxBytesPerTrigger",
            "cleanSource",
            "includeExistingFiles",
            "useNotifications",
            "badRecordsPath",
        ):
            options.pop(key, None)
        return read_files(local, format=fmt, **options).schema


_current: contextvars.ContextVar[Engine | None] = contextvars.ContextVar("lakeloader_spark_engine", default=None)


def current() -> Engine:
    found = _current.get()
    if found is None:
        raise ConfigError(
            "spark: no lakehouse to run on; use it in a notebook (lakeloader notebooks run) or a pipeline, or "
            "call lakeloader.spark.spark_session(lakehouse)"
        )
    return found


def current_or_none() -> Engine | None:
    return _current.get()


@contextmanager
def using(engine: Engine) -> Iterator[Engine]:
    """DataFrames built and run inside run on `engine`."""
    token = _current.set(engine)
    try:
        yield engine
    finally:
        _current.reset(token)


def set_default(engine: Engine | None) -> None:
    """The engine outside any `using` block (a notebook run, a script's `lakeloader.spark.spark_session(lh)`)."""
    _current.set(engine)
