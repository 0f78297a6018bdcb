"""`lakeloader demo` with the lakehouse on a real S3 server and its rows read and written by work units on a real
two-node Ray cluster: the same tables, row for row, as the local executor on a local disk; the seed's passwords in
no object of the store."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Any

import pytest

from lakeloader.lakehouse import delta, storage
from tests.cli.test_cli import DEMO_TABLES
from tests.storage.test_object_storage import cli

# what differs between any two runs of the demo, wherever the lakehouse is: the clock (when a row was ingested,
# quarantined or changed in Postgres, a file's modification time) and the ids of updates and quarantined rows
VARYING = ("_ingested_at", "_metadata", "last_updated", "updated_at", "landed_at", "_quarantine_id", "_update_id",
           "_quarantined_at")  # fmt: skip
PLACE = "source_file"  # a file's path: compared below the lakehouse root (s3://lake/x/... against /tmp/.../...)


def _below_root(table: Any) -> Any:
    import pyarrow as pa

    if PLACE not in table.column_names:
        return table
    relative = [None if p is None else p.split("/volumes/", 1)[-1] for p in table.column(PLACE).to_pylist()]
    return table.set_column(table.column_names.index(PLACE), PLACE, pa.array(relative, pa.string()))


def _table(root: str | Path, name: str) -> Any:
    location = json.loads(cli("tables", "describe", name, "--json", root=root).stdout)["location"]
    return _below_root(delta.dataset(location).to_table())


def _content(table: Any) -> list[str]:
    kept = [c for c in table.column_names if c not in VARYING]
    return sorted(json.dumps(row, sort_keys=True, default=str) for row in table.select(kept).to_pylist())


def _columns_differing(a: Any, b: Any) -> list[str]:
    out = []
    for column in a.column_names:
        if column in VARYING:
            continue
        left = sorted(json.dumps(v, default=str) for v in a.column(column).to_pylist())
        right = (
            sorted(json.dumps(v, default=str) for v in b.column(column).to_pylist()) if column in b.column_names else []
        )
        if left != right:
            out.append(column)
    return out


def on_ray(cluster: Any) -> dict[str, str]:
    return {"LAKELOADER_EXECUTOR": "ray", "LAKELOADER_RAY_ADDRESS": cluster.address}


def compare_with_local_demo(report: dict[str, Any], root: str | Path, local: Path) -> dict[str, Any]:
    """The demo tables of `root` that differ from the local demo's, with the columns that differ."""
    assert {t["table_name"]: t["rows"] for t in report["tables"]} == DEMO_TABLES
    assert [n["differing_rows"] for n in report["notebooks"]] == [{"bronze_providers": 0, "bronze_claims": 0}] * 2
    assert report["python_bronze"] == {"telematics": 0, "telematics_test": 0}
    differing: dict[str, Any] = {}
    for name in DEMO_TABLES:
        there, here = _table(root, name), _table(local, name)
        if _content(there) != _content(here):
            differing[name] = _columns_differing(there, here)
    return differing


@pytest.mark.slow
def test_the_demo_on_s3_and_ray_gives_the_local_tables_and_leaks_no_secret(
    s3_root: str, local_demo: tuple[Path, subprocess.CompletedProcess[str]], ray_cluster: Any
) -> None:
    report = json.loads(cli("demo", "--json", root=s3_root, env=on_ray(ray_cluster)).stdout)
    assert "on Ray:" in report["guards"]["stream"]  # the CLI's stream ran its batch in work units
    local, _ = local_demo  # the same demo run on a local disk (once per session, shared with tests/cli)
    for name in DEMO_TABLES:
        described = json.loads(cli("tables", "describe", name, "--json", root=s3_root).stdout)
        assert described["location"].startswith(s3_root + "/"), name
    differing = compare_with_local_demo(report, s3_root, local)
    assert differing == {}, json.dumps(differing)
    # the passwords are in no object of the store: tables, logs, checkpoints, volumes
    keys = list(storage.ObjectPath(s3_root).walk_keys())
    assert len(keys) > 200
    for scope, key in (("kardia", "pg_pw"), ("telematics", "fleet_pw")):
        secret = cli("secrets", "get-secret", scope, key, "--reveal", root=s3_root).stdout.strip()
        assert len(secret) >= 16
        leaks = [
            m["path"] for m in keys if secret.encode() in (storage.ObjectPath(s3_root).parent / m["path"]).read_bytes()
        ]
        assert leaks == [], (scope, leaks)
