"""`lakeloader ingest postgres`: a Postgres table or query into a Delta table (Spark JDBC options, our words)."""

from __future__ import annotations

import time
from typing import Annotated, Any

import typer

from lakeloader.cli.context import state
from lakeloader.cli.executor_options import ExecutorOption, MaxBytesOption, RayAddressOption
from lakeloader.cli.output import print_json, say
from lakeloader.cli.paths import local_path, optional_local_path


def _casts(values: list[str] | None) -> dict[str, str]:
    out: dict[str, str] = {}
    for item in values or []:
        column, sep, sql_type = item.partition("=")
        if not sep or not column or not sql_type:
            raise typer.BadParameter(f"--cast {item!r}: write COLUMN=SQLTYPE, e.g. --cast geom=text")
        out[column.strip()] = sql_type.strip()
    return out


_AUDIT_KINDS = ("ingested_at", "source", "batch_id")


def _url_parts(url: str) -> dict[str, str]:
    """libpq's reading of the URL, or nothing when it is malformed (the ingest then says why, in one line)."""
    from psycopg.conninfo import conninfo_to_dict

    try:
        return {k: str(v) for k, v in conninfo_to_dict(url).items() if v}
    except Exception:
        return {}


def _bound(value: str | None) -> int | str | None:
    """A partition bound: a number for a numeric column, the text of a date or timestamp otherwise."""
    if value is None:
        return None
    text = value.strip()
    return int(text) if text.lstrip("-").isdigit() else text


def _audit(values: list[str] | None) -> dict[str, str | None] | None:
    if not values:
        return None
    out: dict[str, str | None] = {}
    for item in values:
        kind, sep, name = item.partition("=")
        if not sep or kind.strip() not in _AUDIT_KINDS:
            raise typer.BadParameter(
                f"--audit-column {item!r}: write KIND=NAME (KIND: {', '.join(_AUDIT_KINDS)}), e.g. "
                "--audit-column source=_pg_source; an empty NAME drops the column"
            )
        out[kind.strip()] = name.strip() or None
    return out


def ingest_postgres_command(
    target: Annotated[
        str,
        typer.Option("--target", help="Delta table: catalog.schema.table (or schema.table in the current catalog)."),
    ],
    source_url: Annotated[
        str | None, typer.Option("--source-url", help="postgresql://user@host:5432/db (password: use --password).")
    ] = None,
    source: Annotated[
        str | None,
        typer.Option("--source", help="A foreign table, e.g. supabase_data.public.trips (its connection is used)."),
    ] = None,
    table: Annotated[str | None, typer.Option("--table", help="schema.table to read (Spark: dbtable).")] = None,
    query: Annotated[str | None, typer.Option("--query", help="A SELECT to read instead of a table.")] = None,
    password: Annotated[
        str | None, typer.Option("--password", help="A {{secrets/scope/key}} reference (recommended).")
    ] = None,
    mode: Annotated[str, typer.Option("--mode", help="full | incremental | merge")] = "full",
    write_mode: Annotated[str, typer.Option("--write-mode", help="full mode: append | overwrite")] = "append",
    cursor: Annotated[str | None, typer.Option("--cursor", help="Cursor column (updated_at, id).")] = None,
    primary_key: Annotated[str | None, typer.Option("--primary-key", help="Key column(s), comma separated.")] = None,
    lookback: Annotated[
        str | None, typer.Option("--lookback", help="Re-read window below the high-water mark: 10m, 1h, 500.")
    ] = None,
    columns: Annotated[str | None, typer.Option("--columns", help="Columns to read, comma separated.")] = None,
    filter_: Annotated[str | None, typer.Option("--filter", help="SQL predicate pushed down.")] = None,
    cast: Annotated[list[str] | None, typer.Option("--cast", help="COLUMN=SQLTYPE for unmapped types.")] = None,
    delete_when: Annotated[
        str | None,
        typer.Option("--delete-when", help="merge: delete matched rows, and never insert rows, where true (alias s)."),
    ] = None,
    sequence_by: Annotated[
        str | None,
        typer.Option("--sequence-by", help="merge: of several rows of one key in a batch, keep the highest."),
    ] = None,
    partition_column: Annotated[
        str | None,
        typer.Option(
            "--partition-column", help="Numeric, date or timestamp column to split reads on (Spark: partitionColumn)."
        ),
    ] = None,
    num_partitions: Annotated[
        int | None, typer.Option("--num-partitions", help="Parallel reads (default: automatic for big tables).")
    ] = None,
    lower_bound: Annotated[
        str | None, typer.Option("--lower-bound", help="Stride bound: a number, or 2024-01-01 [12:00:00].")
    ] = None,
    upper_bound: Annotated[
        str | None,
        typer.Option("--upper-bound", help="Stride bound, as --lower-bound (rows beyond it are still read)."),
    ] = None,
    max_rows_per_batch: Annotated[
        int | None,
        typer.Option("--max-rows-per-batch", help="With a cursor: at most this many rows per committed batch."),
    ] = None,
    sslmode: Annotated[str | None, typer.Option("--sslmode", help="disable ... verify-full")] = None,
    sslrootcert: Annotated[
        str | None, typer.Option("--sslrootcert", help="CA file for verify-* (a /Volumes/... path too).")
    ] = None,
    statement_timeout: Annotated[str | None, typer.Option("--statement-timeout", help="e.g. 30m")] = None,
    init_statement: Annotated[
        str | None,
        typer.Option("--init-statement", help="SQL run on each session first (Spark: sessionInitStatement)."),
    ] = None,
    pooler: Annotated[
        bool, typer.Option("--pooler", help="Behind a transaction pooler: no server-side prepared statements.")
    ] = False,
    checkpoint: Annotated[
        str | None, typer.Option("--checkpoint", help="The stream's checkpoint folder (a /Volumes/... path too).")
    ] = None,
    wait_for_lock: Annotated[
        str,
        typer.Option("--wait-for-lock", help="When another run holds the stream, wait this long (30s, 10m) for it."),
    ] = "0",
    audit_column: Annotated[
        list[str] | None,
        typer.Option("--audit-column", help="Rename an audit column: KIND=NAME (ingested_at, source, batch_id)."),
    ] = None,
    trigger: Annotated[
        str, typer.Option("--trigger", help="available-now | once | interval=1m (micro-batches until Ctrl-C / SIGTERM)")
    ] = "available-now",
    allow_second_stream: Annotated[
        bool,
        typer.Option(
            "--allow-second-stream",
            help="incremental: let a new checkpoint fill a table that another stream already fills from this "
            "relation (reads it again from the start).",
        ),
    ] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Print the summary as JSON.")] = False,
    no_progress: Annotated[bool, typer.Option("--no-progress", help="No progress bar.")] = False,
    executor: ExecutorOption = None,
    ray_address: RayAddressOption = None,
    max_bytes_per_task: MaxBytesOption = None,
) -> None:
    """Ingest a PostgreSQL table, query or foreign table into a Delta table: full, incremental (cursor) or merge."""
    from rich.console import Console
    from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

    from lakeloader.errors import ConfigError
    from lakeloader.sources.postgres.triggered import ingest_postgres_triggered

    if (source_url is None) == (source is None):
        raise ConfigError(
            f"ingest into {target}: give exactly one of --source-url postgresql://... and --source "
            "<foreign catalog>.<schema>.<table>"
        )
    fields: dict[str, Any] = {
        "table": table,
        "query": query,
        "mode": mode,
        "write_mode": write_mode,
        "cursor": cursor,
        "primary_key": primary_key or [],
        "lookback": lookback,
        "columns": [c.strip() for c in columns.split(",")] if columns else None,
        "filter": filter_,
        "casts": _casts(cast),
        "delete_when": delete_when,
        "sequence_by": sequence_by,
        "partition_column": partition_column,
        "num_partitions": num_partitions,
        "lower_bound": _bound(lower_bound),
        "upper_bound": _bound(upper_bound),
        "max_rows_per_batch": max_rows_per_batch,
        "pooler_mode": pooler,
    }
    if source_url is not None:
        fields["source_url"] = source_url
    audit = _audit(audit_column)
    if audit is not None:
        fields["audit"] = audit
    connection_flags = {"--table": table, "--query": query, "--password": password, "--sslmode": sslmode}
    connection_flags |= {"--sslrootcert": sslrootcert, "--pooler": "on" if pooler else None}
    given = [flag for flag, value in connection_flags.items() if value]
    if source is not None and given:
        raise ConfigError(
            f"ingest from {source}: {', '.join(given)} come from the foreign catalog's connection; drop them"
        )
    for key, value in {
        "password": password,
        "sslmode": sslmode,
        "sslrootcert": str(local_path(sslrootcert)) if sslrootcert else None,
        "statement_timeout": statement_timeout,
        "init_statement": init_statement,
    }.items():
        if value is not None:
            fields[key] = value
    console = Console(stderr=True)

    from lakeloader.secrets.redact import REDACTED
    from lakeloader.sources.postgres.url import REFERENCE

    url_password = _url_parts(REFERENCE.sub("", source_url)).get("password") if source_url is not None else None
    plain = url_password not in (None, REDACTED) or (  # `lakeloader postgres url` prints the mask: not a password
        password and "{{" not in password
    )
    if plain:
        typer.secho(
            "warning: a plain password lands in your shell history; store it with 'lakeloader secrets put-secret "
            "<scope> <key>' and pass --password '{{secrets/<scope>/<key>}}'",
            fg=typer.colors.YELLOW,
            err=True,
        )
    show = not no_progress and not as_json and console.is_terminal
    with Progress(
        SpinnerColumn(),
        TextColumn("{task.description}", markup=False, style="bold"),
        TextColumn("{task.fields[rows]:,} rows  {task.fields[mb]:,.1f} MB  {task.fields[rate]:,.0f} rows/s"),
        TimeElapsedColumn(),
        console=console,
        transient=True,
        disable=not show,
    ) as bar:
        task = bar.add_task(f"{source or table or 'query'} → {target}", rows=0, mb=0.0, rate=0.0)
        started = time.monotonic()

        def progress(rows: int, nbytes: int) -> None:
            bar.update(task, rows=rows, mb=nbytes / 1e6, rate=rows / max(time.monotonic() - started, 1e-3))

        options = None
        if source is not None:
            from lakeloader.federation.sources import postgres_source_options

            run_fields = {k: v for k, v in fields.items() if k not in ("table", "query", "pooler_mode")}
            options, fields = postgres_source_options(source, lakehouse=state.lakehouse(), **run_fields), {}
        from lakeloader.execution.executor import settings as executor_settings
        from lakeloader.execution.triggers import Trigger

        how = Trigger.parse(trigger)

        def each(micro: Any) -> None:
            if how.kind == "processingTime" and not as_json:
                console.print(f"micro-batch: {micro.line()}", markup=False, highlight=False)

        summary = ingest_postgres_triggered(
            target,
            trigger=trigger,
            options=options,
            on_micro_batch=each,
            lakehouse=state.lakehouse(),
            checkpoint=optional_local_path(checkpoint),
            progress=progress,
            wait_for_lock=wait_for_lock,
            allow_second_stream=allow_second_stream,
            executor=executor_settings(executor, address=ray_address, max_bytes_per_task=max_bytes_per_task),
            **fields,
        )
    if as_json:
        print_json(summary.to_dict() | {"trigger": how.label})
    else:
        say(summary.line())
    if summary.interrupted:
        from lakeloader.execution.triggers import exit_code

        raise typer.Exit(exit_code(summary.stop_signal))
