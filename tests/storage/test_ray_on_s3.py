"""Work units on a real two-node Ray cluster writing into a lakehouse on a real S3 server (SeaweedFS): the files and
Postgres ingests give the tables the local executor writes on a local disk. The Ray nodes were started without the
store's credentials: the driver hands them to each unit (never through Ray's runtime_env)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import psycopg
import pyarrow as pa
import pytest

from lakeloader.execution.executor import settings
from lakeloader.lakehouse import delta
from lakeloader.lakehouse.root import Lakehouse
from lakeloader.sources.files.runner import ingest_files
from lakeloader.sources.postgres import ingest_postgres

pytestmark = pytest.mark.slow


def _content(location: Any, drop: tuple[str, ...] = ("_ingested_at",)) -> list[str]:
    table = delta.dataset(location).to_table()
    table = table.drop_columns([c for c in drop if c in table.column_names])
    return sorted(json.dumps(r, sort_keys=True, default=str) for r in table.to_pylist())


def test_files_and_postgres_on_ray_into_s3_equal_the_local_executor_on_disk(
    ray_cluster: Any, s3_root: str, pg_url: str, tmp_path: Path
) -> None:
    landing = tmp_path / "landing"
    landing.mkdir()
    for i in range(8):
        lines = [json.dumps({"id": n, "name": f"n{n}", **({"extra": {"k": n % 3}} if i >= 4 else {})})
                 for n in range(i * 800, (i + 1) * 800)]  # fmt: skip
        (landing / f"f{i}.json").write_text("\n".join(lines) + "\n")
    with psycopg.connect(pg_url, autocommit=True) as con:
        con.execute("CREATE TABLE public.p AS SELECT i AS id, md5(i::text) AS v FROM generate_series(1, 30000) i")
    remote, local = Lakehouse(s3_root), Lakehouse(tmp_path / "disk")
    for lh in (remote, local):
        lh.create_schema("main.bronze", if_not_exists=True)
    ray = settings("ray", max_bytes_per_task="40KB")
    on_s3 = ingest_files("bronze.f", path=landing, lakehouse=remote, format="json", executor=ray)
    on_disk = ingest_files("bronze.f", path=landing, lakehouse=local, format="json")
    assert on_s3.stats.units >= 4  # (spreading over both nodes is asserted in tests/execution/test_ray_files.py)
    location = remote.table("bronze.f").location
    assert str(location).startswith(s3_root)
    assert _content(location) == _content(local.table("bronze.f").location)
    assert on_s3.stats.rows == on_disk.stats.rows == 6400
    parts = {"source_url": pg_url, "table": "public.p", "partition_column": "id", "num_partitions": 3}
    ingest_postgres("bronze.p", lakehouse=remote, executor=ray, **parts)
    ingest_postgres("bronze.p", lakehouse=local, **parts)
    assert _content(remote.table("bronze.p").location) == _content(local.table("bronze.p").location)
    schema = pa.schema(delta.dataset(remote.table("bronze.p").location).schema)
    assert schema == pa.schema(delta.dataset(local.table("bronze.p").location).schema)
