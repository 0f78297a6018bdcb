"""AUTO CDC FROM SNAPSHOT (`create_auto_cdc_from_snapshot_flow`): full snapshots of a source compared by key with
the target, as SCD type 1 or 2, one snapshot per batch through the commit protocol.

A source that is a table gives a snapshot per new Delta version (read at that version, so a replay reads the same
rows); a Python function source is called with the last version processed and returns `(rows, version)` or None,
as Databricks calls it. The snapshot's version is the sequence: SCD 2 rows start and end at versions.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import pyarrow as pa

from lakeloader.errors import ConfigError
from lakeloader.execution import stream
from lakeloader.execution.checkpoint import Checkpoint, read_json, write_json_atomic
from lakeloader.lakehouse import delta, storage
from lakeloader.lakehouse.delta import CommitResult
from lakeloader.pipelines import cdc
from lakeloader.pipelines.cdc import ACTION, END, START

if TYPE_CHECKING:
    from lakeloader.pipelines.context import FlowOutcome, UpdateContext
    from lakeloader.pipelines.graph import Node
    from lakeloader.pipelines.model import Flow


class SnapshotSource:
    """Plans one snapshot per batch: `{"version": v}`; reads it; records v."""

    def __init__(
        self,
        *,
        table: storage.Location | None,
        table_name: str,
        function: Callable[..., Any] | None,
        lakehouse: Any = None,
    ) -> None:
        self.table = table
        self.table_name = table_name
        self.function = function
        self.lakehouse = lakehouse  # what `spark` reads in the function (a DataFrame it returns is run on it)
        self._cached: dict[Any, pa.Table] = {}

    def _ask(self, last: Any) -> tuple[pa.Table, Any] | None:
        """The function's next (snapshot rows, version) after `last`, or None; a PySpark DataFrame is run here."""
        from lakeloader.pipelines.session import to_arrow
        from lakeloader.spark import engine

        assert self.function is not None
        current = engine.current_or_none()
        if current is None and self.lakehouse is not None:
            current = engine.LakehouseEngine(self.lakehouse)
        with engine.using(current) if current is not None else contextlib.nullcontext():
            got = self.function(last)
            if got is None:
                return None
            rows, version = got
            if type(rows).__module__.startswith("lakeloader.spark"):
                rows = rows.toArrow()
        return to_arrow(rows, where=f"snapshot source of {self.table_name}").read_all(), version

    def last(self, checkpoint: Checkpoint) -> Any:
        path = checkpoint.source_state_path("snapshot") / "position.json"
        return read_json(path)["version"] if path.exists() else None

    def plan_next(self, checkpoint: Checkpoint) -> dict[str, Any] | None:
        last = self.last(checkpoint)
        if self.function is not None:
            got = self._ask(last)
            if got is None:
                return None
            rows, version = got
            if version is None or (last is not None and version <= last):
                raise ConfigError(
                    f"snapshot source of {self.table_name}: version {version!r} does not follow {last!r}; "
                    "return increasing versions, or None when there is no new snapshot"
                )
            self._cached[version] = rows
            return {"version": version, "previous": last}
        assert self.table is not None
        if not delta.is_delta_table(self.table):
            return None
        version = int(delta.open_table(self.table, table_name=self.table_name).version())
        if last is not None and version <= last:
            return None
        return {"version": version, "previous": last}

    def read(self, plan: dict[str, Any]) -> pa.RecordBatchReader:
        return self.snapshot(plan).to_reader()

    def snapshot(self, plan: dict[str, Any]) -> pa.Table:
        version = plan["version"]
        if self.function is not None:
            if version not in self._cached:  # a replay after a crash: ask again for the snapshot after the last one
                got = self._ask(plan["previous"])
                if got is None or got[1] != version:
                    raise ConfigError(
                        f"snapshot source of {self.table_name}: replaying version {version!r} got "
                        f"{None if got is None else got[1]!r}; the function must give the same snapshots again"
                    )
                self._cached[version] = got[0]
            return self._cached[version]
        assert self.table is not None
        return delta.dataset(self.table, version=int(version)).to_table()

    def committed(self, checkpoint: Checkpoint, batch_id: int, plan: dict[str, Any], result: CommitResult) -> None:
        path = checkpoint.source_state_path("snapshot") / "position.json"
        write_json_atomic(path, {"version": plan["version"], "batch_id": batch_id})


def changes(snapshot: pa.Table, target: storage.Location, flow: Flow, version: Any) -> pa.Table:
    """The MERGE rows that turn the target into what the snapshot says (SCD 1), or extend its history (SCD 2)."""
    spec = flow.auto_cdc
    assert spec is not None
    keys = spec.keys
    columns = cdc.data_columns(spec, snapshot.column_names, flow=flow.name)
    rows = {tuple(r[k] for k in keys): {c: r[c] for c in columns} for r in snapshot.to_pylist()}
    if len(rows) < snapshot.num_rows:
        raise ConfigError(
            f"snapshot of flow {flow.name} has {snapshot.num_rows - len(rows)} rows with a key already seen; "
            f"a snapshot holds one row per key ({', '.join(keys)})"
        )
    existing = delta.dataset(target).to_table().to_pylist() if delta.is_delta_table(target) else []
    out: list[dict[str, Any]] = []
    if spec.stored_as_scd_type == 1:
        current = {tuple(r[k] for k in keys): r for r in existing}
        for key, row in rows.items():
            if current.get(key) is None or any(current[key].get(c) != row[c] for c in columns):
                out.append({**row, ACTION: "upsert"})
        out += [{**{c: r.get(c) for c in columns}, ACTION: "delete"} for key, r in current.items() if key not in rows]
        types = {f.name: f.type for f in snapshot.schema}
        schema = pa.schema([pa.field(c, types[c]) for c in columns] + [pa.field(ACTION, pa.string())])
        return pa.Table.from_pylist(out, schema=schema)
    tracked = spec.track_history_column_list or [
        c for c in columns if c not in set(spec.track_history_except_column_list or [])
    ]
    open_rows = {tuple(r[k] for k in keys): r for r in existing if r.get(END) is None}
    for key, row in rows.items():
        now = open_rows.get(key)
        if now is None:
            out.append({**row, START: version, END: None, ACTION: "upsert"})
        elif any(now.get(c) != row[c] for c in tracked):
            out.append({**{c: now.get(c) for c in columns}, START: now[START], END: version, ACTION: "upsert"})
            out.append({**row, START: version, END: None, ACTION: "upsert"})
        elif any(now.get(c) != row[c] for c in columns):
            out.append({**row, START: now[START], END: None, ACTION: "upsert"})  # untracked change, in place
    for key, now in open_rows.items():
        if key not in rows:
            out.append({**{c: now.get(c) for c in columns}, START: now[START], END: version, ACTION: "upsert"})
    types = {f.name: f.type for f in snapshot.schema}
    seq_type = pa.scalar(version).type
    schema = pa.schema(
        [pa.field(c, types[c]) for c in columns]
        + [pa.field(START, seq_type), pa.field(END, seq_type), pa.field(ACTION, pa.string())]
    )
    return pa.Table.from_pylist(out, schema=schema)


def run_snapshot_flow(ctx: UpdateContext, flow: Flow, node: Node) -> FlowOutcome:
    """Every new snapshot since the flow last ran, in version order, exactly once."""
    from lakeloader.pipelines import context, streaming

    outcome = context.FlowOutcome(flow.name, node.key)
    location = context.ensure_table(ctx, node)
    spec = flow.auto_cdc
    assert spec is not None
    table: storage.Location | None = None
    if flow.query.function is None:
        assert flow.source is not None
        key = ctx.pipeline.graph.resolve(flow.source)
        if key is None:
            raise ConfigError(f"{flow.location}: AUTO CDC flow {flow.name}: source '{flow.source}' is not a valid name")
        table = streaming.table_location(ctx, key)
    source = SnapshotSource(table=table, table_name=node.key, function=flow.query.function, lakehouse=ctx.lakehouse)
    checkpoint = streaming.checkpoint_for(ctx, flow, node, source=f"snapshot:{flow.source or 'function'}")

    def write(reader: pa.RecordBatchReader, batch_id: int, plan: dict[str, Any]) -> CommitResult:
        del reader
        merge = changes(source.snapshot(plan), location, flow, plan["version"])
        delta.evolve_schema(location, pa.schema([f for f in merge.schema if f.name != ACTION]), table_name=node.key)
        on = [*spec.keys, START] if spec.stored_as_scd_type == 2 else list(spec.keys)
        metadata = {
            "pipeline": ctx.pipeline.name,
            "update_id": ctx.update_id,
            "flow": flow.name,
            "snapshot": plan["version"],
        }
        return delta.apply_rows(
            location,
            merge,
            on=on,
            action_column=ACTION,
            stream_id=checkpoint.stream_id,
            batch_id=batch_id,
            metadata=metadata,
            table_name=node.key,
        )

    with checkpoint.exclusive():
        if node.key in ctx.full_refresh and checkpoint.latest_planned() is not None:
            checkpoint.start_over("full refresh")
        stream.check_target(checkpoint, location)
        for result in stream.run_available_now(checkpoint, location, source, write):
            outcome.batches += 1
            outcome.rows_out += result.rows
    if outcome.batches == 0:
        outcome.up_to_date, outcome.message = True, "up to date: no new snapshot"
    return outcome
