"""`spark.read` and `df.write`: tables, files in the volumes, Delta paths and JDBC (PostgreSQL) — each mapped to
lakeloader's own reader or writer (the files source's readers, the Postgres source, the one Delta commit path)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pyarrow as pa

from lakeloader.errors import AlreadyExistsError, ConfigError
from lakeloader.spark import engine

if TYPE_CHECKING:
    from lakeloader.spark.dataframe import DataFrame
    from lakeloader.spark.spark_session import SparkSession

FILE_FORMATS = ("json", "csv", "parquet", "avro", "text", "binaryfile", "xml", "orc")
REFUSED_FORMATS = {
    "kafka": "Kafka needs a broker and Spark's connector; land its records as files and read them with cloudFiles",
    "kinesis": "Kinesis is AWS's stream service; land its records as files and read them with cloudFiles",
    "eventhubs": "Event Hubs is Azure's; land its records as files and read them with cloudFiles",
    "pubsub": "Pub/Sub is Google's; land its records as files and read them with cloudFiles",
    "pulsar": "Pulsar needs a broker; land its records as files and read them with cloudFiles",
    "socket": "a socket stream is a test source of Spark's; read files instead",
    "rate": "the rate source is a test source of Spark's; use spark.range(...)",
}


def _value(value: Any) -> Any:
    if isinstance(value, bool):
        return "true" if value else "false"
    return value


def refuse_format(fmt: str, where: str) -> None:
    lower = fmt.lower()
    if lower in REFUSED_FORMATS:
        raise ConfigError(f"{where}: format {fmt!r} is not supported here: {REFUSED_FORMATS[lower]}")


class DataFrameReader:
    """`spark.read`."""

    def __init__(self, spark: SparkSession) -> None:
        self._spark = spark
        self._format: str | None = None
        self._options: dict[str, Any] = {}
        self._schema: Any = None

    def format(self, source: str) -> DataFrameReader:
        refuse_format(source, "spark.read")
        self._format = source.lower()
        return self

    def option(self, key: str, value: Any) -> DataFrameReader:
        self._options[key] = _value(value)
        return self

    def options(self, **options: Any) -> DataFrameReader:
        for key, value in options.items():
            self.option(key, value)
        return self

    def schema(self, schema: Any) -> DataFrameReader:
        self._schema = schema
        return self

    def table(self, tableName: str) -> DataFrame:
        return self._spark.table(tableName)

    def load(
        self, path: str | list[str] | None = None, format: str | None = None, schema: Any = None, **options: Any
    ) -> DataFrame:
        if format:
            self.format(format)
        if schema is not None:
            self._schema = schema
        self.options(**options)
        fmt = self._format or "delta"
        if fmt == "jdbc":
            return self._jdbc()
        if path is None:
            raise ConfigError(f"spark.read.format('{fmt}').load(): give the path to read")
        if isinstance(path, list):
            if len(path) != 1:
                raise ConfigError("spark.read.load: read one folder (a glob such as /Volumes/.../*.json) at a time")
            path = path[0]
        run = engine.current()
        if fmt == "delta":
            return self._spark.over_view(run.register(_delta_path(run, path)))
        if fmt not in FILE_FORMATS:
            raise ConfigError(f"spark.read: format {fmt!r} is not supported; use one of delta, jdbc, {FILE_FORMATS}")
        options = {**self._options, "format": fmt}
        if self._schema is not None:
            from lakeloader.spark.rows import ddl

            options["schema"] = ddl(self._schema)
        return self._spark.over_view(run.files_name(path, options, False))

    def json(self, path: str, schema: Any = None, **options: Any) -> DataFrame:
        return self.load(path, "json", schema, **options)

    def csv(self, path: str, schema: Any = None, **options: Any) -> DataFrame:
        return self.load(path, "csv", schema, **options)

    def parquet(self, *paths: str, **options: Any) -> DataFrame:
        return self.load(list(paths), "parquet", None, **options)

    def text(self, path: str, **options: Any) -> DataFrame:
        return self.load(path, "text", None, **options)

    def jdbc(
        self,
        url: str,
        table: str,
        column: str | None = None,
        lowerBound: Any = None,
        upperBound: Any = None,
        numPartitions: Any = None,
        predicates: Any = None,
        properties: dict[str, Any] | None = None,
    ) -> DataFrame:
        if predicates is not None:
            raise ConfigError("spark.read.jdbc: predicates are not supported; use partitionColumn with bounds")
        self._format = "jdbc"
        self.options(url=url, dbtable=table, **(properties or {}))
        if column is not None:
            self.options(
                partitionColumn=column, lowerBound=lowerBound, upperBound=upperBound, numPartitions=numPartitions
            )
        return self._jdbc()

    def _jdbc(self) -> DataFrame:
        from lakeloader.spark import jdbc

        run = engine.current()
        return self._spark.over_view(run.register(jdbc.read(self._options, run.lakehouse)))


def _delta_path(run: engine.Engine, path: str) -> Any:
    from lakeloader.lakehouse import delta

    local = run.lakehouse.volume_path(path, where=f"spark.read.format('delta').load('{path}')")
    if not delta.is_delta_table(local):
        raise ConfigError(f"spark.read.format('delta').load('{path}'): no Delta table there; check the path")
    return delta.dataset(local)


class DataFrameWriter:
    """`df.write`: `saveAsTable`/`insertInto` (the one Delta writer), `save(path)` of Delta, `jdbc`."""

    def __init__(self, df: DataFrame) -> None:
        self._df = df
        self._mode = "errorifexists"
        self._format = "delta"
        self._options: dict[str, Any] = {}
        self._partition_by: list[str] = []

    def mode(self, saveMode: str | None) -> DataFrameWriter:
        mode = (saveMode or "errorifexists").lower()
        if mode not in ("append", "overwrite", "error", "errorifexists", "ignore"):
            raise ConfigError(f"df.write.mode({saveMode!r}): write append, overwrite, error or ignore")
        self._mode = "errorifexists" if mode == "error" else mode
        return self

    def format(self, source: str) -> DataFrameWriter:
        refuse_format(source, "df.write")
        self._format = source.lower()
        return self

    def option(self, key: str, value: Any) -> DataFrameWriter:
        self._options[key] = _value(value)
        return self

    def options(self, **options: Any) -> DataFrameWriter:
        for key, value in options.items():
            self.option(key, value)
        return self

    def partitionBy(self, *cols: str | list[str]) -> DataFrameWriter:
        self._partition_by = [c for col in cols for c in ([col] if isinstance(col, str) else col)]
        return self

    def clusterBy(self, *cols: str) -> DataFrameWriter:
        return self  # liquid clustering is a layout choice: the rows are the same

    def bucketBy(self, *args: Any) -> DataFrameWriter:
        raise ConfigError("df.write.bucketBy: Hive bucketing is not a Delta feature; use partitionBy or clusterBy")

    def saveAsTable(
        self, name: str, format: str | None = None, mode: str | None = None, partitionBy: Any = None, **options: Any
    ) -> None:
        if format:
            self.format(format)
        if mode:
            self.mode(mode)
        if partitionBy:
            self.partitionBy(partitionBy)
        self.options(**options)
        if self._format not in ("delta", "parquet"):
            raise ConfigError(f"df.write.saveAsTable: format {self._format!r}: tables here are Delta; drop .format")
        write_table(engine.current(), name, self._df.toArrow(), self._mode, self._partition_by, self._options)

    def insertInto(self, tableName: str, overwrite: bool | None = None) -> None:
        run = engine.current()
        full = run.table_name(tableName)
        if run.lakehouse.metastore.get(full.replace("`", "")) is None:
            raise ConfigError(f"df.write.insertInto: table {full} does not exist; use saveAsTable to create it")
        schema = run.schema(full)
        data = self._df.toArrow()
        if data.num_columns != len(schema):
            raise ConfigError(f"df.write.insertInto: {data.num_columns} columns into {full}'s {len(schema)}")
        data = data.rename_columns(schema.names)  # by position, as Spark inserts, cast to the table's types
        try:
            data = data.cast(pa.schema([f.with_nullable(True) for f in schema]))
        except (pa.ArrowInvalid, pa.ArrowNotImplementedError) as exc:
            raise ConfigError(f"df.write.insertInto {full}: {str(exc).splitlines()[0]}; cast the columns") from None
        write_table(run, tableName, data, "overwrite" if overwrite else "append", [], {"overwriteSchema": "false"})

    def save(
        self,
        path: str | None = None,
        format: str | None = None,
        mode: str | None = None,
        partitionBy: Any = None,
        **options: Any,
    ) -> None:
        if format:
            self.format(format)
        if mode:
            self.mode(mode)
        self.options(**options)
        if self._format == "jdbc":
            self._jdbc_write()
            return
        if self._format != "delta":
            raise ConfigError(f"df.write.format({self._format!r}).save: write Delta tables (or jdbc) here")
        if path is None:
            raise ConfigError("df.write.save(): give the path of the Delta table (in a volume)")
        from lakeloader.lakehouse import delta

        run = engine.current()
        local = run.lakehouse.volume_path(path, where=f"df.write.save('{path}')")
        if delta.is_delta_table(local) and self._mode in ("errorifexists", "ignore"):
            if self._mode == "ignore":
                return
            raise AlreadyExistsError(f"df.write.save('{path}'): a Delta table is there; use mode('append')")
        delta.write(
            local,
            self._df.toArrow(),
            mode="overwrite" if self._mode == "overwrite" else "append",
            partition_by=self._partition_by or None,
        )

    def jdbc(self, url: str, table: str, mode: str | None = None, properties: dict[str, Any] | None = None) -> None:
        if mode:
            self.mode(mode)
        self.options(url=url, dbtable=table, **(properties or {}))
        self._jdbc_write()

    def _jdbc_write(self) -> None:
        from lakeloader.spark import jdbc

        run = engine.current()
        jdbc.write(self._df.toArrow(), self._options, self._mode, run.lakehouse)


def write_table(
    run: engine.Engine, name: str, data: pa.Table, mode: str, partition_by: list[str], options: dict[str, Any]
) -> None:
    """`data` into table `name` through the one Delta writer (created at its first commit)."""
    from lakeloader.lakehouse import delta

    lh = run.lakehouse
    full = run.table_name(name).replace("`", "")
    info = lh.metastore.get(full)
    if info is not None and mode == "errorifexists":
        raise AlreadyExistsError(
            f"table {full} already exists; write .mode('append') or .mode('overwrite') (Spark's default is error)"
        )
    if info is not None and mode == "ignore":
        return
    table = lh.table_for_write(full, writer="saveAsTable")
    overwrite_schema = str(options.get("overwriteSchema", "true")).lower() == "true"
    merge = str(options.get("mergeSchema", "false")).lower() == "true"
    delta.write(
        table.location,
        data,
        mode="overwrite" if mode == "overwrite" else "append",
        overwrite_schema=mode == "overwrite" and overwrite_schema,
        schema_evolution=merge or info is None,
        partition_by=partition_by or None,
        table_name=full,
    )
    lh.register_written(table)
