"""`lakeloader bootstrap providers-claims`: objects, raw files, the Postgres seed; idempotent; clear errors."""

from __future__ import annotations

import json
import logging
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import quote, quote_plus

import psycopg
import pytest

from lakeloader.embedded import instance
from lakeloader.embedded.bootstrap import bootstrap_providers_claims, providers_ddl, wait_for_postgres
from lakeloader.embedded.server import free_port
from lakeloader.errors import NotFoundError, RetryableError
from lakeloader.lakehouse.root import Lakehouse
from tests.embedded.conftest import REFERENCE, cli

Start = Callable[..., instance.Started]


def test_providers_table_is_typed_with_npi_key() -> None:
    ddl = providers_ddl()
    assert '"npi" text PRIMARY KEY' in ddl and '"enumeration_date" date NOT NULL' in ddl
    assert '"last_updated" timestamptz NOT NULL' in ddl and '"is_active" boolean NOT NULL' in ddl
    assert '"first_name" text,' in ddl


def test_missing_files_without_generate_is_one_line_exit_1(root: Path) -> None:
    url = f"postgresql://postgres@127.0.0.1:{free_port()}/postgres"
    out = cli(root, "bootstrap", "providers-claims", "--source-url", url, check=False)
    assert out.returncode == 1 and "Traceback" not in out.stderr
    assert out.stderr.strip().count("\n") == 0, out.stderr
    assert "/Volumes/kardia/landing/raw/providers_10.csv" in out.stderr and "claims_10.avro" in out.stderr
    assert "--generate" in out.stderr


def test_no_server_and_no_source_url_is_a_clear_error(root: Path) -> None:
    with pytest.raises(NotFoundError, match="lakeloader postgres start"):
        bootstrap_providers_claims(root=root, generate=True)


def test_refused_connections_time_out_with_a_clear_error() -> None:
    with pytest.raises(RetryableError, match=r"did not accept connections within 0.3s.*raise --timeout"):
        wait_for_postgres(f"postgresql://postgres@127.0.0.1:{free_port()}/postgres", timeout=0.3)


def test_bootstrap_against_a_source_url_is_idempotent(root: Path, pg_url: str) -> None:
    first = bootstrap_providers_claims(root=root, generate=True, source_url=pg_url)
    assert first.generated == ["providers_10.csv", "claims_10.avro"] and first.claims_copied
    assert (first.rows_inserted, first.rows_in_table) == (10, 10)
    lakehouse = Lakehouse(root)
    assert lakehouse.current_catalog == "kardia"
    assert {s.name for s in lakehouse.list_schemas("kardia")} >= {"landing", "kardia_bronze"}
    raw = lakehouse.resolve_path("/Volumes/kardia/landing/raw")
    watched = raw / "claims" / "claims_10.avro"
    assert watched.read_bytes() == (raw / "claims_10.avro").read_bytes()
    mtime = watched.stat().st_mtime_ns
    second = bootstrap_providers_claims(root=root, generate=True, source_url=pg_url)
    assert second.generated == [] and not second.claims_copied and watched.stat().st_mtime_ns == mtime
    assert (second.rows_inserted, second.rows_in_table) == (0, 10)
    with psycopg.connect(pg_url) as con:
        key = con.execute(
            "SELECT a.attname FROM pg_index i JOIN pg_attribute a ON a.attrelid = i.indrelid "
            "AND a.attnum = ANY(i.indkey) WHERE i.indrelid = 'public.providers'::regclass AND i.indisprimary"
        ).fetchall()
        assert key == [("npi",)]
        npis = {row[0] for row in con.execute("SELECT npi FROM public.providers")}
    assert len(npis) == 10 and all(len(npi) == 10 for npi in npis)


@pytest.mark.slow
def test_bootstrap_end_to_end_with_the_embedded_server(root: Path, password: str, postgres: Start) -> None:
    cli(root, "postgres", "start", "--ephemeral", "--tls", "--password", REFERENCE)
    first = cli(root, "bootstrap", "providers-claims", "--generate")
    assert "10 rows inserted" in first.stdout and password not in first.stdout + first.stderr
    again = json.loads(cli(root, "bootstrap", "providers-claims", "--json").stdout)
    assert again["rows_inserted"] == 0 and again["rows_in_table"] == 10 and again["generated"] == []
    with psycopg.connect(instance.connection_url(root=root, reveal=True)) as con:
        assert con.execute("SELECT count(*) FROM public.providers").fetchone() == (10,)
    cli(root, "postgres", "stop")


def test_a_secret_in_source_url_is_encoded_and_never_printed(root: Path, pg_url: str, pg_server: Any) -> None:
    from psycopg import sql

    from lakeloader.secrets import SecretStore

    secret = "P@ss:W/rd%41+Z"
    store = SecretStore(root)
    store.create_scope("s", if_not_exists=True)
    store.put_secret("s", "pw", secret)
    name = "r_" + uuid.uuid4().hex[:10]
    database = pg_url.rsplit("/", 1)[1]
    with psycopg.connect(pg_url, autocommit=True) as con:
        con.execute(sql.SQL("CREATE ROLE {} LOGIN PASSWORD {}").format(sql.Identifier(name), secret))
        con.execute(sql.SQL("ALTER DATABASE {} OWNER TO {}").format(sql.Identifier(database), sql.Identifier(name)))
    try:
        url = f"postgresql://{name}:{{{{secrets/s/pw}}}}@127.0.0.1:{pg_server.port}/{database}"
        result = bootstrap_providers_claims(root=root, generate=True, source_url=url)
        assert result.rows_in_table == 10  # the password reached the server intact
        pieces = {f[i : i + 4] for f in (secret, quote(secret, safe=""), quote_plus(secret)) for i in range(len(f) - 3)}
        down = url.replace(f":{pg_server.port}/", f":{free_port()}/")
        for debug in ([], ["--debug"]):
            out = cli(
                root, *debug, "bootstrap", "providers-claims", "--source-url", down, "--timeout", "0.3", check=False
            )
            assert out.returncode == 1 and "127.0.0.1:" in out.stderr
            assert [p for p in pieces if p in out.stdout + out.stderr] == []
    finally:
        with psycopg.connect(pg_url, autocommit=True) as con:  # DROP OWNED works in the role's database
            con.execute(sql.SQL("ALTER DATABASE {} OWNER TO postgres").format(sql.Identifier(database)))
            con.execute(sql.SQL("DROP OWNED BY {} CASCADE").format(sql.Identifier(name)))
            con.execute(sql.SQL("DROP ROLE {}").format(sql.Identifier(name)))


def test_a_malformed_or_weak_source_url_is_one_line(root: Path, caplog: pytest.LogCaptureFixture) -> None:
    for url in ("postgresql://u:Sekret-42@127.0.0.1:99999/db", "postgresql://u:Sekret-42@[::1/db"):
        out = cli(root, "bootstrap", "providers-claims", "--source-url", url, check=False)
        assert out.returncode == 1 and out.stderr.startswith("error: bootstrap --source-url:")
        assert out.stderr.strip().count("\n") == 0 and "Sekret" not in out.stderr
    with caplog.at_level(logging.WARNING), pytest.raises(RetryableError):
        wait_url = f"postgresql://u:tiny@127.0.0.1:{free_port()}/db"
        bootstrap_providers_claims(root=root, generate=True, source_url=wait_url, timeout=0.3)
    assert [r for r in caplog.records if "fewer than 8 characters" in r.getMessage()]
