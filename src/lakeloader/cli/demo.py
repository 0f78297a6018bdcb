"""`lakeloader demo`: both reference pipelines from nothing, the sources change, an incremental update, a replay of
quarantined rows after a fix, and an update with nothing new."""

from __future__ import annotations

from typing import Annotated, Any

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
    """Run Providers & Claims and Telematics as pipelines from nothing, then incrementally, with a replay."""
    from lakeloader import demo as job
    from lakeloader.cli.pipelines import _summary

    lh = state.lakehouse()

    def talk(message: str) -> None:
        if as_json:
            return
        if message.startswith("## "):
            title, _, rest = message[3:].partition(":")
            heading(title + (":" if rest else ""), rest)
        else:
            say(message)

    def show(title: str, result: Any, default_schema: str) -> None:
        if as_json:
            return
        if hasattr(result, "outcomes"):
            say(title)
            _summary(result, default_schema)
        else:
            through = ", ".join(f"flow {k} through its {v}" for k, v in result.through.items())
            say(f"{title}: {result.replayed:,} of {result.selected:,} quarantined rows replayed, "
                f"{result.still_failing:,} still fail ({through})")  # fmt: skip

    if not as_json:
        heading("lakehouse", f" at {lh.root}")
    report = job.run(lh, say=talk, show=show, fresh=fresh, keep_postgres=keep_postgres)
    if as_json:
        print_json(report)
        return
    print_rows(report["tables"], columns=["table_name", "rows"], title="tables")
    print_rows(
        report["expectations"],
        columns=["dataset", "expectation", "passed", "failed", "pass_rate"],
        title="expectations over the demo's updates",
    )
    say('query them: lakeloader sql "SELECT * FROM kardia.kardia_gold.paid_by_specialty_month LIMIT 5"')
