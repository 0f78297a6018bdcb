"""Connections: where a foreign PostgreSQL database is and how to reach it (Databricks' `CREATE CONNECTION ... TYPE
postgresql OPTIONS (host, port, user, password)`), kept in the metastore with the password as a secret reference."""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from lakeloader.errors import ConfigError, NotFoundError, TerminalError
from lakeloader.lakehouse import names
from lakeloader.secrets import require_reference

if TYPE_CHECKING:
    from lakeloader.lakehouse.root import Lakehouse
    from lakeloader.sources.postgres.options import ConnectionOptions

KIND = "connection"
SslMode = Literal["disable", "allow", "prefer", "require", "verify-ca", "verify-full"]
Pooler = Literal["transaction", "session"]


class Connection(BaseModel):
    """A connection to a PostgreSQL server (Unity Catalog's connection securable, type postgresql)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str
    type: Literal["postgresql"] = "postgresql"
    host: str
    port: int = Field(default=5432, ge=1, le=65535)
    database: str | None = Field(default=None, description="default database of foreign catalogs over it")
    user: str
    password: str = Field(description="a {{secrets/scope/key}} reference, never the value")
    sslmode: SslMode | None = None
    sslrootcert: str | None = None
    pooler: Pooler | None = Field(default=None, description="transaction: no prepared statements, no session state")
    statement_timeout: str | None = None
    comment: str | None = None

    @field_validator("name")
    @classmethod
    def _name(cls, value: str) -> str:
        return names.check_name(value, kind="connection")

    @field_validator("host")
    @classmethod
    def _host(cls, value: str) -> str:
        if not value.strip() or any(c.isspace() or c in "@/?#" for c in value):
            raise ConfigError(f"connection host {value!r} is not a host name or address; give e.g. db.example.com")
        return value.strip()

    @model_validator(mode="before")
    @classmethod
    def _password(cls, data: Any) -> Any:
        if isinstance(data, dict) and "password" in data:
            where = f"connection {data.get('name', '?')}: --password"
            data = {**data, "password": require_reference(data["password"], where)}
        return data

    @model_validator(mode="after")
    def _check(self) -> Connection:
        if self.sslmode in ("verify-ca", "verify-full") and not self.sslrootcert:
            raise ConfigError(
                f"connection {self.name}: sslmode {self.sslmode} needs the CA certificate; pass --sslrootcert FILE"
            )
        if self.sslrootcert and not Path(self.sslrootcert).is_file():
            raise ConfigError(
                f"connection {self.name}: --sslrootcert {self.sslrootcert} is not a file; give the CA file"
            )
        if self.statement_timeout:
            from lakeloader import units

            units.parse_seconds(self.statement_timeout, option="statement_timeout")
        return self

    @property
    def address(self) -> str:
        return f"[{self.host}]:{self.port}" if ":" in self.host else f"{self.host}:{self.port}"

    def options(self, *, database: str | None = None) -> ConnectionOptions:
        """The Postgres source's connection options (password still a reference: resolved when a session opens)."""
        from pydantic import SecretStr

        from lakeloader.sources.postgres.options import ConnectionOptions

        return ConnectionOptions(
            host=self.host,
            port=self.port,
            database=database or self.database or "postgres",
            user=self.user,
            password=SecretStr(self.password),
            sslmode=self.sslmode,
            sslrootcert=self.sslrootcert,
            pooler_mode=self.pooler == "transaction",
            statement_timeout=self.statement_timeout,
            application_name="lakeloader federation",
        )

    def to_dict(self) -> dict[str, Any]:
        """What `describe` shows: every option, the password as its reference."""
        return self.model_dump()


def _record_properties(connection: Connection) -> dict[str, Any]:
    return connection.model_dump(exclude={"name"})


def create_connection(
    lakehouse: Lakehouse, name: str, *, if_not_exists: bool = False, replace: bool = False, **options: Any
) -> Connection:
    """Store a connection (nothing is connected to: `test_connection` does that).

    `replace=True` updates an existing one in place (Databricks' ALTER CONNECTION ... OPTIONS): the foreign
    catalogs over it keep it, and reach the new address from their next query.

    Args:
        name: the connection's name (letters, digits, '_', '-').
        options: type, host, port, database, user, password (a `{{secrets/scope/key}}` reference), sslmode,
            sslrootcert, pooler ('transaction' behind PgBouncer or Supavisor), statement_timeout, comment.
    """
    if options.get("sslrootcert"):
        options["sslrootcert"] = str(Path(os.fspath(options["sslrootcert"])).expanduser().absolute())
    clean = {k: v for k, v in options.items() if v is not None}
    try:
        connection = Connection(name=name, **clean)
    except ValidationError as exc:
        first = exc.errors()[0]
        field = ".".join(str(p) for p in first["loc"]) or "options"
        known = ", ".join(sorted(Connection.model_fields))
        hint = f"valid options: {known}" if first["type"] == "extra_forbidden" else "fix its value"
        raise ConfigError(f"connection {name}: option {field}: {first['msg']}; {hint}") from None
    existing = lakehouse.metastore.get_record(KIND, connection.name)
    if existing is not None and not replace:
        if if_not_exists:
            return _from_record(connection.name, existing.properties)
        raise TerminalError(
            f"connection {connection.name} already exists; pass --if-not-exists to go on with it, change it with "
            f"'lakeloader connections alter {connection.name}', drop it first or pick another name"
        )
    lakehouse.metastore.put_record(
        kind=KIND, name=connection.name, properties=_record_properties(connection), replace=existing is not None
    )
    return connection


def alter_connection(lakehouse: Lakehouse, name: str, **changes: Any) -> Connection:
    """Change some options of a connection (Databricks' ALTER CONNECTION name OPTIONS (...)): the server moved,
    the password is another secret. Options not given (None) keep their values; the foreign catalogs over it use
    the new ones from their next query. Validated as `create_connection` validates."""
    current = get_connection(lakehouse, name)
    given = {k: v for k, v in changes.items() if v is not None}
    if not given:
        raise ConfigError(f"connection {current.name}: nothing to change; pass an option such as --host or --port")
    options = {k: v for k, v in current.model_dump().items() if k != "name"} | given
    return create_connection(lakehouse, current.name, replace=True, **options)


def _from_record(name: str, properties: dict[str, Any]) -> Connection:
    return Connection.model_construct(name=name, **properties)  # stored after validation: taken as it is


def get_connection(lakehouse: Lakehouse, name: str) -> Connection:
    """The connection `name`, or a one-line error listing close matches."""
    normal = name.strip().lower()
    record = lakehouse.metastore.get_record(KIND, normal)
    if record is None:
        import difflib

        known = [r.name for r in lakehouse.metastore.find_records(KIND)]
        close = difflib.get_close_matches(normal, known, n=3, cutoff=0.6)
        also = f" (did you mean {', '.join(close)}?)" if close else ""
        raise NotFoundError(
            f"connection {name} does not exist{also}; create it with 'lakeloader connections create {normal} "
            "--type postgresql --host ... --user ... --password {{secrets/<scope>/<key>}}'"
        )
    return _from_record(record.name, record.properties)


def list_connections(lakehouse: Lakehouse) -> list[Connection]:
    return [_from_record(r.name, r.properties) for r in lakehouse.metastore.find_records(KIND)]


def connection_record(lakehouse: Lakehouse, name: str) -> dict[str, Any]:
    """Owner and creation time of a stored connection (for `describe`)."""
    record = lakehouse.metastore.get_record(KIND, name)
    return {} if record is None else {"owner": record.owner, "created_at": record.created_at}


def catalogs_using(lakehouse: Lakehouse, name: str) -> list[str]:
    """The foreign catalogs over connection `name`."""
    from lakeloader.lakehouse.root import FOREIGN_CATALOG

    return [
        c.name
        for c in lakehouse.list_catalogs()
        if c.properties.get("catalog_type") == FOREIGN_CATALOG and c.properties.get("connection_name") == name
    ]


def drop_connection(lakehouse: Lakehouse, name: str) -> None:
    """Forget a connection; refused while a foreign catalog uses it."""
    connection = get_connection(lakehouse, name)
    users = catalogs_using(lakehouse, connection.name)
    if users:
        listed = ", ".join(users)
        raise TerminalError(
            f"connection {connection.name} is used by foreign catalog {listed}; drop it first "
            f"(lakeloader foreign-catalogs drop {users[0]})"
        )
    lakehouse.metastore.delete_records(KIND, scope="", names=[connection.name])
