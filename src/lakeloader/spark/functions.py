"""`pyspark.sql.functions` (SQLFrame's): each function builds Spark SQL that the translator runs."""

from sqlframe.standalone.functions import *  # noqa: F403

from lakeloader.spark.udf import pandas_udf, udf  # noqa: F401  (Python functions, run by DuckDB)
