"""`lakeloader ingest files`: new files of a folder into a Delta table, exactly once (Auto Loader's options)."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Annotated, Any

import typer

from lakeloader.cli.context import state
from lakeloader.cli.executor_options import ExecutorOption, MaxBytesOption, RayAddressOption
from lakeloader.cli.output import print_json, say


def _options(values: list[str] | None) -> dict[str, str]:
    out: dict[str, str] = {}
    for item in values or []:
        key, sep, value = item.partition("=")
        if not sep or not key.strip():
            raise typer.BadParameter(f"--option {item!r}: write KEY=VALUE, e.g. --option maxFilesPerTrigger=100")
        out[key.strip()] = value
    return out


def ingest_files_command(
    path: Annotated[str, typer.Option("--path", help="Folder or /Volumes/... path to watch (globs allowed).")],
    format: Annotated[
        str, typer.Option("--format", help="avro | parquet | json | csv | text | binaryFile (cloudFiles.format)")
    ],
    target: Annotated[
        str, typer.Option("--target", help="Delta table: catalog.schema.table, or schema.table in the current catalog.")
    ],
    checkpoint: Annotated[str, typer.Option("--checkpoint", help="The stream's checkpoint folder.")],
    schema: Annotated[
        str | None, typer.Option("--schema", help="Declared schema: an .avsc file or DDL ('id BIGINT, ...').")
    ] = None,
    schema_evolution_mode: Annotated[
        str | None,
        typer.Option("--schema-evolution-mode", help="addNewColumns | rescue | failOnNewColumns | none"),
    ] = None,
    trigger: Annotated[
        str, typer.Option("--trigger", help="available-now | once | interval=30s (until Ctrl-C / SIGTERM)")
    ] = "available-now",
    option: Annotated[
        list[str] | None,
        typer.Option("--option", "-o", help="Auto Loader option KEY=VALUE (repeatable), e.g. pathGlobFilter=*.avro"),
    ] = None,
    wait_for_lock: Annotated[
        str,
        typer.Option("--wait-for-lock", help="When another run holds the stream, wait this long (30s, 10m) for it."),
    ] = "0",
    allow_second_stream: Annotated[
        bool,
        typer.Option(
            "--allow-second-stream",
            help="Let a new checkpoint fill a table that another stream already fills from this path (loads every "
            "file again).",
        ),
    ] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Print the summary as JSON.")] = False,
    no_progress: Annotated[bool, typer.Option("--no-progress", help="No progress bar.")] = False,
    executor: ExecutorOption = None,
    ray_address: RayAddressOption = None,
    max_bytes_per_task: MaxBytesOption = None,
) -> None:
    """Ingest new files into a Delta table: incremental, exactly once, schema-evolving, nothing lost."""
    from rich.console import Console
    from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

    from lakeloader.execution.executor import settings as executor_settings
    from lakeloader.sources.files.runner import ingest_files
    from lakeloader.sources.files.source import RunStats

    options: dict[str, Any] = {"format": format, **_options(option)}
    if schema_evolution_mode:
        options["schemaEvolutionMode"] = schema_evolution_mode
    chosen = executor_settings(executor, address=ray_address, max_bytes_per_task=max_bytes_per_task)
    console = Console(stderr=True)
    show = not no_progress and not as_json and console.is_terminal
    with Progress(
        SpinnerColumn(),
        TextColumn("{task.description}", markup=False, style="bold"),
        TextColumn("{task.fields[files]:,} files  {task.fields[mb]:,.1f} MB  {task.fields[rows]:,} rows"),
        TextColumn("{task.fields[rate]:,.0f} rows/s  {task.fields[bad]:,} bad  {task.fields[batches]} batches in"),
        TimeElapsedColumn(),
        console=console,
        transient=True,
        disable=not show,
    ) as bar:
        task = bar.add_task(f"{Path(path).name} → {target}", files=0, rows=0, mb=0.0, bad=0, rate=0.0, batches=0)
        started = time.monotonic()

        def progress(stats: RunStats) -> None:  # as each file is read, and as each batch commits
            rate = stats.rows / max(time.monotonic() - started, 1e-3)
            bar.update(task, files=stats.files, rows=stats.rows, mb=stats.bytes / 1e6, bad=stats.bad_records,
                       rate=rate, batches=stats.batches)  # fmt: skip

        summary = ingest_files(
            target,
            path=path,
            checkpoint=checkpoint,
            schema=schema,
            trigger=trigger,
            lakehouse=state.lakehouse(),
            on_batch=lambda _batch_id, stats: progress(stats),
            on_read=progress,
            wait_for_lock=wait_for_lock,
            allow_second_stream=allow_second_stream,
            executor=chosen,
            **options,
        )
    if as_json:
        print_json(summary.to_dict())
    else:
        say(summary.line())
    if summary.interrupted:
        from lakeloader.execution.triggers import exit_code

        raise typer.Exit(exit_code(summary.stop_signal))
