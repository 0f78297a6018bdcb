"""Demo step 11: the same work on a Ray cluster — a real two-node cluster on loopback (one CPU each). Telematics'
Parquet landing files ingested by work units on it (`--executor ray`), committed by the driver one commit per
batch, the same rows as the local executor's table, then a rerun with nothing new; and the Telematics pipeline
recomputed from its sources on the cluster (`pipelines run --executor ray --full-refresh`): its flows' rows,
expectations and quarantine in units, its materialized views as tasks on the nodes, every dataset the same as
the local updates made it."""

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
            raise TerminalError(f"demo: lakeloader {' '.join(args[:2])} on Ray failed: {_said(done)}")
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
    pipeline = _pipeline_again(lh, say, cli, on_ray)
    return {"first": first, "again": again, "rows": ray_rows.num_rows, "same_rows": same, "commits": len(commits),
            "pipeline": pipeline}  # fmt: skip


def _said(done: subprocess.CompletedProcess[str]) -> str:
    """A failed command's error: its stderr, or with --json the failed flows' messages on stdout."""
    try:
        report = json.loads(done.stdout)
    except ValueError:
        return (done.stderr.strip() or done.stdout.strip())[-500:]
    failed = [f"{f['flow']}: {f['message']}" for f in report.get("flows", []) if f.get("status") == "FAILED"]
    return "; ".join(failed or [str(report.get("error") or done.stderr.strip())])[-800:]


VARYING = ("_quarantine_id", "_quarantined_at", "_update_id", "_batch_id", "_source")  # ids and clocks of a run


def _pipeline_again(lh: Lakehouse, say: Say, cli: Callable[..., str], on_ray: list[str]) -> dict[str, Any]:
    """Telematics recomputed on the cluster from its sources; each dataset compared with what the local updates
    made."""
    from lakeloader.demo import examples_folder
    from lakeloader.lakehouse import delta

    def contents() -> dict[str, list[str]]:
        out = {}
        for table in lh.list_tables():
            name = table.info.full_name
            catalog, schema = (part.strip("`") for part in name.split(".")[:2])
            if catalog != "telematics" or schema[:3] not in ("01_", "02_", "03_") or "on_ray" in name:
                continue
            if table.info.location is None or not delta.is_delta_table(table.info.location):
                continue
            rows = delta.dataset(table.info.location).to_table()
            rows = rows.drop_columns([c for c in VARYING if c in rows.column_names])
            out[name] = sorted(json.dumps(r, sort_keys=True, default=str) for r in rows.to_pylist())
        return out

    before = contents()
    options = on_ray[:4]  # --executor ray --ray-address ADDRESS
    update = json.loads(cli("pipelines", "run", str(examples_folder() / "telematics"), "--full-refresh", "--json",
                            *options))  # fmt: skip
    after = contents()
    flows = update.get("flows", [])
    written = {f["dataset"] for f in flows} | {f"{f['dataset']}_quarantine" for f in flows}
    compared = sorted(name for name in before if name.replace("`", "") in written)
    differing = [name for name in compared if after.get(name) != before[name]]
    rows = sum(f.get("rows_out", 0) for f in flows)
    say(f"  lakeloader pipelines run examples/telematics --executor ray --full-refresh: {update.get('status')}, "
        f"{len(flows)} flows, {rows:,} rows written in {update.get('seconds')} s; {len(compared) - len(differing)} "
        f"of its {len(compared)} datasets the same as the local updates made them")  # fmt: skip
    if update.get("status") != "COMPLETED" or differing:
        raise TerminalError(f"demo: the Telematics pipeline on Ray differs from the local one in {differing}")
    return {"status": update.get("status"), "datasets": compared, "differing": differing}
