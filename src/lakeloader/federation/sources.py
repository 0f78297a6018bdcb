"""Foreign tables as Postgres sources: `supabase_data.public.trips` resolved to the Postgres source's options
(its connection, and the exact remote table), for `lakeloader ingest postgres --source` and pipelines."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from lakeloader.errors import ConfigError
from lakeloader.federation import catalogs
from lakeloader.lakehouse import names

if TYPE_CHECKING:
    from lakeloader.lakehouse.root import Lakehouse
    from lakeloader.sources.postgres.options import PostgresSourceOptions


def split_foreign_name(lakehouse: Lakehouse, name: str) -> tuple[str, str, str]:
    """(catalog, schema, table) of a written name (backticks for odd names; two parts: the current catalog)."""
    parts = names.split_parts(name)
    if len(parts) == 2:
        parts = [lakehouse.current_catalog, *parts]
    if len(parts) != 3 or not all(parts):
        raise ConfigError(f"foreign table name '{name}' has {len(parts)} parts; write catalog.schema.table")
    return parts[0].lower(), parts[1], parts[2]


def foreign_table(lakehouse: Lakehouse, name: str) -> catalogs.ForeignTable:
    """The foreign table `name` names (listing refreshed once when it is not there)."""
    catalog, schema, table = split_foreign_name(lakehouse, name)
    return catalogs.find_table(lakehouse, catalogs.foreign_catalog(lakehouse, catalog).name, schema, table)


def postgres_source_options(name: str, *, lakehouse: Lakehouse, **fields: Any) -> PostgresSourceOptions:
    """The Postgres source's options to read foreign table `name` (e.g. `supabase_data.public.vehicles`).

    Args:
        name: `catalog.schema.table` of a foreign catalog (two parts: in the current catalog).
        lakehouse: where the foreign catalog and its connection are registered.
        fields: the source's other options (mode, cursor, primary_key, lookback, columns, filter, partitions...,
            as for `ingest_postgres`); the connection and the table come from the foreign catalog.

    The password stays a `{{secrets/...}}` reference until a session opens; a transaction pooler connection
    (`--pooler transaction`) sets `pooler_mode`.
    """
    from lakeloader.sources.postgres.ingest import build_options

    taken = {"table", "query", "source_url", "url", "connection"} & set(fields)
    if taken:
        raise ConfigError(
            f"postgres source {name}: {', '.join(sorted(taken))} come from the foreign catalog; drop them "
            "(or read a query with source_url= instead of a foreign table)"
        )
    table = foreign_table(lakehouse, name)
    catalog = catalogs.foreign_catalog(lakehouse, table.catalog)
    options = catalog.connection.options(database=catalog.database)
    connection_fields = {
        k: v for k, v in options.model_dump().items() if v is not None and k not in ("url",) and k != "password"
    }
    connection_fields["password"] = catalog.connection.password
    return build_options(None, {**connection_fields, "table": table.remote_sql, **fields})
