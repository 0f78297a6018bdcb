"""Fixtures for federation: the session's embedded server as the external database (a database and a role of its
own per test, with a password, statements logged), a lakehouse with a connection to it, and query helpers."""

from __future__ import annotations

import os
import subprocess
import sys
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import psycopg
import pyarrow as pa
import pytest

from lakeloader.embedded.server import EmbeddedPostgres
from lakeloader.lakehouse.root import Lakehouse

SECRET = "{{secrets/fed/pg_pw}}"


@dataclass
class Remote:
    """One database on the test server, owned by a role of its own (what a Supabase project gives you)."""

    server: EmbeddedPostgres
    database: str
    user: str
    password: str

    @property
    def port(self) -> int:
        return self.server.port

    def url(self, *, port: int | None = None) -> str:
        from urllib.parse import quote

        secret = quote(self.password, safe="")
        return f"postgresql://{self.user}:{secret}@127.0.0.1:{self.port if port is None else port}/{self.database}"

    def run(self, statement: str, params: Any = None) -> list[tuple[Any, ...]]:
        """Run SQL as the owner, in autocommit; its rows (if any)."""
        with psycopg.connect(self.url(), autocommit=True) as con:
            cur = con.execute(statement, params)
            return list(cur.fetchall()) if cur.description else []

    def log_size(self) -> int:
        return self.server.log_file.stat().st_size

    def log_since(self, offset: int) -> str:
        """The server's log (log_statement=all for this database) written after `offset`."""
        import time

        time.sleep(0.2)  # the server writes its log asynchronously
        with open(self.server.log_file, "rb") as handle:
            handle.seek(offset)
            return handle.read().decode(errors="replace")


@pytest.fixture
def remote(pg_server: EmbeddedPostgres) -> Iterator[Remote]:
    suffix = uuid.uuid4().hex[:12]
    database, user, password = f"fed_{suffix}", f"fed_user_{suffix}", "pw-" + uuid.uuid4().hex
    with psycopg.connect(pg_server.url(reveal=True), autocommit=True) as con:
        con.execute(f"CREATE ROLE {user} LOGIN PASSWORD '{password}'")
        con.execute(f"CREATE DATABASE {database} OWNER {user}")
        con.execute(f"ALTER DATABASE {database} SET log_statement = 'all'")
    try:
        yield Remote(pg_server, database, user, password)
    finally:
        with psycopg.connect(pg_server.url(reveal=True), autocommit=True) as con:
            con.execute(f"DROP DATABASE IF EXISTS {database} WITH (FORCE)")
            con.execute(f"DROP ROLE IF EXISTS {user}")


class Fed:
    """A lakehouse with connection `pg` to the remote database (password as secret fed/pg_pw)."""

    def __init__(self, lakehouse: Lakehouse, remote: Remote) -> None:
        self.lakehouse, self.remote = lakehouse, remote

    def connect(self, name: str = "pg", **options: Any) -> Any:
        from lakeloader.federation.connections import create_connection

        options = {
            "type": "postgresql",
            "host": "127.0.0.1",
            "port": self.remote.port,
            "database": self.remote.database,
            "user": self.remote.user,
            "password": SECRET,
            **options,
        }
        return create_connection(self.lakehouse, name, **options)

    def catalog(self, name: str = "supabase_data", connection: str = "pg") -> Any:
        from lakeloader.federation.catalogs import create_foreign_catalog

        return create_foreign_catalog(self.lakehouse, name, connection=connection)

    def query(self, sql: str, *, pushdown: bool = True, dialect: str = "databricks") -> pa.Table:
        from lakeloader.federation.query import attach
        from lakeloader.lakehouse.sql import query

        return query(
            self.lakehouse,
            sql,
            rewrite=lambda con, text: attach(con, self.lakehouse, text, pushdown=pushdown, dialect=dialect).sql,
            dialect=dialect,  # type: ignore[arg-type]
        )

    def explain(self, sql: str, *, dialect: str = "databricks") -> Any:
        from lakeloader.federation.query import explain

        return explain(self.lakehouse, sql, dialect=dialect)

    def cli(self, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        return cli(self.lakehouse.root, *args, check=check)


@pytest.fixture
def fed(lakehouse: Lakehouse, remote: Remote) -> Fed:
    from lakeloader.secrets import SecretStore

    store = SecretStore(lakehouse.root)
    store.create_scope("fed")
    store.put_secret("fed", "pg_pw", remote.password)
    helper = Fed(lakehouse, remote)
    helper.connect()
    return helper


def cli(root: Path, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    """`lakeloader ...` in a new process, as a user runs it."""
    env = {**os.environ, "LAKELOADER_ROOT": str(root)}
    done = subprocess.run(
        [sys.executable, "-m", "lakeloader.cli", *args], capture_output=True, text=True, env=env, timeout=180
    )
    if check:
        assert done.returncode == 0, done.stderr
    return done
