"""`lakeloader files`: look inside a files stream's checkpoint (Databricks' `cloud_files_state`)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from lakeloader.cli.output import emit, print_json, say

files_app = typer.Typer(help="Inspect files streams: the file ledger, schema versions.", no_args_is_help=True)


def _ledger_path(checkpoint: str) -> Path:
    from lakeloader.cli.context import state
    from lakeloader.sources.files.ledger import ledger_of

    return ledger_of(state.lakehouse().resolve_path(checkpoint))


def summary_line(counts: dict[str, int]) -> str:
    """A ledger's counts per status in one line: `3 ingested, 1 bad` (`files state --summary`, `streams show`)."""
    return ", ".join(f"{n:,} {s}" for s, n in sorted(counts.items())) or "no files yet"


@files_app.command("state")
def files_state(
    checkpoint: Annotated[str, typer.Argument(help="The stream's checkpoint folder (or /Volumes/... path).")],
    status: Annotated[
        str | None, typer.Option("--status", help="Only files with this status: ingested, bad, moved, ...")
    ] = None,
    limit: Annotated[int | None, typer.Option("--limit", help="At most this many files.")] = None,
    summary: Annotated[bool, typer.Option("--summary", help="Counts per status only.")] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """The files a stream has taken: path, size, modification time, batch, status, rows."""
    from lakeloader.sources.files.ledger import FileLedger

    ledger = FileLedger.open_existing(_ledger_path(checkpoint))
    if summary:
        counts = ledger.counts()
        if as_json:
            print_json(counts)
        else:
            say(summary_line(counts))
        return
    rows = ledger.rows(status=status, limit=limit)
    emit(
        rows,
        as_json=as_json,
        columns=["path", "size", "modification_time", "batch_id", "status", "rows", "ingested_at"],
        title="files",
    )


@files_app.command("schemas")
def files_schemas(
    location: Annotated[str, typer.Argument(help="The stream's schemaLocation (default: its checkpoint).")],
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """Every stored version of a stream's inferred schema."""
    from lakeloader.cli.context import state
    from lakeloader.sources.files.schema import SchemaStore

    rows = SchemaStore(state.lakehouse().resolve_path(location)).history()
    emit(rows, as_json=as_json, columns=["version", "created_at", "reason", "ddl"], title="schema versions")
