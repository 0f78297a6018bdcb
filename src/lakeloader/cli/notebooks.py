"""`lakeloader notebooks run PATH`: a Databricks notebook (source export or .ipynb) run as it is."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from lakeloader.cli.context import state

notebooks_app = typer.Typer(
    help="Run Databricks notebooks (PySpark, %sql, dbutils) on the lakehouse.", no_args_is_help=True
)


def _pairs(items: list[str] | None, option: str) -> dict[str, str]:
    from lakeloader.errors import ConfigError

    found: dict[str, str] = {}
    for item in items or []:
        key, sep, value = item.partition("=")
        if not sep or not key.strip():
            raise ConfigError(f"notebooks run: {option} {item!r}: write KEY=VALUE")
        found[key.strip()] = value
    return found


@notebooks_app.command("run")
def run(
    path: Annotated[Path, typer.Argument(help="The notebook: a .py/.sql source export or an .ipynb file.")],
    param: Annotated[list[str] | None, typer.Option("--param", help="A widget's value KEY=VALUE (repeatable).")] = None,
    conf: Annotated[
        list[str] | None, typer.Option("--conf", help="A Spark session setting KEY=VALUE (repeatable).")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the run's summary as JSON.")] = False,
) -> None:
    """Run the notebook's cells in order with spark, dbutils and display defined; stop at the first failing cell
    (reported as notebook, cell and line)."""
    from lakeloader.cli.output import print_json, say
    from lakeloader.notebooks.run import run as run_notebook

    lh = state.lakehouse()
    result = run_notebook(path, lh, params=_pairs(param, "--param"), conf=_pairs(conf, "--conf"))
    if as_json:
        print_json(result.to_dict())
        return
    for note in result.notes:
        say(f"note: {note}")
    ended = f", exit value {result.exit_value!r}" if result.exit_value is not None else ""
    say(f"notebook {path.name}: {result.cells} cells run in {result.seconds:.2f} s{ended}")
