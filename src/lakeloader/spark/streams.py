"""`spark.readStream` and `df.writeStream`: Auto Loader (`cloudFiles`) streams run by the files source, and a
table's stream (`readStream.table`) by the Delta source, exactly once, with the checkpoint at
`checkpointLocation`; the DataFrame's transformations run on each batch through the translator. Triggers
`availableNow` and `once` run to the end before `toTable` returns (a notebook's one-shot ingest);
`processingTime` (a query running forever) is refused: schedule the notebook instead.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import pyarrow as pa

from lakeloader.errors import ConfigError
from lakeloader.spark import engine
from lakeloader.spark.readwriter import _value, refuse_format

if TYPE_CHECKING:
    from lakeloader.spark.dataframe import DataFrame
    from lakeloader.spark.spark_session import SparkSession


@dataclass
class FilesStream:
    """What `spark.readStream.format("cloudFiles")...load(path)` reads."""

    path: str
    options: dict[str, Any]
    schema: pa.Schema | None
    view: str  # the view each batch's rows are registered as
    sql: str = ""  # the plain read's SQL (a writeStream of it as it is needs no query per batch)


@dataclass
class TableStream:
    name: str
    view: str
    sql: str = ""


def auto_loader_options(options: dict[str, Any]) -> dict[str, Any]:
    """Auto Loader's options without their `cloudFiles.` prefix (the files source's names)."""
    found = {}
    for key, value in options.items():
        found[key[len("cloudFiles.") :] if key.lower().startswith("cloudfiles.") else key] = value
    return found


class DataStreamReader:
    """`spark.readStream`."""

    def __init__(self, spark: SparkSession) -> None:
        self._spark = spark
        self._format = "delta"
        self._options: dict[str, Any] = {}
        self._schema: Any = None

    def format(self, source: str) -> DataStreamReader:
        refuse_format(source, "spark.readStream")
        self._format = source.lower()
        return self

    def option(self, key: str, value: Any) -> DataStreamReader:
        self._options[key] = _value(value)
        return self

    def options(self, **options: Any) -> DataStreamReader:
        for key, value in options.items():
            self.option(key, value)
        return self

    def schema(self, schema: Any) -> DataStreamReader:
        self._schema = schema
        return self

    def load(self, path: str | None = None, format: str | None = None, schema: Any = None, **options: Any) -> DataFrame:
        if format:
            self.format(format)
        if schema is not None:
            self._schema = schema
        self.options(**options)
        if path is None:
            raise ConfigError("spark.readStream.load(): give the path to read")
        if self._format == "delta":
            raise ConfigError(
                "spark.readStream.format('delta').load(path): read a table's stream by name, spark.readStream.table(t)"
            )
        if self._format != "cloudfiles":
            raise ConfigError(
                f"spark.readStream.format('{self._format}'): stream files with Auto Loader, format('cloudFiles') "
                "and option('cloudFiles.format', ...)"
            )
        options = auto_loader_options(self._options)
        if self._schema is not None:
            from lakeloader.spark.rows import ddl

            options["schema"] = ddl(self._schema)
        if not options.get("format"):
            raise ConfigError("spark.readStream.format('cloudFiles'): set option('cloudFiles.format', 'json'|...)")
        run = engine.current()
        view = run.files_name(path, options, True)
        source = FilesStream(path, options, None, view)
        columns = pa.schema([f for f in run.schema(view) if f.name != "_metadata"])  # hidden, as in Spark
        df = self._spark.over(view, columns, stream_source=source)
        source.sql = df.spark_sql()
        return df

    def table(self, tableName: str) -> DataFrame:
        run = engine.current()
        view = run.stream_name(tableName)
        source = TableStream(tableName, view)
        df = self._spark.over_view(view, stream_source=source)
        source.sql = df.spark_sql()
        return df


@dataclass
class StreamingQuery:
    """A stream run to its end (availableNow / once): what `toTable` returns."""

    name: str | None
    progress: dict[str, Any] = field(default_factory=dict)
    id: str = ""

    @property
    def isActive(self) -> bool:
        return False

    def awaitTermination(self, timeout: float | None = None) -> bool:
        return True

    def stop(self) -> None:
        pass

    @property
    def lastProgress(self) -> dict[str, Any]:
        return self.progress

    @property
    def recentProgress(self) -> list[dict[str, Any]]:
        return [self.progress]

    @property
    def status(self) -> dict[str, Any]:
        return {"message": "Stopped", "isDataAvailable": False, "isTriggerActive": False}


class DataStreamWriter:
    """`df.writeStream` in a notebook: the stream ingested into a Delta table, exactly once."""

    def __init__(self, df: DataFrame) -> None:
        self._df = df
        self._options: dict[str, Any] = {}
        self._trigger = "availableNow"
        self._name: str | None = None
        self._format = "delta"

    def format(self, source: str) -> DataStreamWriter:
        if source.lower() != "delta":
            raise ConfigError(f"df.writeStream.format('{source}'): streams are written to Delta tables here")
        return self

    def option(self, key: str, value: Any) -> DataStreamWriter:
        self._options[key] = _value(value)
        return self

    def options(self, **options: Any) -> DataStreamWriter:
        for key, value in options.items():
            self.option(key, value)
        return self

    def outputMode(self, outputMode: str) -> DataStreamWriter:
        if outputMode.lower() != "append":
            raise ConfigError(
                f"df.writeStream.outputMode('{outputMode}'): streams append here; aggregate in a pipeline's "
                "materialized view instead"
            )
        return self

    def queryName(self, queryName: str) -> DataStreamWriter:
        self._name = queryName
        return self

    def partitionBy(self, *cols: str) -> DataStreamWriter:
        return self

    def trigger(
        self,
        processingTime: str | None = None,
        once: bool | None = None,
        continuous: str | None = None,
        availableNow: bool | None = None,
    ) -> DataStreamWriter:
        if processingTime is not None or continuous is not None:
            raise ConfigError(
                "df.writeStream.trigger(processingTime=...): a query running forever is not supported in a notebook "
                "here; use trigger(availableNow=True) and schedule the notebook"
            )
        self._trigger = "once" if once else "availableNow"
        return self

    def foreachBatch(self, func: Any) -> DataStreamWriter:
        raise ConfigError("df.writeStream.foreachBatch is not supported here; write with .toTable(name)")

    def start(self, path: str | None = None, **options: Any) -> StreamingQuery:
        table = options.pop("tableName", None) or self._options.get("path")
        self.options(**options)
        if path is not None or table is None:
            raise ConfigError("df.writeStream.start(path): write to a table by name, .toTable('catalog.schema.t')")
        return self.toTable(str(table))

    def toTable(
        self,
        tableName: str,
        format: str | None = None,
        outputMode: str | None = None,
        partitionBy: Any = None,
        queryName: str | None = None,
        **options: Any,
    ) -> StreamingQuery:
        if outputMode:
            self.outputMode(outputMode)
        self.options(**options)
        checkpoint = self._options.get("checkpointLocation")
        if not checkpoint:
            raise ConfigError(
                f"df.writeStream.toTable('{tableName}'): set option('checkpointLocation', '/Volumes/.../_checkpoints/"
                "...'): the stream's progress lives there"
            )
        source = self._df.stream_source
        from lakeloader.spark.plans import aggregates_stream

        if aggregates_stream(self._df.spark_sql(), source.view):  # Spark refuses it too: each batch is not the whole
            raise ConfigError(
                f"df.writeStream.toTable('{tableName}'): the stream is aggregated; append mode appends each batch "
                "and Spark refuses a streaming aggregation without a watermark in it; aggregate in a pipeline "
                "(a streaming table computes it over all its input) or write the rows and aggregate when reading"
            )
        if isinstance(source, TableStream):
            return self._table(source, tableName, str(checkpoint))
        return self._files(source, tableName, str(checkpoint))

    def _transform(self, view: str, sql: str, plain: str) -> Callable[[pa.RecordBatchReader], pa.RecordBatchReader]:
        """Each batch's rows through the DataFrame's query (None: the stream as it is, nothing to run)."""
        run = engine.current()

        def transform(reader: pa.RecordBatchReader) -> pa.RecordBatchReader:
            run.views[view] = reader.read_all()  # type: ignore[attr-defined]
            try:
                return run.run(sql).to_reader()
            finally:
                run.views.pop(view, None)  # type: ignore[attr-defined]

        return transform

    def _table(self, source: TableStream, name: str, checkpoint: str) -> StreamingQuery:
        """A Delta table's appends since the last run into table `name`, one commit per batch with the stream's
        transaction (the Delta source of `lakeloader.sources.delta`), availableNow."""
        from lakeloader.execution import registry, stream
        from lakeloader.execution.checkpoint import Checkpoint
        from lakeloader.execution.second_stream import refuse_second_stream
        from lakeloader.lakehouse import delta
        from lakeloader.sources.delta.source import DEFAULT_MAX_FILES, DeltaStreamSource

        run = engine.current()
        lh = run.lakehouse
        upstream = lh.table(run.table_name(source.name).replace("`", ""))
        target = lh.table_for_write(run.table_name(name).replace("`", ""), writer="writeStream")
        local = lh.volume_location(checkpoint, where=f"writeStream checkpointLocation {checkpoint}")
        sql = self._df.spark_sql()
        transform = None if sql == source.sql else self._transform(source.view, sql, source.sql)
        options = {k.lower(): v for k, v in self._options.items()}
        cp = Checkpoint(local, target=str(target.name), source=f"delta:{upstream.location}")
        rows = 0
        with cp.exclusive(wait=0):
            stream.check_target(cp, target.location)
            refuse_second_stream(lh, cp, target.location, allow=False, again="read the table again")
            registry.register(lh.metastore, cp, kind="delta")
            reader = DeltaStreamSource(
                upstream.location,
                table_name=str(upstream.name),
                reader_name=f"writeStream into {target.name}",
                skip_change_commits=str(options.get("skipchangecommits", "false")).lower() == "true",
                max_files_per_trigger=int(options.get("maxfilespertrigger", DEFAULT_MAX_FILES)),
            )

            def write(data: pa.RecordBatchReader, batch_id: int, plan: dict[str, Any]) -> Any:
                return delta.commit_batch(
                    target.location,
                    transform(data) if transform is not None else data,
                    stream_id=cp.stream_id,
                    batch_id=batch_id,
                    table_name=str(target.name),
                )

            for result in stream.run_available_now(cp, target.location, reader, write):
                rows += result.rows
                target = lh.register_written(target)
                if self._trigger == "once":
                    break
            lh.register_written(target)
        return StreamingQuery(self._name, {"name": self._name, "sink": str(target.name), "numInputRows": rows})

    def _files(self, source: FilesStream, name: str, checkpoint: str) -> StreamingQuery:
        from lakeloader.sources.files.runner import ingest_files

        run = engine.current()
        lh = run.lakehouse
        local = lh.volume_location(checkpoint, where=f"writeStream checkpointLocation {checkpoint}")
        sql = self._df.spark_sql()
        options = dict(source.options)
        if "_metadata" in sql:  # Databricks' hidden column: there whenever the query names it
            options.setdefault("includeMetadata", "true")
        schema = options.pop("schema", None)
        avro = options.pop("avroSchema", None)
        declared = None
        if avro is not None and schema is None:
            import json

            from lakeloader.sources.files.formats.avro import avsc_to_arrow

            declared = avsc_to_arrow(avro if isinstance(avro, str) else json.dumps(avro))

        transform = self._transform(source.view, sql, source.sql)
        summary = ingest_files(
            run.table_name(name).replace("`", ""),
            path=source.path,
            checkpoint=local,
            schema=declared if declared is not None else schema,
            trigger=self._trigger,
            lakehouse=lh,
            transform=None if sql == source.sql else transform,
            **options,
        )
        data = summary.to_dict() if hasattr(summary, "to_dict") else {}
        return StreamingQuery(self._name, {"name": self._name, "sink": summary.table, **data})
