"""AUTO CDC (APPLY CHANGES): change events applied to a target by key, in the order of `sequence_by`, as SCD type 1
(the latest state) or type 2 (history with `__START_AT` / `__END_AT`), exactly once per batch of events.

Out-of-order events within a batch and late events across updates give the table that processing every event sorted
by `sequence_by` at once gives: each batch replays, per affected key, what the table and the flow's state already hold
(SCD 1: the current row with the sequence that made it and the key's last delete; SCD 2: the key's history rows
and every event it had), kept in a state table in the pipeline's storage, together with the new events, in
sequence order. The state commits first with its own transaction, then the target by ONE MERGE commit carrying
the flow's transaction.
"""

from __future__ import annotations

import os
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pyarrow as pa

from lakeloader.errors import ConfigError, TerminalError
from lakeloader.lakehouse import delta, storage
from lakeloader.pipelines import translate
from lakeloader.pipelines.model import AutoCdc, Flow

if TYPE_CHECKING:
    from lakeloader.pipelines.context import UpdateContext
    from lakeloader.pipelines.graph import Node

SEQ, DEL, TRUNC = "__lakeloader_seq", "__lakeloader_delete", "__lakeloader_truncate"
ACTION = "__lakeloader_action"
START, END = "__START_AT", "__END_AT"
KIND, UPSERT_SEQ, DELETE_SEQ = "__kind", "__upsert_seq", "__delete_seq"


@dataclass
class Changes:
    """The rows to merge into the target and into the flow's state, for one batch."""

    target: pa.Table
    state: pa.Table | None
    upserted: int = 0
    deleted: int = 0


def data_columns(cdc: AutoCdc, source: list[str], *, flow: str) -> list[str]:
    """The target's columns: the source's, narrowed by COLUMNS (...) or COLUMNS * EXCEPT (...)."""
    if cdc.column_list:
        missing = [c for c in cdc.column_list if c not in source]
        if missing:
            raise ConfigError(
                f"AUTO CDC flow {flow}: COLUMNS names {', '.join(missing)}, not in the source; fix the list"
            )
        columns = list(cdc.column_list)
    else:
        columns = [c for c in source if c not in set(cdc.except_column_list or [])]
    absent = [k for k in cdc.keys if k not in columns]
    if absent:
        raise ConfigError(f"AUTO CDC flow {flow}: key {', '.join(absent)} is not among the target's columns; keep it")
    return columns


def with_helpers(con: Any, relation: str, cdc: AutoCdc) -> str:
    """SQL adding the sequence, delete and truncate columns (Databricks SQL conditions translated)."""
    seq = translate.condition_to_duckdb(cdc.sequence_by)
    parts = [f"({seq}) AS {SEQ}"]
    parts.append(
        f"coalesce(({translate.condition_to_duckdb(cdc.apply_as_deletes)}), false) AS {DEL}"
        if cdc.apply_as_deletes
        else f"false AS {DEL}"
    )
    parts.append(
        f"coalesce(({translate.condition_to_duckdb(cdc.apply_as_truncates)}), false) AS {TRUNC}"
        if cdc.apply_as_truncates
        else f"false AS {TRUNC}"
    )
    return f"SELECT *, {', '.join(parts)} FROM {relation}"


def _key(row: dict[str, Any], keys: list[str]) -> tuple[Any, ...]:
    return tuple(row[k] for k in keys)


def _coalesced(new: dict[str, Any], old: dict[str, Any] | None, columns: list[str]) -> dict[str, Any]:
    if old is None:
        return dict(new)
    return {c: (new[c] if new.get(c) is not None else old.get(c)) for c in columns}


def _events(events: pa.Table, cdc: AutoCdc, flow: str) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = events.to_pylist()
    if any(r[SEQ] is None for r in rows):
        raise TerminalError(
            f"AUTO CDC flow {flow}: sequence_by ({cdc.sequence_by}) is NULL in some events; every "
            "change needs a sequence to be ordered by"
        )
    null_keys = sum(1 for r in rows if not r[TRUNC] and any(r[k] is None for k in cdc.keys))
    if null_keys:  # Databricks fails the batch too (AUTOCDC_MICROBATCH_VALIDATION.NULL_KEY)
        raise TerminalError(
            f"AUTO CDC flow {flow}: [AUTOCDC_MICROBATCH_VALIDATION.NULL_KEY] a key ({', '.join(cdc.keys)}) is NULL in "
            f"{null_keys} event(s); filter them out in the source query (WHERE ... IS NOT NULL) or fix the source"
        )
    return rows


def _snapshot(location: storage.Location, version: int | None = None) -> pa.Table | None:
    """A table's rows (at `version`; -1 or no table: None)."""
    if version == -1 or not delta.is_delta_table(location):
        return None
    return delta.dataset(location, version=version).to_table()


def _lookup(table: pa.Table | None, keys: list[str], wanted: Iterable[tuple[Any, ...]]) -> pa.Table | None:
    """The rows of `table` whose keys are in `wanted` (NULL matching NULL), through DuckDB."""
    import duckdb

    wanted = list(set(wanted))
    if table is None or not wanted:
        return None
    con = duckdb.connect()
    try:
        con.register("t", table)
        con.register("k", pa.table({f"k{i}": [w[i] for w in wanted] for i in range(len(keys))}))
        on = " AND ".join(f't."{k}" IS NOT DISTINCT FROM k.k{i}' for i, k in enumerate(keys))
        return con.sql(f"SELECT t.* FROM t SEMI JOIN k ON {on}").to_arrow_table()
    finally:
        con.close()


def scd1(
    events: pa.Table, cdc: AutoCdc, *, columns: list[str], target: storage.Location, state: pa.Table | None, flow: str
) -> Changes:
    """SCD type 1 changes: per key, the latest event by sequence decides (a delete removes the row)."""
    keys = cdc.keys
    rows = _events(events, cdc, flow)
    state_rows = _lookup(state, [KIND, *keys], [("key", *_key(r, keys)) for r in rows]) if rows else None
    known: dict[tuple[Any, ...], dict[str, Any]] = {}
    for s in state_rows.to_pylist() if state_rows is not None else []:
        known[_key(s, keys)] = s
    previous_truncate = _truncate_seq(state)
    truncates = [r[SEQ] for r in rows if r[TRUNC]]
    bounds = [t for t in [previous_truncate, *truncates] if t is not None]
    truncate = max(bounds, key=_order) if bounds else None
    by_key: dict[tuple[Any, ...], list[dict[str, Any]]] = defaultdict(list)
    for r in rows:
        if not r[TRUNC]:
            by_key[_key(r, keys)].append(r)
    target_rows = _snapshot(target)
    found = _lookup(target_rows, keys, by_key)
    current = {_key(r, keys): r for r in (found.to_pylist() if found is not None else [])}
    out_target: list[dict[str, Any]] = []
    out_state: list[dict[str, Any]] = []
    upserted = deleted = 0
    for key, group in by_key.items():
        s = known.get(key)
        timeline: list[tuple[Any, int, str, dict[str, Any] | None]] = []
        if s is not None and s[UPSERT_SEQ] is not None:
            timeline.append((s[UPSERT_SEQ], 0, "upsert", current.get(key)))
        if s is not None and s[DELETE_SEQ] is not None:
            timeline.append((s[DELETE_SEQ], 0, "delete", None))
        timeline += [(r[SEQ], 1, "delete" if r[DEL] else "upsert", r) for r in group]
        timeline.sort(key=lambda e: (_order(e[0]), e[1]))
        row: dict[str, Any] | None = None
        last_upsert = last_delete = None
        for seq, _new, kind, values in timeline:
            if kind == "delete":
                last_delete, row = seq, None
                continue
            last_upsert = seq
            if truncate is not None and _order(seq) <= _order(truncate):
                row = None  # wiped by a truncate that came later
                continue
            if values is None:  # the state says the key was upserted, but the table lost the row: keep order
                continue
            row = _coalesced(values, row, columns) if cdc.ignore_null_updates else {c: values.get(c) for c in columns}
        if row is not None:
            out_target.append({**{c: row.get(c) for c in columns}, ACTION: "upsert"})
            upserted += 1
        elif key in current:
            out_target.append({**{c: current[key].get(c) for c in columns}, ACTION: "delete"})
            deleted += 1
        out_state.append(
            {
                KIND: "key",
                **dict(zip(keys, key, strict=True)),
                UPSERT_SEQ: last_upsert,
                DELETE_SEQ: last_delete,
                ACTION: "upsert",
            }
        )
    if truncate is not None and truncate != previous_truncate:  # rows of keys the batch did not touch go too
        wiped = _lookup(
            target_rows, keys, [k for k, s in _all_keys(state) if s is not None and _order(s) <= _order(truncate)]
        )
        for r in wiped.to_pylist() if wiped is not None else []:
            if _key(r, keys) not in by_key:
                out_target.append({**{c: r.get(c) for c in columns}, ACTION: "delete"})
                deleted += 1
        out_state.append(
            {KIND: "truncate", **dict.fromkeys(keys), UPSERT_SEQ: truncate, DELETE_SEQ: None, ACTION: "upsert"}
        )
    return Changes(_table(out_target, events, columns), _state_table(out_state, events, keys), upserted, deleted)


def _hashable(value: Any) -> Any:
    """A sequence value usable in a set (a struct's fields as a tuple)."""
    if isinstance(value, dict):
        return tuple((k, _hashable(v)) for k, v in value.items())
    return value


def _order(value: Any) -> Any:
    """A sequence value as Spark orders it: a struct (`SEQUENCE BY STRUCT(ts, seq)`, documented) field by
    field, a NULL field first (ascending); anything else as it is."""
    if isinstance(value, dict):
        return tuple((0,) if v is None else (1, _order(v)) for v in value.values())
    return value


def _truncate_seq(state: pa.Table | None) -> Any:
    if state is None:
        return None
    rows = state.filter(pa.compute.equal(pa.compute.field(KIND), "truncate")).to_pylist()
    return rows[0][UPSERT_SEQ] if rows else None


def _all_keys(state: pa.Table | None) -> list[tuple[tuple[Any, ...], Any]]:
    if state is None:
        return []
    keys = [n for n in state.column_names if n not in (KIND, UPSERT_SEQ, DELETE_SEQ)]
    return [(_key(r, keys), r[UPSERT_SEQ]) for r in state.to_pylist() if r[KIND] == "key"]


def scd2(
    events: pa.Table, cdc: AutoCdc, *, columns: list[str], target: storage.Location, state: pa.Table | None, flow: str
) -> Changes:
    """SCD type 2 changes: per key, the history rebuilt from its rows, the events the state kept and the new
    events, in sequence order. The state keeps every event: an update that changed no tracked column is folded
    into its version, and a late delete or change landing inside that version needs it back to split it."""
    keys = cdc.keys
    rows = _events(events, cdc, flow)
    if any(r[TRUNC] for r in rows):
        raise ConfigError(f"AUTO CDC flow {flow}: APPLY AS TRUNCATE WHEN works with SCD type 1 only (as in Databricks)")
    tracked = cdc.track_history_column_list or [
        c for c in columns if c not in set(cdc.track_history_except_column_list or [])
    ]
    history: dict[tuple[Any, ...], list[dict[str, Any]]] = defaultdict(list)
    wanted = [_key(r, keys) for r in rows]
    existing = _lookup(_snapshot(target), keys, wanted)
    for h in existing.to_pylist() if existing is not None else []:
        history[_key(h, keys)].append(h)
    kept_events: dict[tuple[Any, ...], list[dict[str, Any]]] = defaultdict(list)
    found = _lookup(state, keys, wanted)
    for e in found.to_pylist() if found is not None else []:
        kept_events[_key(e, keys)].append(e)
    by_key: dict[tuple[Any, ...], list[dict[str, Any]]] = defaultdict(list)
    for r in rows:
        by_key[_key(r, keys)].append(r)
    out: list[dict[str, Any]] = []
    upserted = deleted = 0
    for key, group in by_key.items():
        old = history.get(key, [])
        starts = {h[START] for h in old}
        timeline: list[tuple[Any, int, str, dict[str, Any] | None]] = []
        for h in old:  # the history as events: each version starts with an upsert; a gap after it is a delete
            timeline.append((h[START], 0, "upsert", h))
            if h[END] is not None and h[END] not in starts:
                timeline.append((h[END], 0, "delete", None))
        timeline += [(e[SEQ], 1, "delete" if e[DEL] else "upsert", e) for e in kept_events.get(key, [])]
        timeline += [(r[SEQ], 2, "delete" if r[DEL] else "upsert", r) for r in group]
        timeline.sort(key=lambda e: (_order(e[0]), e[1]))
        versions: list[dict[str, Any]] = []
        current: dict[str, Any] | None = None
        for seq, _new, kind, values in timeline:
            if kind == "delete":
                if current is not None:
                    current[END] = seq
                    versions.append(current)
                    current = None
                continue
            assert values is not None
            row = (
                _coalesced(values, current, columns) if cdc.ignore_null_updates else {c: values.get(c) for c in columns}
            )
            if current is not None and all(row.get(c) == current.get(c) for c in tracked):
                current.update({c: row[c] for c in columns})  # an untracked change: the version is updated in place
                continue
            if current is not None and current[START] == seq:  # the same instant again: the later event wins
                current.update({c: row[c] for c in columns})
                continue
            if current is not None:
                current[END] = seq
                versions.append(current)
            current = {**{c: row[c] for c in columns}, START: seq, END: None}
        if current is not None:
            versions.append(current)
        kept = {_hashable(v[START]) for v in versions}
        for h in old:
            if _hashable(h[START]) not in kept:
                out.append({**{c: h.get(c) for c in [*columns, START, END]}, ACTION: "delete"})
                deleted += 1
        for v in versions:
            out.append({**v, ACTION: "upsert"})
            upserted += 1
    latest = {(*_key(r, keys), _hashable(r[SEQ])): r for r in rows}  # one event per key and instant: the later arrival
    events_kept = [
        {**{c: r.get(c) for c in columns}, SEQ: r[SEQ], DEL: r[DEL], ACTION: "upsert"} for r in latest.values()
    ]
    types = _field_types(events)
    schema = pa.schema(
        [pa.field(c, types[c]) for c in columns]
        + [pa.field(SEQ, types[SEQ]), pa.field(DEL, pa.bool_()), pa.field(ACTION, pa.string())]
    )
    state_out = pa.Table.from_pylist(events_kept, schema=schema)
    return Changes(_table(out, events, [*columns, START, END]), state_out, upserted, deleted)


def _field_types(events: pa.Table) -> dict[str, pa.DataType]:
    types = {f.name: f.type for f in events.schema}
    types[START] = types[END] = events.schema.field(SEQ).type
    return types


def _table(rows: list[dict[str, Any]], events: pa.Table, columns: list[str]) -> pa.Table:
    types = _field_types(events)
    schema = pa.schema([pa.field(c, types[c]) for c in columns] + [pa.field(ACTION, pa.string())])
    return pa.Table.from_pylist(rows, schema=schema)


def _state_table(rows: list[dict[str, Any]], events: pa.Table, keys: list[str]) -> pa.Table:
    types = _field_types(events)
    seq = types[SEQ]
    fields = [
        pa.field(KIND, pa.string()),
        *(pa.field(k, types[k]) for k in keys),
        pa.field(UPSERT_SEQ, seq),
        pa.field(DELETE_SEQ, seq),
        pa.field(ACTION, pa.string()),
    ]
    return pa.Table.from_pylist(rows, schema=pa.schema(fields))


def state_location(ctx: UpdateContext, node: Node, flow: Flow) -> Path:
    return ctx.pipeline.storage / "state" / "auto_cdc" / node.key / flow.name


def apply(
    ctx: UpdateContext,
    flow: Flow,
    node: Node,
    events: pa.Table,
    *,
    location: storage.Location,
    stream_id: str,
    batch_id: int,
) -> delta.CommitResult:
    """Compute and commit one batch of change events: the target's MERGE, then the state's."""
    cdc = flow.auto_cdc
    assert cdc is not None
    source_columns = [c for c in events.column_names if c not in (SEQ, DEL, TRUNC)]
    columns = data_columns(cdc, source_columns, flow=flow.name)
    state = state_location(ctx, node, flow)
    state_stream = f"{stream_id}:state"
    # the state commits first: a crash before the target's commit replays the batch from the state as it was
    # before it (time travel), a crash after it finds the batch in the target and skips it, state and all
    before = delta.version_before_batch(state, state_stream, batch_id) if delta.is_delta_table(state) else None
    state_rows = _snapshot(state, before)
    compute = scd2 if cdc.stored_as_scd_type == 2 else scd1
    changes = compute(events, cdc, columns=columns, target=location, state=state_rows, flow=flow.name)
    if changes.state is not None and before is None:
        os.makedirs(state, exist_ok=True)
        state_schema = pa.schema([f for f in changes.state.schema if f.name != ACTION])
        delta.evolve_schema(state, state_schema, table_name=f"{node.key} AUTO CDC state")
        state_keys = [*cdc.keys, SEQ] if cdc.stored_as_scd_type == 2 else [KIND, *cdc.keys]
        delta.apply_rows(
            state,
            changes.state,
            on=state_keys,
            action_column=ACTION,
            stream_id=state_stream,
            batch_id=batch_id,
            table_name=f"{node.key} AUTO CDC state",
        )
    data_schema = pa.schema([changes.target.schema.field(c) for c in changes.target.column_names if c != ACTION])
    delta.evolve_schema(location, data_schema, table_name=node.key)
    metadata = {"pipeline": ctx.pipeline.name, "update_id": ctx.update_id, "flow": flow.name, "auto_cdc": True}
    on = [*cdc.keys, START] if cdc.stored_as_scd_type == 2 else list(cdc.keys)
    result = delta.apply_rows(
        location,
        changes.target,
        on=on,
        action_column=ACTION,
        stream_id=stream_id,
        batch_id=batch_id,
        metadata=metadata,
        table_name=node.key,
    )
    return delta.CommitResult(
        result.table,
        result.version,
        changes.upserted + changes.deleted,
        result.skipped,
        result.operation,
        result.metrics,
    )
