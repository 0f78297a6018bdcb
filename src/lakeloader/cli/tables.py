"""`lakeloader tables list|describe|history|drop|optimize|vacuum|checkpoint`."""

from __future__ import annotations

from typing import Annotated, Any

import typer

from lakeloader.cli.context import state
from lakeloader.cli.output import emit, heading, print_json, print_rows, say

JsonOpt = Annotated[bool, typer.Option("--json", help="Print JSON for scripts.")]
tables_app = typer.Typer(help="Delta tables: inspect and maintain.", no_args_is_help=True)


def _table(name: str) -> tuple[str, Any]:
    table = state.lakehouse().table(name)
    return str(table.name), table.location


@tables_app.command("list")
def list_tables(
    schema: Annotated[str | None, typer.Argument(help="catalog.schema (default: all).")] = None,
    as_json: JsonOpt = False,
) -> None:
    """List tables (those of foreign catalogs too, type FOREIGN)."""
    from lakeloader.lakehouse import names

    lh = state.lakehouse()
    catalog = names.split_parts(schema)[0] if schema and len(names.split_parts(schema)) == 2 else lh.current_catalog
    if schema is not None and lh.foreign_catalog(catalog) is not None:
        rows = _foreign_rows(catalog, names.split_parts(schema)[-1])
    else:
        rows = [t.info.to_dict() for t in lh.list_tables(schema)]
        if schema is None and lh.metastore.find_records("foreign_table"):  # federation.catalogs.TABLE_KIND
            rows += _foreign_rows(None, None)
    emit(rows, as_json=as_json, columns=["full_name", "type", "format", "location", "created_at"])


def _foreign_rows(catalog: str | None, schema: str | None) -> list[dict[str, Any]]:
    from lakeloader.federation.catalogs import foreign_catalog, list_tables

    lh = state.lakehouse()
    rows = []
    for table in list_tables(lh, catalog, schema):
        cat = foreign_catalog(lh, table.catalog)
        where = f"{cat.connection.name}: {table.remote_sql} in {cat.database}"
        rows.append(
            {
                "full_name": table.full_name,
                "type": "FOREIGN",
                "format": "postgresql",
                "location": where,
                "kind": table.kind,
                "created_at": cat.info.created_at,
            }
        )
    return rows


@tables_app.command("describe")
def describe(name: str, as_json: JsonOpt = False) -> None:
    """Schema, location, version, row count and properties of a table (columns and types of a foreign one)."""
    from lakeloader.lakehouse import delta, names

    lh = state.lakehouse()
    parts = names.split_parts(name)
    if lh.foreign_catalog(parts[0] if len(parts) == 3 else lh.current_catalog) is not None:
        _describe_foreign(name, as_json=as_json)
        return
    table = lh.table(name)
    info: dict[str, Any] = {"name": str(table.name), "type": table.info.type, "location": str(table.location)}
    info |= delta.describe(table.location, table_name=str(table.name))
    info["properties"] = {**table.info.properties, **info["properties"]}
    if as_json:
        print_json(info)
        return
    for key in ("name", "type", "location", "version", "rows", "files", "size_bytes", "partition_columns"):
        heading(f"{key}:", f" {info[key]}")
    print_rows(info["columns"], columns=["name", "type", "nullable"], title="columns")
    props = [{"key": k, "value": v} for k, v in sorted(info["properties"].items())]
    print_rows(props, columns=["key", "value"], title="properties")


def _describe_foreign(name: str, *, as_json: bool) -> None:
    from lakeloader.federation.probe import describe_table

    info = describe_table(state.lakehouse(), name)
    if as_json:
        print_json(info)
        return
    for key in ("name", "type", "kind", "remote_name", "connection", "database"):
        heading(f"{key}:", f" {info[key]}")
    print_rows(info["columns"], columns=["name", "type", "remote_type"], title="columns")


@tables_app.command("history")
def history(
    name: str,
    limit: Annotated[int | None, typer.Option("--limit", help="Newest N versions only.")] = None,
    as_json: JsonOpt = False,
) -> None:
    """The Delta log of a table, newest first, with operation metrics."""
    from lakeloader.lakehouse import delta

    label, location = _table(name)
    entries = delta.history(location, limit=limit, table_name=label)
    if as_json:
        print_json(entries)
        return
    rows = []
    for e in entries:
        metrics = e.get("operationMetrics", {})
        rows.append(
            {
                "version": e.get("version"),
                "timestamp": _iso(e.get("timestamp")),
                "operation": e.get("operation"),
                "rows": metrics.get("num_added_rows", metrics.get("num_output_rows", "")),
                "files": metrics.get("num_added_files", metrics.get("numFilesAdded", "")),
                "stream": e.get("lakeloader.stream_id", ""),
                "batch": e.get("lakeloader.batch_id", ""),
            }
        )
    print_rows(rows, columns=["version", "timestamp", "operation", "rows", "files", "stream", "batch"], title=label)


def _iso(millis: object) -> str:
    from datetime import UTC, datetime

    if not isinstance(millis, int):
        return ""
    return datetime.fromtimestamp(millis / 1000, UTC).isoformat(timespec="seconds")


@tables_app.command("drop")
def drop(name: str) -> None:
    """Drop a table (a managed table's files are deleted; an external table's are kept)."""
    state.lakehouse().drop_table(name)
    say(f"table {name} dropped")


@tables_app.command("optimize")
def optimize(name: str, as_json: JsonOpt = False) -> None:
    """Compact small files (bin-packing)."""
    from lakeloader.lakehouse import delta

    label, location = _table(name)
    metrics = delta.optimize(location, table_name=label)
    if as_json:
        print_json(metrics)
    else:
        say(f"{label}: {metrics.get('numFilesRemoved', 0)} files compacted into {metrics.get('numFilesAdded', 0)}")


@tables_app.command("vacuum")
def vacuum(
    name: str,
    retain_hours: Annotated[int, typer.Option("--retain-hours", help="Keep files needed by the last N hours.")] = 168,
    dry_run: Annotated[bool, typer.Option("--dry-run/--no-dry-run", help="Only list what would go.")] = False,
    force: Annotated[bool, typer.Option("--force", help="Allow a retention under 168 hours.")] = False,
    as_json: JsonOpt = False,
) -> None:
    """Delete data files no longer referenced by any version within the retention."""
    from lakeloader.lakehouse import delta

    label, location = _table(name)
    files = delta.vacuum(location, retention_hours=retain_hours, dry_run=dry_run, force=force, table_name=label)
    if as_json:
        print_json({"table": label, "dry_run": dry_run, "files": files})
    else:
        say(f"{label}: {len(files)} files {'would be ' if dry_run else ''}deleted")


@tables_app.command("checkpoint")
def checkpoint(name: str) -> None:
    """Write a Delta log checkpoint now and clean up expired log files."""
    from lakeloader.lakehouse import delta

    label, location = _table(name)
    version = delta.checkpoint(location, table_name=label)
    say(f"{label}: checkpoint written at version {version}")
