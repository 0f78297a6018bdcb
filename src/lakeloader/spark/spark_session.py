"""`SparkSession` over the lakehouse: SQLFrame's PySpark API, with tables, data and actions from lakeloader."""

from __future__ import annotations

import datetime
from typing import Any

import pyarrow as pa
from sqlframe.base.catalog import Column as CatalogColumn
from sqlframe.standalone.catalog import StandaloneCatalog
from sqlframe.standalone.session import StandaloneSession
from sqlglot import exp

from lakeloader.errors import ConfigError
from lakeloader.spark import engine
from lakeloader.spark.dataframe import DataFrame, struct_type


def _spark_type_text(arrow_type: pa.DataType) -> str:
    from lakeloader.sql import types

    return str(types.from_arrow(arrow_type).sql(dialect="spark")).lower()


class Catalog(StandaloneCatalog):
    """`spark.catalog` over lakeloader's metastore."""

    def listColumns(self, tableName: str, dbName: str | None = None, include_temp: bool = False) -> list[Any]:
        name = f"{dbName}.{tableName}" if dbName else tableName
        run = engine.current()
        schema = run.schema(run.table_name(name))
        return [
            CatalogColumn(
                name=f.name,
                description=None,
                dataType=_spark_type_text(f.type),
                nullable=f.nullable,
                isPartition=False,
                isBucket=False,
            )
            for f in schema
        ]

    def currentCatalog(self) -> str:
        return str(engine.current().lakehouse.current_catalog)

    def setCurrentCatalog(self, catalogName: str) -> None:
        engine.current().lakehouse.use_catalog(catalogName.strip("`"))

    def currentDatabase(self) -> str:
        return str(getattr(engine.current(), "current_schema", "default"))

    def setCurrentDatabase(self, dbName: str) -> None:
        run = engine.current()
        from lakeloader.lakehouse import names

        parts = names.split_parts(dbName)
        if len(parts) == 2:
            self.setCurrentCatalog(parts[0])
        full = f"{run.lakehouse.current_catalog}.{parts[-1]}"
        if run.lakehouse.metastore.get(full) is None:
            raise ConfigError(f"spark.catalog.setCurrentDatabase: schema {full} does not exist; create it first")
        run.current_schema = parts[-1]  # type: ignore[attr-defined]

    def tableExists(self, tableName: str, dbName: str | None = None) -> bool:
        run = engine.current()
        name = run.table_name(f"{dbName}.{tableName}" if dbName else tableName)
        info = run.lakehouse.metastore.get(name.replace("`", ""))
        return info is not None and info.kind in ("table", "view")

    def databaseExists(self, dbName: str) -> bool:
        run = engine.current()
        name = dbName if "." in dbName else f"{run.lakehouse.current_catalog}.{dbName}"
        return run.lakehouse.metastore.get(name.replace("`", "")) is not None

    def listTables(self, dbName: str | None = None, pattern: str | None = None) -> list[Any]:
        import fnmatch

        from sqlframe.base.catalog import Table

        run = engine.current()
        schema = dbName or f"{run.lakehouse.current_catalog}.{self.currentDatabase()}"
        if "." not in schema:
            schema = f"{run.lakehouse.current_catalog}.{schema}"
        found = []
        for table in run.lakehouse.list_tables(schema):
            info = table.info
            if pattern and not fnmatch.fnmatch(info.name, pattern.replace("|", "*")):
                continue
            found.append(Table(info.name, info.catalog, [str(info.schema)], info.comment, "MANAGED", False))
        return found


class SparkSession(StandaloneSession):
    """PySpark's `SparkSession`, running on DuckDB through lakeloader (one per process, like Spark's)."""

    _catalog = Catalog
    _df = DataFrame

    @property
    def _is_standalone(self) -> bool:
        return False

    @property
    def _has_connection(self) -> bool:
        return True

    # -- running SQL -------------------------------------------------------------------------------------
    def _collect(self, expressions: Any, *, quote_identifiers: bool = True, **kwargs: Any) -> list[Any]:
        from sqlglot.helper import ensure_list

        last = ensure_list(expressions)[-1]
        sql = last if isinstance(last, str) else self._to_sql(last, quote_identifiers=quote_identifiers)
        table = engine.current().run(sql)
        return rows(table)

    def sql(self, sqlQuery: str, args: Any = None, **kwargs: Any) -> DataFrame:  # type: ignore[override]
        """A query as a DataFrame, or a statement (CREATE SCHEMA, USE, ...) run now, as Spark does."""
        from lakeloader.spark import statements

        if kwargs:
            sqlQuery = sqlQuery.format(**{k: _formatted(v) for k, v in kwargs.items()})
        if args:
            from sqlframe.base.sql_formatter import bind_parameters

            sqlQuery = bind_parameters(sqlQuery, args, self.input_dialect).sql(dialect="spark")
        done = statements.run(self, sqlQuery)
        if done is not None:
            return self.createArrow(done)
        run = engine.current()
        return self.over_view(run.register(run.run(sqlQuery)))

    def table(self, tableName: str) -> DataFrame:  # type: ignore[override]
        run = engine.current()
        name = run.table_name(tableName)
        return self.over(name, run.schema(name))

    @property
    def read(self) -> Any:
        from lakeloader.spark.readwriter import DataFrameReader

        return DataFrameReader(self)

    @property
    def readStream(self) -> Any:
        from lakeloader.spark.streams import DataStreamReader

        return DataStreamReader(self)

    @property
    def conf(self) -> Any:
        from lakeloader.spark.conf import RuntimeConf

        return RuntimeConf()

    @property
    def udf(self) -> Any:
        from lakeloader.spark.udf import UDFRegistration

        return UDFRegistration()

    @property
    def sparkContext(self) -> Any:
        raise ConfigError("spark.sparkContext: RDDs and the SparkContext need Spark's JVM; not supported here")

    @property
    def version(self) -> str:
        return "4.0.0"

    # -- DataFrames over data -------------------------------------------------------------------------------
    def over(self, name: str, schema: pa.Schema, **carried: Any) -> DataFrame:
        """A DataFrame reading table or view `name` (its SQL text) whose columns are `schema`."""
        table = exp.to_table(name, dialect="spark")
        mapping = {exp.to_identifier(f.name, quoted=True).sql("spark"): _spark_type_text(f.type) for f in schema}
        self.catalog._schema.add_table(table, mapping, dialect="spark", match_depth=False)
        select = exp.select(*[exp.column(f.name, quoted=True) for f in schema]).from_(table)
        return DataFrame(self, select, **carried)

    def over_view(self, name: str, **carried: Any) -> DataFrame:
        run = engine.current()
        return self.over(name, run.schema(name), **carried)

    def createArrow(self, data: Any) -> DataFrame:
        """A DataFrame over an Arrow table (or reader, or anything Arrow can import)."""
        run = engine.current()
        return self.over_view(run.register(data))

    def createDataFrame(
        self, data: Any, schema: Any = None, samplingRatio: Any = None, verifySchema: bool = True
    ) -> DataFrame:
        from lakeloader.spark.rows import to_arrow

        return self.createArrow(to_arrow(data, schema))

    def range(self, start: int, end: int | None = None, step: int = 1, numPartitions: Any = None) -> DataFrame:
        if end is None:
            start, end = 0, start
        return self.createArrow(pa.table({"id": pa.array(range(start, end, step), pa.int64())}))

    def stop(self) -> None:
        pass  # the session lives as long as the notebook or pipeline run

    def newSession(self) -> SparkSession:
        return self


def rows(table: pa.Table) -> list[Any]:
    """Arrow rows as PySpark `Row`s (structs as nested Rows, maps as dicts)."""

    def value(v: Any, t: pa.DataType) -> Any:
        if v is None:
            return None
        if pa.types.is_struct(t):
            return _row([f.name for f in t], [value(v[f.name], f.type) for f in t])
        if pa.types.is_list(t) or pa.types.is_large_list(t):
            return [value(x, t.value_type) for x in v]
        if pa.types.is_map(t):
            return {k: value(x, t.item_type) for k, x in v}
        if pa.types.is_timestamp(t) and t.tz is not None:  # PySpark: naive, in the session's time zone (UTC)
            return v.astimezone(datetime.UTC).replace(tzinfo=None)
        return v

    names = table.column_names
    types = [f.type for f in table.schema]
    out = []
    for record in table.to_pylist():
        out.append(_row(names, [value(record[n], t) for n, t in zip(names, types, strict=True)]))
    return out


def _row(names: list[str], values: list[Any]) -> Any:
    """A named Row holding the values as they are (SQLFrame's Row(**kw) would turn a Decimal into a float)."""
    from lakeloader.spark.types import Row

    row = tuple.__new__(Row, values)
    row.__fields__ = list(names)
    return row


def _formatted(value: Any) -> str:
    if isinstance(value, DataFrame):
        return f"({value.spark_sql()})"
    if isinstance(value, str):
        return value
    return str(value)


def schema_of(df: DataFrame) -> Any:
    return struct_type(df._arrow_schema())
