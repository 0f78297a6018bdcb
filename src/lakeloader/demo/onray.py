"""Demo step 11: the same ingests on a Ray cluster — a real two-node cluster on loopback (one CPU each), Telematics'
Parquet landing files ingested by work units on it (`--executor ray`), committed
by the driver one commit per batch, the same rows as the local executor's tables; then a rerun with nothing new."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from lakeloader.errors import TerminalError

if TYPE_CHECKING:
    from lakeloader.lakehouse.root import Lakehouse

Say = Callable[[str], None]
FILES_TABLE = "telematics.01_bronze.readings_on_ray"
LOCAL_FILES_TABLE = "telematics.01_bronze.readings_raw"  # step 9's stream of the same Parquet files


def run(lh: Lakehouse, landing_volume: str, say: Say) -> dict[str, Any]:
    """Start the cluster, run the ingest through the CLI with --executor ray, compare, rerun, stop the cluster."""
    try:
        import ray  # noqa: F401
    except ImportError:
        say("  skipped: the ray package is not installed (pip install 'lakeloader[ray]')")
        return {"skipped": "ray is not installed"}
    from lakeloader.demo.raycluster import local_ray

    with local_ray(2, connect=False) as cluster:
        say(f"  a Ray cluster of 2 nodes (1 CPU each) on {cluster.address}, loopback only")
        return _on_the_cluster(lh, landing_volume, say, cluster.address)


def _on_the_cluster(lh: Lakehouse, landing_volume: str, say: Say, address: str) -> dict[str, Any]:
    from lakeloader.lakehouse import delta

    env = {**os.environ, "LAKELOADER_NO_DAEMON": "1"}

    def cli(*args: str) -> str:
        command = [sys.executable, "-m", "lakeloader.cli", "--root", str(lh.root), *args]
        done = subprocess.run(command, capture_output=True, text=True, timeout=600, env=env)
        if done.returncode != 0:
            raise TerminalError(f"demo: lakeloader {' '.join(args[:2])} on Ray failed: {done.stderr.strip()[-500:]}")
        return done.stdout.strip()

    on_ray = ["--executor", "ray", "--ray-address", address, "--max-bytes-per-task", "1MB", "--no-progress"]
    ingest = ["ingest", "files", "--path", f"{landing_volume}/parquet", "--format", "parquet", "--target", FILES_TABLE,
              "--checkpoint", f"{landing_volume}/_checkpoints/readings_on_ray", *on_ray]  # fmt: skip
    first = cli(*ingest)
    say(f"  lakeloader ingest files ... --executor ray: {first}")
    again = cli(*ingest)
    say(f"  the same again: {again}")
    ray_rows = delta.dataset(lh.table(FILES_TABLE).location).to_table()
    here = delta.dataset(lh.table(LOCAL_FILES_TABLE).location).to_table()
    columns = [c for c in here.column_names if c in ray_rows.column_names and c != "_ingested_at"]

    def rows(table: Any) -> list[str]:
        return sorted(json.dumps(row, sort_keys=True, default=str) for row in table.select(columns).to_pylist())

    same = rows(ray_rows) == rows(here)
    commits = [h for h in delta.history(lh.table(FILES_TABLE).location) if h.get("operation") == "WRITE"]
    say(f"  {FILES_TABLE}: {ray_rows.num_rows:,} rows in {len(commits)} commit(s) made by the driver, "
        f"{'the same' if same else 'NOT the same'} as {LOCAL_FILES_TABLE}")  # fmt: skip
    if not same:
        raise TerminalError(f"demo: {FILES_TABLE} on Ray differs from {LOCAL_FILES_TABLE}")
    return {"first": first, "again": again, "rows": ray_rows.num_rows, "same_rows": same, "commits": len(commits)}
