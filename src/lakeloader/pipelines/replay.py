"""Replay a streaming table's quarantine: the rows its DROP ROW expectations dropped, fed through the flow again
(after the definition or the data was fixed) and landed in the table.

How a row goes through again depends on the flow that dropped it (its `_flow`):
- a SQL flow whose query keeps its stream's rows (`SELECT *` or `s.*` over one `STREAM(table)`, no grouping —
  `translate.keeps_stream_rows`): the row's stream columns are the flow's input again, and its query runs anew
  (a join sees today's data: a claim dropped for an unknown provider passes once the provider arrived), then the
  table's current expectations;
- any other flow (Python, a projection, `STREAM read_files`): the row as it was stored is checked against the
  table's current expectations (a loosened constraint lets it in; data it joined to is not looked up again).

A replay is a stream of its own (a checkpoint in the pipeline's storage, `replays/<table>`), through the one
stream runner: the plan names the quarantine's version and the filter, so a replayed plan reads the same rows;
the rows that now pass are appended to the table with `Transaction(<replay>, N)` in ONE commit, and leave the
quarantine in the next commit, `Transaction(<replay>:quarantine, N)`, with the same batch id. A crash between the
two is finished by the next replay (the batch is found in the table, the ids staged in the checkpoint are
removed): never lost, never twice. Rows that fail again stay in the quarantine as they were.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pyarrow as pa

from lakeloader.errors import ConfigError, NotFoundError
from lakeloader.execution import stream
from lakeloader.execution.checkpoint import Checkpoint, hold
from lakeloader.lakehouse import delta, storage
from lakeloader.lakehouse.delta import CommitResult
from lakeloader.lakehouse.root import Lakehouse
from lakeloader.paths import make_private_dir
from lakeloader.pipelines import translate
from lakeloader.pipelines.load import Pipeline, load
from lakeloader.pipelines.results import rules_of
from lakeloader.quality import expectations as quality
from lakeloader.quality import quarantine
from lakeloader.sql.runtime import ready

ACTION = "__lakeloader_action"


@dataclass
class ReplayResult:
    table: str
    quarantine: str
    selected: int = 0  # quarantined rows the filter chose
    replayed: int = 0  # landed in the table, gone from the quarantine
    still_failing: int = 0  # failed a DROP ROW expectation again: still in the quarantine
    batches: int = 0
    through: dict[str, str] = field(default_factory=dict)  # flow -> "query" | "expectations"
    expectations: list[dict[str, Any]] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {
            "table": self.table,
            "quarantine": self.quarantine,
            "selected": self.selected,
            "replayed": self.replayed,
            "still_failing": self.still_failing,
            "batches": self.batches,
            "through": self.through,
            "expectations": self.expectations,
        }


def _where(condition: str | None) -> str:
    if not condition:
        return "true"
    try:
        return translate.condition_to_duckdb(condition)
    except translate.TranslateError as exc:
        raise ConfigError(f"--where {condition!r}: {exc}; write a Databricks SQL condition") from None


def _selected(location: storage.Location, version: int, where: str) -> pa.Table:
    """The quarantine's rows at `version` for which `where` holds (DuckDB, with no access to files)."""
    import duckdb

    from lakeloader.lakehouse import guard

    rows = delta.dataset(location, version=version).to_table()
    con = duckdb.connect()
    try:
        con.register("quarantine", rows)
        guard.lock_down_settings(con)
        sql = ready(con, f"SELECT * FROM quarantine WHERE {where}")
        guard.check_statements(con, sql)
        try:
            return con.sql(sql).to_arrow_table()
        except duckdb.Error as exc:
            message = str(exc).splitlines()[0]
            columns = ", ".join(rows.column_names)
            raise ConfigError(f"--where: {message}; name the quarantine's columns ({columns})") from None
    finally:
        con.close()


class _QuarantineSource:
    """One batch per replay: the quarantine's rows chosen now; `committed` removes the ones that landed."""

    def __init__(self, location: storage.Location, name: str, where: str, result: ReplayResult) -> None:
        self.location = location
        self.name = name
        self.where = where
        self.result = result
        self.planned = False

    def plan_next(self, checkpoint: Checkpoint) -> dict[str, Any] | None:
        if self.planned:
            return None
        self.planned = True
        version = int(delta.open_table(self.location, table_name=self.name).version())
        if _selected(self.location, version, self.where).num_rows == 0:
            return None
        return {"quarantine_version": version, "where": self.where}

    def read(self, plan: dict[str, Any]) -> pa.RecordBatchReader:
        return _selected(self.location, int(plan["quarantine_version"]), str(plan["where"])).to_reader()

    def committed(self, checkpoint: Checkpoint, batch_id: int, plan: dict[str, Any], result: CommitResult) -> None:
        import pyarrow.parquet as pq

        staged = _staged(checkpoint, batch_id)
        if not staged.exists():  # this batch's ids already left the quarantine (a repeated record)
            return
        ids = pq.read_table(staged).column(quarantine.ID)
        gone = pa.table({quarantine.ID: ids, ACTION: pa.array(["delete"] * len(ids), pa.string())})
        delta.apply_rows(self.location, gone, on=[quarantine.ID], action_column=ACTION,
                         stream_id=f"{checkpoint.stream_id}:quarantine", batch_id=batch_id, table_name=self.name,
                         metadata={"replay_of": checkpoint.target})  # fmt: skip
        staged.unlink(missing_ok=True)


def _staged(checkpoint: Checkpoint, batch_id: int) -> Path:
    return checkpoint.source_state_path("replayed") / f"{batch_id}.parquet"


def _stage(path: Path, ids: pa.Array) -> None:
    import uuid

    import pyarrow.parquet as pq

    path.parent.mkdir(parents=True, exist_ok=True)
    temp = path.with_name(f".{path.name}.{uuid.uuid4().hex}")
    pq.write_table(pa.table({quarantine.ID: ids}), temp)
    temp.replace(path)


def _target(
    pipeline: Pipeline, lakehouse: Lakehouse, table: str
) -> tuple[str, storage.Location, str, storage.Location]:
    graph = pipeline.graph
    key = graph.resolve(table.strip())
    node = graph.nodes.get(key) if key else None
    if node is None or key is None:
        known = ", ".join(sorted(k for k, n in graph.nodes.items() if not n.is_view))
        raise ConfigError(f"--table {table} is not a table of pipeline {pipeline.name}; its tables are {known}")
    if node.dataset.kind != "streaming_table":
        raise ConfigError(
            f"{key} is a {node.dataset.kind.replace('_', ' ')}: every refresh computes it from its inputs again "
            "and its quarantine holds the rows the latest refresh dropped; fix the definition and run an update"
        )
    info = lakehouse.metastore.get(key)
    q_info = lakehouse.metastore.get(key + quarantine.SUFFIX)
    if info is None or not info.location or q_info is None or not q_info.location:
        raise NotFoundError(
            f"{key} has no quarantine ({key}{quarantine.SUFFIX}): no update has dropped rows of it yet, or its "
            "quarantine is off (pipelines.quarantine = false)"
        )
    if not delta.is_delta_table(q_info.location):
        raise NotFoundError(f"{key}{quarantine.SUFFIX} holds no rows yet: nothing to replay")
    return key, storage.path(info.location), key + quarantine.SUFFIX, storage.path(q_info.location)


def replay_quarantine(
    pipeline: Pipeline | str | Path | None, lakehouse: Lakehouse, *, table: str, where: str | None = None
) -> ReplayResult:
    """Check the quarantined rows of `table` (those `where` chooses) again, and land the ones that now pass."""
    loaded = pipeline if isinstance(pipeline, Pipeline) else load(pipeline, lakehouse)
    if loaded.problems:
        from lakeloader.pipelines.update import PipelineProblems

        raise PipelineProblems(loaded.name, loaded.problems)
    key, location, q_name, q_location = _target(loaded, lakehouse, table)
    node = loaded.graph.nodes[key]
    result = ReplayResult(key, q_name)
    state = quality.Quality(key, rules_of(node))
    make_private_dir(loaded.storage)
    with hold(loaded.storage / "update.lock", what=f"pipeline {loaded.name}"):  # no update runs meanwhile
        checkpoint = Checkpoint(loaded.storage / "replays" / key, target=key, source=f"quarantine:{q_name}")
        source = _QuarantineSource(q_location, q_name, _where(where), result)
        with checkpoint.exclusive():
            stream.check_target(checkpoint, location)

            def write(reader: pa.RecordBatchReader, batch_id: int, plan: dict[str, Any]) -> CommitResult:
                rows = reader.read_all()
                result.selected += rows.num_rows
                passed = _through_flows(lakehouse, loaded, key, rows, state, result)
                _stage(_staged(checkpoint, batch_id), passed.column(quarantine.ID))
                data = passed.drop_columns([quarantine.ID])
                result.replayed += data.num_rows
                metadata = {"pipeline": loaded.name, "replay_of": q_name}
                return delta.commit_batch(location, data, stream_id=checkpoint.stream_id, batch_id=batch_id,
                                          table_name=key, metadata=metadata)  # fmt: skip

            for _ in stream.run_available_now(checkpoint, location, source, write):
                result.batches += 1
    result.still_failing = result.selected - result.replayed
    result.expectations = [c.to_dict() for c in state.counts]
    return result


def _through_flows(
    lakehouse: Lakehouse, pipeline: Pipeline, key: str, rows: pa.Table, state: quality.Quality, result: ReplayResult
) -> pa.Table:
    """The rows that pass now, as the table's columns plus `_quarantine_id`, flow by flow."""
    import pyarrow.compute as pc

    graph = pipeline.graph
    parts = []
    for name in sorted(set(rows.column("_flow").to_pylist()), key=str):
        column = rows.column("_flow")
        mine = rows.filter(pc.equal(column, name) if name is not None else pc.is_null(column))
        flow = graph.flows.get(name) if name is not None else None
        stream = _delta_stream(pipeline, flow) if flow is not None and graph.target_of(flow).key == key else None
        if flow is not None and stream is not None:
            result.through[str(name)] = "query"
            parts.append(_through_query(lakehouse, pipeline, flow, stream, mine, state))
        else:
            result.through[str(name)] = "expectations"
            kept = _passing(mine, state)
            parts.append(kept.select([*quarantine.data_columns(kept), quarantine.ID]))
    if not parts:
        return rows.select([*quarantine.data_columns(rows), quarantine.ID]).slice(0, 0)
    return pa.concat_tables(parts, promote_options="permissive")


def _delta_stream(pipeline: Pipeline, flow: Any) -> str | None:
    """The table a SQL flow that keeps its stream's rows streams from (None for any other flow); a Python
    function that only returns `dp.sql("...")` counts as that SQL."""
    sql = flow.query.sql or flow.query.returns_sql
    if sql is None or not translate.keeps_stream_rows(sql):
        return None
    streams = sorted(pipeline.graph.flow_streams[flow.name])
    node = pipeline.graph.nodes.get(streams[0]) if len(streams) == 1 else None
    return streams[0] if len(streams) == 1 and (node is None or not node.is_view) else None


def _through_query(
    lakehouse: Lakehouse, pipeline: Pipeline, flow: Any, stream: str, rows: pa.Table, state: quality.Quality
) -> pa.Table:
    """The flow's query over the rows' stream columns (as its input batch), then the current expectations."""
    from lakeloader.pipelines.results import output
    from lakeloader.pipelines.session import FlowSession, Streams

    info = lakehouse.metastore.get(stream)
    if info is None or not info.location or not delta.is_delta_table(info.location):
        raise NotFoundError(
            f"flow {flow.name} streams from {stream}, which no longer exists: nothing to replay through"
        )
    schema = pa.schema(delta.open_table(info.location, table_name=stream).schema().to_arrow())
    columns = []
    for f in schema:  # a column the stream gained since: NULL in rows that came before it
        columns.append(rows.column(f.name).cast(f.type) if f.name in rows.column_names else pa.nulls(len(rows), f.type))
    batch = pa.Table.from_arrays([*columns, rows.column(quarantine.ID)], names=[*schema.names, quarantine.ID])
    session = FlowSession(lakehouse, pipeline, flow, stream=Streams(stream, batch))
    try:
        out = output(session, pipeline.graph.target_of(flow), state).read_all()
    finally:
        session.close()
    if quarantine.ID not in out.column_names:
        raise ConfigError(f"flow {flow.name}: its query no longer keeps its stream's columns; replay cannot follow it")
    return out


def _passing(rows: pa.Table, state: quality.Quality) -> pa.Table:
    """The rows (quarantine columns kept) that pass every expectation of the table now; FAIL UPDATE raises."""
    import duckdb

    if not state.rules:
        state.input_rows += rows.num_rows
        return rows
    from lakeloader.pipelines.results import typed_rules

    state.rules = typed_rules(state.rules, rows.schema, where=f"replay of {state.dataset}")
    con = duckdb.connect()
    try:
        con.register("replayed", rows)
        from lakeloader.lakehouse import guard

        guard.lock_down_settings(con)
        reader = con.sql(ready(con, quality.checked_sql("replayed", state.rules))).to_arrow_reader(1 << 17)
        checked = quality.enforce(reader, state, flow=f"replay of {state.dataset}")
        return pa.Table.from_batches(list(checked), schema=checked.schema)
    finally:
        con.close()
