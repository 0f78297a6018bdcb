"""`lakeloader sql "SELECT ..."`: DuckDB over the lakehouse's Delta tables."""

from __future__ import annotations

import sys
from typing import Annotated

import typer

from lakeloader.cli.context import state


def sql(
    statement: Annotated[str, typer.Argument(help="A SQL query; name tables catalog.schema.table.")],
    as_csv: Annotated[bool, typer.Option("--csv", help="Print CSV.")] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Print a JSON list of rows.")] = False,
    max_rows: Annotated[int, typer.Option("--max-rows", help="Rows shown in the table view.")] = 100,
) -> None:
    """Run SQL (DuckDB dialect, Databricks names) over the Delta tables."""
    from lakeloader.lakehouse.sql import query

    result = query(state.lakehouse(), statement)
    if as_csv:
        import pyarrow.csv as pacsv

        pacsv.write_csv(result, sys.stdout.buffer)
        return
    if as_json:
        from lakeloader.cli.output import print_json

        print_json(result.to_pylist())
        return
    from lakeloader.cli.output import print_rows, say

    rows = result.slice(0, max_rows).to_pylist()
    print_rows(rows, columns=result.column_names)
    if result.num_rows > max_rows:
        say(f"({result.num_rows} rows, {max_rows} shown; use --csv or --json for all)")
    else:
        say(f"({result.num_rows} rows)")
