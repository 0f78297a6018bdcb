"""`lakeloader secrets ...` as a user types it: stdin values, --json lists without values, --reveal, errors."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

from lakeloader.secrets import SecretStore, get
from lakeloader.secrets.keys import MASTER_KEY_ENV

from .conftest import run_cli


def test_scope_and_secret_lifecycle(root: Path) -> None:
    assert run_cli(root, "secrets", "create-scope", "kardia").returncode == 0
    put = run_cli(root, "secrets", "put-secret", "kardia", "pg_pw", input="piped-pw-✓\n")
    assert put.returncode == 0, put.stderr
    assert "piped-pw" not in put.stdout + put.stderr
    assert get("kardia", "pg_pw", root=root) == "piped-pw-✓"  # exactly one trailing newline dropped
    assert run_cli(root, "secrets", "put-secret", "kardia", "api", "--string-value", "flag-value").returncode == 0

    scopes = json.loads(run_cli(root, "secrets", "list-scopes", "--json").stdout)
    assert [(s["name"], s["secrets"]) for s in scopes] == [("kardia", 2)]
    listed = run_cli(root, "secrets", "list-secrets", "kardia", "--json")
    assert [s["key"] for s in json.loads(listed.stdout)] == ["api", "pg_pw"]
    table = run_cli(root, "secrets", "list-secrets", "kardia")
    for out in (listed, table):
        assert "piped-pw" not in out.stdout and "flag-value" not in out.stdout
    assert "pg_pw" in table.stdout

    refused = run_cli(root, "secrets", "get-secret", "kardia", "pg_pw")
    assert refused.returncode == 1 and refused.stdout == ""
    assert "exists but is not printed without --reveal" in refused.stderr and "piped-pw" not in refused.stderr
    revealed = run_cli(root, "secrets", "get-secret", "kardia", "pg_pw", "--reveal")
    assert revealed.returncode == 0 and revealed.stdout == "piped-pw-✓\n"

    assert run_cli(root, "secrets", "delete-secret", "kardia", "api").returncode == 0
    assert run_cli(root, "secrets", "delete-scope", "kardia").returncode == 0
    assert json.loads(run_cli(root, "secrets", "list-scopes", "--json").stdout) == []


def test_cli_errors_are_one_line_with_the_fix(root: Path) -> None:
    missing = run_cli(root, "secrets", "put-secret", "kardia", "pg_pw", "--string-value", "x-value")
    assert missing.returncode == 1 and "Traceback" not in missing.stderr
    assert "scope kardia does not exist; create it with 'lakeloader secrets create-scope kardia'" in missing.stderr
    bad = run_cli(root, "secrets", "create-scope", "bad name")
    assert bad.returncode == 1 and "secret scope name 'bad name' is invalid" in bad.stderr
    assert bad.stderr.strip().count("\n") == 0
    empty = run_cli(root, "secrets", "put-secret", "kardia", "pg_pw", input="")
    assert empty.returncode == 1


def test_rotate_key_via_cli(root: Path) -> None:
    run_cli(root, "secrets", "create-scope", "kardia")
    run_cli(root, "secrets", "put-secret", "kardia", "pg_pw", "--string-value", "rotated-pw")
    old_key = (root.parent / "lakehouse.key").read_text().strip()
    rotated = run_cli(root, "secrets", "rotate-key")
    assert rotated.returncode == 0 and "re-encrypted" in rotated.stdout
    assert run_cli(root, "secrets", "get-secret", "kardia", "pg_pw", "--reveal").stdout == "rotated-pw\n"
    with_old = run_cli(root, "secrets", "list-scopes", env={MASTER_KEY_ENV: old_key})
    assert with_old.returncode == 1 and "another master key" in with_old.stderr
    assert str(root / ".lakeloader" / "secrets.enc") in with_old.stderr
    assert old_key not in with_old.stderr  # the key from the environment is redacted too


def test_resolved_secret_is_redacted_in_a_cli_error_line(
    root: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    store = SecretStore(root)
    store.create_scope("kardia")
    store.put_secret("kardia", "pg_pw", "leaky-pw")
    get("kardia", "pg_pw")  # resolved in this process: registered with the redactor
    capsys.readouterr()

    from lakeloader.cli.main import run

    # A user pastes the password where a scope name goes: the error echoes the name, masked.
    monkeypatch.setattr(sys, "argv", ["lakeloader", "--root", str(root), "secrets", "create-scope", "oops leaky-pw"])
    with pytest.raises(SystemExit) as exit_info:
        run()
    err = capsys.readouterr().err
    assert exit_info.value.code == 1
    assert "leaky-pw" not in err and "secret scope name 'oops [REDACTED]' is invalid" in err


def test_reveal_is_not_masked_even_when_registered(
    root: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    store = SecretStore(root)
    store.create_scope("kardia")
    store.put_secret("kardia", "pg_pw", "shown-pw")
    capsys.readouterr()

    from lakeloader.cli.main import run

    monkeypatch.setattr(
        sys, "argv", ["lakeloader", "--root", str(root), "secrets", "get-secret", "kardia", "pg_pw", "--reveal"]
    )
    run()
    assert capsys.readouterr().out == "shown-pw\n"


@pytest.mark.skipif(sys.platform == "win32", reason="needs a pseudo-terminal")
def test_put_secret_from_a_terminal_does_not_echo(root: Path) -> None:
    import os
    import pty
    import subprocess

    run_cli(root, "secrets", "create-scope", "kardia")
    master, slave = pty.openpty()
    env = {k: v for k, v in os.environ.items() if not k.startswith("LAKELOADER_")}
    proc = subprocess.Popen(
        [sys.executable, "-m", "lakeloader.cli", "--root", str(root), "secrets", "put-secret", "kardia", "tty_pw"],
        stdin=slave,
        stdout=slave,
        stderr=slave,
        env=env,
        start_new_session=True,  # no controlling terminal: getpass switches echo off on the pty given as stdin
    )
    os.close(slave)
    seen = b""
    while b"not echoed" not in seen:  # type only once the prompt is up, i.e. once echo is off
        chunk = os.read(master, 1024)
        assert chunk, seen
        seen += chunk
    os.write(master, b"typed-pw-77\n")
    while True:
        try:
            chunk = os.read(master, 1024)
        except OSError:  # EIO: the child closed the terminal
            break
        if not chunk:
            break
        seen += chunk
    os.close(master)
    assert proc.wait(timeout=60) == 0, seen
    assert b"typed-pw-77" not in seen and b"secret kardia/tty_pw stored" in seen
    assert get("kardia", "tty_pw", root=root) == "typed-pw-77"
