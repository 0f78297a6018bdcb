"""A column Postgres widened (int → bigint, numeric(10,2) → numeric(12,2), real → double) widens in Delta too.

Delta Lake's type widening table feature is not supported by delta-rs, so the table is rewritten once with the
wider types (every value converts exactly; the rows, the table's properties and its streams' transactions stay),
as Spark's `overwriteSchema` would. A change no wider type can hold without loss stops with the fix.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator

import pyarrow as pa

from lakeloader.errors import SchemaMismatchError
from lakeloader.lakehouse import delta, storage, types

log = logging.getLogger(__name__)


_PG_NAMES = {"smallint": "smallint", "int": "integer", "bigint": "bigint", "float": "real", "double": "float8",
             "boolean": "boolean", "string": "text", "binary": "bytea", "date": "date", "timestamp": "timestamptz",
             "timestamp_ntz": "timestamp"}  # fmt: skip


def _postgres_type(t: pa.DataType) -> str:
    """A Postgres type that reads as the Delta type `t` (for the --cast the error suggests)."""
    name = types.sql_type(t)
    if name.startswith("decimal("):
        return "numeric" + name[len("decimal") :]
    return _PG_NAMES.get(name, "<its old SQL type>")


def widen_target(
    location: storage.Location,
    incoming: pa.Schema,
    *,
    table_name: str,
    where: str,
    declared: dict[str, str] | None = None,
) -> dict[str, str]:
    """Widen the target's columns that the incoming data needs wider; {column: "old → new"} of what changed.

    `declared` names each column's Postgres type, for the message when a change cannot be widened.
    """
    if not delta.is_delta_table(location):
        return {}
    table = pa.schema(delta.open_table(location, table_name=table_name).schema().to_arrow())
    by_name = {f.name.lower(): f for f in table}
    wider: dict[str, pa.DataType] = {}
    for field in types.delta_schema(incoming):
        existing = by_name.get(field.name.lower())
        if existing is None or field.type == existing.type or types.can_widen(field.type, existing.type):
            continue
        if not types.can_widen(existing.type, field.type):
            now = (declared or {}).get(field.name) or types.sql_type(field.type)
            raise SchemaMismatchError(
                f"postgres source {where}: column {field.name} is now {now} in Postgres but "
                f"{types.sql_type(existing.type)} in table {table_name}, which cannot take it without loss; read it "
                f"as before (--cast {field.name}={_postgres_type(existing.type)}) or load into a new table"
            )
        wider[existing.name] = field.type
    if not wider:
        return {}
    schema = pa.schema([pa.field(f.name, wider.get(f.name, f.type)) for f in table])
    changes = {name: f"{types.sql_type(table.field(name).type)} → {types.sql_type(t)}" for name, t in wider.items()}

    rows = delta.dataset(location, table_name=table_name)  # opened here: delta-rs consumes the batches below

    def batches() -> Iterator[pa.RecordBatch]:
        for batch in rows.to_batches():
            yield batch.cast(schema)

    result = delta.write(
        location,
        pa.RecordBatchReader.from_batches(schema, batches()),
        mode="overwrite",
        overwrite_schema=True,
        table_name=table_name,
        metadata={"postgres.widened": ", ".join(f"{k}: {v}" for k, v in changes.items())},
    )
    log.warning(
        "table %s: widened %s as Postgres did (table rewritten at version %s, %d rows kept)",
        table_name,
        ", ".join(f"{k} {v}" for k, v in changes.items()),
        result.version,
        result.rows,
    )
    return changes
