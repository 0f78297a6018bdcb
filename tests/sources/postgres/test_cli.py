"""`lakeloader ingest postgres` as a user runs it: summary line, JSON, one-line errors, no password anywhere."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from urllib.parse import quote, quote_plus

import pytest

from lakeloader.embedded.server import EmbeddedPostgres, free_port
from lakeloader.lakehouse.root import Lakehouse

from .conftest import delta_table, sql


def _cli(root: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "LAKELOADER_ROOT": str(root)}
    return subprocess.run(
        [sys.executable, "-m", "lakeloader.cli", *args], capture_output=True, text=True, env=env, timeout=120
    )


@pytest.mark.slow
def test_cli_ingest_summary_json_and_errors(pg_url: str, pg_server: EmbeddedPostgres, house: Lakehouse) -> None:
    sql(pg_url, "CREATE TABLE public.providers AS SELECT i AS id, now() AS updated_at FROM generate_series(1, 500) i")
    from lakeloader.secrets import SecretStore

    assert pg_server.password
    store = SecretStore(house.root)
    store.create_scope("kardia", if_not_exists=True)
    store.put_secret("kardia", "pg_pw", pg_server.password)
    url = pg_url.replace(f":{pg_server.password}@", "@")
    base = [
        "ingest",
        "postgres",
        "--source-url",
        url,
        "--password",
        "{{secrets/kardia/pg_pw}}",
        "--table",
        "public.providers",
    ]
    done = _cli(house.root, *base, "--target", "bronze.bronze_providers")
    assert done.returncode == 0, done.stderr
    assert "main.bronze.bronze_providers: 500 rows" in done.stdout and "table version 1" in done.stdout
    done = _cli(
        house.root, *base, "--target", "bronze.inc", "--mode", "incremental", "--cursor", "updated_at",
        "--primary-key", "id", "--lookback", "10m", "--partition-column", "id", "--num-partitions", "2", "--json",
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["rows"] == 500
    bad = _cli(house.root, *base, "--target", "bronze.x", "--mode", "incremental")
    assert bad.returncode == 1
    assert bad.stderr.startswith("error: ") and len(bad.stderr.strip().splitlines()) == 1
    wrong = pg_url.replace("@", "zz@", 1)
    bad = _cli(
        house.root, "ingest", "postgres", "--source-url", wrong, "--table", "public.providers", "--target", "bronze.y"
    )
    assert bad.returncode == 1 and "password authentication failed" in bad.stderr
    assert bad.stderr.startswith("warning: a plain password lands in your shell history")
    for text in (done.stdout, done.stderr, bad.stdout, bad.stderr):
        assert pg_server.password not in text


def _one_line_error(done: subprocess.CompletedProcess[str]) -> str:
    assert done.returncode == 1, (done.returncode, done.stderr)
    errors = [line for line in done.stderr.splitlines() if line.startswith("error: ")]
    assert len(errors) == 1 and "internal error" not in done.stderr and "Traceback" not in done.stderr
    return errors[0]


@pytest.mark.slow
def test_cli_drop_then_run_reloads_and_audit_columns_can_be_renamed(pg_url: str, house: Lakehouse) -> None:
    sql(pg_url, "CREATE TABLE public.c (id int PRIMARY KEY, _source text)")
    sql(pg_url, "INSERT INTO public.c VALUES (1, 'crm'), (2, 'erp'), (3, NULL)")
    base = ["ingest", "postgres", "--source-url", pg_url, "--table", "public.c", "--target", "bronze.c",
            "--mode", "incremental", "--cursor", "id"]  # fmt: skip
    clash = _one_line_error(_cli(house.root, *base))
    assert "--audit-column source=" in clash
    renamed = [*base, "--audit-column", "source=_pg_source", "--audit-column", "batch_id="]
    first = _cli(house.root, *renamed)
    assert first.returncode == 0, first.stderr
    assert "3 rows" in first.stdout and "table version 1" in first.stdout
    dropped = _cli(house.root, "tables", "drop", "bronze.c")
    assert dropped.returncode == 0, dropped.stderr
    again = _cli(house.root, *renamed)  # the stream's state went with the table: everything again
    assert again.returncode == 0, again.stderr
    assert "3 rows" in again.stdout and "None" not in again.stdout
    bad = _cli(house.root, *base, "--audit-column", "nope=x")
    assert bad.returncode == 2 and "KIND=NAME" in bad.stderr and "Traceback" not in bad.stderr  # a usage error
    rows = delta_table(house, "bronze.c").sort_by("id").select(["_source", "_pg_source"]).to_pylist()
    assert [r["_source"] for r in rows] == ["crm", "erp", None] and rows[0]["_pg_source"].endswith("/public.c")


@pytest.mark.slow
def test_cli_sql_json_is_valid_json_with_nan_infinity_and_infinite_dates(pg_url: str, house: Lakehouse) -> None:
    sql(pg_url, "CREATE TABLE public.f (id int, x float8, d date[])")
    sql(pg_url, "INSERT INTO public.f VALUES (1, 'NaN', '{infinity}'), (2, 'Infinity', NULL), (3, '-Infinity', '{}')")
    done = _cli(house.root, "ingest", "postgres", "--source-url", pg_url, "--table", "public.f", "--target", "bronze.f")
    assert done.returncode == 0, done.stderr
    out = _cli(house.root, "sql", "SELECT id, x, d FROM bronze.f ORDER BY id", "--json")
    assert out.returncode == 0, out.stderr

    def strict(token: str) -> None:
        raise AssertionError(f"not JSON: {token}")

    rows = json.loads(out.stdout, parse_constant=strict)
    assert [r["x"] for r in rows] == ["NaN", "Infinity", "-Infinity"]  # as Spark's JSON writer quotes them
    assert rows[0]["d"] == ["9999-12-31"]  # a clamped infinity, readable (no OverflowError)


@pytest.mark.slow
def test_cli_connection_mistakes_are_one_line_and_never_show_the_password(
    pg_url: str, pg_server: EmbeddedPostgres, house: Lakehouse
) -> None:
    from lakeloader.secrets import SecretStore

    secret = "P@ss:W/rd%41+Z"
    store = SecretStore(house.root)
    store.create_scope("s", if_not_exists=True)
    store.put_secret("s", "pw", secret)
    forms = {secret, quote(secret, safe=""), quote(secret), quote_plus(secret)}
    pieces = {form[i : i + 5] for form in forms for i in range(len(form) - 4)}
    port = free_port()
    cases = [
        (f"postgresql://postgres:{{{{secrets/s/pw}}}}@127.0.0.1:{port}/db", "connection lost"),  # down: full mode
        ("postgresql://postgres:{{secrets/s/pw}}@127.0.0.1:99999/db", "port is not a number"),
        ("postgresql://postgres:{{secrets/s/pw}}@[::1/db", "IPv6 host address"),
    ]
    for i, (url, message) in enumerate(cases):
        for debug in ([], ["--debug"]) if i else ([],):  # a server that is down is retried for ~15 s: once
            done = _cli(house.root, *debug, "ingest", "postgres", "--source-url", url, "--table", "public.x",
                        "--target", "bronze.x")  # fmt: skip
            text = done.stdout + done.stderr
            if debug:
                assert done.returncode == 1 and message in text
            else:
                assert message in _one_line_error(done)
            assert [p for p in pieces if p in text] == [], url
    warned = _cli(house.root, "ingest", "postgres", "--source-url", f"postgresql://nobody:tiny@127.0.0.1:{pg_server.port}/db",
                  "--table", "public.x", "--target", "bronze.x")  # fmt: skip
    assert [line for line in warned.stderr.splitlines() if "fewer than 8 characters" in line]
    assert "tiny" not in warned.stderr
