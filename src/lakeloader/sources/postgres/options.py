"""Options of the PostgreSQL source, in Spark JDBC's words where one exists (dbtable, query, partitionColumn...).

Pydantic v2 models with `extra="forbid"`: a misspelt option is an error that lists the valid ones. The password
is a `SecretStr` and a `{{secrets/scope/key}}` reference is resolved only when a connection is opened.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, SecretStr, model_validator

from lakeloader import units
from lakeloader.errors import ConfigError
from lakeloader.sources.postgres import url as url_parts

Mode = Literal["full", "incremental", "merge"]
WriteMode = Literal["append", "overwrite"]
SslMode = Literal["disable", "allow", "prefer", "require", "verify-ca", "verify-full"]


def parse_duration(text: str | float | int, *, option: str) -> timedelta:
    """'10m', '30s', '2h', '1d', '500ms' or a number of seconds."""
    return timedelta(seconds=units.parse_seconds(text, option=option))


class ConnectionOptions(BaseModel):
    """Where and how to connect: a libpq URL (every libpq parameter honoured), or fields (fields win)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    url: str | None = Field(default=None, repr=False)  # may hold a password: masked by the redactor
    host: str | None = None
    port: int | None = Field(default=None, ge=1, le=65535)
    database: str | None = None
    user: str | None = None
    password: SecretStr | None = None
    sslmode: SslMode | None = None
    sslrootcert: str | None = None
    application_name: str | None = Field(default=None, description="default: the URL's, else lakeloader")
    statement_timeout: str | None = Field(default=None, description="e.g. 30min; none by default")
    init_statement: str | None = Field(default=None, description="SQL run at the start of every session")
    pooler_mode: bool = Field(
        default=False, description="transaction pooler (pgbouncer, Supavisor): no server-side prepared statements"
    )
    connect_timeout: int | None = Field(default=None, ge=0, description="seconds; default: the URL's, else 10")

    @model_validator(mode="after")
    def _check(self) -> ConnectionOptions:
        if self.url is None and self.host is None:
            raise ConfigError("postgres source: no url and no host; pass --source-url postgresql://... or host=")
        if self.url is not None:
            if "{{" in self.url:  # references are resolved when the run starts: check the URL's shape now
                url_parts.parse(url_parts.with_placeholders(self.url), what="postgres source", secrets=False)
            else:
                url_parts.parse(self.url, what="postgres source")  # registers a plain password for redaction
        if self.password is not None and "{{" not in self.password.get_secret_value():
            url_parts.register_password(self.password.get_secret_value())
        if self.sslmode == "verify-full" and not self.sslrootcert:
            raise ConfigError("postgres source: sslmode=verify-full needs sslrootcert=<CA file>; pass it")
        return self

    def parts(self) -> dict[str, str]:
        """libpq parameters: all of the URL's, then the fields (which win). Holds the password (revealed!)."""
        out = url_parts.parse(self.url, what="postgres source") if self.url else {}
        fields = {
            "host": self.host,
            "dbname": self.database,
            "user": self.user,
            "sslmode": self.sslmode,
            "sslrootcert": self.sslrootcert,
            "application_name": self.application_name,
        }
        out.update({k: v for k, v in fields.items() if v is not None})
        if self.port is not None:
            out["port"] = str(self.port)
        if self.connect_timeout is not None:
            out["connect_timeout"] = str(self.connect_timeout)
        if self.password is not None:
            out["password"] = self.password.get_secret_value()
        out.setdefault("port", "5432")
        out.setdefault("host", "localhost")
        out.setdefault("dbname", out.get("user", "postgres"))
        return out


class AuditColumns(BaseModel):
    """Databricks-style audit columns added to every bronze row; None drops one."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    ingested_at: str | None = "_ingested_at"
    source: str | None = "_source"
    batch_id: str | None = "_batch_id"

    def names(self) -> list[str]:
        return [n for n in (self.ingested_at, self.source, self.batch_id) if n]

    def items(self) -> list[tuple[str, str]]:
        """(kind, column name) of each audit column kept."""
        pairs = (("ingested_at", self.ingested_at), ("source", self.source), ("batch_id", self.batch_id))
        return [(kind, name) for kind, name in pairs if name]

    @model_validator(mode="after")
    def _check(self) -> AuditColumns:
        names = self.names()
        if len(set(names)) != len(names):
            raise ConfigError(f"postgres source: audit columns {', '.join(names)} repeat a name; give each its own")
        return self


class PostgresSourceOptions(BaseModel):
    """What to read and how to write it (see docs/postgres_source.md)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    connection: ConnectionOptions
    table: str | None = Field(default=None, description="schema.table (Spark: dbtable)")
    query: str | None = None
    columns: list[str] | None = None
    filter: str | None = Field(default=None, description="SQL predicate pushed down to Postgres")
    casts: dict[str, str] = Field(default_factory=dict, description="column -> SQL type, for unsupported types")
    mode: Mode = "full"
    write_mode: WriteMode = "append"
    cursor: str | None = None
    primary_key: list[str] = Field(default_factory=list)
    lookback: str | None = None
    delete_when: str | None = Field(default=None, description="merge: delete target rows matched when true")
    sequence_by: str | None = Field(default=None, description="merge: of several rows of one key, keep the latest")
    partition_column: str | None = None
    num_partitions: int | None = Field(
        default=None, ge=1, le=64, description="None: 1, or one per core (up to 4) for a table of 128 MiB or more"
    )
    lower_bound: int | str | None = Field(default=None, description="a number, or '2024-01-01 00:00:00'")
    upper_bound: int | str | None = None
    max_rows_per_batch: int | None = Field(default=None, ge=1)
    audit: AuditColumns = Field(default_factory=AuditColumns)
    retries: int = Field(default=5, ge=0)

    @model_validator(mode="after")
    def _check(self) -> PostgresSourceOptions:
        label = self.table or "query"
        if (self.table is None) == (self.query is None):
            raise ConfigError("postgres source: give exactly one of table (schema.table) and query")
        if self.mode == "incremental" and not self.cursor:
            raise ConfigError(f"postgres source {label}: mode incremental needs a cursor column; pass --cursor")
        if self.mode == "merge" and not self.primary_key:
            raise ConfigError(f"postgres source {label}: mode merge needs --primary-key")
        if self.lookback and not self.primary_key:
            raise ConfigError(
                f"postgres source {label}: a lookback re-reads rows and needs --primary-key to deduplicate them"
            )
        if self.lookback and not self.cursor:
            raise ConfigError(f"postgres source {label}: lookback needs a cursor column; pass --cursor")
        if self.lookback and not self.lookback.strip().isdigit():
            parse_duration(self.lookback, option="lookback")  # '10x' fails now, not at the second run
        if self.sequence_by and self.mode != "merge":
            raise ConfigError(f"postgres source {label}: sequence_by is for mode merge; drop it or use --mode merge")
        if self.max_rows_per_batch and not self.cursor:
            raise ConfigError(f"postgres source {label}: max_rows_per_batch needs a cursor column")
        if (self.num_partitions or 1) > 1 and not self.partition_column and self.query is not None:
            raise ConfigError(
                f"postgres source {label}: a query is split only by a column; pass --partition-column with "
                "--num-partitions"
            )
        if self.write_mode == "overwrite" and self.mode != "full":
            raise ConfigError(f"postgres source {label}: write mode overwrite is for mode full only")
        return self

    @property
    def label(self) -> str:
        return self.table or "query"
