"""A lakehouse on S3 whose Postgres password lives in AWS Secrets Manager (moto's server): a connection, a foreign
catalog, an ingest and a pipeline use it, and the password is in no output, no object of the store and no file of
the local state."""

from __future__ import annotations

import json
from pathlib import Path
from urllib.parse import quote

import pytest

from lakeloader.lakehouse import storage
from lakeloader.secrets import aws
from tests.secrets.conftest import run_cli
from tests.secrets.test_aws_scopes import aws_scope, moto, remote_db  # noqa: F401 - fixtures
from tests.storage.s3server import SeaweedS3

PIPELINE = """name: remote_copy
catalog: main
schema: silver
libraries:
  - glob:
      include: transformations/**
"""
QUERY = "CREATE MATERIALIZED VIEW t_copy AS SELECT id, upper(s) AS s FROM remote_data.public.t;\n"


@pytest.mark.slow
def test_a_secrets_manager_password_never_reaches_the_store(
    s3_root: str,
    s3_server: SeaweedS3,
    moto: str,  # noqa: F811
    remote_db: dict[str, str],  # noqa: F811
    tmp_path: Path,
) -> None:
    aws.clear_cache()
    password, user, database, port = remote_db["password"], remote_db["user"], remote_db["database"], remote_db["port"]
    root = s3_root  # run_cli passes it as --root; its local state is under the test's folder (s3_root)
    aws_scope(root, moto)  # type: ignore[arg-type]
    outputs = [run_cli(root, "secrets", "put-secret", "awsscope", "pw", input=password + "\n")]  # type: ignore[arg-type]
    connect = ["--type", "postgresql", "--host", "127.0.0.1", "--port", port, "--database", database, "--user", user]
    outputs.append(run_cli(root, "connections", "create", "pgaws", *connect, "--password",  # type: ignore[arg-type]
                           "{{secrets/awsscope/pw}}"))  # fmt: skip
    outputs.append(run_cli(root, "foreign-catalogs", "create", "remote_data", "--connection", "pgaws"))  # type: ignore[arg-type]
    outputs.append(run_cli(root, "schemas", "create", "main.bronze"))  # type: ignore[arg-type]
    outputs.append(run_cli(root, "ingest", "postgres", "--source", "remote_data.public.t", "--target",  # type: ignore[arg-type]
                           "bronze.t", "--json"))  # fmt: skip
    assert json.loads(outputs[-1].stdout)["rows"] == 2, outputs[-1].stderr
    folder = tmp_path / "pipeline"
    (folder / "transformations").mkdir(parents=True)
    (folder / "spark-pipeline.yml").write_text(PIPELINE)
    (folder / "transformations" / "copy.sql").write_text(QUERY)
    outputs.append(run_cli(root, "schemas", "create", "main.silver"))  # type: ignore[arg-type]
    outputs.append(run_cli(root, "pipelines", "run", str(folder)))  # type: ignore[arg-type]
    outputs.append(run_cli(root, "sql", "--json", "SELECT * FROM main.silver.t_copy ORDER BY id"))  # type: ignore[arg-type]
    assert json.loads(outputs[-1].stdout) == [{"id": 1, "s": "A"}, {"id": 2, "s": "B"}], outputs[-1].stderr
    assert all(done.returncode == 0 for done in outputs), [d.stderr for d in outputs]
    located = json.loads(run_cli(root, "tables", "describe", "main.silver.t_copy", "--json").stdout)  # type: ignore[arg-type]
    assert located["location"].startswith(s3_root + "/")

    forms = {password, quote(password, safe=""), quote(password), password.split("@")[1]}
    for done in outputs:
        assert not [f for f in forms if f in done.stdout + done.stderr]
    keys = [m["path"] for m in storage.ObjectPath(s3_root).walk_keys()]
    assert any(k.endswith(".parquet") for k in keys) and any("/_delta_log/" in k for k in keys)
    bucket = storage.ObjectPath(s3_root).parent
    for key in keys:
        data = (bucket / key).read_bytes()
        assert not [f for f in forms if f.encode() in data], key
    state = [p for p in (tmp_path / "state-home").rglob("*") if p.is_file()]
    assert any(p.name == "metastore.db" for p in state)
    for path in state:
        data = path.read_bytes()
        assert not [f for f in forms if f.encode() in data], path
