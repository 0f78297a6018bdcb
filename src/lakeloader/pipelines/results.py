"""A flow's rows as its dataset keeps them: the query's result with the declared columns, the hidden `_metadata`
left out unless named, the expectations applied (DuckDB, in the flow's session) and NOT NULL enforced."""

from __future__ import annotations

from typing import Any

import pyarrow as pa

from lakeloader.errors import ConfigError
from lakeloader.pipelines import declared, translate
from lakeloader.pipelines.graph import Node
from lakeloader.pipelines.model import Flow
from lakeloader.pipelines.session import FlowSession, to_arrow
from lakeloader.quality import expectations as quality
from lakeloader.sql.runtime import ready


def rules_of(node: Node, schema: pa.Schema | None = None) -> list[quality.Rule]:
    """The dataset's expectations in DuckDB SQL, typed by `schema` (the rows they check) when it is given; without
    it a condition that needs its columns' types waits for `typed_rules`."""
    return typed_rules(
        [quality.Rule(e.name, "", e.on_violation, e.condition) for e in node.dataset.expectations],
        schema,
        where=node.dataset.location,
    )


def typed_rules(rules: list[quality.Rule], schema: pa.Schema | None, *, where: object) -> list[quality.Rule]:
    """`rules` translated again for rows of `schema` (Spark's behaviour depends on the columns' types)."""
    columns = translate.spark_columns(schema) if schema is not None else None
    out = []
    for rule in rules:
        try:
            condition = translate.condition_to_duckdb(rule.written, columns)
        except translate.TranslateError as exc:
            if schema is None:  # typed once the rows are known
                out.append(rule)
                continue
            raise ConfigError(f"{where}: expectation {rule.name}: {exc}") from None
        out.append(quality.Rule(rule.name, condition, rule.on_violation, rule.written))
    return out


def output(
    session: FlowSession,
    node: Node,
    quality_state: quality.Quality,
    *,
    on_dropped: quality.Dropped | None = None,
) -> pa.RecordBatchReader:
    """The flow's rows with its expectations applied (evaluated by DuckDB in the same session).

    A file's `_metadata` column is hidden as in Databricks: `SELECT *` leaves it out, naming it keeps it."""
    result, schema = shaped(session, node, quality_state)
    relational = schema is not None
    if not quality_state.rules:
        reader = to_arrow(result, where=f"flow {session.flow.name}")
        return declared.not_null(_counting(reader, quality_state), node, session.flow.name)
    if not relational:
        result = to_arrow(result, where=f"flow {session.flow.name}")
    session.con.register("__lakeloader_result", result)
    reader = checked(session.con, "__lakeloader_result", quality_state, on_dropped, flow=session.flow.name)
    return declared.not_null(reader, node, session.flow.name)


def shaped(session: FlowSession, node: Node, quality_state: quality.Quality) -> tuple[Any, pa.Schema | None]:
    """The flow's result as the dataset declares it (not run yet), and its schema when it is a DuckDB relation;
    the expectations in `quality_state` typed for its rows."""
    result = declared.apply(session, node, _without_hidden(session, session.result()))
    relational = type(result).__module__.lstrip("_").startswith("duckdb")
    schema = _schema_without_running(session, result) if relational else None
    if session.flow.query.sql and schema is not None:
        _refuse_void(schema, session.flow)
    if quality_state.rules:
        if not relational:
            result = to_arrow(result, where=f"flow {session.flow.name}")
        typed_for = schema if schema is not None else result.schema
        quality_state.rules = typed_rules(quality_state.rules, typed_for, where=node.dataset.location)
    return result, schema


def checked(
    con: Any, relation: str, quality_state: quality.Quality, on_dropped: quality.Dropped | None, *, flow: str
) -> pa.RecordBatchReader:
    """The rows of `relation` (a view of `con`) that pass the expectations (typed already), counted."""
    checked_rows = con.sql(ready(con, quality.checked_sql(relation, quality_state.rules)))
    return quality.enforce(checked_rows.to_arrow_reader(1 << 17), quality_state, flow=flow, on_dropped=on_dropped)


def _schema_without_running(session: FlowSession, relation: Any) -> pa.Schema:
    """A DuckDB relation's Arrow schema from its bound types (running it would consume the streams it reads)."""
    names = [c.replace('"', '""') for c in relation.columns]
    nulls = ", ".join(f'CAST(NULL AS {t}) AS "{n}"' for n, t in zip(names, relation.types, strict=True))
    return session.con.sql(f"SELECT {nulls}" if nulls else "SELECT 1 WHERE false").to_arrow_table().schema


def _void_path(t: pa.DataType, path: str) -> str | None:
    if pa.types.is_null(t):
        return path
    if pa.types.is_struct(t):
        found = (_void_path(t.field(i).type, f"{path}.{t.field(i).name}") for i in range(t.num_fields))
        return next((f for f in found if f), None)
    if pa.types.is_list(t) or pa.types.is_large_list(t):
        return _void_path(t.value_type, f"{path}[]")
    if pa.types.is_map(t):
        return _void_path(t.key_type, f"{path}.key") or _void_path(t.item_type, f"{path}.value")
    return None


def _refuse_void(schema: pa.Schema, flow: Flow) -> None:
    """A column (or a field of one) of Spark's VOID type, an untyped NULL: Delta tables here store no VOID (Databricks'
    own before Runtime 18.2 do not either), and guessing a type would write what Spark does not."""
    for f in schema:
        path = _void_path(f.type, f.name)
        if path:
            raise ConfigError(
                f"{flow.location}: flow {flow.name}: {path} is an untyped NULL (Spark's VOID type), which a Delta "
                "table does not store; give it a type, e.g. CAST(NULL AS STRING)"
            )


def _without_hidden(session: FlowSession, result: Any) -> Any:
    if not type(result).__module__.startswith("duckdb") or "_metadata" not in result.columns:
        return result
    if translate.names_metadata(session.flow.query.sql or _source_of(session.flow)):
        return result
    session.con.register("__lakeloader_with_metadata", result)
    return session.con.sql('SELECT * EXCLUDE ("_metadata") FROM __lakeloader_with_metadata')


def _source_of(flow: Flow) -> str:
    import inspect

    try:
        return inspect.getsource(flow.query.function) if flow.query.function is not None else ""
    except (OSError, TypeError):
        return ""


def _counting(reader: pa.RecordBatchReader, state: quality.Quality) -> pa.RecordBatchReader:
    def batches() -> Any:
        for batch in reader:
            state.input_rows += batch.num_rows
            state.output_rows += batch.num_rows
            yield batch

    return pa.RecordBatchReader.from_batches(reader.schema, batches())
