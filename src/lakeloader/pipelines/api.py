"""The Python API with the names of `pyspark.pipelines`: decorators that declare datasets and flows while a pipeline's
Python file is imported, and the sources a query function reads when its flow runs.

`from lakeloader import pipelines as dp`. A query function returns a DuckDB relation, a Polars frame or an Arrow
table/reader. It runs when its flow runs, with `dp.read`, `dp.read_stream`, `dp.read_files`, `dp.read_postgres`
and `dp.sql` bound to the update's session; the graph learns what it reads from its source (the calls' names).
"""

from __future__ import annotations

import ast
import contextvars
import inspect
import textwrap
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from typing import Any, Protocol, TypeVar, overload

from lakeloader.errors import ConfigError
from lakeloader.pipelines.model import (
    AutoCdc,
    Dataset,
    DatasetKind,
    Definitions,
    Expectation,
    Flow,
    Location,
    OnViolation,
    Query,
)

F = TypeVar("F", bound=Callable[..., Any])
_EXPECTATIONS = "__lakeloader_expectations__"
_registry: contextvars.ContextVar[Definitions | None] = contextvars.ContextVar(
    "lakeloader_pipeline_registry", default=None
)
_session: contextvars.ContextVar[Session | None] = contextvars.ContextVar("lakeloader_pipeline_session", default=None)


class Session(Protocol):
    """What a running flow offers its query function (implemented by the executor)."""

    def read(self, name: str) -> Any: ...
    def read_stream(self, name: str) -> Any: ...
    def read_files(self, path: str, options: dict[str, Any]) -> Any: ...
    def read_postgres(self, options: dict[str, Any]) -> Any: ...
    def sql(self, query: str) -> Any: ...


class _Conf:
    """`dp.conf.get(key, default)`: the pipeline's configuration (spark-pipeline.yml), like `spark.conf.get`."""

    def __init__(self) -> None:
        self.values: dict[str, str] = {}

    def get(self, key: str, default: str | None = None) -> str:
        if key in self.values:
            return self.values[key]
        if default is not None:
            return default
        known = ", ".join(sorted(self.values)) or "none"
        raise ConfigError(f"dp.conf.get: '{key}' is not in the pipeline's configuration (keys: {known}); add it")


conf = _Conf()


@contextmanager
def registering(definitions: Definitions, configuration: Mapping[str, str]) -> Iterator[None]:
    """Collect what the decorators declare into `definitions` while a pipeline file is imported."""
    token = _registry.set(definitions)
    conf.values = dict(configuration)
    try:
        yield
    finally:
        _registry.reset(token)


@contextmanager
def running(session: Session) -> Iterator[None]:
    """Bind the sources (`dp.read`, ...) to a flow's session while its query function runs."""
    token = _session.set(session)
    try:
        yield
    finally:
        _session.reset(token)


def _definitions(what: str) -> Definitions:
    found = _registry.get()
    if found is None:
        raise ConfigError(
            f"dp.{what} declares a pipeline dataset: use it in a pipeline source file (lakeloader pipelines run)"
        )
    return found


def _active(what: str) -> Session:
    found = _session.get()
    if found is None:
        raise ConfigError(f"dp.{what} reads data for a flow: call it inside a query function, not at import time")
    return found


def _location(depth: int = 3) -> Location:
    frame = inspect.stack()[depth]
    return Location(frame.filename, frame.lineno)


def _query(func: Callable[..., Any]) -> Query:
    """The query function, and what its source says it reads (`dp.read("x")`, `dp.sql("... FROM x")`, ...)."""
    query = Query(function=func)
    try:
        tree = ast.parse(textwrap.dedent(inspect.getsource(func)))
    except (OSError, TypeError, SyntaxError):
        return query
    from lakeloader.pipelines import translate

    query.returns_sql = _returned_sql(tree)
    for node in ast.walk(tree):
        if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)):
            continue
        first = node.args[0] if node.args else None
        text = first.value if isinstance(first, ast.Constant) and isinstance(first.value, str) else None
        method = node.func.attr
        receiver = _receiver(node.func.value)
        if method in ("read", "read_stream") and text:
            query.references.add(text)
            if method == "read_stream":
                query.streaming_references.add(text)
        elif method == "table" and text and receiver in ("readStream", "read", "spark"):  # PySpark's reads
            query.references.add(text)
            if receiver == "readStream":
                query.streaming_references.add(text)
        elif method == "load" and receiver == "readStream":  # spark.readStream.format("cloudFiles")...load(path)
            query.reads_files = True
            query.spark_files = True
        elif method == "read_files":
            query.reads_files = True
        elif method == "read_postgres":
            query.reads_postgres = True
        elif method == "sql" and text:
            try:
                found = translate.describe(text, where=Location("", 0))
            except translate.TranslateError:
                continue
            query.references |= found.references
            query.streaming_references |= found.streaming_references
    return query


def _receiver(node: ast.AST) -> str | None:
    """What a method is called on, by its last name: `spark.readStream.format(..).option(..)` -> readStream."""
    while isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
        node = node.func.value  # past the chain's calls (.format(...), .option(...), ...)
    if isinstance(node, ast.Attribute):
        return node.attr
    if isinstance(node, ast.Name):
        return node.id
    return None


def _returned_sql(tree: ast.Module) -> str | None:
    """The SQL of a function whose body is (a docstring and) `return dp.sql("<constant>")`, else None."""
    function = tree.body[0] if tree.body else None
    if not isinstance(function, ast.FunctionDef):
        return None
    body = function.body
    if body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant):
        body = body[1:]  # the docstring
    if len(body) != 1 or not isinstance(body[0], ast.Return):
        return None
    call = body[0].value
    if not (isinstance(call, ast.Call) and isinstance(call.func, ast.Attribute) and call.func.attr == "sql"):
        return None
    first = call.args[0] if len(call.args) == 1 and not call.keywords else None
    return first.value if isinstance(first, ast.Constant) and isinstance(first.value, str) else None


def _expectations(func: Callable[..., Any]) -> list[Expectation]:
    return list(getattr(func, _EXPECTATIONS, []))


def _declare(
    func: Callable[..., Any],
    kind: DatasetKind | None,
    *,
    name: str | None,
    comment: str | None,
    table_properties: dict[str, str] | None,
    partition_cols: list[str] | None,
    cluster_by: list[str] | None,
    schema: Any,
    temporary: bool = False,
) -> Callable[..., Any]:
    if not callable(func):
        what = kind or "table"
        raise ConfigError(f"@dp.{what}: decorate a function that returns the rows (e.g. @dp.{what}(name='t'))")
    definitions = _definitions(kind or "table")
    where = Location(inspect.getsourcefile(func) or "<python>", inspect.getsourcelines(func)[1])
    dataset_name = name or func.__name__
    query = _query(func)
    if kind is None:  # DLT's @dlt.table: a streaming table when the query reads a stream
        streams = bool(query.streaming_references) or query.spark_files or query.reads_files
        kind = "streaming_table" if streams else "materialized_view"
    dataset = Dataset(
        name=dataset_name,
        kind=kind,
        location=where,
        comment=comment,
        schema=_ddl(schema),
        properties=dict(table_properties or {}),
        partition_by=list(partition_cols or []),
        cluster_by=list(cluster_by or []),
        expectations=_expectations(func),
        temporary=temporary,
    )
    definitions.datasets.append(dataset)
    flow_kind = "append" if kind == "streaming_table" else "complete"
    definitions.flows.append(Flow(dataset_name, dataset_name, flow_kind, query, where))  # type: ignore[arg-type]
    func.__lakeloader_dataset__ = dataset  # type: ignore[attr-defined]  # an @dp.expect applied later finds it
    return func


@overload
def table(query_function: F) -> F: ...
@overload
def table(
    *,
    name: str | None = None,
    comment: str | None = None,
    spark_conf: dict[str, str] | None = None,
    table_properties: dict[str, str] | None = None,
    partition_cols: list[str] | None = None,
    cluster_by: list[str] | None = None,
    schema: Any = None,
    temporary: bool = False,
    private: bool = False,
) -> Callable[[F], F]: ...
def table(query_function: Any = None, **kwargs: Any) -> Any:
    """A streaming table whose query function reads its input incrementally (`dp.read_stream`, `dp.read_files`)."""
    return _dataset_decorator("streaming_table", query_function, kwargs)


def _dataset_decorator(kind: DatasetKind | None, query_function: Any, kwargs: dict[str, Any]) -> Any:
    """`@dp.table` / `@dp.materialized_view`, bare or called with options."""
    options = _options(kwargs)

    def outer(func: F) -> F:
        _declare(func, kind, **options)
        return func

    return outer(query_function) if query_function is not None else outer


@overload
def materialized_view(query_function: F) -> F: ...
@overload
def materialized_view(
    *,
    name: str | None = None,
    comment: str | None = None,
    spark_conf: dict[str, str] | None = None,
    table_properties: dict[str, str] | None = None,
    partition_cols: list[str] | None = None,
    cluster_by: list[str] | None = None,
    schema: Any = None,
    private: bool = False,
) -> Callable[[F], F]: ...
def materialized_view(query_function: Any = None, **kwargs: Any) -> Any:
    """A materialized view: its query function runs again at every update."""
    return _dataset_decorator("materialized_view", query_function, kwargs)


def temporary_view(
    query_function: Any = None,
    *,
    name: str | None = None,
    comment: str | None = None,
    spark_conf: dict[str, str] | None = None,
) -> Any:
    """A view the pipeline's other datasets read, never published to the catalog."""

    def outer(func: F) -> F:
        _declare(
            func,
            "temporary_view",
            name=name,
            comment=comment,
            table_properties=None,
            partition_cols=None,
            cluster_by=None,
            schema=None,
        )
        return func

    return outer(query_function) if query_function is not None else outer


view = temporary_view  # the older name (dlt.view)


def _options(kwargs: dict[str, Any]) -> dict[str, Any]:
    allowed = {
        "name",
        "comment",
        "spark_conf",
        "table_properties",
        "partition_cols",
        "cluster_by",
        "schema",
        "temporary",
        "private",
        "format",
    }
    unknown = sorted(set(kwargs) - allowed)
    if unknown:
        raise ConfigError(
            f"dp decorator: unknown argument {', '.join(unknown)}; valid ones are {', '.join(sorted(allowed))}"
        )
    return {
        "name": kwargs.get("name"),
        "comment": kwargs.get("comment"),
        "table_properties": kwargs.get("table_properties"),
        "partition_cols": kwargs.get("partition_cols"),
        "cluster_by": kwargs.get("cluster_by"),
        "schema": kwargs.get("schema"),
        "temporary": bool(kwargs.get("temporary")),
    }


def create_streaming_table(
    name: str,
    *,
    comment: str | None = None,
    table_properties: dict[str, str] | None = None,
    partition_cols: list[str] | None = None,
    cluster_by: list[str] | None = None,
    schema: Any = None,
    expect_all: dict[str, str] | None = None,
    expect_all_or_drop: dict[str, str] | None = None,
    expect_all_or_fail: dict[str, str] | None = None,
) -> None:
    """A streaming table that append flows or an AUTO CDC flow fill."""
    definitions = _definitions("create_streaming_table")
    kinds: list[tuple[dict[str, str] | None, OnViolation]] = [
        (expect_all, "warn"),
        (expect_all_or_drop, "drop"),
        (expect_all_or_fail, "fail"),
    ]
    expectations = [Expectation(n, c, action) for rules, action in kinds for n, c in (rules or {}).items()]
    definitions.datasets.append(
        Dataset(
            name=name,
            kind="streaming_table",
            location=_location(2),
            comment=comment,
            schema=_ddl(schema),
            properties=dict(table_properties or {}),
            partition_by=list(partition_cols or []),
            cluster_by=list(cluster_by or []),
            expectations=expectations,
        )
    )


create_target_table = create_streaming_table  # the older name


def append_flow(
    *,
    target: str,
    name: str | None = None,
    spark_conf: dict[str, str] | None = None,
    once: bool = False,
    comment: str | None = None,
) -> Callable[[F], F]:
    """A flow that appends what its query function returns to `target` (a streaming table)."""

    def outer(func: F) -> F:
        definitions = _definitions("append_flow")
        where = Location(inspect.getsourcefile(func) or "<python>", inspect.getsourcelines(func)[1])
        definitions.flows.append(Flow(name or func.__name__, target, "append", _query(func), where, once=once))
        return func

    return outer


def create_auto_cdc_flow(
    *,
    target: str,
    source: str,
    keys: list[str],
    sequence_by: str,
    stored_as_scd_type: int | str = 1,
    apply_as_deletes: str | None = None,
    apply_as_truncates: str | None = None,
    column_list: list[str] | None = None,
    except_column_list: list[str] | None = None,
    track_history_column_list: list[str] | None = None,
    track_history_except_column_list: list[str] | None = None,
    ignore_null_updates: bool = False,
    name: str | None = None,
    once: bool = False,
) -> None:
    """Apply a change feed (`source`, read as a stream) to `target` by `keys`, ordered by `sequence_by`."""
    definitions = _definitions("create_auto_cdc_flow")
    cdc = AutoCdc(
        keys=list(keys),
        sequence_by=_column(sequence_by),
        stored_as_scd_type=int(stored_as_scd_type),
        apply_as_deletes=_condition(apply_as_deletes),
        apply_as_truncates=_condition(apply_as_truncates),
        column_list=column_list,
        except_column_list=except_column_list,
        track_history_column_list=track_history_column_list,
        track_history_except_column_list=track_history_except_column_list,
        ignore_null_updates=ignore_null_updates,
    )
    query = Query(sql=f"SELECT * FROM STREAM({source})", references={source}, streaming_references={source})
    definitions.flows.append(
        Flow(
            name or f"{target}_auto_cdc",
            target,
            "auto_cdc",
            query,
            _location(2),
            auto_cdc=cdc,
            source=source,
            once=once,
        )
    )


apply_changes = create_auto_cdc_flow  # the older name


def create_auto_cdc_from_snapshot_flow(
    *,
    target: str,
    source: str | Callable[..., Any],
    keys: list[str],
    stored_as_scd_type: int | str = 1,
    track_history_column_list: list[str] | None = None,
    track_history_except_column_list: list[str] | None = None,
    name: str | None = None,
) -> None:
    """Apply full snapshots of `source` (a dataset, or a function returning (snapshot, version) or None) to `target`."""
    definitions = _definitions("create_auto_cdc_from_snapshot_flow")
    cdc = AutoCdc(
        keys=list(keys),
        sequence_by="",
        stored_as_scd_type=int(stored_as_scd_type),
        track_history_column_list=track_history_column_list,
        track_history_except_column_list=track_history_except_column_list,
        from_snapshot=True,
    )
    if callable(source):
        query = Query(function=source)
        source_name = None
    else:
        query = Query(references={source})
        source_name = source
    definitions.flows.append(
        Flow(
            name or f"{target}_auto_cdc_snapshot",
            target,
            "auto_cdc_snapshot",
            query,
            _location(2),
            auto_cdc=cdc,
            source=source_name,
        )
    )


apply_changes_from_snapshot = create_auto_cdc_from_snapshot_flow


def _sql_text(value: Any) -> str:
    """A PySpark Column (`F.col("seq")`, `F.struct(...)`, `F.expr(...)`) as its Spark SQL; else its text."""
    expression = getattr(value, "expression", None)
    if expression is not None and hasattr(expression, "sql"):
        from sqlglot import exp

        if isinstance(expression, exp.Alias):  # the name SQLFrame gives a struct: not part of the value
            expression = expression.this
        return str(expression.sql(dialect="spark"))
    return str(value)


def _column(value: Any) -> str:
    return value if isinstance(value, str) else _sql_text(value)


def _condition(value: Any) -> str | None:
    if value is None or isinstance(value, str):
        return value
    return _sql_text(value)


def _expect(rules: dict[str, str], action: OnViolation) -> Callable[[F], F]:
    def outer(func: F) -> F:
        found = [Expectation(name, condition, action) for name, condition in rules.items()]
        dataset = getattr(func, "__lakeloader_dataset__", None)
        if dataset is not None:  # @dp.expect above @dp.table: the dataset is already declared
            dataset.expectations[:0] = found
        else:
            setattr(func, _EXPECTATIONS, [*found, *getattr(func, _EXPECTATIONS, [])])
        return func

    return outer


def expect(name: str, condition: str) -> Callable[[F], F]:
    """Count the rows that fail `condition`; keep them."""
    return _expect({name: condition}, "warn")


def expect_or_drop(name: str, condition: str) -> Callable[[F], F]:
    """Drop the rows that fail `condition` (counted)."""
    return _expect({name: condition}, "drop")


def expect_or_fail(name: str, condition: str) -> Callable[[F], F]:
    """Fail the flow, committing nothing of it, when a row fails `condition`."""
    return _expect({name: condition}, "fail")


def expect_all(expectations: dict[str, str]) -> Callable[[F], F]:
    return _expect(dict(expectations), "warn")


def expect_all_or_drop(expectations: dict[str, str]) -> Callable[[F], F]:
    return _expect(dict(expectations), "drop")


def expect_all_or_fail(expectations: dict[str, str]) -> Callable[[F], F]:
    return _expect(dict(expectations), "fail")


def read(name: str) -> Any:
    """The current rows of dataset `name` (a DuckDB relation)."""
    return _active("read").read(name)


def read_stream(name: str) -> Any:
    """The rows of dataset `name` new since this flow last ran (a DuckDB relation)."""
    return _active("read_stream").read_stream(name)


def read_postgres(**options: Any) -> Any:
    """A Postgres table or query (the Postgres source's options: url or host/port/database/user, password as a
    secret reference, table or query, mode full|incremental, cursor, ...): in a streaming table what is new since
    the flow last ran; in a materialized view all of it."""
    return _active("read_postgres").read_postgres(options)


def read_files(path: str, *, format: str, **options: Any) -> Any:
    """Files under `path` (Auto Loader options): incrementally in a streaming table, all of them in a view."""
    return _active("read_files").read_files(path, {**options, "format": format})


def sql(query: str) -> Any:
    """A query in Databricks SQL over the pipeline's datasets and the lakehouse's tables (a DuckDB relation)."""
    return _active("sql").sql(query)


def _ddl(schema: Any) -> str | None:
    """A declared schema as DDL text: as written, or from a PySpark StructType or an Arrow schema."""
    if schema is None or isinstance(schema, str):
        return schema
    import pyarrow as pa

    if isinstance(schema, pa.Schema):
        from lakeloader.sources.files.ddl import to_ddl

        return str(to_ddl(schema))
    fields = getattr(schema, "fields", None)
    if fields is not None and all(hasattr(f, "dataType") for f in fields):  # pyspark.sql.types.StructType
        return ", ".join(
            f"`{f.name}` {f.dataType.simpleString()}" + ("" if f.nullable else " NOT NULL") for f in fields
        )
    return str(schema)
