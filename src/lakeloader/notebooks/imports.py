"""PySpark's and Databricks' module names, resolved to lakeloader's inside notebook and pipeline code only.

The code runs with its own `__builtins__` whose `__import__` maps `pyspark.sql`, `pyspark.sql.functions`, ...,
`dlt`, `pyspark.pipelines` and `pyspark.dbutils` to lakeloader's modules; every other import, and all code
outside (a real pyspark, dlthub's `dlt` package), is untouched. Constructs that need Spark's JVM or a service
not here are refused by name when the code is loaded (`refusals`).
"""

from __future__ import annotations

import ast
import builtins
import importlib
import re
import types
from typing import Any

from lakeloader.errors import ConfigError

MODULES = {
    "pyspark.sql": "lakeloader.spark.pyspark",
    "pyspark.sql.functions": "lakeloader.spark.functions",
    "pyspark.sql.types": "lakeloader.spark.types",
    "pyspark.sql.window": "lakeloader.spark.window",
    "pyspark.sql.column": "lakeloader.spark.pyspark",
    "pyspark.sql.dataframe": "lakeloader.spark.pyspark",
    "pyspark.sql.session": "lakeloader.spark.pyspark",
    "pyspark.sql.streaming": "lakeloader.spark.pyspark",
    "pyspark.pipelines": "lakeloader.pipelines.sdp",
    "dlt": "lakeloader.pipelines.dlt",
    "pyspark.dbutils": "lakeloader.notebooks.dbutils",
    "databricks.sdk.runtime": "lakeloader.notebooks.dbutils",
}
REFUSED = {
    "pyspark.ml": "Spark MLlib needs Spark's JVM; train with scikit-learn or similar on toPandas()",
    "pyspark.mllib": "Spark MLlib needs Spark's JVM",
    "pyspark.streaming": "DStreams need Spark's JVM; use spark.readStream",
    "pyspark.rdd": "RDDs need Spark's JVM; use DataFrame operations",
    "pyspark.pandas": "pandas API on Spark is not supported; use toPandas()",
    "mlflow.pyfunc": None,  # imported for many uses; spark_udf is refused where it is called
}


def _load(name: str) -> types.ModuleType:
    return importlib.import_module(name)


def _pyspark() -> types.ModuleType:
    """`pyspark` itself: `pyspark.sql`'s names, and its submodules (`sql`, `pipelines`, `dbutils`) by attribute."""
    module = types.ModuleType("pyspark")
    base = _load(MODULES["pyspark.sql"])
    module.__dict__.update({k: v for k, v in vars(base).items() if not k.startswith("__")})
    module.__dict__["sql"] = base

    def attribute(name: str) -> Any:
        if f"pyspark.{name}" in MODULES:
            return _load(MODULES[f"pyspark.{name}"])
        raise AttributeError(f"pyspark.{name} is not supported here; see docs/pyspark.md")

    module.__dict__["__getattr__"] = attribute
    return module


def make_import(real: Any = builtins.__import__) -> Any:
    """An `__import__` that gives lakeloader's modules for PySpark's and Databricks' names."""

    def lakeloader_import(
        name: str, globals: Any = None, locals: Any = None, fromlist: Any = (), level: int = 0
    ) -> Any:
        if level == 0:
            for prefix, why in REFUSED.items():
                if why and (name == prefix or name.startswith(prefix + ".")):
                    raise ConfigError(f"import {name}: not supported here: {why}")
            if name == "pyspark" or (name.startswith("pyspark.") and not fromlist and name in MODULES):
                return _pyspark()  # `import pyspark.sql.functions as F` walks pyspark -> sql -> functions
            if name in MODULES:
                module = _load(MODULES[name])
                return module
            top = name.split(".")[0]
            if top in ("pyspark",) and name not in MODULES:
                raise ConfigError(f"import {name}: this part of PySpark is not supported here; see docs/pyspark.md")
        return real(name, globals, locals, fromlist, level)

    return lakeloader_import


def builtins_dict() -> dict[str, Any]:
    """`__builtins__` for notebook and pipeline code: Python's, with the mapping import."""
    found = dict(vars(builtins))
    found["__import__"] = make_import()
    return found


_PYSPARK = re.compile(r"\b(spark|dbutils|dlt|pyspark)\b")


def uses_pyspark(source: str) -> bool:
    """Does this code use PySpark's or Databricks' names (so `spark` and `dbutils` must be there)?"""
    return _PYSPARK.search(source) is not None


_CALLS = {
    "applyInPandasWithState": "applyInPandasWithState (arbitrary stateful streaming) needs Spark's state store",
    "spark_udf": "mlflow's spark_udf needs Spark's JVM; load the model with mlflow.pyfunc.load_model and apply it "
    "to toPandas()",
    "sparkContext": "the SparkContext (RDDs) needs Spark's JVM; use DataFrame operations",
    "rdd": "RDDs need Spark's JVM; use DataFrame operations",
    "foreachBatch": "foreachBatch runs arbitrary code per micro-batch; write with .toTable(...) instead",
    "mapInPandas": "mapInPandas runs Python per partition in Spark's workers; use a pandas_udf or toPandas()",
    "mapInArrow": "mapInArrow runs Python per partition in Spark's workers; use a pandas_udf or toArrow()",
    "applyInPandas": "applyInPandas (grouped map) runs Python per group in Spark's workers; use toPandas() and "
    "pandas' groupby, or SQL aggregates",
}
_FORMATS = ("kafka", "kinesis", "eventhubs", "pubsub", "pulsar", "socket", "rate")


def refusals(source: str) -> list[tuple[int, str]]:
    """(line, why) for each construct of `source` that cannot run here (Kafka, RDDs, ...), found before it runs."""
    try:
        tree = ast.parse(source)
    except SyntaxError:
        return []
    found: list[tuple[int, str]] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Attribute) and node.attr in _CALLS:
            found.append((node.lineno, _CALLS[node.attr]))
        elif (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and node.func.attr == "format"
            and node.args
            and isinstance(node.args[0], ast.Constant)
            and str(node.args[0].value).lower() in _FORMATS
        ):
            fmt = str(node.args[0].value)
            found.append(
                (
                    node.lineno,
                    f"format('{fmt}') needs a {fmt} service and Spark's connector; land the "
                    "records as files and read them with cloudFiles",
                )
            )
    return sorted(set(found))
