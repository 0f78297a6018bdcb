"""`lakeloader foreign-catalogs create|list|refresh|drop`: Databricks' CREATE FOREIGN CATALOG ... USING CONNECTION."""

from __future__ import annotations

from typing import Annotated

import typer

from lakeloader.cli.context import state
from lakeloader.cli.output import emit, print_json, say

JsonOpt = Annotated[bool, typer.Option("--json", help="Print JSON for scripts.")]
foreign_catalogs_app = typer.Typer(
    help="Foreign catalogs: every schema and table of a remote database as <catalog>.<schema>.<table>, read-only.",
    no_args_is_help=True,
)


@foreign_catalogs_app.command("create")
def create(
    name: Annotated[str, typer.Argument(help="Catalog name, e.g. supabase_data.")],
    connection: Annotated[str, typer.Option("--connection", help="The connection to read through.")],
    database: Annotated[
        str | None, typer.Option("--database", help="Remote database (default: the connection's).")
    ] = None,
    comment: Annotated[str | None, typer.Option("--comment", help="A comment stored with it.")] = None,
    as_json: JsonOpt = False,
) -> None:
    """Expose a remote database as a catalog (its listing is read now and cached)."""
    from lakeloader.federation.catalogs import create_foreign_catalog, list_schemas, list_tables

    lh = state.lakehouse()
    catalog = create_foreign_catalog(lh, name, connection=connection, database=database, comment=comment)
    counts = {"schemas": len(list_schemas(lh, catalog.name)), "tables": len(list_tables(lh, catalog.name))}
    if as_json:
        print_json(
            {"name": catalog.name, "connection": catalog.connection.name, "database": catalog.database, **counts}
        )
    else:
        say(
            f"foreign catalog {catalog.name} ready: database {catalog.database} via connection "
            f"{catalog.connection.name}, {counts['schemas']} schemas, {counts['tables']} tables"
        )


@foreign_catalogs_app.command("list")
def list_(as_json: JsonOpt = False) -> None:
    """List foreign catalogs."""
    from lakeloader.federation.catalogs import list_foreign_catalogs

    rows = [
        {
            "name": c.name,
            "connection": c.properties.get("connection_name"),
            "database": c.properties.get("database"),
            "refreshed_at": c.properties.get("refreshed_at"),
            "owner": c.owner,
            "comment": c.comment,
        }
        for c in list_foreign_catalogs(state.lakehouse())
    ]
    emit(rows, as_json=as_json, columns=["name", "connection", "database", "refreshed_at", "owner", "comment"])


@foreign_catalogs_app.command("refresh")
def refresh(name: str, as_json: JsonOpt = False) -> None:
    """Read the remote listing again (columns are read again on first use)."""
    from lakeloader.federation.catalogs import refresh as refresh_catalog

    counts = refresh_catalog(state.lakehouse(), name)
    if as_json:
        print_json({"name": name, **counts})
    else:
        say(f"foreign catalog {name} refreshed: {counts['schemas']} schemas, {counts['tables']} tables")


@foreign_catalogs_app.command("drop")
def drop(name: str) -> None:
    """Forget a foreign catalog and its cached metadata (the remote database is not touched)."""
    from lakeloader.federation.catalogs import drop_foreign_catalog

    drop_foreign_catalog(state.lakehouse(), name)
    say(f"foreign catalog {name} dropped")
