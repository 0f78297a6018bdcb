"""Foreign catalogs (Databricks' `CREATE FOREIGN CATALOG ... USING CONNECTION ... OPTIONS (database ...)`): every
schema and table of one remote database, named `<catalog>.<schema>.<table>`, read-only.

The remote catalog's listing is cached in the metastore (records scoped to the catalog, dropped with it) at
`create` and `refresh`; a table's columns are read when first needed and cached until the next refresh. A query
that finds the cache stale (a table or column it names is missing) refreshes it once.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from lakeloader.errors import AlreadyExistsError, ConfigError, NotFoundError
from lakeloader.federation import metadata, remote
from lakeloader.federation.connections import Connection, get_connection
from lakeloader.federation.metadata import Described, ForeignColumn
from lakeloader.lakehouse import names
from lakeloader.lakehouse.metastore import ObjectInfo, Record
from lakeloader.sources.postgres.typemap import quote_ident

if TYPE_CHECKING:
    from lakeloader.lakehouse.root import Lakehouse
    from lakeloader.sources.postgres.options import ConnectionOptions

TABLE_KIND = "foreign_table"
SCHEMA_KIND = "foreign_schema"


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds")


@dataclass(frozen=True)
class ForeignTable:
    """A table (or view) of a foreign catalog, with its columns once described."""

    catalog: str
    schema: str
    name: str
    kind: str
    described: Described | None = None

    @property
    def full_name(self) -> str:
        """As written in SQL: `catalog.schema.table`, parts backticked where needed."""
        return ".".join(names.quote(p) for p in (self.catalog, self.schema, self.name))

    @property
    def remote_sql(self) -> str:
        """The exact remote name, quoted for Postgres: `"schema"."table"`."""
        return f"{quote_ident(self.schema)}.{quote_ident(self.name)}"

    @property
    def columns(self) -> list[ForeignColumn]:
        assert self.described is not None, "describe the table first"
        return self.described.columns


@dataclass(frozen=True)
class ForeignCatalog:
    """A foreign catalog: its metastore entry, its connection and the database it exposes."""

    info: ObjectInfo
    connection: Connection

    @property
    def name(self) -> str:
        return self.info.name

    @property
    def database(self) -> str:
        return self.info.properties["database"]

    @property
    def where(self) -> str:
        address = f"{self.connection.address}/{self.database}"
        return f"foreign catalog {self.name} (connection {self.connection.name}, {address})"

    def options(self, lakehouse: Lakehouse) -> ConnectionOptions:
        """Connection options with the password resolved (registered with the redactor)."""
        from lakeloader.sources.postgres.connection import resolve_secrets

        return resolve_secrets(self.connection.options(database=self.database), root=lakehouse.root)


def _key(schema: str, table: str) -> str:
    return json.dumps([schema, table])


def foreign_catalog(lakehouse: Lakehouse, name: str) -> ForeignCatalog:
    """The foreign catalog `name`, or a one-line error."""
    info = lakehouse.foreign_catalog(name)
    if info is None:
        known = [c.name for c in list_foreign_catalogs(lakehouse)]
        listed = f" (foreign catalogs: {', '.join(known)})" if known else ""
        raise NotFoundError(
            f"foreign catalog {name} does not exist{listed}; create it with 'lakeloader foreign-catalogs create "
            f"{name} --connection <connection>'"
        )
    return ForeignCatalog(info, get_connection(lakehouse, info.properties["connection_name"]))


def list_foreign_catalogs(lakehouse: Lakehouse) -> list[ObjectInfo]:
    return [c for c in lakehouse.list_catalogs() if lakehouse.foreign_catalog(c.name) is not None]


def create_foreign_catalog(
    lakehouse: Lakehouse, name: str, *, connection: str, database: str | None = None, comment: str | None = None
) -> ForeignCatalog:
    """Register the database `database` (default: the connection's) behind `connection` as catalog `name`.

    Connects once to list its schemas and tables: a wrong password or host fails here, in one line.
    """
    catalog = names.check_name(name, kind="catalog")
    if lakehouse.metastore.get(catalog) is not None:
        raise AlreadyExistsError(f"catalog {catalog} already exists; drop it first or pick another name")
    conn = get_connection(lakehouse, connection)
    chosen = database or conn.database
    if not chosen:
        raise ConfigError(
            f"foreign catalog {catalog}: connection {conn.name} names no database; pass --database <remote database>"
        )
    info = lakehouse.create_foreign_catalog(
        catalog, connection=conn.name, properties={"database": chosen}, comment=comment
    )
    try:
        refresh(lakehouse, catalog)
    except BaseException:
        lakehouse.drop_catalog(catalog)
        raise
    return ForeignCatalog(info, conn)


def drop_foreign_catalog(lakehouse: Lakehouse, name: str) -> None:
    """Forget a foreign catalog and its cached metadata (nothing remote is touched)."""
    lakehouse.drop_catalog(foreign_catalog(lakehouse, name).name)


def refresh(lakehouse: Lakehouse, name: str) -> dict[str, int]:
    """Read the remote listing again; cached columns are dropped (read again on first use)."""
    catalog = foreign_catalog(lakehouse, name)
    opts = catalog.options(lakehouse)
    with remote.control(
        opts, where=catalog.where, password_ref=catalog.connection.password, connection=catalog.connection.name
    ) as con:
        schemas, tables = metadata.list_tables(con)
    store = lakehouse.metastore
    store.replace_records(SCHEMA_KIND, scope=catalog.name, records={s: {"schema": s} for s in schemas})
    store.replace_records(
        TABLE_KIND,
        scope=catalog.name,
        records={_key(s, t): {"schema": s, "table": t, "kind": k, "listed_at": _now()} for s, t, k in tables},
    )
    lakehouse.metastore.set_properties(catalog.name, {"refreshed_at": _now()})
    return {"schemas": len(schemas), "tables": len(tables)}


def _table_of(catalog: str, record: Record) -> ForeignTable:
    props = record.properties
    described = metadata.decode(props["described"]) if props.get("described") else None
    return ForeignTable(catalog, props["schema"], props["table"], props["kind"], described)


def list_schemas(lakehouse: Lakehouse, catalog: str) -> list[str]:
    return [
        r.name for r in lakehouse.metastore.find_records(SCHEMA_KIND, scope=foreign_catalog(lakehouse, catalog).name)
    ]


def list_tables(lakehouse: Lakehouse, catalog: str | None = None, schema: str | None = None) -> list[ForeignTable]:
    """The cached listing of one foreign catalog (or all), optionally of one schema (exact remote name)."""
    chosen = (
        [foreign_catalog(lakehouse, catalog).name] if catalog else [c.name for c in list_foreign_catalogs(lakehouse)]
    )
    out = []
    for name in chosen:
        tables = [_table_of(name, r) for r in lakehouse.metastore.find_records(TABLE_KIND, scope=name)]
        wanted = None if schema is None else set(_pick(schema, sorted({t.schema for t in tables})))
        out += [t for t in tables if wanted is None or t.schema in wanted]
    return out


def _pick(written: str, candidates: list[str]) -> list[str]:
    """The remote names a written name means: the exact one, else those equal ignoring case (DuckDB and
    Databricks match names case-insensitively, even quoted ones)."""
    if written in candidates:
        return [written]
    return [c for c in candidates if c.lower() == written.lower()]


def find_table(lakehouse: Lakehouse, catalog: str, schema: str, table: str, *, refreshed: bool = False) -> ForeignTable:
    """The foreign table `catalog.schema.table` as written; a missing one refreshes the listing once."""
    cat = foreign_catalog(lakehouse, catalog)
    records = lakehouse.metastore.find_records(TABLE_KIND, scope=cat.name)
    tables = [_table_of(cat.name, r) for r in records]
    schemas = _pick(schema, sorted({t.schema for t in tables}))
    matches = [t for t in tables if t.schema in schemas]
    matches = [t for t in matches if t.name in _pick(table, [m.name for m in matches])]
    written = ".".join(names.quote(p) for p in (cat.name, schema, table))
    if len(matches) == 1:
        return matches[0]
    if len(matches) > 1:
        listed = ", ".join(m.full_name for m in matches)
        raise ConfigError(
            f"table {written} matches {listed} in {cat.where}, which differ only by case; "
            "rename one of them in the remote database"
        )
    if not refreshed:
        refresh(lakehouse, cat.name)
        return find_table(lakehouse, catalog, schema, table, refreshed=True)
    import difflib

    close = difflib.get_close_matches(f"{schema}.{table}", [f"{t.schema}.{t.name}" for t in tables], n=3, cutoff=0.6)
    hint = (
        f"did you mean {', '.join(f'{cat.name}.{c}' for c in close)}?"
        if close
        else "list them with 'lakeloader tables list'"
    )
    raise NotFoundError(f"table {written} does not exist in {cat.where}; {hint}")


def described(lakehouse: Lakehouse, table: ForeignTable, *, again: bool = False) -> ForeignTable:
    """`table` with its columns: from the cache, or read now (and cached) when missing or when `again`."""
    if table.described is not None and not again:
        return table
    cat = foreign_catalog(lakehouse, table.catalog)
    opts = cat.options(lakehouse)
    where = f"foreign table {table.full_name}"
    with remote.control(opts, where=where, password_ref=cat.connection.password, connection=cat.connection.name) as con:
        if con.execute("SELECT pg_catalog.to_regclass(%s)", (table.remote_sql,)).fetchone()[0] is None:
            lakehouse.metastore.delete_records(TABLE_KIND, scope=cat.name, names=[_key(table.schema, table.name)])
            raise NotFoundError(
                f"table {table.full_name} no longer exists in {cat.where}; it was dropped or renamed remotely "
                "(the listing is refreshed: see 'lakeloader tables list')"
            )
        found = metadata.describe_table(con, table.schema, table.name, where=where)
    props: dict[str, Any] = {
        "schema": table.schema,
        "table": table.name,
        "kind": table.kind,
        "described": metadata.encode(found),
        "described_at": _now(),
    }
    lakehouse.metastore.put_record(
        kind=TABLE_KIND, scope=cat.name, name=_key(table.schema, table.name), properties=props, replace=True
    )
    return ForeignTable(table.catalog, table.schema, table.name, table.kind, found)
