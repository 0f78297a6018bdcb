"""Connections: stored with the password as a secret reference only, tested against the real server."""

from __future__ import annotations

import pytest

from lakeloader.errors import ConfigError, LakeloaderError, NotFoundError, TerminalError
from lakeloader.federation import connections as c
from lakeloader.federation.probe import test_connection
from lakeloader.secrets.redact import is_registered

from .conftest import SECRET, Fed


def test_a_connection_round_trips_with_its_reference(fed: Fed) -> None:
    stored = c.get_connection(fed.lakehouse, "PG")
    assert stored.password == SECRET and stored.host == "127.0.0.1" and stored.port == fed.remote.port
    assert [x.name for x in c.list_connections(fed.lakehouse)] == ["pg"]
    assert stored.to_dict()["password"] == SECRET
    with pytest.raises(TerminalError, match="already exists"):
        fed.connect()
    assert fed.connect(if_not_exists=True).name == "pg"


def test_a_plain_password_is_refused_in_one_line_naming_the_fix(fed: Fed) -> None:
    with pytest.raises(ConfigError) as caught:
        fed.connect("other", password="hunter2-plain-value")
    message = str(caught.value)
    assert "\n" not in message and "lakeloader secrets put-secret" in message and "{{secrets/" in message
    assert "hunter2-plain-value" not in message and is_registered("hunter2-plain-value")
    assert c.get_connection(fed.lakehouse, "pg")  # nothing else changed
    with pytest.raises(NotFoundError):
        c.get_connection(fed.lakehouse, "other")


@pytest.mark.parametrize(
    ("options", "fragment"),
    [
        ({"sslmode": "verify-full"}, "--sslrootcert"),
        ({"sslrootcert": "/nonexistent/ca.pem", "sslmode": "verify-full"}, "is not a file"),
        ({"port": 0}, "port"),
        ({"host": "user@host"}, "host"),
        ({"pooler": "statement"}, "pooler"),
        ({"type": "mysql"}, "type"),
    ],
)
def test_bad_options_are_one_line(fed: Fed, options: dict[str, object], fragment: str) -> None:
    with pytest.raises(LakeloaderError) as caught:
        fed.connect("bad", **options)
    assert fragment in str(caught.value) and "\n" not in str(caught.value)


def test_test_connection_reports_version_and_latency(fed: Fed) -> None:
    result = test_connection(fed.lakehouse, "pg")
    assert result["server_version"].startswith("18") and result["user"] == fed.remote.user
    assert result["round_trip_ms"] > 0 and result["connect_ms"] > 0 and result["tls"] is False
    assert fed.remote.password not in str(result)


def test_a_wrong_password_is_one_clear_line(fed: Fed) -> None:
    from lakeloader.secrets import SecretStore

    SecretStore(fed.lakehouse.root).put_secret("fed", "wrong", "not-the-password-123")
    fed.connect("wrong", password="{{secrets/fed/wrong}}")
    with pytest.raises(TerminalError) as caught:
        test_connection(fed.lakehouse, "wrong")
    message = str(caught.value)
    assert "password authentication failed" in message and "{{secrets/fed/wrong}}" in message
    assert "not-the-password-123" not in message and "\n" not in message


def test_drop_is_refused_while_a_catalog_uses_it(fed: Fed) -> None:
    fed.catalog()
    with pytest.raises(TerminalError, match="foreign-catalogs drop supabase_data"):
        c.drop_connection(fed.lakehouse, "pg")
    from lakeloader.federation.catalogs import drop_foreign_catalog

    drop_foreign_catalog(fed.lakehouse, "supabase_data")
    c.drop_connection(fed.lakehouse, "pg")
    assert c.list_connections(fed.lakehouse) == []


def test_the_metastore_holds_the_reference_never_the_password(fed: Fed) -> None:
    fed.remote.run("CREATE TABLE public.t AS SELECT 1 AS id")
    fed.catalog()
    assert fed.query("SELECT id FROM supabase_data.public.t").to_pylist() == [{"id": 1}]
    raw = b"".join(p.read_bytes() for p in fed.lakehouse.state_dir.glob("metastore.db*"))
    assert fed.remote.password.encode() not in raw
    assert SECRET.encode() in raw


def test_a_server_that_moved_is_followed_after_alter(fed: Fed) -> None:
    """The remote restarted on another port: queries fail in one line until `connections alter` points there."""
    from lakeloader.embedded.server import free_port

    fed.remote.run("CREATE TABLE public.v (id int); INSERT INTO public.v VALUES (1), (2)")
    fed.catalog()
    lh, right = fed.lakehouse, fed.remote.port
    c.alter_connection(lh, "pg", port=free_port())  # nothing listens there: the server "moved" away
    with pytest.raises(LakeloaderError) as caught:
        fed.query("SELECT count(*) AS n FROM supabase_data.public.v")
    message = str(caught.value)
    assert "\n" not in message and "cannot reach the server" in message
    assert "lakeloader connections alter pg --host HOST --port PORT" in message
    done = fed.cli("connections", "alter", "pg", "--port", str(right))
    assert f"127.0.0.1:{right}" in done.stdout
    assert fed.query("SELECT count(*) AS n FROM supabase_data.public.v").to_pylist() == [{"n": 2}]
    kept = c.get_connection(lh, "pg")
    assert (kept.user, kept.database, kept.password) == (fed.remote.user, fed.remote.database, SECRET)
    refused = fed.cli("connections", "alter", "pg", "--password", "plain-text-pw", check=False)
    assert refused.returncode != 0 and "plain" in refused.stderr and "plain-text-pw" not in refused.stderr
    nothing = fed.cli("connections", "alter", "pg", check=False)
    assert nothing.returncode != 0 and "nothing to change" in nothing.stderr
