"""`lakeloader notebooks run PATH`: a Databricks notebook (source export or .ipynb) run as it is."""

from __future__ import annotations

import contextlib
import sys
from pathlib import Path
from typing import Annotated

import typer

from lakeloader.cli.context import state

notebooks_app = typer.Typer(
    help="Run Databricks notebooks (PySpark, %sql, dbutils) on the lakehouse.", no_args_is_help=True
)


@notebooks_app.command("run")
def run(
    paths: Annotated[
        list[Path],
        typer.Argument(help="The notebook(s): .py/.sql source exports or .ipynb files, run in order (a job's tasks)."),
    ],
    param: Annotated[list[str] | None, typer.Option("--param", help="A widget's value KEY=VALUE (repeatable).")] = None,
    conf: Annotated[
        list[str] | None, typer.Option("--conf", help="A Spark session setting KEY=VALUE (repeatable).")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the run's summary as JSON.")] = False,
) -> None:
    """Run each notebook's cells in order with spark, dbutils and display defined; stop at the first failing cell
    (reported as notebook, cell and line). Several notebooks run one after the other, each in its own namespace,
    as the tasks of a job."""
    from lakeloader.cli.output import key_values, print_json, say
    from lakeloader.notebooks.run import run as run_notebook

    lh = state.lakehouse()
    params = key_values(param, option="--param", example="schema=demo")
    settings = key_values(conf, option="--conf", example="spark.sql.session.timeZone=UTC")
    results = []
    for path in paths:
        # with --json the notebooks' own output (print, display) goes to stderr: stdout is the JSON alone
        with contextlib.redirect_stdout(sys.stderr) if as_json else contextlib.nullcontext():
            result = run_notebook(path, lh, params=params, conf=settings)
        results.append(result)
        if as_json:
            continue
        for note in result.notes:
            say(f"note: {note}")
        ended = f", exit value {result.exit_value!r}" if result.exit_value is not None else ""
        say(f"notebook {path.name}: {result.cells} cells run in {result.seconds:.2f} s{ended}")
    if as_json:
        print_json(results[0].to_dict() if len(results) == 1 else [r.to_dict() for r in results])
