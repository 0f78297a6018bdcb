"""`from pyspark import pipelines as dp` in a pipeline's files: Spark Declarative Pipelines' Python API, whose
query functions return PySpark DataFrames (`spark.readStream.table`, `spark.read.table`, `spark.sql`).

Unlike DLT's `@dlt.table`, SDP's `@dp.table` is always a streaming table (`@dp.materialized_view` is the other).
"""

from __future__ import annotations

from lakeloader.pipelines.dlt import *  # noqa: F403
from lakeloader.pipelines.dlt import __all__ as _names

__all__ = list(_names)
