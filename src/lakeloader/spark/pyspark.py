"""What notebook and pipeline code gets for `pyspark` and `pyspark.sql`: lakeloader's SparkSession, DataFrame,
Row, Column, functions, types and Window under PySpark's names (`lakeloader.notebooks.imports` maps them)."""

from __future__ import annotations

import sys
from typing import Any

from sqlframe.base.column import Column
from sqlframe.standalone.group import StandaloneGroupedData as GroupedData

from lakeloader.spark import functions, types, window
from lakeloader.spark.dataframe import DataFrame
from lakeloader.spark.spark_session import SparkSession
from lakeloader.spark.types import Row
from lakeloader.spark.window import Window, WindowSpec

sql = sys.modules[__name__]  # `import pyspark.sql.functions as F` walks pyspark -> sql -> functions
column = dataframe = session = streaming = sql
__version__ = "4.0.0"

__all__ = [
    "Column",
    "DataFrame",
    "GroupedData",
    "Row",
    "SparkSession",
    "Window",
    "WindowSpec",
    "functions",
    "types",
    "window",
]


def __getattr__(name: str) -> Any:
    raise AttributeError(f"pyspark.sql.{name} is not supported here; see docs/pyspark.md")
