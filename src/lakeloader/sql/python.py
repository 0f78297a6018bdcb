"""Python functions callable from SQL (PySpark's `udf`, `pandas_udf`, `spark.udf.register`), on DuckDB.

A function is registered under its SQL name with its Spark return type; the translator keeps a call to it as a
call, typed, and names it by its argument types (`name__<types>`: DuckDB needs them to register it). Before the
SQL runs, `ready` registers each such signature in the connection's database as a vectorized Arrow function: a
`udf` called per row with Python values (None for NULL, as Spark passes them; PySpark's Arrow-optimized UDFs), a
`pandas_udf` with pandas Series in and out. Needs numpy (DuckDB's Python UDFs do): `lakeloader[pandas]`.
"""

from __future__ import annotations

import hashlib
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sqlglot import exp

from lakeloader.errors import ConfigError


@dataclass(frozen=True)
class PythonFunction:
    name: str  # as SQL calls it
    function: Callable[..., Any]
    returns: str  # Spark type (DDL text)
    vectorized: bool = False  # pandas_udf: Series in, Series out
    shown: str = ""  # how errors name it (the Python function's name)

    @property
    def label(self) -> str:
        return self.shown or self.name


_FUNCTIONS: dict[str, PythonFunction] = {}
_SIGNATURES: dict[str, tuple[PythonFunction, list[str]]] = {}  # name__sig -> (function, DuckDB argument types)
_LOCK = threading.Lock()


def register(function: PythonFunction) -> None:
    """Make `function.name` callable from SQL (replacing a function of that name)."""
    from lakeloader.sql import types
    from lakeloader.sql.registry import REGISTRY, Rule

    returns = types.of(function.returns)
    with _LOCK:
        _FUNCTIONS[function.name.lower()] = function
        REGISTRY.user[function.name.lower()] = Rule((function.name.lower(),), (), _rewrite, lambda _node: returns)


def _rewrite(node: exp.Anonymous, context: Any) -> exp.Expr:
    from lakeloader.sql import types

    function = _FUNCTIONS[node.name.lower()]
    argument_types = []
    for argument in node.expressions:
        if not types.is_known(argument.type):
            raise ConfigError(
                f"function {function.label}: the type of its argument {argument.sql(dialect='spark')} is not known; "
                "cast it (F.col(...).cast('string'))"
            )
        argument_types.append(types.to_duckdb(argument.type))
    digest = hashlib.sha1(f"{id(function)}:{argument_types}".encode()).hexdigest()[:10]
    signature = f"{function.name.lower()}__{digest}"
    with _LOCK:
        _SIGNATURES[signature] = (function, argument_types)
    call = exp.Anonymous(this=signature, expressions=list(node.expressions))
    call.type = types.of(function.returns)
    return call


def ready(con: Any, sql: str) -> None:
    """Register in `con`'s database each Python function signature `sql` calls (once per database)."""
    if not _SIGNATURES:
        return
    lowered = sql.lower()
    for signature, (function, argument_types) in list(_SIGNATURES.items()):
        if signature not in lowered:
            continue
        _create(con, signature, function, argument_types)


def _create(con: Any, signature: str, function: PythonFunction, argument_types: list[str]) -> None:
    import duckdb

    from lakeloader.sql import types

    returns = types.to_duckdb(types.of(function.returns))
    try:
        import numpy  # noqa: F401  (DuckDB's Python functions need it)
    except ImportError:
        raise ConfigError(
            f"function {function.label}: Python functions need numpy and pandas; install lakeloader[pandas]"
        ) from None
    if function.vectorized:
        from lakeloader import pandas_guard

        pandas_guard.allow()  # a pandas_udf gets pandas Series
    body = _with_arity(_vectorized(function) if function.vectorized else _row_at_a_time(function), len(argument_types))
    try:
        con.create_function(
            signature,
            body,
            argument_types,
            returns,
            type="arrow",
            null_handling="special",
            side_effects=True,  # DuckDB must call it for each row, not fold it as a constant
        )
    except (duckdb.NotImplementedException, duckdb.CatalogException) as exc:
        if "already" not in str(exc):
            raise
        # made already in this database (its cursors share it)


def _with_arity(call: Callable[..., Any], count: int) -> Callable[..., Any]:
    """`call` as a function of exactly `count` parameters (DuckDB counts them)."""
    import inspect

    parameters = [inspect.Parameter(f"a{i}", inspect.Parameter.POSITIONAL_OR_KEYWORD) for i in range(count)]
    call.__signature__ = inspect.Signature(parameters)  # type: ignore[attr-defined]
    return call


def _row_at_a_time(function: PythonFunction) -> Callable[..., Any]:
    """PySpark's Arrow-optimized Python UDF: each batch's columns in as Arrow, the function called per row with
    Python values (None for NULL, a struct as a dict), the results out as one Arrow array."""
    import pyarrow as pa

    from lakeloader.sql import types

    target = _arrow_type(types.of(function.returns))

    def call(*arrays: Any) -> Any:
        columns = [a.to_pylist() for a in arrays]
        try:
            results = [function.function(*values) for values in zip(*columns, strict=True)]
        except Exception as exc:  # the user's function: its error in one line, named
            raise ConfigError(f"Python function {function.label} failed: {type(exc).__name__}: {exc}") from None
        try:
            return pa.array(results, type=target)
        except (pa.ArrowInvalid, pa.ArrowTypeError, TypeError, OverflowError) as exc:
            raise ConfigError(
                f"Python function {function.label} returned a value that is not {function.returns}: "
                f"{str(exc).splitlines()[0]}; return {function.returns} or declare the type it returns"
            ) from None

    return call


def _vectorized(function: PythonFunction) -> Callable[..., Any]:
    import pyarrow as pa

    from lakeloader.sql import types

    target = _arrow_type(types.of(function.returns))

    def call(*arrays: Any) -> Any:
        series = [a.to_pandas() for a in arrays]
        try:
            result = function.function(*series)
        except Exception as exc:
            raise ConfigError(f"pandas_udf {function.label} failed: {type(exc).__name__}: {exc}") from None
        return pa.array(result, type=target, from_pandas=True)

    return call


def _arrow_type(spark_type: exp.DataType) -> Any:
    import duckdb

    from lakeloader.sql import types

    con = duckdb.connect()  # a private one: the type's Arrow form, nothing read
    try:
        table = con.sql(f"SELECT NULL::{types.to_duckdb(spark_type)} AS x").to_arrow_table()
        assert table is not None
        return table.schema.field(0).type
    finally:
        con.close()
