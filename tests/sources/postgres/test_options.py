"""Options: connection parts, URI quoting, durations, redaction of passwords in repr and errors."""

from __future__ import annotations

from datetime import timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st
from psycopg.conninfo import conninfo_to_dict

from lakeloader.errors import ConfigError
from lakeloader.secrets.redact import redact
from lakeloader.sources.postgres import ConnectionOptions, PostgresSourceOptions
from lakeloader.sources.postgres.connection import libpq_uri, server_label, session_params
from lakeloader.sources.postgres.options import parse_duration


def test_password_never_in_repr_and_redacted_once_seen() -> None:
    opts = PostgresSourceOptions(connection=ConnectionOptions(url="postgresql://u:Sekret-771@h:6543/db"), table="a.b")
    assert "Sekret-771" not in repr(opts)
    assert redact("login Sekret-771 failed") == "login [REDACTED] failed"
    assert server_label(opts.connection) == "h:6543/db"


def test_fields_win_over_url_parts() -> None:
    c = ConnectionOptions(url="postgresql://u@h:1/db?sslmode=require", port=2, database="other", sslmode="disable")
    params = session_params(c)
    assert (params["host"], params["port"], params["dbname"], params["sslmode"]) == ("h", "2", "other", "disable")


@given(st.text(alphabet=st.characters(blacklist_categories=["Cs", "Cc"]), min_size=1, max_size=30))
def test_uri_round_trips_any_password(password: str) -> None:
    params = {"host": "db", "port": "5432", "dbname": "d b", "user": "u@x", "password": password}
    params["sslrootcert"] = "/Volumes/a b/ca+1.pem"  # '+' and spaces: libpq decodes %20, never '+'
    assert conninfo_to_dict(libpq_uri(params)) == params  # as libpq itself (the ADBC driver's) reads it


def test_durations() -> None:
    assert parse_duration("10m", option="lookback") == timedelta(minutes=10)
    assert parse_duration("1.5h", option="lookback") == timedelta(minutes=90)
    assert parse_duration(30, option="lookback") == timedelta(seconds=30)
    with pytest.raises(ConfigError, match="lookback: 'ten minutes' is not a duration"):
        parse_duration("ten minutes", option="lookback")


def test_option_rules() -> None:
    conn = ConnectionOptions(url="postgresql://u@h/db")
    with pytest.raises(ConfigError, match="exactly one of table"):
        PostgresSourceOptions(connection=conn)
    with pytest.raises(ConfigError, match="verify-full needs sslrootcert"):
        ConnectionOptions(url="postgresql://u@h/db", sslmode="verify-full")
    with pytest.raises(ConfigError, match="a query is split only by a column"):
        PostgresSourceOptions(connection=conn, query="SELECT 1", num_partitions=4)
    with pytest.raises(ConfigError, match="overwrite is for mode full"):
        PostgresSourceOptions(connection=conn, table="a.b", mode="merge", primary_key=["id"], write_mode="overwrite")
