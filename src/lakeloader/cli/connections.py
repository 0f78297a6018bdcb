"""`lakeloader connections create|alter|list|describe|test|drop`: Databricks' CREATE CONNECTION ... TYPE postgresql
and ALTER CONNECTION ... OPTIONS."""

from __future__ import annotations

from typing import Annotated, Any

import typer

from lakeloader.cli.context import state
from lakeloader.cli.output import emit, heading, print_json, say

JsonOpt = Annotated[bool, typer.Option("--json", help="Print JSON for scripts.")]
connections_app = typer.Typer(
    help="Connections to foreign databases (PostgreSQL), the password kept as a {{secrets/...}} reference.",
    no_args_is_help=True,
)
_COLUMNS = ["name", "type", "host", "port", "database", "user", "password", "sslmode", "pooler"]
PasswordOpt = Annotated[
    str | None, typer.Option("--password", help="A {{secrets/scope/key}} reference (a plain value is refused).")
]
SslModeOpt = Annotated[str | None, typer.Option("--sslmode", help="disable ... verify-full")]
SslRootCertOpt = Annotated[str | None, typer.Option("--sslrootcert", help="CA file for verify-ca/verify-full.")]
PoolerOpt = Annotated[
    str | None,
    typer.Option("--pooler", help="transaction: behind PgBouncer/Supavisor in transaction mode (pooler-safe)."),
]
TimeoutOpt = Annotated[str | None, typer.Option("--statement-timeout", help="Per statement, e.g. 5m (SET LOCAL).")]
CommentOpt = Annotated[str | None, typer.Option("--comment", help="A comment stored with it.")]


@connections_app.command("create")
def create(
    name: Annotated[str, typer.Argument(help="Connection name (letters, digits, '_', '-').")],
    type_: Annotated[str, typer.Option("--type", help="Database type: postgresql.")] = "postgresql",
    host: Annotated[str | None, typer.Option("--host", help="Server host name or address.")] = None,
    port: Annotated[int, typer.Option("--port", help="Server port (6543: Supabase's transaction pooler).")] = 5432,
    database: Annotated[
        str | None, typer.Option("--database", help="Default database of foreign catalogs over it.")
    ] = None,
    user: Annotated[str | None, typer.Option("--user", help="User name.")] = None,
    password: PasswordOpt = None,
    sslmode: SslModeOpt = None,
    sslrootcert: SslRootCertOpt = None,
    pooler: PoolerOpt = None,
    statement_timeout: TimeoutOpt = None,
    comment: CommentOpt = None,
    if_not_exists: Annotated[bool, typer.Option("--if-not-exists", help="Succeed if it already exists.")] = False,
    as_json: JsonOpt = False,
) -> None:
    """Store a connection (CREATE CONNECTION name TYPE postgresql OPTIONS (host, port, user, password))."""
    from lakeloader.cli.paths import local_path
    from lakeloader.errors import ConfigError
    from lakeloader.federation.connections import create_connection

    missing = [flag for flag, value in (("--host", host), ("--user", user), ("--password", password)) if not value]
    if missing:
        raise ConfigError(
            f"connection {name}: {', '.join(missing)} missing; pass them "
            "(the password as '{{secrets/<scope>/<key>}}')"
        )
    connection = create_connection(
        state.lakehouse(),
        name,
        if_not_exists=if_not_exists,
        type=type_,
        host=host,
        port=port,
        database=database,
        user=user,
        password=password,
        sslmode=sslmode,
        sslrootcert=str(local_path(sslrootcert)) if sslrootcert else None,
        pooler=pooler,
        statement_timeout=statement_timeout,
        comment=comment,
    )
    _show(connection, "ready", as_json=as_json)


@connections_app.command("alter")
def alter(
    name: Annotated[str, typer.Argument(help="The connection to change.")],
    host: Annotated[str | None, typer.Option("--host", help="New server host name or address.")] = None,
    port: Annotated[int | None, typer.Option("--port", help="New server port.")] = None,
    database: Annotated[str | None, typer.Option("--database", help="New default database.")] = None,
    user: Annotated[str | None, typer.Option("--user", help="New user name.")] = None,
    password: PasswordOpt = None,
    sslmode: SslModeOpt = None,
    sslrootcert: SslRootCertOpt = None,
    pooler: PoolerOpt = None,
    statement_timeout: TimeoutOpt = None,
    comment: CommentOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Change options of a connection (ALTER CONNECTION name OPTIONS (host ..., port ...)); the rest are kept and
    the foreign catalogs over it use the new ones from their next query."""
    from lakeloader.cli.paths import local_path
    from lakeloader.federation.connections import alter_connection

    connection = alter_connection(
        state.lakehouse(),
        name,
        host=host,
        port=port,
        database=database,
        user=user,
        password=password,
        sslmode=sslmode,
        sslrootcert=str(local_path(sslrootcert)) if sslrootcert else None,
        pooler=pooler,
        statement_timeout=statement_timeout,
        comment=comment,
    )
    _show(connection, "changed", as_json=as_json)


def _show(connection: Any, done: str, *, as_json: bool) -> None:
    if as_json:
        print_json(connection.to_dict())
    else:
        where = f"{connection.user}@{connection.address}"
        say(f"connection {connection.name} {done}: {where} (password {connection.password})")


@connections_app.command("list")
def list_(as_json: JsonOpt = False) -> None:
    """List connections (passwords shown as their secret references)."""
    from lakeloader.federation.connections import list_connections

    emit([c.to_dict() for c in list_connections(state.lakehouse())], as_json=as_json, columns=_COLUMNS)


@connections_app.command("describe")
def describe(name: str, as_json: JsonOpt = False) -> None:
    """Every option of a connection, the foreign catalogs over it; the password only as its reference."""
    from lakeloader.federation.connections import catalogs_using, connection_record, get_connection

    lh = state.lakehouse()
    connection = get_connection(lh, name)
    info: dict[str, Any] = connection.to_dict() | connection_record(lh, connection.name)
    info["foreign_catalogs"] = catalogs_using(lh, connection.name)
    if as_json:
        print_json(info)
        return
    for key, value in info.items():
        shown = ", ".join(value) if isinstance(value, list) else ("" if value is None else value)
        heading(f"{key}:", f" {shown}")


@connections_app.command("test")
def test(
    name: str,
    database: Annotated[str | None, typer.Option("--database", help="Database to connect to.")] = None,
    as_json: JsonOpt = False,
) -> None:
    """Connect: print the server version and the round-trip latency."""
    from lakeloader.federation.probe import test_connection

    result = test_connection(state.lakehouse(), name, database=database)
    if as_json:
        print_json(result)
        return
    tls = "TLS" if result["tls"] else "no TLS"
    say(
        f"connection {result['connection']}: PostgreSQL {result['server_version']} at {result['address']}/"
        f"{result['database']} as {result['user']} ({tls}); connected in {result['connect_ms']:.1f} ms, "
        f"round trip {result['round_trip_ms']:.2f} ms"
    )


@connections_app.command("drop")
def drop(name: str) -> None:
    """Forget a connection (refused while a foreign catalog uses it)."""
    from lakeloader.federation.connections import drop_connection

    drop_connection(state.lakehouse(), name)
    say(f"connection {name} dropped")
