"""`udf`, `pandas_udf` and `spark.udf.register`: Python functions over DataFrame columns and in `spark.sql`, run
by DuckDB (`lakeloader.sql.python`): row at a time for `udf` (None for NULL, as Spark), vectorized over pandas
Series for `pandas_udf`. The return type is Spark's: a `pyspark.sql.types` type or DDL text; `udf`'s default is
string, as in PySpark."""

from __future__ import annotations

import itertools
import re
from collections.abc import Callable
from typing import Any

from sqlglot import exp

from lakeloader.errors import ConfigError

_ids = itertools.count()


def _type_text(return_type: Any, default: str | None) -> str:
    if return_type is None:
        if default is None:
            raise ConfigError("pandas_udf: give the return type, e.g. @pandas_udf('double')")
        return default
    if isinstance(return_type, str):
        return return_type
    simple = getattr(return_type, "simpleString", None)
    if simple is not None:
        return str(simple())
    raise ConfigError(f"udf: return type {return_type!r}: give a pyspark.sql.types type or DDL text ('int')")


class UserDefinedFunction:
    """A Python function as a column expression: `f(F.col("x"))`; `f.func`, `f.returnType` as in PySpark."""

    def __init__(self, func: Callable[..., Any], return_type: str, *, name: str | None = None,
                 vectorized: bool = False) -> None:  # fmt: skip
        from lakeloader.sql import python

        self.func = func
        self.returnType = return_type
        self.evalType = 200 if vectorized else 100  # PySpark's SQL_SCALAR_PANDAS_UDF / SQL_BATCHED_UDF
        base = re.sub(r"\W", "_", str(name or getattr(func, "__name__", "udf"))).lower().strip("_") or "udf"
        self.sql_name = name.lower() if name else f"pyudf_{base}_{next(_ids)}"
        self.__name__ = str(name or getattr(func, "__name__", "udf"))
        body = func if vectorized else _as_pyspark_calls(func)
        python.register(python.PythonFunction(self.sql_name, body, return_type, vectorized, self.__name__))

    def __call__(self, *cols: Any) -> Any:
        from sqlframe.base.column import Column

        arguments = [Column.ensure_col(c).column_expression for c in cols]
        call = exp.Anonymous(this=self.sql_name, expressions=arguments)
        return Column(exp.alias_(call, f"{self.__name__}({', '.join(a.sql('spark') for a in arguments)})"))

    def asNondeterministic(self) -> UserDefinedFunction:
        return self  # every call runs (DuckDB is told the function has side effects)


def _pyspark_value(value: Any) -> Any:
    """A value as PySpark hands it to a Python UDF: a struct as a Row, a timestamp naive in UTC."""
    import datetime

    if isinstance(value, dict):
        from lakeloader.spark.types import Row

        return Row(**{k: _pyspark_value(v) for k, v in value.items()})
    if isinstance(value, list):
        return [_pyspark_value(v) for v in value]
    if isinstance(value, datetime.datetime) and value.tzinfo is not None:
        return value.astimezone(datetime.UTC).replace(tzinfo=None)
    return value


def _as_pyspark_calls(func: Callable[..., Any]) -> Callable[..., Any]:
    def call(*values: Any) -> Any:
        return func(*(_pyspark_value(v) for v in values))

    return call


def udf(f: Any = None, returnType: Any = None, *, useArrow: bool | None = None) -> Any:
    """PySpark's `udf`: `udf(fn, "int")`, `@udf`, `@udf("int")`, `@udf(returnType=IntegerType())`."""
    if f is None or isinstance(f, str) or hasattr(f, "simpleString"):
        return_type = _type_text(returnType if f is None else f, "string")
        return lambda func: UserDefinedFunction(func, return_type)
    return UserDefinedFunction(f, _type_text(returnType, "string"))


def pandas_udf(f: Any = None, returnType: Any = None, functionType: Any = None) -> Any:
    """PySpark's `pandas_udf` (scalar: Series in, Series out): `@pandas_udf("double")`, `pandas_udf(fn, "long")`."""
    if functionType not in (None, 200):
        raise ConfigError("pandas_udf: only scalar pandas UDFs (Series to Series) are supported here")
    if f is None or isinstance(f, str) or hasattr(f, "simpleString"):
        return_type = _type_text(returnType if f is None else f, None)
        return lambda func: UserDefinedFunction(func, return_type, vectorized=True)
    return UserDefinedFunction(f, _type_text(returnType, None), vectorized=True)


class UDFRegistration:
    """`spark.udf`: `register(name, f, returnType)` makes `name` callable in `spark.sql` too."""

    def register(self, name: str, f: Any, returnType: Any = None) -> UserDefinedFunction:
        if isinstance(f, UserDefinedFunction):
            return UserDefinedFunction(f.func, f.returnType, name=name, vectorized=f.evalType == 200)
        return UserDefinedFunction(f, _type_text(returnType, "string"), name=name)
