"""TLS: a connection with sslmode=verify-full to a server behind TLS (the embedded server's TLS front, its own CA);
another CA, or no TLS, is one clear line."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest

from lakeloader.embedded import instance
from lakeloader.errors import TerminalError
from lakeloader.federation.probe import test_connection
from lakeloader.lakehouse.root import Lakehouse

from .conftest import Fed, Remote

pytestmark = pytest.mark.slow


@pytest.fixture
def tls_remote(lakehouse: Lakehouse) -> Iterator[tuple[Remote, str]]:
    superuser_password = "pw-" + uuid.uuid4().hex[:12]
    started = instance.start(root=lakehouse.root, password=superuser_password, tls=True)
    state = started.state
    assert state.ca_file
    user, password, database = "fed_tls", "pw-" + uuid.uuid4().hex, "fed_tls"
    url = f"postgresql://postgres@{state.host}:{state.port}/postgres"
    with psycopg.connect(
        url, password=superuser_password, sslmode="verify-full", sslrootcert=state.ca_file, autocommit=True
    ) as con:
        con.execute(f"CREATE ROLE {user} LOGIN PASSWORD '{password}'")
        con.execute(f"CREATE DATABASE {database} OWNER {user}")
    with psycopg.connect(
        f"postgresql://{user}@{state.host}:{state.port}/{database}",
        password=password,
        sslmode="verify-full",
        sslrootcert=state.ca_file,
        autocommit=True,
    ) as con:
        con.execute("CREATE TABLE public.secure AS SELECT i AS id FROM generate_series(1, 100) i")
    try:
        yield Remote(state.server(), database, user, password), state.ca_file
    finally:
        instance.stop(root=lakehouse.root)


def test_verify_full(tls_remote: tuple[Remote, str], lakehouse: Lakehouse, tmp_path: Path) -> None:
    from lakeloader.embedded.tls import create_certificates
    from lakeloader.secrets import SecretStore

    remote, ca_file = tls_remote
    store = SecretStore(lakehouse.root)
    store.create_scope("fed")
    store.put_secret("fed", "pg_pw", remote.password)
    fed = Fed(lakehouse, remote)
    fed.connect("secure", sslmode="verify-full", sslrootcert=ca_file)
    result = test_connection(lakehouse, "secure")
    assert result["tls"] is True and result["sslmode"] == "verify-full"
    fed.catalog("secure_data", connection="secure")
    assert fed.query("SELECT count(*) AS n FROM secure_data.public.secure WHERE id > 90").to_pylist() == [{"n": 10}]

    other = create_certificates(tmp_path / "other-ca")
    fed.connect("impostor", sslmode="verify-full", sslrootcert=str(other.ca_file))
    with pytest.raises(TerminalError) as caught:
        test_connection(lakehouse, "impostor")
    assert "TLS failed" in str(caught.value) and "certificate" in str(caught.value) and "\n" not in str(caught.value)
    fed.connect("plain", sslmode="disable")
    with pytest.raises(TerminalError) as plain:
        test_connection(lakehouse, "plain")
    assert "\n" not in str(plain.value) and remote.password not in str(plain.value)
