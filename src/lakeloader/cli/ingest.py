"""`lakeloader ingest <source>`: one command per source, each in its own module (heavy imports inside)."""

from __future__ import annotations

import typer

from lakeloader.cli.ingest_files import ingest_files_command
from lakeloader.cli.ingest_postgres import ingest_postgres_command

ingest_app = typer.Typer(help="Ingest a source into a Delta table, exactly once.", no_args_is_help=True)
ingest_app.command("postgres")(ingest_postgres_command)
ingest_app.command("files")(ingest_files_command)
