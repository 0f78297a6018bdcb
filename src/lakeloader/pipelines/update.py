"""A pipeline update: the selected flows in dependency order, independent ones in parallel; a failed flow stops
its descendants, never its siblings; every step in the event log (create_update, flow_definition, flow_progress,
update_progress)."""

from __future__ import annotations

import os
import threading
import time
import uuid
from collections.abc import Callable, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from lakeloader.errors import ConfigError, LakeloaderError
from lakeloader.execution.checkpoint import hold, read_json, write_json_atomic
from lakeloader.execution.executor import ExecutorSettings, open_executor
from lakeloader.execution.executor import settings as executor_settings
from lakeloader.paths import make_private_dir
from lakeloader.pipelines import flows
from lakeloader.pipelines.context import FlowOutcome, UpdateContext
from lakeloader.pipelines.eventlog import EventLog
from lakeloader.pipelines.load import Pipeline, load
from lakeloader.secrets.redact import redact

if TYPE_CHECKING:
    from lakeloader.lakehouse.root import Lakehouse

OnEvent = Callable[[dict[str, Any]], None]


class PipelineProblems(ConfigError):
    """The pipeline cannot run: its definitions have problems (all listed in `problems`)."""

    def __init__(self, name: str, problems: list[str]) -> None:
        more = (
            f" (and {len(problems) - 1} more problems; 'lakeloader pipelines dry-run' lists them)"
            if len(problems) > 1
            else ""
        )
        super().__init__(f"pipeline {name}: {problems[0]}{more}")
        self.problems = problems


@dataclass
class UpdateResult:
    pipeline: str
    update_id: str
    status: str
    outcomes: list[FlowOutcome] = field(default_factory=list)
    seconds: float = 0.0
    error: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "pipeline": self.pipeline,
            "update_id": self.update_id,
            "status": self.status,
            "seconds": round(self.seconds, 3),
            "error": self.error,
            "flows": [o.to_dict() for o in self.outcomes],
        }


def pipeline_id(storage: Path, name: str) -> str:
    """The pipeline's id, made once and kept in its storage (SDP assigns none; the event log wants one)."""
    path = storage / "pipeline.json"
    if path.exists():
        return str(read_json(path)["pipeline_id"])
    make_private_dir(storage)
    write_json_atomic(path, {"pipeline_id": str(uuid.uuid4()), "name": name}, exclusive=True)
    return str(read_json(path)["pipeline_id"])


def _keys(pipeline: Pipeline, names: Sequence[str], option: str) -> set[str]:
    keys = set()
    for name in names:
        key = pipeline.graph.resolve(name.strip())
        if key is None or key not in pipeline.graph.nodes:
            known = ", ".join(sorted(pipeline.graph.nodes))
            raise ConfigError(f"{option}: {name} is not a dataset of pipeline {pipeline.name}; datasets are {known}")
        keys.add(key)
    return keys


def run_update(
    pipeline: Pipeline | str | Path | None,
    lakehouse: Lakehouse,
    *,
    full_refresh: bool = False,
    refresh: Sequence[str] = (),
    full_refresh_selection: Sequence[str] = (),
    on_event: OnEvent | None = None,
    workers: int | None = None,
    executor: ExecutorSettings | None = None,
) -> UpdateResult:
    """Run one update of the pipeline (by default every flow, incrementally); `executor` (else the spec's
    `executor:`, else LAKELOADER_EXECUTOR) says who decodes the flows' files."""
    loaded = pipeline if isinstance(pipeline, Pipeline) else load(pipeline, lakehouse)
    if loaded.problems:
        raise PipelineProblems(loaded.name, loaded.problems)
    if full_refresh and (refresh or full_refresh_selection):
        raise ConfigError("--full-refresh refreshes everything; leave out --refresh and --full-refresh-selection")
    graph = loaded.graph
    selected = _keys(loaded, refresh, "--refresh") | _keys(loaded, full_refresh_selection, "--full-refresh-selection")
    refreshed = set(graph.nodes) if full_refresh else _keys(loaded, full_refresh_selection, "--full-refresh-selection")
    make_private_dir(loaded.storage)
    with hold(loaded.storage / "update.lock", what=f"pipeline {loaded.name}"):
        update_id = str(uuid.uuid4())
        events = EventLog(
            loaded.storage / "system" / "events", pipeline_id(loaded.storage, loaded.name), loaded.name, update_id
        )
        if on_event is not None:
            events.listeners.append(on_event)
        from lakeloader.pipelines.duck import SharedDatabase

        catalogs = {key.split(".")[0] for key in graph.nodes} | {loaded.catalog}
        ctx = UpdateContext(lakehouse, loaded, events, update_id, full_refresh=refreshed)
        chosen = executor or executor_settings(loaded.spec.executor)
        ctx.executor = open_executor(chosen) if chosen.distributed else None
        ctx.database = SharedDatabase(lakehouse, catalogs)  # nothing to close: flows close their cursors
        try:
            return _run(ctx, selected, full_refresh=full_refresh, workers=workers)
        finally:
            if loaded.mirror is not None:  # the storage on an object store: what this update recorded
                loaded.mirror.push()


def _run(ctx: UpdateContext, selected: set[str], *, full_refresh: bool, workers: int | None) -> UpdateResult:
    graph = ctx.pipeline.graph
    events = ctx.events
    started = time.perf_counter()
    result = UpdateResult(ctx.pipeline.name, ctx.update_id, "COMPLETED")
    events.emit(
        "create_update",
        f"Update {ctx.update_id[:8]} started.",
        {
            "cause": "USER_ACTION",
            "full_refresh": full_refresh,
            "full_refresh_selection": sorted(ctx.full_refresh) if not full_refresh else [],
            "refresh_selection": sorted(selected - ctx.full_refresh),
        },
    )
    events.emit("update_progress", "Update is INITIALIZING.", {"state": "INITIALIZING"})
    order = graph.order()
    for name in order:
        flow = graph.flows[name]
        target = graph.target_of(flow)
        events.emit(
            "flow_definition",
            f"Flow '{name}' is defined as {flow.kind.upper()}.",
            {
                "output_dataset": target.key,
                "input_datasets": sorted(graph.flow_reads[name] | graph.external[name]),
                "flow_type": flow.kind.upper(),
                "dataset_type": target.dataset.kind.upper(),
            },
            flow=name,
            dataset=target.key,
        )
    runnable = [n for n in order if not graph.target_of(graph.flows[n]).is_view]
    chosen = [n for n in runnable if not selected or graph.target_of(graph.flows[n]).key in selected]
    for name in runnable:
        if name not in chosen:
            result.outcomes.append(FlowOutcome(name, graph.target_of(graph.flows[name]).key, status="EXCLUDED"))
    events.emit("update_progress", "Update is RUNNING.", {"state": "RUNNING"})
    default = max(1, min(4, os.cpu_count() or 1))
    if ctx.executor is not None:  # a cluster: as many flows at once as it has CPUs (they wait on their units)
        default = max(default, ctx.executor.slots())
    outcomes = _schedule(ctx, chosen, workers or default)
    result.outcomes += outcomes
    failed = [o for o in outcomes if o.status == "FAILED"]
    if failed:
        result.status = "FAILED"
        result.error = failed[0].message
    result.seconds = time.perf_counter() - started
    level = "ERROR" if failed else "INFO"
    events.emit(
        "update_progress", f"Update {ctx.update_id[:8]} is {result.status}.", {"state": result.status}, level=level
    )
    events.flush()
    return result


def _schedule(ctx: UpdateContext, chosen: list[str], workers: int) -> list[FlowOutcome]:
    """Run `chosen` flows, each once every flow it reads from (among `chosen`) has completed."""
    graph = ctx.pipeline.graph
    events = ctx.events
    pending = set(chosen)
    done: dict[str, FlowOutcome] = {}
    truncated: set[str] = set()
    lock = threading.Lock()
    for name in chosen:
        flow = graph.flows[name]
        events.emit(
            "flow_progress",
            f"Flow '{name}' is QUEUED.",
            {"status": "QUEUED"},
            flow=name,
            dataset=graph.target_of(flow).key,
        )

    def needs(name: str) -> set[str]:
        return graph.upstream_flows(name) & set(chosen)

    def start(name: str) -> FlowOutcome:
        flow = graph.flows[name]
        node = graph.target_of(flow)
        with lock:
            first = (
                node.key in ctx.full_refresh and node.key not in truncated and node.dataset.kind == "streaming_table"
            )
            truncated.add(node.key)
        if first:
            flows.truncate(ctx, node)
        events.emit("flow_progress", f"Flow '{name}' is RUNNING.", {"status": "RUNNING"}, flow=name, dataset=node.key)
        try:
            return flows.run_flow(ctx, flow)
        except LakeloaderError as exc:
            return FlowOutcome(name, node.key, status="FAILED", message=str(exc))
        except Exception as exc:  # the user's query function, or a bug: the flow fails, its siblings go on
            text = str(exc).splitlines()[0] if str(exc) else ""
            if type(exc).__name__ == "PermissionException":  # the guard (DuckDB's own words, then what it means)
                text = text.replace(" - file system operations are disabled by configuration", "")
                message = (
                    f"{flow.location}: flow {name}: {text.removeprefix('Permission Error: ')}; pipeline SQL reads only "
                    "the lakehouse's tables and /Volumes paths (read other files with read_files from a volume)"
                )
                return FlowOutcome(name, node.key, status="FAILED", message=redact(message))
            if type(exc).__module__.lstrip("_") == "duckdb":  # the query's error, said as Spark says it
                from lakeloader.sql.errors import spark_message

                message = f"{flow.location}: flow {name}: query failed: {spark_message(text)}; fix the SQL or the data"
                return FlowOutcome(name, node.key, status="FAILED", message=redact(message))
            return FlowOutcome(name, node.key, status="FAILED", message=redact(f"{type(exc).__name__}: {text}"))

    with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="lakeloader-flow") as pool:
        running: dict[Future[FlowOutcome], str] = {}
        while pending or running:
            for name in sorted(pending):
                upstream = needs(name)
                if any(done.get(u) and done[u].status in ("FAILED", "SKIPPED") for u in upstream):
                    pending.discard(name)
                    failed = sorted(u for u in upstream if done.get(u) and done[u].status in ("FAILED", "SKIPPED"))
                    done[name] = FlowOutcome(
                        name,
                        graph.target_of(graph.flows[name]).key,
                        status="SKIPPED",
                        message=f"upstream flow {failed[0]} did not complete",
                    )
                    _report(ctx, done[name])
                elif all(u in done for u in upstream):
                    pending.discard(name)
                    running[pool.submit(start, name)] = name
            if not running:
                continue
            finished, _ = wait(list(running), return_when=FIRST_COMPLETED)
            for future in finished:
                name = running.pop(future)
                done[name] = future.result()
                _report(ctx, done[name])
    return [done[n] for n in chosen]


def _report(ctx: UpdateContext, outcome: FlowOutcome) -> None:
    details: dict[str, Any] = {
        "status": outcome.status,
        "metrics": {"num_output_rows": outcome.rows_out, "num_input_rows": outcome.rows_in},
    }
    if outcome.expectations or outcome.dropped:
        details["data_quality"] = {"dropped_records": outcome.dropped, "expectations": outcome.expectations}
    level = "ERROR" if outcome.status == "FAILED" else "INFO"
    text = f"Flow '{outcome.flow}' has {outcome.status}." + (f" {outcome.message}" if outcome.message else "")
    error = RuntimeError(outcome.message) if outcome.status == "FAILED" else None
    ctx.events.emit(
        "flow_progress", text, details, level=level, flow=outcome.flow, dataset=outcome.dataset, error=error
    )
