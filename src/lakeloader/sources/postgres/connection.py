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
from lakeloader.secrets.redact import redact
from lakeloader.sources.postgres import url as url_parts
from lakeloader.sources.postgres.options import ConnectionOptions, parse_duration

if TYPE_CHECKING:
    import pyarrow as pa

log = logging.getLogger(__name__)
T = TypeVar("T")
_URL = re.compile(r"postgres(?:ql)?://\S*")  # a URL a driver message echoes: cut out, never printed
MIN_PASSWORD_LENGTH = 8  # as the embedded server requires

# libpq / server messages that say the setup is wrong (retrying cannot fix them), checked first...
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
    "hot standby mode",  # target_session_attrs not met: another server, not another try, is the fix
    "session is read-only",
    "session is not read-only",
)
# ...then those that mean "the session is gone", not "your SQL is wrong"
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
    """Resolve `{{secrets/scope/key}}` in the URL (percent-encoded there) and in the password field.

    Each value is registered for redaction with the forms it takes in a URL; messages still never print a URL.
    """
    update: dict[str, Any] = {}
    if opts.url and "{{" in opts.url:
        from lakeloader.secrets import resolve_references

        def encoded(match: re.Match[str]) -> str:
            value = resolve_references(match.group(0), root=root)
            url_parts.register_password(value)
            return quote(value, safe="")

        update["url"] = url_parts.REFERENCE.sub(encoded, opts.url)
    if opts.password is not None and "{{" in opts.password.get_secret_value():
        from lakeloader.secrets import resolve_references

        value = resolve_references(opts.password.get_secret_value(), root=root)
        url_parts.register_password(value)
        update["password"] = SecretStr(value)
    return opts.model_copy(update=update) if update else opts


def session_params(opts: ConnectionOptions) -> dict[str, str]:
    """libpq keyword parameters: the URL's and the fields', plus lakeloader's defaults (password registered)."""
    params = opts.parts()
    params.setdefault("application_name", "lakeloader")
    params.setdefault("connect_timeout", "10")
    params["client_encoding"] = "UTF8"  # Arrow strings are UTF-8: the server converts (or refuses bad bytes)
    for key in url_parts.SECRET_PARAMETERS:
        if params.get(key):
            url_parts.register_password(params[key])
    return params


def password_of(opts: ConnectionOptions) -> str | None:
    """The connection's password, resolved (None when libpq is to find one: passfile, service, none)."""
    return opts.parts().get("password")


def warn_if_short_password(opts: ConnectionOptions, *, where: str) -> None:
    """One warning line when the password has few characters: easy to guess, and too common a string to be masked
    reliably in messages (it is masked wherever it appears, even inside other words)."""
    password = password_of(opts)
    if password is not None and len(password) < MIN_PASSWORD_LENGTH:
        log.warning(
            "postgres source %s: the connection password has fewer than %d characters: easy to guess, and "
            "masking so brief a value in messages cannot be relied on; use a longer one (the embedded server "
            "refuses such passwords)",
            where,
            MIN_PASSWORD_LENGTH,
        )


def libpq_uri(params: dict[str, str]) -> str:
    """The URI form of `params` for the ADBC driver (which only takes a URI). Contains the password.

    Every parameter goes in the query part, percent-encoded (never '+' for a space: libpq does not decode it).
    """
    return "postgresql://?" + urlencode(params, quote_via=quote, safe="")


def address_label(opts: ConnectionOptions) -> str:
    """host:port of the server (each host of a multi-host URL): no user, no password."""
    return url_parts.address(opts.parts())


def server_label(opts: ConnectionOptions) -> str:
    """host:port/database — what `_source` and messages name (never a user's password)."""
    return f"{address_label(opts)}/{opts.parts()['dbname']}"


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


def driver_text(exc: BaseException) -> str:
    """The first line of a driver's message, without any URL it echoes (and redacted, as a second guard)."""
    text = str(exc).strip()
    first = text.splitlines()[0] if text else type(exc).__name__
    return redact(_URL.sub("<url>", first))


def translate(exc: BaseException, *, where: str) -> LakeloaderError:
    """A one-line lakeloader error for a driver exception (password-free)."""
    if isinstance(exc, LakeloaderError):
        return exc
    first = driver_text(exc)
    if is_connection_loss(exc):
        return RetryableError(
            f"postgres source {where}: connection lost ({first}); check the server and the network, then run again"
        )
    dns = re.search(r"(?:failed to resolve host|could not translate host name) [\"']?([^\"'\s:]+)", first)
    if dns:
        return TerminalError(
            f"postgres source {where}: host {dns.group(1)} cannot be found by DNS ({first}); check the host name "
            "(a typo, or a name only another network knows), or this machine's DNS"
        )
    if "password authentication failed" in first or "no password supplied" in first:
        return TerminalError(f"postgres source {where}: {first}; check the user and the password (secret)")
    if "invalid byte sequence for encoding" in first:
        return TerminalError(
            f"postgres source {where}: a text value is not valid UTF-8 ({first}), as a SQL_ASCII database may "
            "hold; read that column as bytes: --cast COLUMN=bytea, or convert it in a --query"
        )
    return TerminalError(f"postgres source {where}: {first}; fix the option or the query it names")


def psycopg_connect(opts: ConnectionOptions, *, where: str) -> Any:
    """An autocommit psycopg connection with the session settings applied."""
    import psycopg
    from psycopg.conninfo import make_conninfo

    try:
        con = psycopg.connect(make_conninfo("", **session_params(opts)), autocommit=True)
        if opts.pooler_mode:
            # transaction poolers cannot keep prepared statements, and a session SET would leak onto a shared
            # server connection: control queries run bare, reads get the settings per transaction (SET LOCAL)
            con.prepare_threshold = None
        else:
            for statement in setup_statements(opts, local=False):
                con.execute(statement)
        return con
    except Exception as exc:
        raise translate(exc, where=f"{where} ({server_label(opts)})") from None


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
        execute_update(self._con, sql)

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


def execute_update(con: Any, sql: str) -> None:
    """Run a statement that returns no rows on an ADBC connection (`AdbcConnection`)."""
    import adbc_driver_manager

    statement = adbc_driver_manager.AdbcStatement(con)
    try:
        statement.set_sql_query(sql)
        statement.execute_update()
    finally:
        statement.close()


def adbc_connect(opts: ConnectionOptions, *, where: str) -> AdbcSession:
    """An ADBC session in manual-commit mode: every read is one transaction (safe behind a pooler)."""
    try:
        return AdbcSession(libpq_uri(session_params(opts)))
    except Exception as exc:
        raise translate(exc, where=f"{where} ({server_label(opts)})") from None
