"""`lakeloader pipelines init|dry-run|run|graph|events|replay-quarantine`: declarative pipelines as Databricks users
write them."""

from __future__ import annotations

import signal
import sys
import threading
from typing import Annotated, Any

import typer

from lakeloader.cli.context import state
from lakeloader.cli.executor_options import ExecutorOption, MaxBytesOption, RayAddressOption
from lakeloader.cli.output import error_line, heading, print_json, print_rows, say

pipelines_app = typer.Typer(
    help="Declarative pipelines: spark-pipeline.yml, SQL and Python definitions (Lakeflow / SDP).", no_args_is_help=True
)
PathArg = Annotated[
    str | None, typer.Argument(help="The pipeline's folder or its spark-pipeline.yml [default: the current folder].")
]
JsonOpt = Annotated[bool, typer.Option("--json", help="Print JSON for scripts.")]


ConfOpt = Annotated[
    list[str] | None,
    typer.Option("--conf", help="key=value added to (or overriding) the spec's configuration; repeatable."),
]


def _names(values: list[str] | None) -> list[str]:
    return [n.strip() for v in values or [] for n in v.split(",") if n.strip()]


def _conf(values: list[str] | None) -> dict[str, str]:
    from lakeloader.cli.output import key_values

    return key_values(values, option="--conf", example="source.url=postgresql://host/db")


@pipelines_app.command("init")
def init(name: Annotated[str, typer.Argument(help="The project folder to create, e.g. my_pipeline.")]) -> None:
    """Scaffold a runnable pipeline project: spark-pipeline.yml and one SQL and one Python file."""
    from lakeloader.pipelines.spec import init as scaffold

    folder = scaffold(name)
    say(f"pipeline {name} created in {folder}; run it with: lakeloader pipelines run {name}")


@pipelines_app.command("dry-run")
def dry_run(path: PathArg = None, conf: ConfOpt = None, as_json: JsonOpt = False) -> None:
    """Check the whole pipeline and report every problem at once (names, cycles, SQL, Python); run nothing."""
    from lakeloader.pipelines import binding
    from lakeloader.pipelines.load import load

    lh = state.lakehouse()
    pipeline = load(path, lh, conf=_conf(conf))
    problems = pipeline.problems or binding.problems(pipeline, lh)  # queries bound once the graph holds
    if as_json:
        print_json({"pipeline": pipeline.name, "ok": not problems, "problems": problems,
                    "datasets": sorted(pipeline.graph.nodes), "flows": pipeline.graph.order()})  # fmt: skip
    elif problems:
        for problem in problems:
            error_line(problem)
    else:
        kinds: dict[str, int] = {}
        for node in pipeline.graph.nodes.values():
            kinds[node.dataset.kind] = kinds.get(node.dataset.kind, 0) + 1
        shown = ", ".join(f"{n} {k.replace('_', ' ')}{'s' if n > 1 else ''}" for k, n in sorted(kinds.items()))
        say(f"pipeline {pipeline.name}: no problems; {shown}, {len(pipeline.graph.flows)} flows")
    if problems:
        raise typer.Exit(1)


@pipelines_app.command("graph")
def graph(
    path: PathArg = None,
    fmt: Annotated[str, typer.Option("--format", help="text | mermaid | dot")] = "text",
    conf: ConfOpt = None,
) -> None:
    """The dataflow graph: datasets and the flows between them."""
    from lakeloader.errors import ConfigError
    from lakeloader.pipelines import graph as graphs
    from lakeloader.pipelines.load import load

    if fmt not in ("text", "mermaid", "dot"):
        raise ConfigError(f"--format {fmt}: choose text, mermaid or dot")
    pipeline = load(path, state.lakehouse(), conf=_conf(conf))
    for problem in pipeline.problems:
        error_line(problem)
    sys.stdout.write(graphs.render(pipeline.graph, fmt))
    if pipeline.problems:
        raise typer.Exit(1)


class _Live:
    """One live line per running flow on a terminal (rich), nothing otherwise."""

    def __init__(self, enabled: bool) -> None:
        self.enabled = enabled
        self.running: dict[str, str] = {}
        self.lock = threading.Lock()
        self.live: Any = None

    def __enter__(self) -> _Live:
        if self.enabled:
            from rich.console import Console
            from rich.live import Live

            self.live = Live(self._render(), console=Console(stderr=True), transient=True, refresh_per_second=8)
            self.live.__enter__()
        return self

    def __exit__(self, *exc: object) -> None:
        if self.live is not None:
            self.live.__exit__(None, None, None)

    def _render(self) -> Any:
        from rich.text import Text

        text = Text()
        for flow, status in sorted(self.running.items()):
            text.append(f"{status:<9} ", style="bold")
            text.append(f"{flow}\n")
        return text

    def event(self, row: dict[str, Any]) -> None:
        if row["event_type"] != "flow_progress" or self.live is None:
            return
        import json

        status = json.loads(row["details"])["flow_progress"]["status"]
        with self.lock:
            flow = row["origin"]["flow_name"]
            if status in ("RUNNING", "QUEUED"):
                self.running[flow] = status
            else:
                self.running.pop(flow, None)
            self.live.update(self._render())


def _summary(result: Any, default_schema: str) -> None:
    """One row per flow; datasets by their name in the pipeline's default schema or catalog."""
    catalog = default_schema.split(".")[0]

    def own(flow: str, dataset: str) -> bool:  # a dataset's own flow, named after it
        return flow.replace("`", "").rsplit(".", 1)[-1] == dataset.rsplit(".", 1)[-1]

    rows = [
        {
            "flow": "" if own(o.flow, o.dataset) else o.flow,
            "dataset": o.dataset.removeprefix(default_schema + ".").removeprefix(catalog + "."),
            "status": o.status,
            "rows in": f"{o.rows_in:,}",
            "rows out": f"{o.rows_out:,}",
            "dropped": f"{o.dropped:,}",
            "time": f"{o.seconds:.2f}s",
            "note": o.message[:80],
        }
        for o in result.outcomes
    ]
    columns = ["flow", "dataset", "status", "rows in", "rows out", "dropped", "time", "note"]
    if not any(r["note"] for r in rows):
        columns.remove("note")
    if not any(r["flow"] for r in rows):
        columns.remove("flow")  # every flow is named after its dataset (the usual case): say it once
    print_rows(rows, columns=columns)
    heading(f"update {result.update_id[:8]}: {result.status}", f" in {result.seconds:.1f} s")


@pipelines_app.command("run")
def run(
    path: PathArg = None,
    full_refresh: Annotated[bool, typer.Option("--full-refresh", help="Reset and recompute every dataset.")] = False,
    refresh: Annotated[
        list[str] | None, typer.Option("--refresh", help="Update only these datasets (comma separated).")
    ] = None,
    full_refresh_selection: Annotated[
        list[str] | None,
        typer.Option("--full-refresh-selection", help="Reset and recompute only these datasets (comma separated)."),
    ] = None,
    continuous: Annotated[
        bool, typer.Option("--continuous", help="Keep updating until Ctrl-C / SIGTERM (see --interval).")
    ] = False,
    interval: Annotated[
        str | None,
        typer.Option(
            "--interval",
            help="Pause between continuous updates: 30s, 1m (default: the pipeline's SET pipelines.trigger.interval, "
            "else 1m).",
        ),
    ] = None,
    conf: ConfOpt = None,
    as_json: JsonOpt = False,
    executor: ExecutorOption = None,
    ray_address: RayAddressOption = None,
    max_bytes_per_task: MaxBytesOption = None,
) -> None:
    """Run an update: every flow (or the selected datasets'), incrementally, exactly once."""
    from rich.console import Console

    from lakeloader import units
    from lakeloader.execution.executor import settings as executor_settings
    from lakeloader.pipelines.load import load
    from lakeloader.pipelines.update import PipelineProblems, run_update

    pause = units.parse_seconds(interval or "1m", option="--interval")
    lh = state.lakehouse()
    stop = threading.Event()
    handlers = {}
    if continuous and threading.current_thread() is threading.main_thread():
        for sig in (signal.SIGINT, signal.SIGTERM):
            handlers[sig] = signal.signal(sig, lambda *_: stop.set())
    failed = False
    try:
        while True:
            pipeline = load(path, lh, conf=_conf(conf))
            chosen = executor_settings(executor or pipeline.spec.executor, address=ray_address,
                                       max_bytes_per_task=max_bytes_per_task)  # fmt: skip
            trigger = pipeline.definitions.settings.get("pipelines.trigger.interval")
            if interval is None and trigger:  # Databricks' setting for a continuous pipeline's pace
                pause = units.parse_seconds(trigger, option="pipelines.trigger.interval")
            live = _Live(not as_json and Console(stderr=True).is_terminal)
            try:
                with live:
                    result = run_update(
                        pipeline,
                        lh,
                        full_refresh=full_refresh,
                        refresh=_names(refresh),
                        full_refresh_selection=_names(full_refresh_selection),
                        on_event=live.event,
                        executor=chosen,
                    )
            except PipelineProblems as exc:
                for problem in exc.problems:
                    error_line(problem)
                raise typer.Exit(1) from None
            failed = result.status == "FAILED"
            if as_json:
                print_json(result.to_dict())
            else:
                _summary(result, f"{pipeline.catalog}.{pipeline.schema}")
                for outcome in result.outcomes:
                    if outcome.status == "FAILED":
                        error_line(f"flow {outcome.flow}: {outcome.message}")
            full_refresh, full_refresh_selection = False, None  # a full refresh is for the first update only
            if not continuous or stop.wait(pause):
                break
    finally:
        for sig, handler in handlers.items():
            signal.signal(sig, handler)
    if failed:
        raise typer.Exit(1)


@pipelines_app.command("events")
def events(
    path: PathArg = None,
    limit: Annotated[int | None, typer.Option("--limit", help="The newest N events only.")] = None,
    event_type: Annotated[str | None, typer.Option("--type", help="Only this event_type (flow_progress, ...).")] = None,
    as_json: JsonOpt = False,
) -> None:
    """The pipeline's event log (Databricks' columns), oldest first."""
    from lakeloader.pipelines import eventlog
    from lakeloader.pipelines.load import load

    pipeline = load(path, state.lakehouse())
    rows = eventlog.read(pipeline.storage / "system" / "events")
    if event_type:
        rows = [r for r in rows if r["event_type"] == event_type]
    if limit:
        rows = rows[-limit:]
    if as_json:
        print_json(rows)
        return
    shown = [
        {
            "timestamp": r["timestamp"].isoformat(timespec="seconds"),
            "level": r["level"],
            "event_type": r["event_type"],
            "flow": r["origin"]["flow_name"] or "",
            "message": r["message"],
        }
        for r in rows
    ]
    print_rows(
        shown, columns=["timestamp", "level", "event_type", "flow", "message"], title=f"events of {pipeline.name}"
    )


@pipelines_app.command("replay-quarantine")
def replay_quarantine(
    path: PathArg = None,
    table: Annotated[str, typer.Option("--table", help="The streaming table whose quarantine to replay.")] = "",
    where: Annotated[
        str | None, typer.Option("--where", help="Only the quarantined rows this SQL condition chooses.")
    ] = None,
    conf: ConfOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Check a table's quarantined rows against its expectations again and land the ones that now pass."""
    from lakeloader.errors import ConfigError
    from lakeloader.pipelines.replay import replay_quarantine as replay
    from lakeloader.pipelines.update import PipelineProblems

    if not table:
        raise ConfigError("replay-quarantine: name the table with --table, e.g. --table silver_readings")
    try:
        from lakeloader.pipelines.load import load

        lh = state.lakehouse()
        result = replay(load(path, lh, conf=_conf(conf)), lh, table=table, where=where)
    except PipelineProblems as exc:
        for problem in exc.problems:
            error_line(problem)
        raise typer.Exit(1) from None
    if as_json:
        print_json(result.to_dict())
        return
    say(
        f"{result.table}: {result.replayed:,} of {result.selected:,} quarantined rows replayed into the table; "
        f"{result.still_failing:,} still fail and stay in {result.quarantine}"
    )
