"""`lakeloader postgres ...` as a user types it: detached server, redacted URLs, one-line errors."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import psycopg
import pytest

from lakeloader.embedded import instance
from tests.embedded.conftest import REFERENCE, cli

pytestmark = pytest.mark.slow

Start = Callable[..., instance.Started]


def test_start_outlives_the_cli_and_url_hides_the_password(root: Path, password: str, postgres: Start) -> None:
    started = cli(root, "postgres", "start", "--ephemeral", "--password", REFERENCE)
    assert "postgres started on 127.0.0.1:" in started.stdout and "warning" not in started.stderr
    status = json.loads(cli(root, "postgres", "status", "--json").stdout)
    assert status["running"] and status["ephemeral"] and status["password_ref"] == REFERENCE
    for out in (started, cli(root, "postgres", "status"), cli(root, "postgres", "url")):
        assert password not in out.stdout + out.stderr
    hidden = cli(root, "postgres", "url", "-d", "postgres").stdout.strip()
    assert hidden == f"postgresql://postgres:%5BREDACTED%5D@127.0.0.1:{status['port']}/postgres"
    revealed = cli(root, "postgres", "url", "--reveal").stdout.strip()
    assert revealed == hidden.replace("%5BREDACTED%5D", password)
    with psycopg.connect(revealed) as con:  # the CLI process is gone, the server is not
        assert con.execute("SELECT 1").fetchone() == (1,)
    stopped = cli(root, "postgres", "stop")
    assert "stopped and its data wiped" in stopped.stdout
    assert json.loads(cli(root, "postgres", "status", "--json").stdout)["running"] is False
    assert "not running" in cli(root, "postgres", "stop").stdout


def test_tls_start_prints_how_to_connect(root: Path, password: str, postgres: Start) -> None:
    started = cli(root, "postgres", "start", "--tls", "--ephemeral", "--password", REFERENCE, "--json")
    info = json.loads(started.stdout)
    assert info["tls"] and info["proxy_running"] and info["ca_file"].endswith("ca.pem")
    url = cli(root, "postgres", "url", "--reveal").stdout.strip()
    assert url.endswith(f"?sslmode=verify-full&sslrootcert={info['ca_file']}")
    with psycopg.connect(url) as con:
        assert con.pgconn.ssl_in_use
    cli(root, "postgres", "stop")
    assert not instance.proxy_alive(info["proxy_pid"])


def test_plain_password_warns_and_is_never_printed(root: Path, postgres: Start) -> None:
    started = cli(root, "postgres", "start", "--ephemeral", "--password", "plain-pw-4711")
    assert "shell history" in started.stderr and "plain-pw-4711" not in started.stdout + started.stderr
    reveal = cli(root, "postgres", "url", "--reveal", check=False)
    assert reveal.returncode == 1 and "pass --password" in reveal.stderr
    assert reveal.stderr.strip().count("\n") == 0 and "Traceback" not in reveal.stderr


def test_user_mistakes_are_one_line(root: Path, postgres: Start) -> None:
    missing = cli(root, "postgres", "start", check=False)
    assert missing.returncode == 1 and "--password" in missing.stderr and "Traceback" not in missing.stderr
    no_secret = cli(root, "postgres", "start", "--password", "{{secrets/kardia/nope}}", check=False)
    assert no_secret.returncode == 1 and no_secret.stderr.strip().count("\n") == 0
    assert "lakeloader secrets" in no_secret.stderr
    not_running = cli(root, "postgres", "url", check=False)
    assert not_running.returncode == 1 and "lakeloader postgres start" in not_running.stderr
