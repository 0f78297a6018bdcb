"""`lakeloader streams list|show|reset`: the state of every ingest stream (dlt's `pipeline info` / `drop`)."""

from __future__ import annotations

from typing import Annotated, Any

import typer

from lakeloader.cli.output import emit, heading, print_json, say

streams_app = typer.Typer(
    help="Ingest streams: where their checkpoints are, what they hold, and starting one over.", no_args_is_help=True
)
STREAM_HELP = "A name from 'lakeloader streams list', or the checkpoint folder (a /Volumes/... path too)."


def _lakehouse() -> Any:
    from lakeloader.cli.context import state

    return state.lakehouse()


@streams_app.command("list")
def streams_list(as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False) -> None:
    """Every stream: ingests' checkpoints wherever they live, and pipeline flows in the default storage."""
    from lakeloader.sources.streams import list_streams

    rows = list_streams(_lakehouse())
    if as_json:
        print_json(rows)
        return
    for row in rows:  # to the second, in UTC: a table row fits a terminal
        at = row["last_commit_at"]
        row["last_commit"] = f"{at[:19].replace('T', ' ')} UTC" if at else None
    columns = ["name", "kind", "source", "checkpoint", "batches", "rows", "last_commit", "status"]
    emit(rows, as_json=False, columns=columns, title="streams")


@streams_app.command("show")
def streams_show(
    stream: Annotated[str, typer.Argument(help=STREAM_HELP)],
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """A stream's state: its checkpoint, its source's state (ledger; cursor and high-water mark), its target."""
    from lakeloader.sources.streams import show_stream

    info = show_stream(_lakehouse(), stream)
    if as_json:
        print_json(info)
        return
    state, table = info["state"], info["target_table"]
    heading(f"stream {info['name']}", f" ({info['kind']})")
    lines = [
        ("checkpoint", info["checkpoint"]),
        ("stream id", str(state["stream_id"])),
        ("source", info["source"]),
        ("target", f"{info['target']}: {_table_line(table, str(state['stream_id']))}"),
        ("batches", _batches_line(state)),
        ("last commit", _commit_line(state["last_commit"])),
    ]
    if state["restarted_at"]:
        lines.append(("started over", f"{state['restarted_at']} ({state['restart_reason']})"))
    if "files" in info:
        from lakeloader.cli.files import summary_line

        files = info["files"]
        lines.append(("files", f"{summary_line(files['ledger'])} ({files['format']} under {files['folder']})"))
    if "postgres" in info:
        lines += _postgres_lines(info["postgres"])
    lines.append(("running", state["running"] or "no"))
    for label, value in lines:
        say(f"  {label + ':':<17}{value}")


def _table_line(table: dict[str, Any], stream_id: str) -> str:
    if not table["exists"]:
        return "no table yet"
    held = table["stream_batch"]
    if held is None:
        holds = "holds no batch of this stream"
    elif held["stream_id"] == stream_id:
        holds = f"holds batch {held['batch_id']} of this stream"
    else:
        holds = f"holds batch {held['batch_id']} of this stream from before it started over"
    return f"version {table['version']}, {table['rows']:,} rows, {holds}"


def _plural(n: int, word: str) -> str:
    return f"{n:,} {word}" + ("" if n == 1 else ("es" if word.endswith("ch") else "s"))


def _batches_line(state: dict[str, Any]) -> str:
    line = f"{_plural(state['batches'], 'batch')} committed, {_plural(state['rows'], 'row')}"
    pending = state["pending_batch"]
    if pending is not None:
        return line + f"; batch {pending} planned but not recorded (the next run finishes it first)"
    return line


def _commit_line(last: dict[str, Any] | None) -> str:
    if last is None:
        return "none"
    version = "skipped (already in the table)" if last["skipped"] else f"table version {last['table_version']}"
    return f"batch {last['batch_id']} at {last['committed_at']}, {version}, {int(last['rows'] or 0):,} rows"


def _postgres_lines(pg: dict[str, Any]) -> list[tuple[str, str]]:
    mode = pg["mode"] or "mode unknown"
    if pg["mode"] == "full" and pg["write_mode"]:
        mode += f" ({pg['write_mode']})"
    keys = f", primary key {', '.join(pg['primary_key'])}" if pg["primary_key"] else ""
    where = f" on {pg['address']}" if pg["address"] else ""
    lines = [("relation", f"{pg['relation']}{where}, {mode}{keys}")]
    if pg["cursor"]:
        lines.append(("cursor", str(pg["cursor"])))
        lines.append(("high-water mark", "none yet" if pg["high_water_mark"] is None else str(pg["high_water_mark"])))
        lines.append(("lookback", pg["lookback"] or "none"))
    last = pg["last_batch"]
    if last is not None:
        if last["kind"] == "range":
            if last["lo"] is None:
                low = "from the start"
            elif not pg["primary_key"]:
                low = f"above {last['lo']}"
            else:  # with a key the read starts at the mark, less the lookback (re-read rows are dropped by key)
                low = f"from {last['lo']}" + (f" less the lookback ({pg['lookback']})" if pg["lookback"] else "")
            what = f"{pg['cursor']} {low}, up to {last['hi']}"
        else:
            what = "a full snapshot"
        lines.append(("last batch", f"{last['batch_id']}: {what}, {int(last['rows'] or 0):,} rows"))
    if pg["reloaded_because"]:
        lines.append(("reloaded", f"the source table was {pg['reloaded_because'].removeprefix('table ')}"))
    return lines


@streams_app.command("reset")
def streams_reset(
    stream: Annotated[str, typer.Argument(help=STREAM_HELP)],
    yes: Annotated[bool, typer.Option("--yes", "-y", help="Do not ask for confirmation.")] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """Start a stream over: its state is moved aside and its next run reads the source from the start.

    Nothing is written to the table; the rows it holds stay, so a reload may hold them twice (said before asking).
    """
    from lakeloader.sources.streams import plan_reset, reset_stream

    lakehouse = _lakehouse()
    plan = plan_reset(lakehouse, stream)
    if not yes:
        typer.echo(
            f"stream {plan['name']}: {_plural(plan['batches'], 'batch')} ({_plural(plan['rows'], 'row')}) into "
            f"{plan['target']}, "
            f"checkpoint {plan['checkpoint']}",
            err=True,
        )
        _warn(plan)
        typer.confirm(f"Reset stream {plan['name']} (its state is kept aside, its table untouched)?", abort=True,
                      err=True)  # fmt: skip
    done = reset_stream(lakehouse, stream)
    if as_json:
        print_json(done)
        return
    say(
        f"stream {done['name']} reset: new stream id {done['stream_id']}, its old state kept in {done['kept_in']}; "
        f"table {done['target']} not written (version {done['table_version']})"
    )
    if yes:
        _warn(done)
    else:
        say(done["next_run"])


def _warn(plan: dict[str, Any]) -> None:
    if plan["duplicates"]:
        typer.secho(f"warning: {plan['next_run']}", fg=typer.colors.YELLOW, err=True)
    else:
        typer.echo(plan["next_run"], err=True)
