"""`lakeloader demo`: the bronze layers of both reference pipelines, from nothing, then an incremental rerun."""

from __future__ import annotations

from typing import Annotated

import typer

from lakeloader.cli.context import state
from lakeloader.cli.output import heading, print_json, print_rows, say


def demo(
    fresh: Annotated[
        bool, typer.Option("--fresh/--keep", help="Drop the demo catalogs first (kardia, telematics).")
    ] = True,
    keep_postgres: Annotated[bool, typer.Option("--keep-postgres", help="Leave the embedded server running.")] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Print the report as JSON.")] = False,
) -> None:
    """Build the bronze tables of Providers & Claims and Telematics from nothing, then rerun incrementally."""
    from lakeloader import demo as job

    lh = state.lakehouse()

    def talk(message: str) -> None:
        if as_json:
            return
        if message.startswith("## "):
            title, _, rest = message[3:].partition(":")
            heading(title + (":" if rest else ""), rest)
        else:
            say(message)

    if not as_json:
        heading("lakehouse", f" at {lh.root}")
    report = job.run(lh, say=talk, fresh=fresh, keep_postgres=keep_postgres)
    if as_json:
        print_json(report)
        return
    print_rows(report["tables"], columns=["table_name", "rows"], title="bronze tables")
    say('query them: lakeloader sql "SELECT * FROM kardia.kardia_bronze.bronze_claims LIMIT 5"')
