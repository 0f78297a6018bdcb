"""Connection URLs as libpq (and psql) read them: every parameter honoured, a bad one refused by name, a bad
port or IPv6 host in one line, and a password in any form (inline with '#', percent-encoded, from a secret
scope) never printed."""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable, Iterator
from urllib.parse import quote, quote_plus

import pytest

from lakeloader.embedded.server import EmbeddedPostgres, free_port
from lakeloader.errors import ConfigError, LakeloaderError, RetryableError, TerminalError
from lakeloader.lakehouse.root import Lakehouse
from lakeloader.secrets.redact import redact
from lakeloader.sources.postgres import ConnectionOptions, IngestSummary
from lakeloader.sources.postgres.connection import libpq_uri, session_params

from .conftest import delta_table, sql

SPECIAL = "P@ss:W/rd%41+Z#?&= x"  # every character a URL treats specially


def _forms(secret: str) -> list[str]:
    """The secret and what an attacker could learn from a message: its forms, and long enough pieces."""
    forms = {secret, quote(secret, safe=""), quote(secret), quote_plus(secret), quote(secret, safe="").lower()}
    return sorted({form[i : i + 5] for form in forms for i in range(len(form) - 4)})


@pytest.fixture
def role(pg_url: str, pg_server: EmbeddedPostgres) -> Iterator[Callable[[str], str]]:
    """role(password) → a URL prefix 'postgresql://<new role>:' owning the test database, dropped afterwards."""
    made: list[str] = []
    database = pg_url.rsplit("/", 1)[1]

    def make(password: str) -> str:
        name = "r_" + uuid.uuid4().hex[:10]
        from psycopg import sql as pgsql

        statement = pgsql.SQL("CREATE ROLE {} LOGIN PASSWORD {}").format(pgsql.Identifier(name), password)
        sql(pg_url, statement)  # type: ignore[arg-type]
        sql(pg_url, f'ALTER DATABASE "{database}" OWNER TO {name}; GRANT pg_read_all_data TO {name}')
        made.append(name)
        return name

    yield make
    for name in made:  # DROP OWNED works in the role's database
        sql(pg_url, f'ALTER DATABASE "{database}" OWNER TO postgres; DROP OWNED BY {name} CASCADE; DROP ROLE {name}')


def test_url_parameters_reach_every_session(
    pg_url: str, house: Lakehouse, ingest: Callable[..., IngestSummary]
) -> None:
    sql(pg_url, "CREATE SCHEMA app; CREATE TABLE app.only_here AS SELECT generate_series(1, 10) AS id")
    sql(pg_url, "CREATE TABLE public.only_here AS SELECT generate_series(1, 3) AS id")
    url = pg_url + "?options=-csearch_path%3Dapp&application_name=from-url&connect_timeout=3"
    assert ingest(target="bronze.a", table="only_here", source_url=url).rows == 10  # app.only_here, as psql reads
    ingest(target="bronze.b", table="only_here", source_url=url, mode="incremental", cursor="id")
    assert sorted(delta_table(house, "bronze.b").column("id").to_pylist()) == list(range(1, 11))
    query = "SELECT current_setting('application_name') AS app, current_setting('search_path') AS path"
    ingest(target="bronze.c", query=query, source_url=url)
    assert delta_table(house, "bronze.c").select(["app", "path"]).to_pylist() == [{"app": "from-url", "path": "app"}]
    params = session_params(ConnectionOptions(url=url))
    assert params["connect_timeout"] == "3" and params["options"] == "-csearch_path=app"
    assert session_params(ConnectionOptions(url=url, application_name="field"))["application_name"] == "field"
    with pytest.raises(TerminalError, match="hot standby") as info:  # honoured, not dropped: this is a primary
        ingest(target="bronze.d", table="public.only_here", source_url=pg_url + "?target_session_attrs=standby")
    assert not isinstance(info.value, RetryableError)


def test_unknown_or_unsupported_parameters_are_refused_by_name(pg_url: str) -> None:
    with pytest.raises(ConfigError, match=r'invalid URI query parameter: "sslmod"'):
        ConnectionOptions(url=pg_url + "?sslmod=require")
    with pytest.raises(ConfigError, match="URL parameter client_encoding is not supported"):
        ConnectionOptions(url=pg_url + "?client_encoding=LATIN1")
    with pytest.raises(ConfigError, match="URL parameter replication is not supported"):
        ConnectionOptions(url=pg_url + "?replication=database")


def test_the_init_statement_runs_for_planning_behind_a_pooler(
    pg_url: str, house: Lakehouse, ingest: Callable[..., IngestSummary]
) -> None:
    sql(pg_url, "CREATE SCHEMA app; CREATE TABLE app.only_here AS SELECT generate_series(1, 10) AS id")
    sql(pg_url, "CREATE TABLE public.only_here AS SELECT generate_series(1, 3) AS id")
    opts = {"table": "only_here", "mode": "incremental", "cursor": "id", "pooler_mode": True}
    summary = ingest(target="bronze.p", init_statement="SET search_path = app", **opts)
    assert summary.rows == 10  # the high-water mark came from app.only_here too, not public.only_here's 3
    assert sql(pg_url, "SELECT count(*) FROM pg_stat_activity WHERE application_name = 'lakeloader'") == [(0,)]


def test_an_inline_password_is_read_as_libpq_reads_it(
    pg_url: str,
    pg_server: EmbeddedPostgres,
    house: Lakehouse,
    ingest: Callable[..., IngestSummary],
    role: Callable[[str], str],
) -> None:
    sql(pg_url, "CREATE TABLE public.h AS SELECT 1 AS id")
    name = role("pa#ss-W0rd-long")
    url = f"postgresql://{name}:pa#ss-W0rd-long@127.0.0.1:{pg_server.port}/{pg_url.rsplit('/', 1)[1]}"
    assert ingest(target="bronze.h", table="public.h", source_url=url).rows == 1  # psql accepts the '#' too


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("postgresql://u:Sekret-42x@127.0.0.1:99999/db", "port is not a number from 1 to 65535"),
        ("postgresql://u:Sekret-42x@127.0.0.1:5x/db", "port is not a number from 1 to 65535"),
        ("postgresql://u:Sekret-42x@[::1/db", 'looking for matching "]" in IPv6 host address'),
        ("postgresql://u:Sekret@42x@127.0.0.1/db", r"host holds '@'"),
        ("postgresql://u:Sekret 42x@127.0.0.1/db", "not a valid libpq URL"),
    ],
)
def test_a_malformed_url_is_one_line_that_never_shows_the_password(url: str, message: str) -> None:
    with pytest.raises(ConfigError, match=message) as info:
        ConnectionOptions(url=url)
    text = str(info.value)
    assert "\n" not in text and "Sekret" not in text and "42x" not in text and "percent-encoded" in text


def test_a_password_from_a_scope_is_encoded_and_never_printed_in_any_form(
    pg_url: str,
    pg_server: EmbeddedPostgres,
    house: Lakehouse,
    ingest: Callable[..., IngestSummary],
    role: Callable[[str], str],
) -> None:
    from lakeloader.secrets import SecretStore

    store = SecretStore(house.root)
    store.create_scope("s", if_not_exists=True)
    store.put_secret("s", "pw", SPECIAL)
    name = role(SPECIAL)
    database = pg_url.rsplit("/", 1)[1]
    sql(pg_url, "CREATE TABLE public.e AS SELECT 1 AS id")
    url = f"postgresql://{name}:{{{{secrets/s/pw}}}}@127.0.0.1:{pg_server.port}/{database}"
    assert ingest(target="bronze.e", table="public.e", source_url=url).rows == 1
    down = url.replace(f":{pg_server.port}/", f":{free_port()}/")
    wrong = f"postgresql://{name}:{{{{secrets/s/pw}}}}x@127.0.0.1:{pg_server.port}/{database}"
    for bad in (down, wrong):
        with pytest.raises(LakeloaderError) as info:
            ingest(target="bronze.e2", table="public.e", source_url=bad, retries=0)
        text = str(info.value)
        assert "127.0.0.1:" in text  # the target is named, the password is not, in any form
        assert [piece for piece in _forms(SPECIAL) if piece in text] == []
    for form in (quote(SPECIAL, safe=""), quote_plus(SPECIAL), quote(SPECIAL)):
        assert SPECIAL not in redact(form) and redact(form) == "[REDACTED]"


def test_a_short_password_is_warned_about_in_one_line(
    pg_url: str, ingest: Callable[..., IngestSummary], caplog: pytest.LogCaptureFixture
) -> None:
    url = f"postgresql://u:tiny@127.0.0.1:{free_port()}/db"
    with caplog.at_level(logging.WARNING), pytest.raises(RetryableError):
        ingest(target="bronze.s", table="public.s", source_url=url, retries=0)
    warnings = [r.getMessage() for r in caplog.records if "fewer than 8 characters" in r.getMessage()]
    assert len(warnings) == 1 and "\n" not in warnings[0] and "tiny" not in warnings[0]


def test_the_adbc_uri_holds_every_parameter() -> None:
    from psycopg.conninfo import conninfo_to_dict

    params = session_params(ConnectionOptions(url="postgresql://u:pw%20x@h1:1,h2:2/db?target_session_attrs=any"))
    assert conninfo_to_dict(libpq_uri(params)) == params
    assert params["host"] == "h1,h2" and params["port"] == "1,2" and params["password"] == "pw x"
