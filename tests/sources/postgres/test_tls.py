"""TLS: ingest through the embedded server's TLS front with sslmode=verify-full; a wrong CA or plaintext fails."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest

from lakeloader.embedded import instance
from lakeloader.errors import TerminalError
from lakeloader.lakehouse.root import Lakehouse
from lakeloader.sources.postgres import ingest_postgres

from .conftest import delta_table

pytestmark = pytest.mark.slow


@pytest.fixture
def tls_server(house: Lakehouse) -> Iterator[tuple[instance.PostgresState, str]]:
    password = "pw-" + uuid.uuid4().hex[:12]
    started = instance.start(root=house.root, password=password, tls=True)
    try:
        yield started.state, password
    finally:
        instance.stop(root=house.root)


def test_verify_full_ingest(tls_server: tuple[instance.PostgresState, str], house: Lakehouse, tmp_path: Path) -> None:
    state, password = tls_server
    assert state.ca_file
    url = f"postgresql://postgres@{state.host}:{state.port}/postgres"
    with psycopg.connect(
        url, password=password, sslmode="verify-full", sslrootcert=state.ca_file, autocommit=True
    ) as con:
        assert con.pgconn.ssl_in_use  # TLS ends at the proxy, so pg_stat_ssl cannot tell
        con.execute("CREATE TABLE public.secure AS SELECT i AS id FROM generate_series(1, 1000) i")
    common = {"lakehouse": house, "source_url": url, "password": password, "table": "public.secure"}
    summary = ingest_postgres("bronze.secure", sslmode="verify-full", sslrootcert=state.ca_file, **common)
    assert summary.rows == 1000
    assert sorted(delta_table(house, "bronze.secure").column("id").to_pylist()) == list(range(1, 1001))

    from lakeloader.embedded.tls import create_certificates

    other = create_certificates(tmp_path / "other-ca")
    with pytest.raises(TerminalError, match="certificate"):
        ingest_postgres("bronze.other", sslmode="verify-full", sslrootcert=str(other.ca_file), retries=2, **common)
    with pytest.raises(TerminalError):
        ingest_postgres("bronze.plain", sslmode="disable", retries=2, **common)
