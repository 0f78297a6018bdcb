"""`lakeloader catalogs|schemas|volumes create|list|drop`, as in Unity Catalog."""

from __future__ import annotations

from typing import Annotated

import typer

from lakeloader.cli.context import state
from lakeloader.cli.output import emit, print_json, say

JsonOpt = Annotated[bool, typer.Option("--json", help="Print JSON for scripts.")]
CommentOpt = Annotated[str | None, typer.Option("--comment", help="A comment stored with the object.")]
IfNotExists = Annotated[bool, typer.Option("--if-not-exists", help="Succeed if it already exists.")]
Cascade = Annotated[bool, typer.Option("--cascade", help="Also drop everything inside.")]
_COLUMNS = ["full_name", "type", "location", "owner", "created_at", "comment"]

catalogs_app = typer.Typer(help="Catalogs: the first level of catalog.schema.table.", no_args_is_help=True)
schemas_app = typer.Typer(help="Schemas (databases) inside a catalog.", no_args_is_help=True)
volumes_app = typer.Typer(
    help="Volumes: governed folders at /Volumes/<catalog>/<schema>/<volume>.", no_args_is_help=True
)


def _created(kind: str, info: dict[str, object], as_json: bool) -> None:
    if as_json:
        print_json(info)
    else:
        say(f"{kind} {info['full_name']} ready at {info['location']}")


@catalogs_app.command("create")
def create_catalog(
    name: str, comment: CommentOpt = None, if_not_exists: IfNotExists = False, as_json: JsonOpt = False
) -> None:
    """Create a catalog."""
    info = state.lakehouse().create_catalog(name, comment=comment, if_not_exists=if_not_exists)
    _created("catalog", info.to_dict(), as_json)


@catalogs_app.command("list")
def list_catalogs(as_json: JsonOpt = False) -> None:
    """List catalogs."""
    lh = state.lakehouse()
    rows = [
        c.to_dict()
        | {"current": c.name == lh.current_catalog, "type": "FOREIGN" if lh.foreign_catalog(c.name) else c.type}
        for c in lh.list_catalogs()
    ]
    emit(rows, as_json=as_json, columns=["full_name", "type", "current", "location", "owner", "created_at", "comment"])


@catalogs_app.command("drop")
def drop_catalog(name: str, cascade: Cascade = False) -> None:
    """Drop a catalog (managed data inside is deleted)."""
    state.lakehouse().drop_catalog(name, cascade=cascade)
    say(f"catalog {name} dropped")


@catalogs_app.command("use")
def use_catalog(name: str) -> None:
    """Set the current catalog, against which two-level names resolve (default: main)."""
    state.lakehouse().use_catalog(name)
    say(f"current catalog: {name}")


@schemas_app.command("create")
def create_schema(
    name: str, comment: CommentOpt = None, if_not_exists: IfNotExists = False, as_json: JsonOpt = False
) -> None:
    """Create a schema: catalog.schema, or schema in the current catalog."""
    info = state.lakehouse().create_schema(name, comment=comment, if_not_exists=if_not_exists)
    _created("schema", info.to_dict(), as_json)


@schemas_app.command("list")
def list_schemas(
    catalog: Annotated[str | None, typer.Argument(help="Catalog (default: the current one).")] = None,
    as_json: JsonOpt = False,
) -> None:
    """List the schemas of a catalog (of a foreign catalog: the remote database's)."""
    lh = state.lakehouse()
    foreign = lh.foreign_catalog(catalog or lh.current_catalog)
    if foreign is not None:
        from lakeloader.federation.catalogs import list_schemas as foreign_schemas

        rows = [{"full_name": f"{foreign.name}.{s}", "type": "FOREIGN"} for s in foreign_schemas(lh, foreign.name)]
        emit(rows, as_json=as_json, columns=["full_name", "type"])
        return
    emit([s.to_dict() for s in lh.list_schemas(catalog)], as_json=as_json, columns=_COLUMNS)


@schemas_app.command("drop")
def drop_schema(name: str, cascade: Cascade = False) -> None:
    """Drop a schema (managed tables and volumes inside are deleted with --cascade)."""
    state.lakehouse().drop_schema(name, cascade=cascade)
    say(f"schema {name} dropped")


@volumes_app.command("create")
def create_volume(
    name: str,
    location: Annotated[str | None, typer.Option("--location", help="External folder (default: managed).")] = None,
    comment: CommentOpt = None,
    if_not_exists: IfNotExists = False,
    as_json: JsonOpt = False,
) -> None:
    """Create a volume: catalog.schema.volume."""
    info = state.lakehouse().create_volume(name, location=location, comment=comment, if_not_exists=if_not_exists)
    payload = info.to_dict() | {"path": f"/Volumes/{info.catalog}/{info.schema}/{info.name}"}
    _created("volume", payload, as_json)


@volumes_app.command("list")
def list_volumes(
    schema: Annotated[str | None, typer.Argument(help="catalog.schema (default: all).")] = None,
    as_json: JsonOpt = False,
) -> None:
    """List volumes."""
    rows = [
        v.to_dict() | {"path": f"/Volumes/{v.catalog}/{v.schema}/{v.name}"}
        for v in state.lakehouse().list_volumes(schema)
    ]
    emit(rows, as_json=as_json, columns=["full_name", "type", "path", "location", "created_at"])


@volumes_app.command("drop")
def drop_volume(name: str) -> None:
    """Drop a volume (a managed volume's files are deleted)."""
    state.lakehouse().drop_volume(name)
    say(f"volume {name} dropped")
