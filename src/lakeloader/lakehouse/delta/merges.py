"""MERGE commits: upserts by key (`merge`), computed changes with an action per row (`apply_rows`), and the
schema evolution they need first."""

from __future__ import annotations

import logging
import os
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

import pyarrow as pa

from lakeloader.errors import (
    ConfigError,
)
from lakeloader.lakehouse import storage, types

if TYPE_CHECKING:
    pass


from lakeloader.lakehouse.delta.core import (
    DEFAULT_TABLE_PROPERTIES,
    CommitResult,
    Data,
    _already_in,
    _as_reader,
    _check_txn_retention,
    _commit_properties,
    _label,
    _q,
    _replayable,
    _RowCounter,
    _with_retries,
    is_delta_table,
    open_table,
)
from lakeloader.lakehouse.delta.writes import create_table, write

log = logging.getLogger(__name__)


def merge(
    location: str | os.PathLike[str],
    data: Data,
    *,
    keys: list[str],
    delete_predicate: str | None = None,
    schema_evolution: bool = True,
    stream_id: str | None = None,
    batch_id: int | None = None,
    metadata: Mapping[str, Any] | None = None,
    table_name: str | None = None,
) -> CommitResult:
    """Upsert `data` into the table by `keys` in one commit: matched rows are updated, new rows inserted.

    `delete_predicate` (over source columns, alias `s`) deletes matched target rows instead of updating them, and
    a source row it holds for is never inserted. A table that does not exist yet is created from the data (empty
    first, when a delete predicate must filter the rows).
    """
    from deltalake import DeltaTable

    label = _label(location, table_name)
    if not keys:
        raise ConfigError(f"table {label}: merge needs at least one key column; pass primary_key")
    if not is_delta_table(location):
        if delete_predicate is None:
            return write(
                location, data, stream_id=stream_id, batch_id=batch_id, metadata=metadata, table_name=table_name
            )
        schema = types.plan_append(_as_reader(data).schema, None, table_name=label, evolve=True)
        create_table(location, schema, configuration=DEFAULT_TABLE_PROPERTIES, table_name=table_name)
    uri = os.fspath(location)

    def attempt() -> CommitResult:
        dt = DeltaTable(uri, storage_options=storage.delta_options(uri))
        if stream_id is not None and batch_id is not None:
            _check_txn_retention(dt, label)
            if _already_in(dt, stream_id, batch_id):
                return CommitResult(label, None, 0, skipped=True, operation="SKIPPED")
        reader = _as_reader(data)
        table_schema = pa.schema(dt.schema().to_arrow())
        missing = [k for k in keys if k not in reader.schema.names]
        if missing:
            raise ConfigError(f"table {label}: merge key {', '.join(missing)} is not in the incoming data")
        target = types.plan_append(reader.schema, table_schema, table_name=label, evolve=schema_evolution)
        counter = _RowCounter(reader, target)
        predicate = " AND ".join(f"t.{_q(k)} = s.{_q(k)}" for k in keys)
        merger = dt.merge(
            counter.reader(),
            predicate=predicate,
            source_alias="s",
            target_alias="t",
            merge_schema=schema_evolution,
            commit_properties=_commit_properties(stream_id=stream_id, batch_id=batch_id, metadata=metadata),
        )
        insert_predicate = None
        if delete_predicate:
            merger = merger.when_matched_delete(predicate=delete_predicate)
            insert_predicate = f"({delete_predicate}) IS NOT TRUE"  # a NULL predicate neither deletes nor hides
        merged = merger.when_matched_update_all().when_not_matched_insert_all(predicate=insert_predicate)
        metrics = merged.execute()
        version = int(DeltaTable(uri, storage_options=storage.delta_options(uri)).version())
        return CommitResult(label, version, counter.rows, operation="MERGE", metrics=dict(metrics))

    return _with_retries(label, _replayable(data), attempt)


def apply_rows(
    location: str | os.PathLike[str],
    data: pa.Table,
    *,
    on: list[str],
    action_column: str,
    stream_id: str,
    batch_id: int,
    metadata: Mapping[str, Any] | None = None,
    table_name: str | None = None,
) -> CommitResult:
    """Apply computed changes in ONE MERGE commit with the stream's transaction (AUTO CDC's write).

    Each row of `data` is matched to the target on `on` (NULL matching NULL); its `action_column` says what to do:
    'delete' removes the matched row, 'upsert' updates it or inserts the row. Every other column is written (the
    action column never is). The table must exist with every data column (see `evolve_schema`).
    """
    from deltalake import DeltaTable

    label = _label(location, table_name)
    uri = os.fspath(location)
    columns = [c for c in data.column_names if c != action_column]

    def attempt() -> CommitResult:
        dt = DeltaTable(uri, storage_options=storage.delta_options(uri))
        _check_txn_retention(dt, label)
        if _already_in(dt, stream_id, batch_id):
            return CommitResult(label, None, 0, skipped=True, operation="SKIPPED")
        if data.num_rows == 0:  # nothing changes; the batch is still recorded, in an empty commit
            return write(location, data.select(columns).slice(0, 0), stream_id=stream_id, batch_id=batch_id,
                         metadata=metadata, table_name=table_name)  # fmt: skip
        target = pa.schema(dt.schema().to_arrow())
        source = data.select(columns).cast(pa.schema([target.field(c) for c in columns]))
        source = source.append_column(action_column, data.column(action_column))
        predicate = " AND ".join(f"(t.{_q(k)} IS NOT DISTINCT FROM s.{_q(k)})" for k in on)  # () for precedence
        updates = {_q(c): f"s.{_q(c)}" for c in columns}
        metrics = (
            dt.merge(
                source,
                predicate=predicate,
                source_alias="s",
                target_alias="t",
                commit_properties=_commit_properties(stream_id=stream_id, batch_id=batch_id, metadata=metadata),
            )
            .when_matched_delete(predicate=f"s.{_q(action_column)} = 'delete'")
            .when_matched_update(updates=updates, predicate=f"s.{_q(action_column)} = 'upsert'")
            .when_not_matched_insert(updates=updates, predicate=f"s.{_q(action_column)} = 'upsert'")
            .execute()
        )
        version = int(DeltaTable(uri, storage_options=storage.delta_options(uri)).version())
        return CommitResult(label, version, data.num_rows, operation="MERGE", metrics=dict(metrics))

    return _with_retries(label, True, attempt)


def evolve_schema(location: str | os.PathLike[str], schema: pa.Schema, *, table_name: str | None = None) -> None:
    """Create the table with `schema`, or add the columns of `schema` it lacks (an empty append, no data)."""
    empty = schema.empty_table()
    if not is_delta_table(location):
        create_table(
            location, types.delta_schema(schema), configuration=DEFAULT_TABLE_PROPERTIES, table_name=table_name
        )
        return
    current = pa.schema(open_table(location).schema().to_arrow())
    if set(schema.names) - set(current.names):
        write(location, empty, table_name=table_name)
