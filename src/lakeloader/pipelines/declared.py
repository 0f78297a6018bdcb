"""A dataset's declared columns, kept: `CREATE ... t (id BIGINT NOT NULL, d DATE, ...) AS <query>`.

Databricks stores the table with the columns it declares: the query's values are cast to the declared types
(Spark's casts, through the one SQL translator), a column the query does not return (or one it returns that is not
declared) is an error, and NOT NULL is a constraint the write enforces ([DELTA_NOT_NULL_CONSTRAINT_VIOLATED]): the
update fails and commits nothing. PRIMARY KEY and FOREIGN KEY constraints are informational there and kept in the
table's properties here.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

import pyarrow as pa

from lakeloader.errors import ConfigError, TerminalError

if TYPE_CHECKING:
    from lakeloader.pipelines.graph import Node
    from lakeloader.pipelines.model import Dataset
    from lakeloader.pipelines.session import FlowSession

_INPUT = "__lakeloader_declared_in"


def columns(ddl: str) -> list[tuple[str, str]]:
    """(name, Spark type) of each declared column (`id BIGINT, d DATE`)."""
    from sqlglot import exp

    tree = _parsed(ddl)
    return [(c.name, c.args["kind"].sql(dialect="spark")) for c in tree.find_all(exp.ColumnDef)]


def _parsed(ddl: str) -> Any:
    import sqlglot
    from sqlglot.errors import ParseError

    from lakeloader.sql.dialect import SparkSql

    try:
        return sqlglot.parse_one(f"CREATE TABLE t ({ddl})", read=SparkSql)
    except ParseError:
        raise ConfigError(
            f"declared schema {ddl[:60]!r} is not a column list; write it like 'id INT NOT NULL, name STRING'"
        ) from None


def required(dataset: Dataset) -> list[str]:
    """The declared NOT NULL columns (SQL's column list, or a Python `schema=` string)."""
    if dataset.not_null or not dataset.schema:
        return list(dataset.not_null)
    from sqlglot import exp

    tree = _parsed(dataset.schema)
    return [c.name for c in tree.find_all(exp.ColumnDef) if c.find(exp.NotNullColumnConstraint) is not None]


def apply(session: FlowSession, node: Node, result: Any) -> Any:
    """The flow's rows as the dataset declares them (a DuckDB relation), or `result` when nothing is declared."""
    if not node.dataset.schema:
        return result
    from lakeloader.pipelines.session import to_arrow
    from lakeloader.sql import parse, runtime, to_duckdb

    if not type(result).__module__.lstrip("_").startswith("duckdb"):
        result = to_arrow(result, where=f"flow {session.flow.name}").read_all()
    session.con.register(_INPUT, result)
    returned = session.describe(_INPUT)
    declared = columns(node.dataset.schema)
    where = f"{node.dataset.location}: dataset {node.key}"
    by_lower = {name.lower(): name for name in returned}
    missing = [name for name, _ in declared if name.lower() not in by_lower]
    if missing:
        raise ConfigError(f"{where} declares {', '.join(missing)}, which its query does not return; "
                          "return it, or drop it from the declared columns")  # fmt: skip
    extra = sorted(set(by_lower) - {name.lower() for name, _ in declared})
    if extra:
        names = ", ".join(by_lower[e] for e in extra)
        raise ConfigError(f"{where}: its query returns {names}, which the declared columns do not list; "
                          "declare it, or leave it out of the query")  # fmt: skip
    select = ", ".join(f"CAST(`{by_lower[n.lower()]}` AS {t}) AS `{n}`" for n, t in declared)
    sql = to_duckdb(parse(f"SELECT {select} FROM {_INPUT}"), settings=session.settings, schema={_INPUT: returned})
    return session.con.sql(runtime.ready(session.con, sql))


def not_null(reader: pa.RecordBatchReader, node: Node, flow: str) -> pa.RecordBatchReader:
    """`reader` with the declared NOT NULL columns non-nullable; a NULL in one fails the write."""
    return enforce_not_null(reader, required(node.dataset), node.key, flow)


def enforce_not_null(reader: pa.RecordBatchReader, columns: list[str], key: str, flow: str) -> pa.RecordBatchReader:
    """`reader` with `columns` (of dataset `key`) non-nullable; a NULL in one fails the write."""
    needed = {c.lower() for c in columns}
    if not needed:
        return reader
    schema = pa.schema([f.with_nullable(False) if f.name.lower() in needed else f for f in reader.schema])

    def batches() -> Iterator[pa.RecordBatch]:
        for batch in reader:
            for field in batch.schema:
                if field.name.lower() in needed and batch.column(field.name).null_count:
                    raise TerminalError(
                        f"flow {flow}: [DELTA_NOT_NULL_CONSTRAINT_VIOLATED] column {field.name} of {key} is "
                        f"declared NOT NULL and {batch.column(field.name).null_count} row(s) hold NULL; drop them "
                        f"with an expectation (CONSTRAINT ... EXPECT ({field.name} IS NOT NULL) ON VIOLATION DROP "
                        "ROW) or fix the source"
                    )
            yield pa.RecordBatch.from_arrays(batch.columns, schema=schema)

    return pa.RecordBatchReader.from_batches(schema, batches())
