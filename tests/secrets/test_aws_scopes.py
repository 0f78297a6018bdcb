"""Scopes backed by AWS Secrets Manager, against a real moto server on loopback: the CLI writes through, references
and dbutils resolve once per process, values are never printed, errors are one line, a Postgres password kept in AWS."""

from __future__ import annotations

import json
import logging
import os
import socket
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import quote

import boto3
import pytest

from lakeloader.demo.s3server import stop_process
from lakeloader.embedded.server import EmbeddedPostgres, free_port
from lakeloader.errors import ConfigError, NotFoundError
from lakeloader.secrets import SecretStore, aws, child_env, get, resolve_references
from lakeloader.secrets.redact import is_registered, redact

from .conftest import run_cli

REGION = "us-east-1"
MOTO_SERVER = Path(sys.executable).parent / "moto_server"


def _start_moto(log: Path, **env: str) -> tuple[subprocess.Popen[bytes], str]:
    port = free_port()
    with log.open("wb") as out:
        proc = subprocess.Popen(
            [str(MOTO_SERVER), "-H", "127.0.0.1", "-p", str(port)],
            stdout=out,
            stderr=subprocess.STDOUT,
            env={**os.environ, **env},
        )
    deadline = time.monotonic() + 60
    while True:
        if proc.poll() is not None:
            pytest.fail(f"moto_server exited with {proc.returncode}: {log.read_text()[-2000:]}")
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return proc, f"http://127.0.0.1:{port}"
        except OSError:
            if time.monotonic() > deadline:
                stop_process(proc)
                pytest.fail(f"moto_server did not listen on port {port} within 60 s: {log.read_text()[-2000:]}")
            time.sleep(0.1)


@pytest.fixture(scope="module")
def moto(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A real Secrets Manager API (moto's server) on 127.0.0.1:<free port>; yields its endpoint URL."""
    proc, endpoint = _start_moto(tmp_path_factory.mktemp("moto") / "moto.log")
    try:
        yield endpoint
    finally:
        stop_process(proc)


@pytest.fixture(scope="module")
def moto_with_iam(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, dict[str, str]]]:
    """A moto server enforcing IAM after its first 3 requests, which make user `ci`: it may create, update, list and
    delete secrets but is denied GetSecretValue. Yields the endpoint and ci's credentials (as environment)."""
    proc, endpoint = _start_moto(tmp_path_factory.mktemp("moto-iam") / "moto.log", INITIAL_NO_AUTH_ACTION_COUNT="3")
    try:
        iam = boto3.session.Session().client(
            "iam", endpoint_url=endpoint, region_name=REGION, aws_access_key_id="admin", aws_secret_access_key="x"
        )
        writes = ["CreateSecret", "PutSecretValue", "ListSecrets", "DescribeSecret", "DeleteSecret"]
        policy = {
            "Version": "2012-10-17",
            "Statement": [
                {"Effect": "Allow", "Action": [f"secretsmanager:{a}" for a in writes], "Resource": "*"},
                {"Effect": "Deny", "Action": "secretsmanager:GetSecretValue", "Resource": "*"},
            ],
        }
        iam.create_user(UserName="ci")
        iam.put_user_policy(UserName="ci", PolicyName="write-only", PolicyDocument=json.dumps(policy))
        key = iam.create_access_key(UserName="ci")["AccessKey"]
        yield endpoint, {"AWS_ACCESS_KEY_ID": key["AccessKeyId"], "AWS_SECRET_ACCESS_KEY": key["SecretAccessKey"]}
    finally:
        stop_process(proc)


@pytest.fixture(autouse=True)
def aws_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[None]:
    """Dummy credentials and region in the environment (boto3's chain), nothing from this machine's AWS setup."""
    for name in ("AWS_PROFILE", "AWS_SESSION_TOKEN", "AWS_REGION", "AWS_ENDPOINT_URL"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_DEFAULT_REGION", REGION)
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "no-aws-config"))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "no-aws-credentials"))
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    monkeypatch.setenv("NO_PROXY", "127.0.0.1,localhost")
    aws.clear_cache()
    yield
    aws.clear_cache()


def sm(endpoint: str) -> Any:
    """A Secrets Manager client of the test's own, to look behind lakeloader's back."""
    return boto3.session.Session().client("secretsmanager", region_name=REGION, endpoint_url=endpoint)


def aws_scope(root: Path, endpoint: str, scope: str = "awsscope", **env: str) -> str:
    """Create `scope` through the CLI with a prefix of its own on the shared server; returns the prefix."""
    prefix = f"t-{uuid.uuid4().hex[:12]}/"
    args = ["--backend", "aws-secrets-manager", "--prefix", prefix, "--endpoint-url", endpoint]
    done = run_cli(root, "secrets", "create-scope", scope, *args, env=env)
    assert done.returncode == 0, done.stderr
    return prefix


def one_line_error(done: subprocess.CompletedProcess[str]) -> str:
    assert done.returncode == 1, (done.returncode, done.stdout, done.stderr)
    assert "Traceback" not in done.stderr and "internal error" not in done.stderr
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), done.stderr
    return lines[0]


def test_scope_lifecycle_through_the_cli(root: Path, moto: str) -> None:
    value, newer = "aws-pw-" + uuid.uuid4().hex, "aws-pw-2-" + uuid.uuid4().hex
    created = run_cli(root, "secrets", "create-scope", "kardia", "--backend", "aws-secrets-manager",
                      "--endpoint-url", moto)  # fmt: skip
    assert created.returncode == 0, created.stderr
    assert f"its secrets are in AWS Secrets Manager as lakeloader/kardia/<key> (region {REGION}" in created.stdout
    [scope] = json.loads(run_cli(root, "secrets", "list-scopes", "--json").stdout)
    assert scope["backend_type"] == "AWS_SECRETS_MANAGER" and scope["secrets"] is None
    assert scope["backend_options"] == {"prefix": "lakeloader/kardia/", "region": REGION, "endpoint_url": moto}
    assert "aws-secrets-manager" in run_cli(root, "secrets", "list-scopes").stdout

    outputs = [run_cli(root, "secrets", "put-secret", "kardia", "pg_pw", input=value + "\n")]
    assert outputs[-1].returncode == 0, outputs[-1].stderr
    assert sm(moto).get_secret_value(SecretId="lakeloader/kardia/pg_pw")["SecretString"] == value  # created
    outputs.append(run_cli(root, "secrets", "put-secret", "kardia", "pg_pw", "--string-value", newer))
    assert sm(moto).get_secret_value(SecretId="lakeloader/kardia/pg_pw")["SecretString"] == newer  # updated
    outputs.append(run_cli(root, "secrets", "put-secret", "kardia", "api_token", "--string-value", value))
    for outside in ("LAKELOADER/KARDIA/shouting", "lakeloader/kardia/nested/key", "lakeloader/kardiax/other"):
        sm(moto).create_secret(Name=outside, SecretString="not-in-scope-" + uuid.uuid4().hex)

    outputs.append(run_cli(root, "secrets", "list-secrets", "kardia", "--json"))
    listed = json.loads(outputs[-1].stdout)
    assert [s["key"] for s in listed] == ["api_token", "pg_pw"]
    assert all(isinstance(s["last_updated_timestamp"], int) for s in listed)
    outputs.append(run_cli(root, "secrets", "list-secrets", "kardia"))
    assert "pg_pw" in outputs[-1].stdout and "api_token" in outputs[-1].stdout
    revealed = run_cli(root, "secrets", "get-secret", "kardia", "pg_pw", "--reveal")
    assert revealed.returncode == 0 and revealed.stdout == newer + "\n"
    outputs.append(run_cli(root, "secrets", "get-secret", "kardia", "pg_pw"))
    assert "exists but is not printed without --reveal" in one_line_error(outputs[-1])

    outputs.append(run_cli(root, "secrets", "delete-secret", "kardia", "api_token"))
    assert outputs[-1].returncode == 0, outputs[-1].stderr
    with pytest.raises(Exception, match="ResourceNotFoundException"):  # deleted without a recovery window
        sm(moto).describe_secret(SecretId="lakeloader/kardia/api_token")
    outputs.append(run_cli(root, "secrets", "get-secret", "kardia", "api_token", "--reveal"))
    assert "secret kardia/api_token does not exist" in one_line_error(outputs[-1])

    outputs.append(run_cli(root, "secrets", "delete-scope", "kardia"))
    assert "its secrets stay in AWS Secrets Manager as lakeloader/kardia/<key>" in outputs[-1].stdout
    assert sm(moto).get_secret_value(SecretId="lakeloader/kardia/pg_pw")["SecretString"] == newer  # AWS's to keep
    assert json.loads(run_cli(root, "secrets", "list-scopes", "--json").stdout) == []
    for done in outputs:
        assert value not in done.stdout + done.stderr and newer not in done.stdout + done.stderr


def test_references_get_and_dbutils_resolve_from_aws_and_are_redacted(root: Path, moto: str) -> None:
    prefix = aws_scope(root, moto)
    value = "p@ss:w/rd-" + uuid.uuid4().hex  # URL delimiters: masked in a URL too
    sm(moto).create_secret(Name=prefix + "pw", SecretString=value)  # put there by the cloud team, not lakeloader

    url = resolve_references("postgresql://app:{{secrets/awsscope/pw}}@db/claims", root=root)
    assert url == f"postgresql://app:{value}@db/claims" and is_registered(value)
    assert redact(url) == "postgresql://app:[REDACTED]@db/claims"
    assert get("awsscope", "pw", root=root) == value
    assert child_env({"PW": "{{secrets/awsscope/pw}}"}, root=root) == {"PW": value}
    with pytest.raises(ConfigError) as err:
        raise ConfigError(f"connection refused for {quote(value, safe='')}")
    assert value not in str(err.value) and "[REDACTED]" in str(err.value)

    from lakeloader.lakehouse.root import Lakehouse
    from lakeloader.notebooks.dbutils import DBUtils

    dbutils = DBUtils(Lakehouse(root))
    assert dbutils.secrets.get("awsscope", "pw") == value
    assert [s.key for s in dbutils.secrets.list("awsscope")] == ["pw"]
    assert [s.name for s in dbutils.secrets.listScopes()] == ["awsscope"]


def test_each_key_is_fetched_once_per_process(root: Path, moto: str) -> None:
    prefix = aws_scope(root, moto)
    sm(moto).create_secret(Name=prefix + "pw", SecretString="first-value-123")
    calls: list[str] = []
    client = aws.client(region=REGION, endpoint_url=moto)  # the one lakeloader uses in this process
    client.meta.events.register("after-call.secrets-manager.GetSecretValue", lambda **_: calls.append("get"))

    results: list[str] = []
    threads = [
        threading.Thread(target=lambda: results.append(SecretStore(root).get_secret("awsscope", "pw")))
        for _ in range(8)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert results == ["first-value-123"] * 8
    assert resolve_references("{{secrets/awsscope/pw}}", root=root) == "first-value-123"
    assert child_env({"A": "{{secrets/awsscope/pw}}", "B": "{{secrets/awsscope/pw}}"}, root=root)["B"]
    assert calls == ["get"]

    sm(moto).put_secret_value(SecretId=prefix + "pw", SecretString="rotated-value-456")  # changed mid-run
    assert get("awsscope", "pw", root=root) == "first-value-123" and calls == ["get"]
    SecretStore(root).put_secret("awsscope", "pw", "written-value-789")  # a write through lakeloader is seen
    assert get("awsscope", "pw", root=root) == "written-value-789" and calls == ["get"]

    aws.clear_cache()  # what a new run starts with
    sm(moto).put_secret_value(SecretId=prefix + "pw", SecretString="next-run-value")
    assert get("awsscope", "pw", root=root) == "next-run-value"


def test_a_notebook_run_reads_once_and_prints_redacted(root: Path, moto: str, tmp_path: Path) -> None:
    prefix = aws_scope(root, moto)
    sm(moto).create_secret(Name=prefix + "pw", SecretString="notebook-value-1")
    notebook = tmp_path / "nb.py"
    rotate = f"boto3.client('secretsmanager', endpoint_url={moto!r}, region_name={REGION!r})"
    notebook.write_text(
        "# Databricks notebook source\n"
        'pw = dbutils.secrets.get("awsscope", "pw")\nprint("got", pw)\n'
        "\n# COMMAND ----------\n\n"
        f"import boto3\n{rotate}.put_secret_value(SecretId={prefix + 'pw'!r}, SecretString='notebook-value-2')\n"
        'print("same within the run:", dbutils.secrets.get("awsscope", "pw") == pw)\n'
    )
    done = run_cli(root, "notebooks", "run", str(notebook))
    assert done.returncode == 0, done.stderr
    assert "got [REDACTED]" in done.stdout and "same within the run: True" in done.stdout
    assert "notebook-value-1" not in done.stdout + done.stderr
    again = run_cli(root, "secrets", "get-secret", "awsscope", "pw", "--reveal")  # a new run: asks AWS again
    assert again.stdout == "notebook-value-2\n"


def test_missing_key_is_one_line_saying_where_it_was_looked_for(root: Path, moto: str) -> None:
    prefix = aws_scope(root, moto)
    line = one_line_error(run_cli(root, "secrets", "get-secret", "awsscope", "nope"))
    assert line == (
        f"error: secret awsscope/nope does not exist: AWS Secrets Manager has no secret {prefix}nope in {REGION}; "
        "add it with 'lakeloader secrets put-secret awsscope nope'"
    )
    assert "does not exist" in one_line_error(run_cli(root, "secrets", "delete-secret", "awsscope", "nope"))
    with pytest.raises(NotFoundError) as err:
        resolve_references("password={{secrets/awsscope/nope}}", root=root)
    assert str(err.value).startswith("secret reference {{secrets/awsscope/nope}}: secret awsscope/nope does not")


def test_unreachable_endpoint_is_one_line(root: Path) -> None:
    dead = f"http://127.0.0.1:{free_port()}"  # nothing listens there
    aws_scope(root, dead, "dead")
    value = "never-sent-" + uuid.uuid4().hex
    for args in (("put-secret", "dead", "pw", "--string-value", value), ("get-secret", "dead", "pw"),
                 ("list-secrets", "dead", "--json"), ("delete-secret", "dead", "pw")):  # fmt: skip
        done = run_cli(root, "secrets", *args)
        line = one_line_error(done)
        assert f"cannot reach AWS Secrets Manager at {dead}" in line and "--endpoint-url" in line, line
        assert value not in done.stdout + done.stderr
        if "--json" in args:  # a script gets the error as JSON on stdout too
            assert "cannot reach AWS Secrets Manager" in json.loads(done.stdout)["error"]


def test_denied_and_rejected_identities_are_one_line(root: Path, moto_with_iam: tuple[str, dict[str, str]]) -> None:
    endpoint, ci = moto_with_iam
    prefix = aws_scope(root, endpoint, "ci", **ci)
    value = "ci-written-" + uuid.uuid4().hex
    put = run_cli(root, "secrets", "put-secret", "ci", "pw", "--string-value", value, env=ci)
    assert put.returncode == 0, put.stderr  # ci may write
    assert "pw" in run_cli(root, "secrets", "list-secrets", "ci", env=ci).stdout
    denied = run_cli(root, "secrets", "get-secret", "ci", "pw", "--reveal", env=ci)
    line = one_line_error(denied)
    assert line.startswith(
        f"error: secret ci/pw: AWS Secrets Manager denied secretsmanager:GetSecretValue on {prefix}pw in {REGION} "
        "(AccessDenied: User: arn:aws:iam::123456789012:user/ci is not authorized"
    )
    assert "grant that permission to the identity boto3 uses" in line and value not in denied.stdout
    rejected = run_cli(root, "secrets", "put-secret", "ci", "pw", "--string-value", value)  # dummy keys
    line = one_line_error(rejected)
    assert "secret ci/pw: AWS rejected the credentials (InvalidClientTokenId" in line and "AWS_PROFILE" in line
    assert value not in rejected.stdout + rejected.stderr


def test_other_backends_and_misplaced_options_are_refused_in_one_line(root: Path, moto: str) -> None:
    for backend, title in (("azure-keyvault", "Azure Key Vault"), ("gcp-secret-manager", "GCP Secret Manager")):
        line = one_line_error(run_cli(root, "secrets", "create-scope", "x", "--backend", backend))
        assert f"scope x: {title}-backed scopes (--backend {backend}) are not built in lakeloader" in line
    assert "is unknown" in one_line_error(run_cli(root, "secrets", "create-scope", "x", "--backend", "vault"))
    line = one_line_error(run_cli(root, "secrets", "create-scope", "x", "--prefix", "p/"))
    assert "--prefix only apply to an external backend" in line
    creds = run_cli(root, "secrets", "create-scope", "x", "--backend", "aws-secrets-manager",
                    "--endpoint-url", "http://AKIA:hunter2-key@127.0.0.1:1")  # fmt: skip
    assert "without credentials" in one_line_error(creds) and "hunter2-key" not in creds.stderr
    assert json.loads(run_cli(root, "secrets", "list-scopes", "--json").stdout) == []
    run_cli(root, "secrets", "create-scope", "kardia")
    again = run_cli(root, "secrets", "create-scope", "kardia", "--if-not-exists", "--backend", "aws-secrets-manager",
                    "--endpoint-url", moto)  # fmt: skip
    assert "already exists with its secrets in the local encrypted store, not where asked" in one_line_error(again)


def test_without_boto3_the_scope_commands_say_what_to_install(
    root: Path, moto: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    aws_scope(root, moto)
    monkeypatch.setitem(sys.modules, "boto3", None)  # `import boto3` now fails as if it were not installed
    with pytest.raises(ConfigError, match=r"AWS Secrets Manager needs boto3, which is not installed; run pip inst"):
        SecretStore(root).get_secret("awsscope", "pw")

    from lakeloader.cli.main import run

    argv = ["lakeloader", "--root", str(root), "secrets", "create-scope", "s3", "--backend", "aws-secrets-manager"]
    monkeypatch.setattr(sys, "argv", argv)
    with pytest.raises(SystemExit) as exit_info:
        run()
    err = capsys.readouterr().err
    assert exit_info.value.code == 1 and err.count("\n") == 1
    assert "scope s3: AWS Secrets Manager needs boto3, which is not installed; run pip install 'lakeloader[aws]'" in err


@pytest.fixture
def remote_db(pg_server: EmbeddedPostgres) -> Iterator[dict[str, str]]:
    """A database on the session's embedded server, owned by a role whose password has URL delimiters in it."""
    import psycopg

    suffix = uuid.uuid4().hex[:12]
    db = {"database": f"aws_{suffix}", "user": f"aws_user_{suffix}", "password": "aws-p@ss:w/rd-" + uuid.uuid4().hex}
    with psycopg.connect(pg_server.url(reveal=True), autocommit=True) as con:
        con.execute(f"CREATE ROLE {db['user']} LOGIN PASSWORD '{db['password']}'")
        con.execute(f"CREATE DATABASE {db['database']} OWNER {db['user']}")
    owner = {k: db[k] for k in ("user", "password")}
    with psycopg.connect(host="127.0.0.1", port=pg_server.port, dbname=db["database"], autocommit=True, **owner) as c:
        c.execute("CREATE TABLE public.t (id int, s text); INSERT INTO public.t VALUES (1, 'a'), (2, 'b')")
    try:
        yield {**db, "port": str(pg_server.port)}
    finally:
        with psycopg.connect(pg_server.url(reveal=True), autocommit=True) as con:
            con.execute(f"DROP DATABASE IF EXISTS {db['database']} WITH (FORCE)")
            con.execute(f"DROP ROLE IF EXISTS {db['user']}")


@pytest.mark.slow
def test_postgres_password_from_aws_works_and_never_lands_anywhere(
    root: Path, moto: str, remote_db: dict[str, str]
) -> None:
    password, user, database, port = remote_db["password"], remote_db["user"], remote_db["database"], remote_db["port"]
    aws_scope(root, moto)
    outputs = [run_cli(root, "secrets", "put-secret", "awsscope", "pw", input=password + "\n")]
    connect = ["--type", "postgresql", "--host", "127.0.0.1", "--port", port, "--database", database, "--user", user]
    outputs.append(run_cli(root, "connections", "create", "pgaws", *connect, "--password", "{{secrets/awsscope/pw}}"))
    outputs.append(run_cli(root, "connections", "test", "pgaws"))
    assert "round trip" in outputs[-1].stdout, outputs[-1].stderr
    outputs.append(run_cli(root, "foreign-catalogs", "create", "remote_data", "--connection", "pgaws"))
    outputs.append(run_cli(root, "sql", "SELECT id, s FROM remote_data.public.t ORDER BY id", "--json"))
    assert json.loads(outputs[-1].stdout) == [{"id": 1, "s": "a"}, {"id": 2, "s": "b"}], outputs[-1].stderr
    source = f"postgresql://{user}@127.0.0.1:{port}/{database}"
    outputs.append(run_cli(root, "schemas", "create", "main.bronze"))
    outputs.append(run_cli(root, "ingest", "postgres", "--source-url", source, "--password", "{{secrets/awsscope/pw}}",
                           "--table", "public.t", "--target", "bronze.t", "--json"))  # fmt: skip
    assert json.loads(outputs[-1].stdout)["rows"] == 2, (outputs[-1].stdout, outputs[-1].stderr)
    outputs.append(run_cli(root, "connections", "create", "pgbad", *connect, "--password", "{{secrets/awsscope/no}}"))
    outputs.append(run_cli(root, "connections", "test", "pgbad"))
    assert "secret awsscope/no does not exist: AWS Secrets Manager has no secret" in one_line_error(outputs[-1])
    assert all(done.returncode == 0 for done in outputs[:-1]), [d.stderr for d in outputs]

    forms = {password, quote(password, safe=""), quote(password), password.split("@")[1]}
    for done in outputs:
        assert not [f for f in forms if f in done.stdout + done.stderr]
    files = [path for path in root.rglob("*") if path.is_file()]
    assert any(path.suffix == ".parquet" for path in files) and any(path.name == "metastore.db" for path in files)
    for path in files:
        data = path.read_bytes()
        assert not [f for f in forms if f.encode() in data], path


def test_botocore_debug_logs_never_carry_a_value(root: Path, moto: str, caplog: pytest.LogCaptureFixture) -> None:
    prefix = aws_scope(root, moto)
    caplog.set_level(logging.DEBUG)  # botocore logs request and response bodies at DEBUG
    SecretStore(root).put_secret("awsscope", "pw", "logged-put-value-1")
    aws.clear_cache()
    sm(moto).put_secret_value(SecretId=prefix + "pw", SecretString="logged-get-value-2")
    assert get("awsscope", "pw", root=root) == "logged-get-value-2"
    assert "GetSecretValue" in caplog.text  # botocore did log the calls
    assert "logged-put-value-1" not in caplog.text and "logged-get-value-2" not in caplog.text


def test_the_scope_settings_survive_key_rotation_and_an_unknown_backend_is_one_line(root: Path) -> None:
    store = SecretStore(root)
    settings = {"type": "aws-secrets-manager", "prefix": "team/", "region": "eu-west-1"}
    store.create_scope("shared", backend=settings)
    store.create_scope("shared", backend=settings, if_not_exists=True)  # same settings: nothing to do
    store.rotate_key()
    [scope] = store.list_scopes()
    assert scope.backend == settings and scope.to_dict()["backend_options"] == {
        "prefix": "team/",
        "region": "eu-west-1",
    }
    store.create_scope("later", backend={"type": "hashicorp-vault"})  # as a newer lakeloader might write it
    with pytest.raises(ConfigError, match=r"^scope later: its backend 'hashicorp-vault' is not supported by this "):
        store.get_secret("later", "pw")
    assert store.delete_scope("later") == {"type": "hashicorp-vault"}
