"""Sessions with the foreign database, pooler-safe by construction.

Every statement runs inside an explicit read-only transaction: behind a transaction pooler (PgBouncer, Supavisor)
the server connection is ours for exactly that transaction, so nothing is left on it. No server-side prepared
statements (psycopg `prepare_threshold=None`; ADBC's unnamed statements live inside the transaction), no session
`SET` (settings are `SET LOCAL`), no temporary tables, no `WITH HOLD` cursors. Values travel as bind parameters.

Control and catalog reads use psycopg; scans use the ADBC driver (binary COPY or bound queries → Arrow), in
manual-commit mode only: through PgBouncer in transaction mode, ADBC in autocommit mode returned wrong rows for
about half of 600 concurrent queries (its describe and its fetch can land on different server connections).
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import re
import threading
from collections.abc import Iterator, Sequence
from typing import TYPE_CHECKING, Any

from lakeloader.errors import LakeloaderError, RetryableError, TerminalError
from lakeloader.sources.postgres import connection as conn

if TYPE_CHECKING:
    import pyarrow as pa

    from lakeloader.sources.postgres.options import ConnectionOptions

_FATAL = re.compile(r"(?:FATAL|ERROR):\s+(.*)")
STALE_SQLSTATES = {"42P01", "42703", "42804", "42883"}  # undefined table, undefined column, type changed
_databases: dict[str, Any] = {}  # ADBC database handles (they load the server's types once), per connection
_databases_lock = threading.Lock()
# Idle ADBC connections, outside any transaction, reused by the next scan of this process (a pipeline's flows,
# repeated queries): no new login per query. Keyed like the databases (the password is part of the key, so a
# rotated one opens new connections); dropped, never closed, in a forked child (the sockets are the parent's).
MAX_IDLE = 4
_idle: dict[str, list[Any]] = {}
_idle_pid = os.getpid()


class StaleMetadataError(TerminalError):
    """The remote table no longer matches the cached metadata (gone, a column dropped or retyped)."""


def _sqlstate(exc: BaseException) -> str | None:
    state = getattr(exc, "sqlstate", None)
    if isinstance(state, str) and state:
        return state
    diag = getattr(exc, "diag", None)
    return getattr(diag, "sqlstate", None)


def remote_error(
    exc: BaseException, *, where: str, password_ref: str | None = None, connection: str | None = None
) -> LakeloaderError:
    """One line naming the object, the cause and the fix, for a driver exception (never a password or URL)."""
    if isinstance(exc, LakeloaderError):
        return exc
    text = conn.driver_text(exc)
    found = _FATAL.search(text)
    cause = found.group(1).strip() if found else text
    lower = cause.lower()
    if "password authentication failed" in lower or "no password supplied" in lower:
        secret = f" (the secret {password_ref})" if password_ref else ""
        return TerminalError(f"{where}: {cause}; check the user and the password{secret}, then try again")
    if "certificate" in lower or "ssl" in lower:
        return TerminalError(
            f"{where}: TLS failed ({cause}); check --sslmode and that --sslrootcert is the server's CA"
        )
    if "read-only transaction" in lower:
        return TerminalError(
            f"{where}: the remote statement tried to write ({cause}); foreign catalogs are read-only: scans run in "
            "read-only transactions, so a view or function that writes cannot be read through them"
        )
    if _sqlstate(exc) in STALE_SQLSTATES or "does not exist" in lower:
        return StaleMetadataError(f"{where}: {cause}")
    if any(m in lower for m in _UNREACHABLE):
        alter = f"lakeloader connections alter {connection or 'NAME'} --host HOST --port PORT"
        return RetryableError(
            f"{where}: cannot reach the server ({cause}); start it, or if it moved point the connection there "
            f"({alter}), then run again"
        )
    if conn.is_connection_loss(exc):
        return RetryableError(f"{where}: connection lost ({cause}); check the server and the network, then run again")
    return TerminalError(f"{where}: {cause}; fix the query or the connection's options")


_UNREACHABLE = ("connection refused", "could not translate host name", "no route to host", "name or service not known")


def _params(opts: ConnectionOptions) -> dict[str, str]:
    return conn.session_params(opts)  # registers the password with the redactor


@contextlib.contextmanager
def control(
    opts: ConnectionOptions, *, where: str, password_ref: str | None = None, connection: str | None = None
) -> Iterator[Any]:
    """A psycopg connection inside one `BEGIN READ ONLY` transaction (rolled back at the end)."""
    import psycopg
    from psycopg.conninfo import make_conninfo

    try:
        con = psycopg.connect(make_conninfo("", **_params(opts)), autocommit=True, prepare_threshold=None)
    except Exception as exc:
        raise remote_error(exc, where=where, password_ref=password_ref, connection=connection) from None
    try:
        con.read_only = True
        with con.transaction(force_rollback=True):
            for statement in conn.setup_statements(opts, local=True):
                con.execute(statement)
            yield con
    except LakeloaderError:
        raise
    except Exception as exc:
        raise remote_error(exc, where=where, password_ref=password_ref, connection=connection) from None
    finally:
        with contextlib.suppress(Exception):
            con.close()


def _key(uri: str) -> str:
    return hashlib.sha256(uri.encode()).hexdigest()


def _database(uri: str) -> Any:
    import adbc_driver_postgresql

    with _databases_lock:
        database = _databases.get(_key(uri))
        if database is None:
            database = adbc_driver_postgresql.connect(uri)
            _databases[_key(uri)] = database
        return database


def _acquire(uri: str) -> tuple[Any, bool]:
    """(connection, is it new): an idle one of this process when there is one."""
    global _idle, _idle_pid
    import adbc_driver_manager

    with _databases_lock:
        if _idle_pid != os.getpid():
            _idle, _idle_pid = {}, os.getpid()
        pool = _idle.get(_key(uri))
        if pool:
            return pool.pop(), False
    return adbc_driver_manager.AdbcConnection(_database(uri)), True


def _release(uri: str, con: Any) -> None:
    with _databases_lock:
        pool = _idle.setdefault(_key(uri), [])
        if _idle_pid == os.getpid() and len(pool) < MAX_IDLE:
            pool.append(con)
            return
    with contextlib.suppress(Exception):
        con.close()


class ScanSession:
    """One ADBC connection in one `REPEATABLE READ, READ ONLY` transaction: every scan of a query sees one snapshot."""

    def __init__(
        self, opts: ConnectionOptions, *, where: str, password_ref: str | None = None, connection: str | None = None
    ) -> None:
        self.where, self._password_ref, self._connection = where, password_ref, connection
        self._uri = conn.libpq_uri(_params(opts))
        for attempt in range(2):
            try:
                self._con, fresh = _acquire(self._uri)
            except Exception as exc:
                raise remote_error(exc, where=where, password_ref=password_ref, connection=connection) from None
            try:
                self._con.set_autocommit(False)  # the driver opens the transaction: BEGIN before the first statement
                self._execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
                for statement in conn.setup_statements(opts, local=True):
                    self._execute(statement)
                return
            except BaseException as exc:
                self.close(reuse=False)
                if not isinstance(exc, Exception):
                    raise
                if fresh or attempt:  # an idle connection may have died meanwhile: one retry with a new one
                    raise remote_error(exc, where=where, password_ref=password_ref, connection=connection) from None

    def _execute(self, sql: str) -> None:
        conn.execute_update(self._con, sql)

    def fetch(self, sql: str, params: Sequence[str], *, where: str | None = None) -> pa.Table:
        """The rows of `sql` with `$1..$n` bound to `params` (text, cast in the SQL), as one Arrow table."""
        import adbc_driver_manager
        import pyarrow as pa

        statement = adbc_driver_manager.AdbcStatement(self._con)
        try:
            statement.set_sql_query(sql)
            if params:
                values = [pa.array([p], pa.string()) for p in params]
                statement.bind(pa.record_batch(values, names=[f"p{i}" for i in range(len(values))]))
            handle, _ = statement.execute_query()
            return pa.RecordBatchReader._import_from_c(handle.address).read_all()
        except Exception as exc:
            raise remote_error(
                exc, where=where or self.where, password_ref=self._password_ref, connection=self._connection
            ) from None
        finally:
            statement.close()

    def close(self, *, reuse: bool = True) -> None:
        """Roll back; the connection goes back to the idle ones (or is closed when it failed)."""
        try:
            self._con.rollback()
        except Exception:  # a lost session has nothing to roll back, and is not kept
            reuse = False
        if reuse:
            _release(self._uri, self._con)
        else:
            with contextlib.suppress(Exception):
                self._con.close()
