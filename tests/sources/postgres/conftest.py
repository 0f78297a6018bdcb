"""Fixtures for the Postgres source: a lakehouse with schema main.bronze, helpers to run SQL, psql and read Delta."""

from __future__ import annotations

import contextlib
import os
import socket
import subprocess
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pyarrow as pa
import pytest

from lakeloader.embedded.server import EmbeddedPostgres
from lakeloader.lakehouse.root import Lakehouse
from lakeloader.sources.postgres import IngestSummary, ingest_postgres


@pytest.fixture
def house(lakehouse: Lakehouse) -> Lakehouse:
    lakehouse.create_catalog("main", if_not_exists=True)
    lakehouse.create_schema("main.bronze", if_not_exists=True)
    return lakehouse


def sql(url: str, statement: str, params: Any = None) -> list[tuple[Any, ...]]:
    """Run one statement in autocommit; return its rows (if any)."""
    import psycopg

    with psycopg.connect(url, autocommit=True) as con:
        cur = con.execute(statement, params)
        return list(cur.fetchall()) if cur.description else []


def psql(url: str, query: str) -> list[list[str | None]]:
    """What psql prints for `query` (text form, UTC), one list per row; NULL as None."""
    out = subprocess.run(
        ["psql", url, "-X", "-A", "-t", "-F", "\x1f", "-R", "\x1e", "-P", "null=\x02NULL", "-c", query],
        capture_output=True,
        text=True,
        check=True,
        env={**os.environ, "PGTZ": "UTC"},
    ).stdout
    rows = [r for r in out.rstrip("\n").split("\x1e") if r != ""]
    return [[None if v == "\x02NULL" else v for v in r.split("\x1f")] for r in rows]


def delta_table(house: Lakehouse, name: str) -> pa.Table:
    from deltalake import DeltaTable

    return pa.table(DeltaTable(str(house.table(name).location)).to_pyarrow_table())


@pytest.fixture
def ingest(house: Lakehouse, pg_url: str, tmp_path: Path) -> Callable[..., IngestSummary]:
    """ingest(target='bronze.t', table='public.t', **options) against the test database."""

    def run(target: str = "bronze.t", **options: Any) -> IngestSummary:
        options.setdefault("source_url", pg_url)
        options.setdefault("checkpoint", tmp_path / "cp" / target)
        return ingest_postgres(target, lakehouse=house, **options)

    return run


class Proxy:
    """A TCP forwarder on 127.0.0.1 in front of the test server: the server seen on another port, or gone.

    `stop()` closes the listener and every forwarded connection (the server is unreachable, sessions drop);
    `start()` listens again on the same port.
    """

    def __init__(self, target_port: int) -> None:
        from lakeloader.embedded.server import free_port

        self.target_port = target_port
        self.port = free_port()
        self._listener: Any = None
        self._sockets: list[Any] = []
        self._lock = threading.Lock()

    def start(self) -> Proxy:
        listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind(("127.0.0.1", self.port))
        listener.listen(16)
        self._listener = listener
        threading.Thread(target=self._accept, args=(listener,), daemon=True).start()
        return self

    def _accept(self, listener: socket.socket) -> None:
        while True:
            try:
                client, _ = listener.accept()
            except OSError:
                return
            try:
                server = socket.create_connection(("127.0.0.1", self.target_port))
            except OSError:
                client.close()
                continue
            with self._lock:
                self._sockets += [client, server]
            for a, b in ((client, server), (server, client)):
                threading.Thread(target=self._pipe, args=(a, b), daemon=True).start()

    @staticmethod
    def _pipe(src: socket.socket, dst: socket.socket) -> None:
        try:
            while data := src.recv(65536):
                dst.sendall(data)
        except OSError:
            pass
        finally:
            for s in (src, dst):
                with contextlib.suppress(OSError):
                    s.shutdown(socket.SHUT_RDWR)

    def stop(self) -> None:
        if self._listener is not None:
            with contextlib.suppress(OSError):  # wakes the accepting thread (a close alone would not, on Linux)
                self._listener.shutdown(socket.SHUT_RDWR)
            self._listener.close()
            self._listener = None
        with self._lock:
            sockets, self._sockets = self._sockets, []
        for s in sockets:
            with contextlib.suppress(OSError):
                s.shutdown(socket.SHUT_RDWR)
            s.close()

    def url(self, url: str) -> str:
        """`url` (of the test server) through this proxy."""
        return url.replace(f":{self.target_port}/", f":{self.port}/")


@pytest.fixture
def proxy(pg_server: EmbeddedPostgres) -> Iterator[Proxy]:
    forwarder = Proxy(pg_server.port).start()
    try:
        yield forwarder
    finally:
        forwarder.stop()
