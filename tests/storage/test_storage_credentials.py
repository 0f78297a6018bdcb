"""Storage credentials: the store's keys as secret references in the metastore, used for the URLs they cover, never
printed or stored in clear (a real S3 server; the environment holds no key)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import uuid
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from tests.storage.s3server import ACCESS_KEY, BUCKET, SECRET_KEY, SeaweedS3

KEYLESS = ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_ENDPOINT_URL", "AWS_PROFILE")


def run(*args: str, root: str, env: dict[str, str], check: bool = True) -> subprocess.CompletedProcess[str]:
    out = subprocess.run([sys.executable, "-m", "lakeloader.cli", "--root", root, *args], capture_output=True,
                         text=True, env=env)  # fmt: skip
    if check:
        assert out.returncode == 0, out.stderr
    return out


def test_a_lakehouse_on_s3_reached_with_keys_kept_as_secret_references(
    s3_server: SeaweedS3, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    env = {k: v for k, v in os.environ.items() if k not in KEYLESS}
    env.update(LAKELOADER_STATE_HOME=str(tmp_path / "state"), LAKELOADER_NO_DAEMON="1", AWS_REGION="us-east-1",
               AWS_EC2_METADATA_DISABLED="true")  # fmt: skip
    root = f"s3://{BUCKET}/{uuid.uuid4().hex[:12]}"
    landing = tmp_path / "landing"
    landing.mkdir()
    pq.write_table(pa.table({"id": [1, 2, 3]}), landing / "a.parquet")
    ingest = ["ingest", "files", "--path", str(landing), "--format", "parquet", "--target", "main.default.t",
              "--checkpoint", str(tmp_path / "cp")]  # fmt: skip
    # no key anywhere: one line naming the store, nothing written
    refused = run(*ingest, root=root, env=env, check=False)
    assert refused.returncode == 1 and len(refused.stderr.strip().splitlines()) == 1, refused.stderr
    assert "Traceback" not in refused.stderr and "cannot list on the object store" in refused.stderr
    assert "lakeloader storage-credentials create" in refused.stderr
    run("secrets", "create-scope", "aws", root=root, env=env)
    run("secrets", "put-secret", "aws", "key_id", "--string-value", ACCESS_KEY, root=root, env=env)
    run("secrets", "put-secret", "aws", "secret", "--string-value", SECRET_KEY, root=root, env=env)
    plain = run("storage-credentials", "create", "lake", "--url", f"s3://{BUCKET}", "--access-key-id", ACCESS_KEY,
                "--secret-access-key", SECRET_KEY, root=root, env=env, check=False)  # fmt: skip
    assert plain.returncode == 1 and "a plain secret is not allowed" in plain.stderr
    assert SECRET_KEY not in plain.stderr + plain.stdout
    made = run("storage-credentials", "create", "lake", "--url", f"s3://{BUCKET}", "--access-key-id",
               "{{secrets/aws/key_id}}", "--secret-access-key", "{{secrets/aws/secret}}", "--endpoint-url",
               s3_server.endpoint, "--allow-http", root=root, env=env)  # fmt: skip
    assert "storage credential lake ready" in made.stdout
    first = run(*ingest, root=root, env=env)
    assert "3 rows" in first.stdout
    got = json.loads(run("sql", "--json", "SELECT sum(id) AS s FROM main.default.t", root=root, env=env).stdout)
    assert got == [{"s": 6}]
    listed = run("storage-credentials", "list", "--json", root=root, env=env).stdout
    assert json.loads(listed)[0]["secret_access_key"] == "{{secrets/aws/secret}}"
    shown = first.stdout + first.stderr + made.stdout + listed
    assert SECRET_KEY not in shown
    state = tmp_path / "state"
    leaks = [p for p in state.rglob("*") if p.is_file() and SECRET_KEY.encode() in p.read_bytes()]
    assert leaks == []  # the metastore holds the reference; the secret store holds it encrypted
    # dropped: the keys are gone for the next run, refused in one line again
    run("storage-credentials", "drop", "lake", root=root, env=env)
    again = run("sql", "SELECT count(*) FROM main.default.t", root=root, env=env, check=False)
    assert again.returncode == 1 and len(again.stderr.strip().splitlines()) == 1, again.stderr
    assert "cannot list on the object store" in again.stderr


def test_an_aws_profile_reaches_the_store(s3_server: SeaweedS3, tmp_path: Path) -> None:
    """AWS_PROFILE with no key in the environment: the profile's keys (read by boto3) reach delta-rs, obstore and
    pyarrow alike; a profile that does not exist is one line."""
    (tmp_path / "credentials").write_text(
        f"[lake]\naws_access_key_id = {ACCESS_KEY}\naws_secret_access_key = {SECRET_KEY}\n"
    )
    (tmp_path / "config").write_text("[profile lake]\nregion = us-east-1\n")
    env = {k: v for k, v in os.environ.items() if k not in KEYLESS}
    env.update(LAKELOADER_STATE_HOME=str(tmp_path / "state"), LAKELOADER_NO_DAEMON="1", AWS_PROFILE="lake")
    env.update(AWS_ENDPOINT_URL=s3_server.endpoint, AWS_ALLOW_HTTP="true", AWS_EC2_METADATA_DISABLED="true")
    env.update(AWS_SHARED_CREDENTIALS_FILE=str(tmp_path / "credentials"), AWS_CONFIG_FILE=str(tmp_path / "config"))
    root = f"s3://{BUCKET}/{uuid.uuid4().hex[:12]}"
    landing = tmp_path / "landing"
    landing.mkdir()
    pq.write_table(pa.table({"id": [4, 5]}), landing / "a.parquet")
    done = run("ingest", "files", "--path", str(landing), "--format", "parquet", "--target", "main.default.p",
               "--checkpoint", str(tmp_path / "cp"), root=root, env=env)  # fmt: skip
    assert "2 rows" in done.stdout and SECRET_KEY not in done.stdout + done.stderr
    got = json.loads(run("sql", "--json", "SELECT sum(id) AS s FROM main.default.p", root=root, env=env).stdout)
    assert got == [{"s": 9}]
    missing = run("sql", "SELECT 1 FROM main.default.p", root=root, env={**env, "AWS_PROFILE": "nope"}, check=False)
    assert missing.returncode == 1 and "AWS profile nope cannot be read" in missing.stderr, missing.stderr
    assert len(missing.stderr.strip().splitlines()) == 1
