"""The demo job behind `make demo`: both reference pipelines as declarative pipelines, from nothing, then the sources
change, an incremental update reads only what is new, a fix upstream and in a definition lets quarantined rows in
(replay-quarantine), and a last update finds nothing to do.

Providers & Claims (`examples/providers_claims`, Python): secret scope `kardia` → ephemeral embedded Postgres →
bootstrap → bronze (Postgres providers appended per update, Avro claims with the declared schema) → silver
(providers by NPI, claims with expectations and a quarantine) → gold. Telematics (`examples/telematics`, SQL):
landing volume in `00_landing` with the pipeline's checkpoints in `_checkpoints` → Parquet and JSON bronze →
silver (valid, deduplicated readings) → gold (daily distance, harsh braking per 100 km), vehicle reference data
from the fleet's own Postgres database.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from lakeloader.demo import notebooks, objectstore, onray, report, setup
from lakeloader.demo.setup import Say
from lakeloader.errors import NotFoundError, TerminalError
from lakeloader.lakehouse.root import Lakehouse

Show = Callable[[str, Any, str], None]  # (title, an UpdateResult or ReplayResult, catalog.schema) for the CLI
STATUSES_FIXED = "PAID,DENIED,PENDING,ADJUSTED,APPEALED"


def examples_folder() -> Path:
    """The shipped example pipelines: inside the installed package, or the checkout's `examples/`."""
    here = Path(__file__).resolve()
    for candidate in (here.parent.parent / "examples", here.parents[3] / "examples"):
        if (candidate / "telematics" / "spark-pipeline.yml").is_file():
            return candidate
    raise NotFoundError("the example pipelines are not installed next to lakeloader; run the demo from a checkout")


class _Pipelines:
    """The two example pipelines with the demo's configuration, run update after update."""

    def __init__(self, lh: Lakehouse, kardia_url: str, show: Show) -> None:
        folder = examples_folder()
        self.lh = lh
        self.show = show
        self.folders = {
            "providers_claims": folder / "providers_claims",
            "telematics": folder / "telematics",
            "telematics_python_bronze": folder / "telematics" / "python_bronze",  # the same bronze, `import dlt`
        }
        self.conf: dict[str, dict[str, str]] = {
            "providers_claims": {"kardia.postgres_url": kardia_url},
            "telematics": {},  # the fleet's Postgres is the foreign catalog supabase_data
            "telematics_python_bronze": {},
        }
        self.updates: list[Any] = []

    def load(self, name: str) -> Any:
        from lakeloader.pipelines.load import load

        return load(self.folders[name], self.lh, conf=self.conf[name])

    def update(self, name: str, title: str) -> Any:
        from lakeloader.pipelines.update import run_update

        pipeline = self.load(name)
        result = run_update(pipeline, self.lh)
        self.updates.append(result)
        self.show(title, result, f"{pipeline.catalog}.{pipeline.schema}")
        if result.status != "COMPLETED":
            failed = next((o for o in result.outcomes if o.status == "FAILED"), None)
            raise TerminalError(f"demo: pipeline {name} failed: {failed.message if failed else result.error}")
        return result

    def graph(self, name: str) -> str:
        from lakeloader.pipelines.graph import render

        return render(self.load(name).graph, "text")


def run(lh: Lakehouse, *, say: Say, show: Show | None = None, fresh: bool = True,
        keep_postgres: bool = False) -> dict[str, Any]:  # fmt: skip
    """The whole demo; returns a JSON-ready report."""
    from lakeloader.embedded import instance
    from lakeloader.embedded.bootstrap import bootstrap_providers_claims

    shown = show or (lambda _title, _result, _schema: None)
    if fresh:
        setup.reset(lh)
    say(
        "## 1. setup: secret scopes, embedded PostgreSQL (the init script), bootstrap, the fleet's database as a "
        "foreign catalog"
    )
    setup.ensure_secret(lh.home, "kardia", "pg_pw", say)
    setup.ensure_secret(lh.home, "telematics", "fleet_pw", say)
    kardia_url, _address = setup.start_postgres(lh.home, say)
    out: dict[str, Any] = {}
    try:
        bootstrap_providers_claims(root=lh.root, generate=True, on_step=lambda m: say(f"  {m}"))
        setup.setup_fleet(lh, say)
        setup.setup_telematics(lh)
        first = setup.land_telematics(lh, seed=1, files=4, new_column=False, malformed=2, glitches=0, duplicate=False)
        say(f"landed {first['parquet_files']} Parquet and {first['json_files']} JSON telematics files "
            f"(2 malformed JSON lines) in {setup.LANDING}")  # fmt: skip
        pipelines = _Pipelines(lh, kardia_url, shown)
        out["graphs"] = {name: pipelines.graph(name) for name in pipelines.folders}
        for name, text in out["graphs"].items():
            say(f"## the {name} pipeline")
            for line in text.splitlines():
                say(f"  {line}")
        say("## 2. both pipelines from nothing (and Telematics' bronze again in Python: import dlt, spark.readStream)")
        out["first"] = [pipelines.update(n, f"{n}: first update").to_dict() for n in pipelines.folders]
        say("## 2b. the seed's own notebooks, as written (PySpark, dbutils, JDBC, Auto Loader), into catalog "
            f"{notebooks.CATALOG}")  # fmt: skip
        out["notebooks"] = [notebooks.run_seed(lh, _address, say, first=True)]
        say("## 3. the sources change")
        setup.change_postgres(lh, say)
        setup.land_claims(lh, say)
        second = setup.land_telematics(lh, seed=2, files=2, new_column=True, malformed=0, glitches=6, duplicate=True)
        say(f"landed {second['parquet_files']} Parquet files (new column fuel_level, 6 glitched readings, one "
            f"uploaded twice) and {second['json_files']} JSON file")  # fmt: skip
        say("## 4. incremental update: only what is new is read, exactly once")
        out["incremental"] = [pipelines.update(n, f"{n}: incremental update").to_dict() for n in pipelines.folders]
        out["notebooks"].append(notebooks.run_seed(lh, _address, say, first=False))
        out["python_bronze"] = notebooks.same_bronze(lh, say)
        say("## 5. a fix upstream and in the definition, then replay-quarantine")
        setup.add_unknown_provider(lh, say)
        pipelines.update("providers_claims", "providers_claims: the provider arrives")
        pipelines.conf["providers_claims"]["kardia.claim_statuses"] = STATUSES_FIXED
        say(f"definition fixed: kardia.claim_statuses = {STATUSES_FIXED}")
        out["replay"] = _replay(pipelines, "kardia.kardia_silver.claims", shown)
        say("## 6. nothing new: every flow is up to date")
        out["noop"] = [pipelines.update(n, f"{n}: nothing new").to_dict() for n in pipelines.folders]
        say("## 7. federated SQL: the fleet's Postgres queried in place, joined with a gold table")
        out["federated"] = _federated(lh, say)
        say("## 8. warm runs: the Telematics update with nothing new from the CLI, cold, then through a daemon")
        out["warm"] = _warm(lh, say)
        say("## 9. a stream from the CLI, and mistakes refused in one line: nothing loaded, nothing twice")
        out["guards"] = _guards(lh, say)
        say("## 10. the lakehouse on object storage: a local S3 server, the same landing files ingested there")
        out["object_storage"] = objectstore.run(lh, setup.LANDING, say)
        say("## 11. scale out: the same ingest and pipeline on a Ray cluster of two nodes, committed by the driver")
        out["ray"] = onray.run(lh, setup.LANDING, say)
        out["tables"] = report.tables(lh)
        out["expectations"] = report.pass_rates(pipelines.updates)
    finally:
        if not keep_postgres:
            instance.stop(root=lh.root)
            say("postgres stopped (ephemeral: its data is wiped)")
    return out


FEDERATED_QUERY = (
    "SELECT v.fleet, count(*) AS vehicles, round(sum(h.harsh_brakes), 0) AS harsh_brakes "
    "FROM telematics.`03_gold`.harsh_braking h JOIN supabase_data.public.vehicles v ON h.vehicle_id = v.vehicle_id "
    "WHERE v.in_service AND v.model_year >= 2015 GROUP BY v.fleet ORDER BY v.fleet"
)


def _federated(lh: Lakehouse, say: Say) -> dict[str, Any]:
    """`lakeloader sql` over a foreign and a Delta table: what went to Postgres, and the rows."""
    from lakeloader import federation
    from lakeloader.lakehouse.sql import query

    plan = federation.explain(lh, FEDERATED_QUERY, dialect="databricks")
    say(f"  {FEDERATED_QUERY}")
    for scan in plan.scans:
        bound = ", ".join(repr(v) for v in scan.params)
        say(f"  pushed to {scan.catalog.where}: {scan.statement}" + (f"  -- {bound}" if bound else ""))

    def attached(con: Any, text: str) -> str:
        return str(federation.attach(con, lh, text, dialect="databricks").sql)

    rows = query(lh, FEDERATED_QUERY, rewrite=attached).to_pylist()
    for row in rows:
        say("  " + "  ".join(f"{k}={v}" for k, v in row.items()))
    return {"query": FEDERATED_QUERY, "remote": [s.statement for s in plan.scans], "rows": rows}


def _warm(lh: Lakehouse, say: Say) -> dict[str, Any]:
    """`lakeloader pipelines run` as a scheduler starts it: a new process each time, without and with a daemon."""
    import json
    import os
    import subprocess
    import sys
    import time

    from lakeloader.cli import launch

    env = {k: v for k, v in os.environ.items() if k not in (launch.NO_DAEMON_ENV, launch.DAEMON_ENV)}
    env[launch.ROOT_ENV] = str(lh.root)
    cli = [sys.executable, "-m", "lakeloader.cli"]
    update = [*cli, "pipelines", "run", str(examples_folder() / "telematics"), "--json"]

    def timed(extra: dict[str, str]) -> float:
        started = time.perf_counter()
        done = subprocess.run(update, capture_output=True, text=True, env={**env, **extra}, timeout=300)
        if done.returncode != 0:
            raise TerminalError(f"demo: `lakeloader pipelines run` failed: {done.stderr.strip()[-500:]}")
        return time.perf_counter() - started

    cold = timed({launch.NO_DAEMON_ENV: "1"})
    subprocess.run([*cli, "daemon", "start", "--idle-timeout", "5m"], env=env, check=True, capture_output=True)
    try:
        warm = min(timed({}) for _ in range(2))
        status = subprocess.run([*cli, "daemon", "status", "--json"], env=env, capture_output=True, text=True)
        served = sum(d["runs"] for d in json.loads(status.stdout or "[]") if d["serves_this_environment"])
    finally:
        subprocess.run([*cli, "daemon", "stop"], env=env, capture_output=True)
    say(f"  cold: {cold:.2f} s (Python starts and imports its libraries); warm: {warm:.2f} s (`lakeloader daemon "
        "start`: a worker that had imported them took the run)")  # fmt: skip
    return {"cold_s": round(cold, 3), "warm_s": round(warm, 3), "warm_runs_served": served}


def _guards(lh: Lakehouse, say: Say) -> dict[str, Any]:
    """`lakeloader ingest files` as a user types it: a stream and its state, then the usual mistakes, refused."""
    import json
    import os
    import subprocess
    import sys

    from lakeloader.cli import launch

    env = {**os.environ, launch.ROOT_ENV: str(lh.root), launch.NO_DAEMON_ENV: "1"}
    parquet, checkpoints = f"{setup.LANDING}/parquet", f"{setup.LANDING}/_checkpoints"
    ingest = ["ingest", "files", "--path", parquet, "--no-progress"]

    def cli(*args: str) -> subprocess.CompletedProcess[str]:
        command = [sys.executable, "-m", "lakeloader.cli", *args]
        return subprocess.run(command, capture_output=True, text=True, env=env, timeout=300)

    def refused(what: str, *args: str) -> str:
        done = cli(*args)
        if done.returncode != 1:
            raise TerminalError(f"demo: {what} was not refused (exit {done.returncode}): {done.stdout[-300:]}")
        line = done.stderr.strip().removeprefix("error: ")
        say(f"  {what}: {line}")
        return line

    stream = [*ingest, "--format", "parquet", "--target", "telematics.`01_bronze`.readings_raw"]
    done = cli(*stream, "--checkpoint", f"{checkpoints}/readings_raw")
    if done.returncode != 0:
        raise TerminalError(f"demo: the readings stream failed: {done.stderr.strip()[-500:]}")
    say(f"  {done.stdout.strip()}")
    listed = json.loads(cli("streams", "list", "--json").stdout or "[]")
    for row in listed:
        say(f"  stream {row.get('name')}: {row.get('batches')} batch(es), {row.get('rows')} rows, {row.get('status')}")
    lines = [
        refused("a wrong --format", *ingest, "--format", "json", "--target", "telematics.`01_bronze`.readings_json",
                "--checkpoint", f"{checkpoints}/readings_json"),
        refused("a mistyped --checkpoint", *stream, "--checkpoint", f"{checkpoints}/readings_rwa"),
        refused("a pipeline's table", *ingest, "--format", "parquet", "--target", "telematics.`01_bronze`.telematics",
                "--checkpoint", f"{checkpoints}/telematics_by_hand"),
    ]  # fmt: skip
    return {"stream": done.stdout.strip(), "streams": listed, "refused": lines}


def _replay(pipelines: _Pipelines, table: str, show: Show) -> dict[str, Any]:
    from lakeloader.pipelines.replay import replay_quarantine

    result = replay_quarantine(pipelines.load("providers_claims"), pipelines.lh, table=table)
    show(f"replay-quarantine --table {table}", result, "")
    return result.to_dict()
