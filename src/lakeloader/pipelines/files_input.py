"""`STREAM read_files(...)` and `dp.read_files` in a streaming table: the files source (Auto Loader) as a flow's
input, with its ledger, schema inference and evolution, `_rescued_data` and bad records in the flow's checkpoint.

The flow's query runs over each batch's rows; the files source's own commit step is not used (the flow commits
what its query returns), so Parquet files are always decoded (no copy-through: a query reshapes the rows).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from lakeloader.errors import ConfigError
from lakeloader.pipelines import static_args, translate
from lakeloader.pipelines.model import Flow

if TYPE_CHECKING:
    from lakeloader.execution.checkpoint import Checkpoint
    from lakeloader.pipelines.context import StreamInput, UpdateContext
    from lakeloader.pipelines.graph import Node


def _streamed_files(sql: str) -> translate.FilesRead | None:
    found = [f for f in translate.files_reads(sql) if f.streaming]
    return found[0] if found else None


def _sql_files(ctx: UpdateContext, flow: Flow) -> translate.FilesRead:
    """The `STREAM read_files(...)` a SQL flow (or the view it streams from) reads."""
    graph = ctx.pipeline.graph
    current = flow
    for _ in range(len(graph.flows) + 1):
        if current.query.streams_files and current.query.sql:
            found = _streamed_files(current.query.sql)
            if found is not None:
                return found
        streams = sorted(graph.flow_streams[current.name])
        node = graph.nodes.get(streams[0]) if streams else None
        if node is None or not node.is_view:
            break
        current = node.flows[0]
    raise ConfigError(f"{flow.location}: flow {flow.name}: no STREAM read_files(...) found to read")


def _python_files(ctx: UpdateContext, flow: Flow) -> translate.FilesRead:
    """The `dp.read_files(path, format=..., ...)` call of a Python streaming table, its arguments evaluated
    (constants, f-strings, module constants, `dp.conf.get(...)`: see `static_args`)."""
    configuration = dict(ctx.pipeline.spec.configuration)
    if flow.query.spark_files:  # spark.readStream.format("cloudFiles")...load(path): Auto Loader's own names
        from lakeloader.spark.streams import auto_loader_options

        path, written = static_args.stream_reader(flow, configuration)
        fmt = str(written.pop("_format", "cloudFiles")).lower()
        if fmt != "cloudfiles":
            raise ConfigError(f"{flow.location}: spark.readStream.format('{fmt}'): stream files with 'cloudFiles'")
        return translate.FilesRead(path, auto_loader_options(written), True)
    args, options = static_args.call_arguments(flow, "read_files", configuration)
    if not args:
        raise ConfigError(f"{flow.location}: dp.read_files needs the path as its first argument")
    return translate.FilesRead(str(args[0]), options, True)


def _reads_metadata(ctx: UpdateContext, flow: Flow) -> bool:
    """Does the flow, or a view it streams from, refer to `_metadata`?"""
    import inspect

    graph = ctx.pipeline.graph
    current = flow
    for _ in range(len(graph.flows) + 1):
        text = current.query.sql or ""
        if current.query.function is not None:
            try:
                text = inspect.getsource(current.query.function)
            except (OSError, TypeError):
                text = ""
        if translate.mentions_metadata(text):
            return True
        streams = sorted(graph.flow_streams[current.name])
        node = graph.nodes.get(streams[0]) if streams else None
        if node is None or not node.is_view:
            return False
        current = node.flows[0]
    return False


def files_read(ctx: UpdateContext, flow: Flow) -> translate.FilesRead:
    """What the flow reads: its SQL's `STREAM read_files(...)`, or its Python function's `dp.read_files(...)`."""
    return _python_files(ctx, flow) if flow.query.function is not None else _sql_files(ctx, flow)


def label(ctx: UpdateContext, files: translate.FilesRead) -> str:
    fmt = str(files.options.get("format", "?"))
    return f"files:{fmt}:{ctx.lakehouse.resolve_location(files.path)}"


def files_input(
    ctx: UpdateContext, flow: Flow, node: Node, checkpoint: Checkpoint, files: translate.FilesRead
) -> StreamInput:
    """The files source reading what the flow's read_files names, its state in the flow's checkpoint."""
    from lakeloader.pipelines.context import StreamInput
    from lakeloader.pipelines.session import files_settings
    from lakeloader.sources.files.options import parse_options
    from lakeloader.sources.files.schema import load_declared_schema
    from lakeloader.sources.files.source import FilesSource

    options = {**files_settings(ctx.pipeline, flow), **files.options}
    if _reads_metadata(ctx, flow):  # Databricks' hidden column: there whenever a query names it
        options.setdefault("includeMetadata", "true")
    schema_text = options.pop("schema", None)
    avro_schema = options.pop("avroSchema", None)  # Spark's Avro option: the writer's schema, as JSON
    options.setdefault("copyThroughMinFileSize", "off")
    opts = parse_options(options)
    lh = ctx.lakehouse
    declared = load_declared_schema(str(schema_text)) if schema_text else None
    if avro_schema is not None and declared is None:
        import json

        from lakeloader.sources.files.formats.avro import avsc_to_arrow

        text = avro_schema if isinstance(avro_schema, str) else json.dumps(avro_schema)
        declared = avsc_to_arrow(text)
    where = f"{flow.location}: flow {flow.name}"
    source = FilesSource(
        path=lh.volume_location(files.path, where=where),
        options=opts,
        checkpoint=checkpoint,
        table_location=None,  # no table of its own: the flow's query decides the target's columns, the flow commits
        table_name=node.key,
        declared_schema=declared,
        bad_records_location=lh.volume_location(opts.bad_records_path, where=where) if opts.bad_records_path else None,
        schema_location=lh.volume_location(opts.schema_location, where=where) if opts.schema_location else None,
    )
    source.executor = ctx.executor  # Ray: the batch's files decoded in work units, the query run here
    source.files_read = files  # type: ignore[attr-defined]  # the session swaps this read for the batch

    def read_again() -> bool:
        """A file brought columns (or a corrupt record) the batch's schema lacked: read it again, fully probed."""
        from lakeloader.sources.files.decode import SchemaGrew

        abort, source._abort = source._abort, None
        if not isinstance(abort, SchemaGrew):
            return False
        fitter, decoder = source._fitter, source._decoder
        if fitter is not None and fitter.schema is not None and decoder is not None:
            source._learned[decoder.batch_id] = fitter.schema  # the next attempt starts where this one got
        return True

    return StreamInput(None, source, label(ctx, files), lambda plan, attempt: source.read(plan, attempt=attempt),
                       read_again=read_again)  # fmt: skip
