"""PySpark's DataFrame (SQLFrame's), its actions run as Spark SQL by the current engine into Arrow."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pyarrow as pa
from sqlframe.standalone.dataframe import StandaloneDataFrame

from lakeloader.errors import ConfigError
from lakeloader.spark import engine

if TYPE_CHECKING:
    from lakeloader.spark.readwriter import DataFrameWriter
    from lakeloader.spark.streams import DataStreamWriter


def spark_type(arrow_type: pa.DataType) -> Any:
    """The `pyspark.sql.types` type Spark gives a column of this Arrow type."""
    from sqlframe.base.util import sqlglot_to_spark

    from lakeloader.spark.types import spark_types
    from lakeloader.sql import types

    return spark_types(sqlglot_to_spark(types.from_arrow(arrow_type)))


def struct_type(schema: pa.Schema) -> Any:
    from lakeloader.spark import types

    return types.StructType([types.StructField(f.name, spark_type(f.type), f.nullable) for f in schema])


class DataFrame(StandaloneDataFrame):
    """A PySpark DataFrame: transformations build Spark SQL (SQLFrame), actions run it through the translator."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # a stream's source (`spark.readStream...`), what writeStream ingests; and withWatermark's (column, delay):
        # both carried through transformations (SQLFrame's copy passes every attribute back to __init__)
        self.stream_source: Any = kwargs.get("stream_source")
        # withWatermark's (the stream's view, column, delay), one per stream, both sides' after a join
        self.watermarks: list[tuple[str, str, str]] = list(kwargs.get("watermarks") or [])

    @property
    def isStreaming(self) -> bool:
        return self.stream_source is not None

    def spark_sql(self) -> str:
        """The Spark SQL this DataFrame stands for (what the translator runs)."""
        expressions = self._get_expressions(optimize=False)
        sql = str(self.session._to_sql(expressions[-1]))
        view = getattr(self.stream_source, "view", None)
        if view is not None and "_metadata" in sql:  # the files' hidden column, read after transformations
            from lakeloader.spark.metadata import carried

            sql = carried(sql, view)
        return sql

    def _refuse_stream(self, action: str) -> None:
        if self.stream_source is not None and engine.current().__class__.__name__ == "LakehouseEngine":
            raise ConfigError(
                f"DataFrame.{action}: this DataFrame reads a stream; write it with .writeStream..."
                "trigger(availableNow=True).toTable(name) (Spark refuses it too: use writeStream.start())"
            )

    def toArrow(self, batch_size: int | None = None) -> Any:
        self._refuse_stream("toArrow")
        table = engine.current().run(self.spark_sql())
        return table.to_reader(batch_size) if batch_size else table

    def toPandas(self) -> Any:
        from lakeloader import pandas_guard

        pandas_guard.allow()
        return self.toArrow().to_pandas()

    def createOrReplaceTempView(self, name: str) -> None:
        """A temporary view of this DataFrame's rows as they are now (kept for the notebook or flow)."""
        engine.current().register(self.toArrow(), name)

    createTempView = createOrReplaceTempView
    registerTempTable = createOrReplaceTempView

    def agg(self, *exprs: Any, **kwargs: Any) -> DataFrame:
        """Aggregate the whole DataFrame; `{"col": "max"}` as PySpark takes it, the column named `max(col)`."""
        if len(exprs) == 1 and isinstance(exprs[0], dict):
            from lakeloader.spark import functions as F

            exprs = tuple(getattr(F, fn)(col).alias(f"{fn}({col})") for col, fn in exprs[0].items())
        return super().agg(*exprs, **kwargs)

    def cache(self) -> DataFrame:
        return self  # a cache changes no answer; DuckDB reads Delta's Parquet directly

    def persist(self, storageLevel: Any = None) -> DataFrame:
        return self

    def unpersist(self, blocking: bool = False) -> DataFrame:
        return self

    @property
    def schema(self) -> Any:
        return struct_type(self._arrow_schema())

    def _arrow_schema(self) -> pa.Schema:
        return engine.current().run(f"SELECT * FROM ({self.spark_sql()}) LIMIT 0").schema

    @property
    def dtypes(self) -> list[tuple[str, str]]:
        return [(f.name, f.dataType.simpleString()) for f in self.schema.fields]

    def printSchema(self, level: int | None = None) -> None:
        print(self.schema.treeString(level) if hasattr(self.schema, "treeString") else _tree(self.schema))

    def show(self, n: int = 20, truncate: bool | int | None = True, vertical: bool = False) -> None:
        from lakeloader.spark.show import show_string

        self._refuse_stream("show")
        print(show_string(self, n, truncate, vertical), end="")

    @property
    def write(self) -> DataFrameWriter:  # type: ignore[override]
        from lakeloader.spark.readwriter import DataFrameWriter

        return DataFrameWriter(self)

    @property
    def writeStream(self) -> DataStreamWriter:
        from lakeloader.spark.streams import DataStreamWriter

        if self.stream_source is None:
            raise ConfigError(
                "DataFrame.writeStream: this DataFrame is not a stream; read it with spark.readStream (or write it "
                "with .write)"
            )
        return DataStreamWriter(self)

    def withWatermark(self, eventTime: str, delayThreshold: str) -> DataFrame:
        view = getattr(self.stream_source, "view", None)
        if view is None:
            raise ConfigError(f"withWatermark('{eventTime}', ...): only a stream has a watermark; read it with "
                              "spark.readStream")  # fmt: skip
        kept = [w for w in self.watermarks if w[0] != view]
        return self.copy(watermarks=[*kept, (view, eventTime, delayThreshold)])

    def join(self, other: Any, on: Any = None, how: str | None = None, **kwargs: Any) -> DataFrame:
        """SQLFrame's join, carrying both sides' streams and watermarks."""
        joined = super().join(other, on, how or "inner", **kwargs)
        joined.stream_source = self.stream_source or getattr(other, "stream_source", None)
        joined.watermarks = [*self.watermarks, *getattr(other, "watermarks", [])]
        return joined

    @property
    def rdd(self) -> Any:
        raise ConfigError(
            "DataFrame.rdd: RDDs need Spark's JVM and are not supported here; use DataFrame operations or toPandas()"
        )


def _tree(schema: Any) -> str:
    lines = ["root"]
    for field in schema.fields:
        lines.append(f" |-- {field.name}: {field.dataType.simpleString()} (nullable = {str(field.nullable).lower()})")
    return "\n".join(lines) + "\n"
