"""`lakeloader sql "SELECT ..."`: Databricks SQL with Spark's answers over the lakehouse (or DuckDB's own dialect)."""

from __future__ import annotations

import sys
from typing import Annotated, Any

import typer

from lakeloader.cli.context import state


def sql(
    statement: Annotated[
        str,
        typer.Argument(
            help="A SQL query (name tables catalog.schema.table), or CREATE / DROP FUNCTION catalog.schema.f"
        ),
    ],
    as_csv: Annotated[bool, typer.Option("--csv", help="Print CSV.")] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Print a JSON list of rows.")] = False,
    max_rows: Annotated[int, typer.Option("--max-rows", help="Rows shown in the table view.")] = 100,
    unsafe: Annotated[
        bool,
        typer.Option(
            "--unsafe", help="Lift the guard: any DuckDB statement, any local file, extensions, settings. Careful."
        ),
    ] = False,
    explain: Annotated[
        bool, typer.Option("--explain", help="Show each remote statement on foreign tables, and run nothing.")
    ] = False,
    no_pushdown: Annotated[
        bool, typer.Option("--no-pushdown", help="Read foreign tables whole and filter locally (to compare).")
    ] = False,
    dialect: Annotated[
        str,
        typer.Option("--dialect", help="databricks (Spark's answers, the default) | duckdb (DuckDB's own SQL)."),
    ] = "databricks",
    conf: Annotated[
        list[str] | None,
        typer.Option(
            "--conf",
            help="A session setting KEY=VALUE (repeatable): spark.sql.session.timeZone, spark.sql.ansi.enabled.",
        ),
    ] = None,
) -> None:
    """Run a query over the Delta tables, foreign tables and /Volumes files: Databricks SQL with Spark's answers
    (every function exact or refused in one line; docs/sql.md), or DuckDB's dialect with --dialect duckdb."""
    from lakeloader.errors import ConfigError
    from lakeloader.lakehouse.sql import query

    if dialect not in ("databricks", "duckdb"):
        raise ConfigError(f"sql: --dialect {dialect!r}: write databricks (the default) or duckdb")
    settings: dict[str, object] = {}
    for item in conf or []:
        key, sep, value = item.partition("=")
        if not sep or not key.strip():
            raise ConfigError(f"sql: --conf {item!r}: write KEY=VALUE, e.g. --conf spark.sql.session.timeZone=UTC")
        settings[key.strip()] = value.strip()

    if unsafe:
        typer.secho(
            "warning: --unsafe: this statement may read and write any file this user can, load extensions and "
            "change settings; it is not limited to the lakehouse",
            fg=typer.colors.YELLOW,
            err=True,
        )
    lh = state.lakehouse()
    if explain:
        from lakeloader.cli.output import say
        from lakeloader.federation.query import explain as plan

        say(plan(lh, statement, pushdown=not no_pushdown, dialect=dialect).explain())
        return
    rewrite = None
    if any(lh.foreign_catalog(c.name) for c in lh.list_catalogs()):  # queries may name foreign tables

        def rewrite(con: Any, text: str) -> str:
            from lakeloader.federation.query import attach

            return attach(con, lh, text, pushdown=not no_pushdown, dialect=dialect).sql

    result = query(lh, statement, unsafe=unsafe, rewrite=rewrite, dialect=dialect, conf=settings)  # type: ignore[arg-type]
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
