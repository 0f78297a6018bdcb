"""`format("jdbc")` with a `jdbc:postgresql://` URL: the Postgres source reads, `COPY` writes.

Spark's JDBC options map onto the Postgres source's: `url`, `dbtable` or `query`, `user`, `password`,
`partitionColumn`/`lowerBound`/`upperBound`/`numPartitions` (a parallel read inside one exported snapshot),
`fetchsize` (accepted: the source streams in batches of its own), `sessionInitStatement`, `driver` (accepted when
it names PostgreSQL's driver). Other databases are refused in one line.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pyarrow as pa

from lakeloader.errors import ConfigError

if TYPE_CHECKING:
    from lakeloader.lakehouse.root import Lakehouse

_NAMES = {
    "dbtable": "table",
    "query": "query",
    "user": "user",
    "password": "password",
    "partitioncolumn": "partition_column",
    "numpartitions": "num_partitions",
    "lowerbound": "lower_bound",
    "upperbound": "upper_bound",
    "sessioninitstatement": "init_statement",
    "sslmode": "sslmode",
    "sslrootcert": "sslrootcert",
}
_ACCEPTED = {
    "fetchsize",
    "driver",
    "pushdownpredicate",
    "pushdownaggregate",
    "querytimeout",
    "batchsize",
    "truncate",
    "isolationlevel",
    "createtableoptions",
    "createtablecolumntypes",
}


def url(text: str) -> str:
    """A JDBC URL as a libpq one; anything but PostgreSQL is refused."""
    if not text.startswith("jdbc:"):
        if text.startswith(("postgresql://", "postgres://")):
            return text
        raise ConfigError(f"jdbc: url {text.split('?')[0]!r} is not a JDBC URL; write jdbc:postgresql://host:port/db")
    rest = text[len("jdbc:") :]
    if not rest.startswith("postgresql:"):
        kind = rest.split(":", 1)[0]
        raise ConfigError(f"jdbc: {kind} databases are not supported here (PostgreSQL only); read it elsewhere")
    return rest


def fields(options: dict[str, Any]) -> dict[str, Any]:
    """The Postgres source's fields for Spark's JDBC options."""
    found: dict[str, Any] = {}
    for key, value in options.items():
        lower = key.lower()
        if lower == "url":
            found["source_url"] = url(str(value))
        elif lower in _NAMES:
            found[_NAMES[lower]] = value
        elif lower == "driver":
            if "postgresql" not in str(value).lower():
                raise ConfigError(f"jdbc: driver {value}: only PostgreSQL's (org.postgresql.Driver) is supported")
        elif lower not in _ACCEPTED:
            raise ConfigError(f"jdbc: option {key} is not supported; valid: url, {', '.join(sorted(_NAMES))}")
    if "source_url" not in found:
        raise ConfigError("jdbc: no url option; add .option('url', 'jdbc:postgresql://host:port/db')")
    if "table" not in found and "query" not in found:
        raise ConfigError("jdbc: name what to read: .option('dbtable', 'schema.table') or .option('query', ...)")
    for key in ("num_partitions", "lower_bound", "upper_bound"):
        if isinstance(found.get(key), str) and str(found[key]).lstrip("-").isdigit():
            found[key] = int(found[key])
    return found


def read(options: dict[str, Any], lakehouse: Lakehouse) -> pa.Table:
    """The table or query now, read whole by the Postgres source (secret references resolved)."""
    from lakeloader.sources.postgres import connection as conn
    from lakeloader.sources.postgres.ingest import _retrying, build_options
    from lakeloader.sources.postgres.source import PostgresSource

    opts = build_options(None, {**fields(options), "mode": "full"})
    opts = opts.model_copy(update={"connection": conn.resolve_secrets(opts.connection, root=lakehouse.root)})
    source = PostgresSource(opts)
    try:
        _retrying(opts, source.validate)
        return _retrying(opts, lambda: source.read({"kind": "snapshot"}).read_all())
    finally:
        source.close()


def write(data: pa.Table, options: dict[str, Any], mode: str, lakehouse: Lakehouse) -> int:
    """`df.write.format("jdbc")`: the rows into a Postgres table, in one transaction: created from the DataFrame's
    columns when missing; mode overwrite drops and makes it again (with option truncate, empties it instead),
    append adds, error refuses an existing table, ignore leaves it."""
    import psycopg
    from psycopg import sql as pgsql

    from lakeloader.sources.postgres import connection as conn
    from lakeloader.sources.postgres.ingest import build_options

    given = {k: v for k, v in options.items() if k.lower() not in ("query",)}
    found = fields({**given, "dbtable": options.get("dbtable") or options.get("dbTable") or ""})
    table = str(found.pop("table") or "")
    if not table:
        raise ConfigError("jdbc write: name the table: .option('dbtable', 'schema.table')")
    opts = build_options(None, {**found, "table": table})
    connection = conn.resolve_secrets(opts.connection, root=lakehouse.root)
    parts = table.split(".")
    target = pgsql.Identifier(*parts)
    columns = [pgsql.Identifier(f.name) for f in data.schema]
    with psycopg.connect(**connection.parts()) as pg:  # type: ignore[arg-type]
        exists = pg.execute("SELECT to_regclass(%s) IS NOT NULL", (table,)).fetchone()
        if exists and exists[0]:
            if mode in ("error", "errorifexists"):
                raise ConfigError(f"jdbc write: table {table} already exists; use mode('append') or mode('overwrite')")
            if mode == "ignore":
                return 0
            truncate = str(options.get("truncate", "false")).lower() == "true"
            if mode == "overwrite" and truncate:  # Spark's truncate: the table's definition (keys, grants) stays
                pg.execute(pgsql.SQL("TRUNCATE {}").format(target))
            elif mode == "overwrite":  # Spark's default overwrite: the table is dropped and made again
                pg.execute(pgsql.SQL("DROP TABLE {}").format(target))
                exists = None
        if not (exists and exists[0]):
            defs = pgsql.SQL(", ").join(
                pgsql.SQL("{} {}").format(pgsql.Identifier(f.name), pgsql.SQL(_pg_type(f.type))) for f in data.schema
            )
            pg.execute(pgsql.SQL("CREATE TABLE {} ({})").format(target, defs))
        copy = pgsql.SQL("COPY {} ({}) FROM STDIN").format(target, pgsql.SQL(", ").join(columns))
        with pg.cursor().copy(copy) as writer:
            for row in data.to_pylist():
                writer.write_row([row[f.name] for f in data.schema])
    return int(data.num_rows)


def _pg_type(t: pa.DataType) -> str:
    """Spark's JDBC dialect's column types for PostgreSQL (PostgresDialect.getJDBCType)."""
    if pa.types.is_boolean(t):
        return "BOOLEAN"
    if pa.types.is_int8(t) or pa.types.is_int16(t):
        return "SMALLINT"
    if pa.types.is_int32(t):
        return "INTEGER"
    if pa.types.is_int64(t):
        return "BIGINT"
    if pa.types.is_float32(t):
        return "FLOAT4"
    if pa.types.is_floating(t):
        return "FLOAT8"
    if pa.types.is_decimal(t):
        return f"NUMERIC({t.precision},{t.scale})"
    if pa.types.is_date(t):
        return "DATE"
    if pa.types.is_timestamp(t):
        return "TIMESTAMP" if t.tz is None else "TIMESTAMPTZ"
    if pa.types.is_binary(t) or pa.types.is_large_binary(t):
        return "BYTEA"
    if pa.types.is_string(t) or pa.types.is_large_string(t):
        return "TEXT"
    raise ConfigError(f"jdbc write: a column of type {t} has no PostgreSQL type here; cast it (e.g. to_json)")
