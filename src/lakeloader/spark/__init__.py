"""PySpark's API on DuckDB: `SparkSession`, `DataFrame`, `functions`, `types`, `Window`, `Row`, the reader and
writer — SQLFrame's DataFrame API generating Spark SQL, run through lakeloader's one translator (so a DataFrame
gets the answers `lakeloader sql` gives), over the lakehouse's tables, volumes and sources.

    from lakeloader.spark import session
    spark = session(Lakehouse("./lakehouse"))
    spark.table("main.default.t").groupBy("k").count().show()

Notebooks (`lakeloader notebooks run`) and pipeline files get the same objects under PySpark's own names
(`pyspark.sql`, `pyspark.sql.functions`, ...), whether or not pyspark is installed.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from lakeloader.lakehouse.root import Lakehouse
    from lakeloader.spark.spark_session import SparkSession


def session(lakehouse: Lakehouse, conf: dict[str, str] | None = None) -> SparkSession:
    """The process's SparkSession, running on `lakehouse` (from here on, in this context)."""
    from lakeloader.spark import engine
    from lakeloader.spark.spark_session import SparkSession

    engine.set_default(engine.LakehouseEngine(lakehouse, conf))
    return SparkSession()


def __getattr__(name: str) -> Any:
    if name == "SparkSession":
        from lakeloader.spark.spark_session import SparkSession

        return SparkSession
    raise AttributeError(name)
