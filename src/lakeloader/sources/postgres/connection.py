"""Opening sessions: libpq parameters from the options, secrets resolved late, one setup per session.

Both drivers speak libpq: psycopg for control (catalog, snapshot export, bounds) and the ADBC driver for the
bulk read (COPY binary → Arrow). Passwords are registered with the redactor the moment they are known, so
they never reach a log line, an error, a checkpoint or `_source`.
"""

from __future__ import annotations

import contextlib
import logging
import os
import re
from typing import TYPE_CHECKING, Any, TypeVar
from urllib.parse import quote, urlencode

from pydantic import SecretStr

from lakeloader.errors import LakeloaderError, RetryableError, TerminalError
from lakeloader.secrets.redact import redact, register
from lakeloader.sources.postgres.options import ConnectionOptions, parse_duration

if TYPE_CHECKING:
    import pyarrow as pa

log = logging.getLogger(__name__)
T = TypeVar("T")

# libpq / server messages that mean "the session is gone", not "your SQL is wrong"
_REFERENCE = re.compile(r"\{\{\s*secrets/[^{}]+\}\}")
# ...unless the text says the setup is wrong: retrying cannot fix these
_TERMINAL_MARKERS = (
    "password authentication failed",
    "no password supplied",
    "does not exist",
    "permission denied",
    "no pg_hba.conf entry",
    "certificate",
    "does not support ssl",
    "ssl is not enabled",
    "sslmode",
    "invalid",
    "syntax error",
)
_LOSS_MARKERS = (
    "terminating connection",
    "server closed the connection",
    "connection refused",
    "could not connect",
    "connection to server",
    "consuming input failed",
    "no connection to the server",
    "ssl syscall",
    "broken pipe",
    "connection reset",
    "unexpected eof",
    "the database system is",
)


def resolve_secrets(opts: ConnectionOptions, *, root: str | os.PathLike[str] | None) -> ConnectionOptions:
    """Resolve `{{secrets/scope/key}}` in the URL and the password field (values registered for redaction)."""
    update: dict[str, Any] = {}
    if opts.url and "{{" in opts.url:
        from lakeloader.secrets import resolve_references

        update["url"] = _REFERENCE.sub(lambda m: quote(resolve_references(m.group(0), root=root), safe=""), opts.url)
    if opts.password is not None and "{{" in opts.password.get_secret_value():
        from lakeloader.secrets import resolve_references

        update["password"] = SecretStr(resolve_references(opts.password.get_secret_value(), root=root))
    return opts.model_copy(update=update) if update else opts


def session_params(opts: ConnectionOptions) -> dict[str, str]:
    """libpq keyword parameters (password resolved and registered for redaction)."""
    parts = opts.parts()
    params = {
        "host": parts["host"],
        "port": parts["port"],
        "dbname": parts["database"],
        "application_name": opts.application_name,
        "connect_timeout": str(opts.connect_timeout),
    }
    for key in ("user", "sslmode", "sslrootcert", "sslcert", "sslkey"):
        if key in parts:
            params[key] = parts[key]
    if "password" in parts:
        params["password"] = parts["password"]
        register(params["password"])
    return params


def libpq_uri(params: dict[str, str]) -> str:
    """The URI form of `params` for the ADBC driver (which only takes a URI). Contains the password."""
    user = quote(params.get("user", ""), safe="")
    password = ":" + quote(params["password"], safe="") if "password" in params else ""
    auth = f"{user}{password}@" if user or password else ""
    query = {k: v for k, v in params.items() if k not in ("host", "port", "dbname", "user", "password")}
    host = params["host"]
    host = f"[{host}]" if ":" in host else host
    return f"postgresql://{auth}{host}:{params['port']}/{quote(params['dbname'], safe='')}?{urlencode(query)}"


def server_label(opts: ConnectionOptions) -> str:
    """host:port/database — what `_source` and messages name (never a user's password)."""
    parts = opts.parts()
    return f"{parts['host']}:{parts['port']}/{parts['database']}"


def setup_statements(opts: ConnectionOptions, *, local: bool) -> list[str]:
    """Per-session (or per-transaction, with `local`) settings: statement_timeout, then the init statement."""
    out: list[str] = []
    scope = "LOCAL " if local else ""
    if opts.statement_timeout:
        ms = int(parse_duration(opts.statement_timeout, option="statement_timeout").total_seconds() * 1000)
        out.append(f"SET {scope}statement_timeout = {ms}")
    if opts.init_statement:
        out.append(opts.init_statement)
    return out


def is_connection_loss(exc: BaseException) -> bool:
    """True when `exc` says the session died (retry), False when the SQL or the setup is wrong (do not)."""
    if isinstance(exc, RetryableError):
        return True
    if isinstance(exc, LakeloaderError):
        return False
    text = str(exc).lower()
    if any(marker in text for marker in _TERMINAL_MARKERS):
        return False
    return any(marker in text for marker in _LOSS_MARKERS)


def translate(exc: BaseException, *, where: str) -> LakeloaderError:
    """A one-line lakeloader error for a driver exception (password-free)."""
    if isinstance(exc, LakeloaderError):
        return exc
    first = redact(str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__)
    if is_connection_loss(exc):
        return RetryableError(
            f"postgres source {where}: connection lost ({first}); check the server and the network, then run again"
        )
    if "password authentication failed" in first or "no password supplied" in first:
        return TerminalError(f"postgres source {where}: {first}; check the user and the password (secret)")
    return TerminalError(f"postgres source {where}: {first}; fix the option or the query it names")


def psycopg_connect(opts: ConnectionOptions, *, where: str) -> Any:
    """An autocommit psycopg connection with the session settings applied."""
    import psycopg

    try:
        con = psycopg.connect(**session_params(opts), autocommit=True)  # type: ignore[arg-type]
        if opts.pooler_mode:
            # transaction poolers cannot keep prepared statements, and a session SET would leak onto a shared
            # server connection: control queries run bare, reads get the settings per transaction (SET LOCAL)
            con.prepare_threshold = None
        else:
            for statement in setup_statements(opts, local=False):
                con.execute(statement)
        return con
    except Exception as exc:
        raise translate(exc, where=where) from None


class AdbcSession:
    """One ADBC PostgreSQL connection in manual-commit mode: every read is one explicit transaction (pooler-safe).

    The driver manager's low-level API, not its DB-API module, which imports polars (~75 ms per run).
    """

    def __init__(self, uri: str) -> None:
        import adbc_driver_manager
        import adbc_driver_postgresql

        self._db = adbc_driver_postgresql.connect(uri)
        try:
            self._con = adbc_driver_manager.AdbcConnection(self._db)
            self._con.set_autocommit(False)
        except BaseException:
            self._db.close()
            raise

    def execute(self, sql: str) -> None:
        """Run a statement that returns no rows (SET, SET TRANSACTION ...)."""
        import adbc_driver_manager

        statement = adbc_driver_manager.AdbcStatement(self._con)
        try:
            statement.set_sql_query(sql)
            statement.execute_update()
        finally:
            statement.close()

    def stream(self, sql: str, *, batch_size_hint_bytes: int) -> pa.RecordBatchReader:
        """The rows of `sql` as Arrow batches, streamed (COPY binary under the hood)."""
        import adbc_driver_manager
        import pyarrow as pa

        statement = adbc_driver_manager.AdbcStatement(self._con)
        statement.set_options(**{"adbc.postgresql.batch_size_hint_bytes": str(batch_size_hint_bytes)})
        statement.set_sql_query(sql)
        handle, _ = statement.execute_query()
        self._statement = statement  # kept open while the stream is read
        return pa.RecordBatchReader._import_from_c(handle.address)

    def rollback(self) -> None:
        self._con.rollback()

    def close(self) -> None:
        for part in (getattr(self, "_statement", None), self._con, self._db):
            if part is not None:
                with contextlib.suppress(Exception):  # the session may already be gone
                    part.close()


def adbc_connect(opts: ConnectionOptions, *, where: str) -> AdbcSession:
    """An ADBC session in manual-commit mode: every read is one transaction (safe behind a pooler)."""
    try:
        return AdbcSession(libpq_uri(session_params(opts)))
    except Exception as exc:
        raise translate(exc, where=where) from None
