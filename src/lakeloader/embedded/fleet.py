"""The Telematics example's external database: the fleet's vehicle reference data in its own Postgres database
(`supabase`, as the seed's Supabase project), read by its own login role with read-only rights.

On the embedded server this stands in for the Supabase Postgres the seed reaches through Lakehouse Federation;
the role's password comes from a secret and reaches the server only as a SCRAM verifier computed here (as psql's
`\\password` does), so it is never in a statement the server could log.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
from dataclasses import dataclass
from typing import Any

from lakeloader.errors import TerminalError

DATABASE = "supabase"
READER = "fleet_reader"
VEHICLES_TABLE = "public.vehicles"
SCRAM_ITERATIONS = 4096


def scram_verifier(password: str, *, salt: bytes | None = None, iterations: int = SCRAM_ITERATIONS) -> str:
    """The SCRAM-SHA-256 verifier Postgres stores for `password` (RFC 5802 / 7677)."""
    salt = salt if salt is not None else os.urandom(16)
    salted = hashlib.pbkdf2_hmac("sha256", password.encode("utf-8"), salt, iterations)
    stored = hashlib.sha256(hmac.new(salted, b"Client Key", "sha256").digest()).digest()
    server = hmac.new(salted, b"Server Key", "sha256").digest()
    b64 = base64.b64encode
    return f"SCRAM-SHA-256${iterations}:{b64(salt).decode()}${b64(stored).decode()}:{b64(server).decode()}"


@dataclass
class FleetResult:
    database: str
    user: str
    inserted: int
    total: int

    def to_dict(self) -> dict[str, Any]:
        return {"database": self.database, "user": self.user, "table": VEHICLES_TABLE, "inserted": self.inserted,
                "rows_in_table": self.total}  # fmt: skip


def _ddl() -> str:
    from lakeloader.embedded.bootstrap import _pg_type
    from lakeloader.samples.vehicles import VEHICLES_ARROW_SCHEMA

    columns = [
        f'    "{c.name}" {_pg_type(c.type)}{" PRIMARY KEY" if c.name == "vehicle_id" else " NOT NULL"}'
        for c in VEHICLES_ARROW_SCHEMA
    ]
    return f"CREATE TABLE IF NOT EXISTS {VEHICLES_TABLE} (\n" + ",\n".join(columns) + "\n)"


def bootstrap_fleet(admin_url: str, *, reader_password: str, vehicles: int = 5) -> FleetResult:
    """Create database `supabase`, its read-only role and `public.vehicles`, and seed it (rows kept if there)."""
    import psycopg
    from psycopg import sql

    from lakeloader.samples.vehicles import VEHICLES_ARROW_SCHEMA, vehicle_records

    verifier = scram_verifier(reader_password)
    try:
        with psycopg.connect(admin_url, autocommit=True) as con:
            if con.execute("SELECT 1 FROM pg_database WHERE datname = %s", (DATABASE,)).fetchone() is None:
                con.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(DATABASE)))
            exists = con.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", (READER,)).fetchone()
            verb = "ALTER" if exists else "CREATE"
            con.execute(sql.SQL(verb + " ROLE {} LOGIN PASSWORD {}").format(sql.Identifier(READER), verifier))
        with psycopg.connect(_with_database(admin_url, DATABASE)) as con, con.cursor() as cur:
            cur.execute(_ddl())
            cur.execute(sql.SQL("REVOKE ALL ON SCHEMA public FROM PUBLIC"))
            cur.execute(sql.SQL("GRANT USAGE ON SCHEMA public TO {}").format(sql.Identifier(READER)))
            cur.execute(sql.SQL("GRANT SELECT ON ALL TABLES IN SCHEMA public TO {}").format(sql.Identifier(READER)))
            names = VEHICLES_ARROW_SCHEMA.names
            statement = sql.SQL("INSERT INTO {} ({}) VALUES ({}) ON CONFLICT (vehicle_id) DO NOTHING").format(
                sql.SQL(VEHICLES_TABLE),
                sql.SQL(", ").join(sql.Identifier(n) for n in names),
                sql.SQL(", ").join(sql.Placeholder() for _ in names),
            )
            inserted = 0
            for row in vehicle_records(vehicles=vehicles):
                cur.execute(statement, [row[n] for n in names])
                inserted += cur.rowcount
            total = cur.execute(f"SELECT count(*) FROM {VEHICLES_TABLE}").fetchone()
    except psycopg.Error as exc:
        cause = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise TerminalError(f"bootstrap telematics: seeding {DATABASE}.{VEHICLES_TABLE} failed ({cause})") from None
    return FleetResult(DATABASE, READER, inserted, int(total[0]) if total else 0)


def _with_database(url: str, database: str) -> str:
    from urllib.parse import urlsplit, urlunsplit

    return urlunsplit(urlsplit(url)._replace(path="/" + database))


def reader_url(admin_url: str) -> str:
    """The password-free URL the fleet's reader connects with (host and port of `admin_url`)."""
    from urllib.parse import urlsplit, urlunsplit

    parts = urlsplit(admin_url)
    return urlunsplit(parts._replace(netloc=f"{READER}@{parts.hostname}:{parts.port}", path="/" + DATABASE))
