"""The dataflow graph of a pipeline: names resolved to catalog.schema.table, every reference followed, every problem
found at once (unknown names, cycles, flows into nothing, streams where none belong), and the order flows run in."""

from __future__ import annotations

import difflib
from collections.abc import Callable
from dataclasses import dataclass, field

from lakeloader.errors import LakeloaderError
from lakeloader.lakehouse import names
from lakeloader.pipelines.model import Dataset, Definitions, Flow
from lakeloader.pipelines.translate import joins_streams, sorts_stream


@dataclass
class Node:
    """A dataset of the pipeline with its key (catalog.schema.name, or the bare name of a temporary view)."""

    key: str
    dataset: Dataset
    flows: list[Flow] = field(default_factory=list)

    @property
    def is_view(self) -> bool:
        return self.dataset.kind == "temporary_view"


@dataclass
class Graph:
    """Datasets, flows, what each flow reads, and the problems that stop a run."""

    nodes: dict[str, Node]
    flow_reads: dict[str, set[str]]  # flow name -> dataset keys of this pipeline it reads
    flow_streams: dict[str, set[str]]  # ... of those, the ones read as a stream
    external: dict[str, set[str]]  # flow name -> lakehouse tables outside the pipeline it reads
    problems: list[str]
    flows: dict[str, Flow]
    resolve: Callable[[str], str | None]  # a name as written -> its key (None: not a pipeline dataset)

    def target_of(self, flow: Flow) -> Node:
        key = self.resolve(flow.target)
        assert key is not None
        return self.nodes[key]

    def upstream_flows(self, flow_name: str) -> set[str]:
        """The flows that fill what `flow_name` reads; a temporary view stands for what it reads in turn."""
        out: set[str] = set()
        seen: set[str] = set()
        frontier = list(self.flow_reads.get(flow_name, ()))
        while frontier:
            key = frontier.pop()
            if key in seen:
                continue
            seen.add(key)
            for flow in self.nodes[key].flows:
                out.add(flow.name)
                if self.nodes[key].is_view:
                    frontier += self.flow_reads.get(flow.name, ())
        return out

    def order(self) -> list[str]:
        """Flow names, each after the flows it reads from (the graph is acyclic once `problems` is empty)."""
        done: list[str] = []
        seen: set[str] = set()

        def visit(name: str) -> None:
            if name in seen:
                return
            seen.add(name)
            for upstream in sorted(self.upstream_flows(name)):
                visit(upstream)
            done.append(name)

        for name in self.flows:
            visit(name)
        return done

    def downstream(self, flow_names: set[str]) -> set[str]:
        """Every flow that reads, directly or not, what `flow_names` write."""
        out: set[str] = set()
        frontier = set(flow_names)
        while frontier:
            nxt = {f for f in self.flows if f not in out and self.upstream_flows(f) & frontier}
            out |= nxt
            frontier = nxt
        return out


def is_default_flow(flow: Flow) -> bool:
    """The flow a dataset's own query defines: named as the dataset (`02_silver`.t's is 02_silver.t)."""
    return flow.name.replace("`", "") == flow.target.replace("`", "")


def build(
    definitions: Definitions,
    *,
    catalog: str,
    schema: str,
    exists: Callable[[str], bool],
    tables: Callable[[], list[str]] = list,
) -> Graph:
    """Resolve and check everything the definitions declare.

    `exists(full name)` says if a lakehouse table exists; `tables()` lists them (for "did you mean").
    """
    problems = list(definitions.problems)
    nodes: dict[str, Node] = {}
    views = {d.name.lower(): d for d in definitions.datasets if d.kind == "temporary_view"}

    def key_of(name: str) -> str | None:
        bare = names.split_parts(name)[-1].lower() if "." not in name.strip("`") else None
        if bare is not None and bare in views:
            return bare
        if name.lower() in views:
            return name.lower()
        try:
            full = names.parse_object_name(name, kind="table", current_catalog=catalog, current_schema=schema)
        except LakeloaderError:
            return None
        return str(full)

    invalid: set[str] = set()  # dataset names said to be wrong once: their flows say nothing more
    for dataset in definitions.datasets:
        key = dataset.name.lower() if dataset.kind == "temporary_view" else key_of(dataset.name)
        if key is None:
            problems.append(f"{dataset.location}: {_name_problem(dataset.name, catalog, schema)}")
            invalid.add(dataset.name)
            continue
        if key in nodes:
            first = nodes[key].dataset.location
            problems.append(
                f"{dataset.location}: dataset {key} is defined twice (first at {first}); keep one definition"
            )
            continue
        nodes[key] = Node(key, dataset)
    flows: dict[str, Flow] = {}
    for flow in definitions.flows:
        if flow.name in flows:
            problems.append(f"{flow.location}: flow {flow.name} is defined twice; give each flow its own name")
            continue
        flows[flow.name] = flow
        target = key_of(flow.target)
        node = nodes.get(target) if target is not None else None
        if node is None and flow.target in invalid:
            continue
        if node is None:
            problems.append(
                f"{flow.location}: flow {flow.name} writes to {flow.target}, which the pipeline does not define; "
                "declare it (CREATE OR REFRESH STREAMING TABLE / dp.create_streaming_table)"
            )
            continue
        if not is_default_flow(flow) and node.dataset.kind != "streaming_table":
            problems.append(
                f"{flow.location}: flow {flow.name} writes to {node.key}, a {node.dataset.kind.replace('_', ' ')}; "
                "flows write to streaming tables only"
            )
        node.flows.append(flow)

    all_keys = sorted(nodes)
    flow_reads: dict[str, set[str]] = {}
    flow_streams: dict[str, set[str]] = {}
    external: dict[str, set[str]] = {}
    for flow in flows.values():
        reads, streams, outside = set(), set(), set()
        for written in flow.query.references:
            key = key_of(written)
            if key is not None and key in nodes:
                reads.add(key)
                if written in flow.query.streaming_references:
                    streams.add(key)
            elif key is not None and exists(key):
                outside.add(key)
                if written in flow.query.streaming_references:
                    streams.add(key)
            else:
                close = difflib.get_close_matches(key or written, [*all_keys, *tables()], n=2, cutoff=0.6)
                hint = f" (did you mean {', '.join(close)}?)" if close else ""
                problems.append(
                    f"{flow.location}: flow {flow.name} reads {written}, which is neither a dataset of this "
                    f"pipeline nor a table of the lakehouse{hint}; fix the name"
                )
        flow_reads[flow.name], flow_streams[flow.name], external[flow.name] = reads, streams, outside
        problems += _flow_shape(flow, nodes, key_of, streams)
    graph = Graph(nodes, flow_reads, flow_streams, external, problems, flows, key_of)
    problems += _cycles(graph)
    for node in nodes.values():
        if not node.flows and node.dataset.kind != "streaming_table":
            problems.append(f"{node.dataset.location}: {node.key} has no query; add AS <query>")
        if node.dataset.expectations and node.is_view:
            problems.append(
                f"{node.dataset.location}: temporary view {node.key} has expectations, which lakeloader applies on "
                "tables only (a view is inlined where it is read); put them on the table that reads it"
            )
        if node.dataset.expectations and any(f.auto_cdc is not None for f in node.flows):
            problems.append(
                f"{node.dataset.location}: {node.key} is the target of an AUTO CDC flow, whose rows expectations do "
                "not check (as in Databricks); put them on the source the flow reads"
            )
    return graph


def _name_problem(name: str, catalog: str, schema: str) -> str:
    """What is wrong with a dataset's name, in the lakehouse's own words."""
    try:
        names.parse_object_name(name, kind="table", current_catalog=catalog, current_schema=schema)
    except LakeloaderError as exc:
        return f"dataset {name}: {exc}"
    return f"dataset name '{name}' is not valid; write [catalog.]schema.name"


def _flow_shape(
    flow: Flow, nodes: dict[str, Node], key_of: Callable[[str], str | None], streams: set[str]
) -> list[str]:
    """Problems with what a flow reads, given what it writes."""
    target_key = key_of(flow.target)
    node = nodes.get(target_key) if target_key is not None else None
    if node is None:
        return []
    kind = node.dataset.kind
    sources = len(streams) + int(flow.query.streams_files)
    out: list[str] = []
    if flow.kind in ("auto_cdc", "auto_cdc_snapshot"):
        if kind != "streaming_table":
            out.append(
                f"{flow.location}: AUTO CDC flow {flow.name} writes to {node.key}, which must be a streaming table"
            )
        if flow.source is not None and key_of(flow.source) is None:
            out.append(f"{flow.location}: AUTO CDC flow {flow.name}: source '{flow.source}' is not a valid name")
        return out
    if kind == "materialized_view" and sources:
        out.append(
            f"{flow.location}: materialized view {node.key} reads a stream (STREAM / read_stream); a materialized "
            "view reads tables as they are: drop STREAM, or make it a STREAMING TABLE"
        )
    if kind == "streaming_table" and flow.query.function is None and sources == 0 and not flow.once:
        out.append(
            f"{flow.location}: streaming table {node.key} reads no stream; write FROM STREAM(table) or "
            "FROM STREAM read_files(...), or make it a MATERIALIZED VIEW"
        )
    if sources > 1 and not (
        kind == "streaming_table"
        and len(node.flows) == 1
        and not flow.query.streams_files
        and (
            (flow.query.sql and (joins_streams(flow.query.sql) or len(flow.query.watermarks) >= 2))  # outer: marked
            or (flow.query.function is not None and sources == 2)  # a DataFrame join of two streams: its plan says
        )
    ):
        out.append(
            f"{flow.location}: flow {flow.name} reads {sources} streams; read one per flow (several append flows "
            "can fill one streaming table)"
        )
    if kind == "streaming_table" and flow.query.sql and sorts_stream(flow.query.sql):
        out.append(
            f"{flow.location}: flow {flow.name} sorts its stream (ORDER BY): Spark does not sort a stream, only an "
            "aggregation computed over all its input; order the rows where the table is read"
        )
    return out


def _cycles(graph: Graph) -> list[str]:
    state: dict[str, int] = {}
    stack: list[str] = []
    found: list[str] = []

    def visit(name: str) -> None:
        state[name] = 1
        stack.append(name)
        for upstream in sorted(graph.upstream_flows(name)):
            if state.get(upstream) == 1:
                cycle = [*stack[stack.index(upstream) :], upstream]
                path = " -> ".join(reversed(cycle))
                found.append(f"{graph.flows[name].location}: the flows read each other in a cycle: {path}; break it")
            elif upstream not in state:
                visit(upstream)
        stack.pop()
        state[name] = 2

    for name in sorted(graph.flows):
        if name not in state:
            visit(name)
    return found[:1]  # one cycle is enough to say; the rest repeat it


def input_labels(flow: Flow) -> list[str]:
    """What a flow reads from outside the lakehouse, for people: `files <path> (<format>)`, `postgres <table>`."""
    from lakeloader.pipelines import static_args, translate

    labels: list[str] = []
    if flow.query.reads_files:
        found: list[translate.FilesRead] = []

        def seen(files: translate.FilesRead) -> str:
            found.append(files)
            return "x"

        try:
            if flow.query.sql is not None:
                translate.to_duckdb(flow.query.sql, resolve=lambda n, _s: n, resolve_files=seen)
            else:
                args, options = static_args.call_arguments(flow, "read_files", {})
                found.append(translate.FilesRead(str(args[0]), options, True))
        except Exception:  # a display only: what cannot be worked out statically is shown as "files"
            found = []
        labels += [f"files {f.path} ({f.options.get('format', '?')})" for f in found] or ["files"]
    if flow.query.reads_postgres:
        try:
            _args, options = static_args.call_arguments(flow, "read_postgres", {}, only={"table", "dbtable", "source"})
            if options.get("source"):
                labels.append(f"foreign table {options['source']}")
            else:
                labels.append(f"postgres {options.get('table') or options.get('dbtable') or 'query'}")
        except Exception:
            labels.append("postgres")
    return labels


def render(graph: Graph, fmt: str) -> str:
    """The graph as text, Mermaid or Graphviz dot: datasets and the flows between them."""
    edges: list[tuple[str, str, str]] = []  # (from dataset, to dataset, flow)
    for flow in graph.flows.values():
        target = graph.resolve(flow.target)
        if target is None or target not in graph.nodes:
            continue
        sources = sorted(graph.flow_reads[flow.name] | graph.external[flow.name]) + input_labels(flow)
        for source in sources or ["(no input)"]:
            edges.append((source, target, flow.name))
    kinds = {k: n.dataset.kind for k, n in graph.nodes.items()}
    if fmt == "mermaid":
        ids = {
            name: f"n{i}" for i, name in enumerate(sorted({e[0] for e in edges} | {e[1] for e in edges} | set(kinds)))
        }
        shape = {"streaming_table": ("[[", "]]"), "materialized_view": ("[(", ")]"), "temporary_view": ("(", ")")}
        lines = ["graph LR"]
        for name, ident in ids.items():
            left, right = shape.get(kinds.get(name, ""), ("[", "]"))
            lines.append(f'  {ident}{left}"{name}"{right}')
        for a, b, via in edges:
            label = "" if via == b.split(".")[-1] or via == b else f"|{via}|"
            lines.append(f"  {ids[a]} -->{label} {ids[b]}")
        return "\n".join(lines) + "\n"
    if fmt == "dot":
        lines = ["digraph pipeline {", "  rankdir=LR;"]
        style = {"streaming_table": "box", "materialized_view": "cylinder", "temporary_view": "ellipse"}
        for name, shown_kind in sorted(kinds.items()):
            lines.append(f'  "{name}" [shape={style[shown_kind]}];')
        for a, b, via in edges:
            lines.append(f'  "{a}" -> "{b}" [label="{via}"];')
        return "\n".join([*lines, "}"]) + "\n"
    lines = []
    for name in graph.order():
        flow = graph.flows[name]
        target = graph.resolve(flow.target) or flow.target
        label = str(kinds.get(target, "?")).replace("_", " ")
        sources = sorted(graph.flow_reads[name] | graph.external[name]) + input_labels(flow)
        streamed = graph.flow_streams[name]
        shown = [f"STREAM({s})" if s in streamed else s for s in sources]
        via = "" if is_default_flow(flow) else f" via {name}" + (" (AUTO CDC)" if flow.auto_cdc else "")
        lines.append(f"{target} [{label}]{via} <- {', '.join(shown) or '(no input)'}")
    return "\n".join(lines) + "\n"
