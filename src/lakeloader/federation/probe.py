"""Looking at foreign things without reading data: `connections test` and `tables describe` of a foreign table."""

from __future__ import annotations

import statistics
import time
from typing import TYPE_CHECKING, Any

from lakeloader.federation import catalogs, remote
from lakeloader.federation.connections import get_connection
from lakeloader.federation.sources import foreign_table

if TYPE_CHECKING:
    from lakeloader.lakehouse.root import Lakehouse

ROUND_TRIPS = 5


def test_connection(lakehouse: Lakehouse, name: str, *, database: str | None = None) -> dict[str, Any]:
    """Connect, read the server's version and time a few round trips (each statement in a read-only transaction)."""
    from lakeloader.sources.postgres.connection import resolve_secrets

    connection = get_connection(lakehouse, name)
    opts = resolve_secrets(connection.options(database=database), root=lakehouse.root)
    db = opts.parts()["dbname"]
    where = f"connection {connection.name} ({connection.address}/{db})"
    started = time.perf_counter()
    with remote.control(opts, where=where, password_ref=connection.password, connection=connection.name) as con:
        connected = time.perf_counter() - started
        version = str(con.execute("SELECT current_setting('server_version')").fetchone()[0])
        trips = []
        for _ in range(ROUND_TRIPS):
            t0 = time.perf_counter()
            con.execute("SELECT 1").fetchone()
            trips.append(time.perf_counter() - t0)
        user = str(con.execute("SELECT current_user").fetchone()[0])
        tls = bool(con.pgconn.ssl_in_use)
    return {
        "connection": connection.name,
        "address": connection.address,
        "database": db,
        "user": user,
        "server_version": version,
        "tls": tls,
        "sslmode": connection.sslmode or "prefer",
        "pooler": connection.pooler,
        "connect_ms": round(connected * 1000, 2),
        "round_trip_ms": round(statistics.median(trips) * 1000, 3),
    }


test_connection.__test__ = False  # type: ignore[attr-defined]  # not a pytest test, whatever imports it


def describe_table(lakehouse: Lakehouse, name: str) -> dict[str, Any]:
    """Columns of a foreign table with the types lakeloader reads them as (the Postgres source's typemap)."""
    from lakeloader.lakehouse import types

    table = catalogs.described(lakehouse, foreign_table(lakehouse, name))
    catalog = catalogs.foreign_catalog(lakehouse, table.catalog)
    assert table.described is not None
    columns = [{"name": c.name, "type": types.sql_type(c.arrow_type), "remote_type": c.declared} for c in table.columns]
    columns += [
        {"name": n, "type": "(not mapped: read it through a remote view that casts it)", "remote_type": d}
        for n, d in table.described.unsupported
    ]
    return {
        "name": table.full_name,
        "type": "FOREIGN",
        "kind": table.kind,
        "remote_name": table.remote_sql,
        "connection": catalog.connection.name,
        "database": catalog.database,
        "columns": columns,
    }
