"""Bench: the local executor and the Ray executor side by side, in one run, on this machine.

A real Ray cluster on loopback (`lakeloader.demo.raycluster`, nodes of one CPU each), first of one node, then of
two (the head node runs units too); the same ingests each time, each into a fresh table and checkpoint:
(a) the files source: `--files` JSON files of claims (decoding is most of the work), one batch;
(b) the Postgres source: a providers-like table of `--rows` rows read in `--partitions` partitions (one unit each
    on Ray, one thread each locally), inside one exported snapshot;
(c) a pipeline update over the same JSON files in a volume: a streaming table whose row-wise query and DROP ROW
    expectation run in the work units (locally: the driver's DuckDB), and a materialized view aggregating it (one
    task on a node on Ray).
Ratio: Ray / local (the issue's target on one machine: <= 1.3x). The cluster's start is timed apart; the first Ray
run of each kind warms the workers (imports) and is not counted. Times are the best of `--repeat`.

    .venv/bin/python bench/ray_executor.py [--files 40] [--rows-per-file 20000] [--rows 1000000] [--repeat 3]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
import tempfile
import time
import uuid
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from bench.files_to_delta import claims_frame
from bench.postgres_to_delta import build

PIPELINE_SPEC = """\
name: {name}
catalog: main
schema: {name}
libraries:
  - glob:
      include: transformations/**
"""
PIPELINE_SQL = """\
CREATE OR REFRESH STREAMING TABLE claims (
  CONSTRAINT billed EXPECT (billed_amount > 20) ON VIOLATION DROP ROW
) AS SELECT claim_id, member_id, upper(status) AS status, billed_amount, paid_amount, diagnosis_codes,
  _metadata.file_name AS source_file
FROM STREAM read_files('/Volumes/main/bench/landing', format => 'json', inferColumnTypes => true);

CREATE OR REFRESH MATERIALIZED VIEW by_status AS
SELECT status, count(*) AS claims, sum(billed_amount) AS billed, count(DISTINCT member_id) AS members
FROM claims GROUP BY status;
"""


def json_landing(folder: Path, files: int, rows: int) -> int:
    folder.mkdir(parents=True)
    size = 0
    for i in range(files):
        frame = claims_frame(rows, seed=i)
        path = folder / f"claims-{i:04d}.json"
        frame.write_ndjson(path)
        size += path.stat().st_size
    return size


def best(repeat: int, run: Callable[[], object]) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        run()
        times.append(time.perf_counter() - start)
    return min(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--files", type=int, default=40)
    parser.add_argument("--rows-per-file", type=int, default=20_000)
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--partitions", type=int, default=4)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()

    from lakeloader.demo.raycluster import local_ray
    from lakeloader.embedded.server import EmbeddedPostgres, private_data_dir
    from lakeloader.execution.executor import settings
    from lakeloader.lakehouse.root import Lakehouse
    from lakeloader.sources.files.runner import ingest_files
    from lakeloader.sources.postgres import ingest_postgres

    workdir = Path(tempfile.mkdtemp(prefix="bench-ray-"))
    landing = workdir / "landing"
    size = json_landing(landing, args.files, args.rows_per_file)
    rows = args.files * args.rows_per_file
    print(f"(a) {args.files} JSON files, {rows:,} rows, {size / 1e6:,.0f} MB; (b) Postgres table of {args.rows:,} "
          f"rows in {args.partitions} partitions; {os.cpu_count()} cores, best of {args.repeat}")  # fmt: skip
    house = Lakehouse(workdir / "lakehouse")
    house.create_catalog("main", if_not_exists=True)
    house.create_schema("main.bench", if_not_exists=True)
    data_dir = private_data_dir(ephemeral=False)
    server = EmbeddedPostgres(data_dir, password="bench-" + uuid.uuid4().hex[:8])
    server.start()
    results: dict[str, dict[str, float]] = {"files": {}, "postgres": {}, "pipeline": {}}
    volume = Path(house.create_volume("main.bench.landing", if_not_exists=True).location or "")
    for f in landing.iterdir():
        os.link(f, volume / f.name)
    try:
        url = server.url(reveal=True)
        build(url, "providers", args.rows)

        def files(executor: object) -> Callable[[], object]:
            def run() -> object:
                name = f"main.bench.f_{uuid.uuid4().hex[:8]}"
                summary = ingest_files(name, path=landing, checkpoint=workdir / "cp" / name, lakehouse=house,
                                       format="json", executor=executor)  # type: ignore[arg-type]  # fmt: skip
                assert summary.stats.rows == rows, summary.line()
                return summary

            return run

        def postgres(executor: object) -> Callable[[], object]:
            def run() -> object:
                name = f"main.bench.p_{uuid.uuid4().hex[:8]}"
                summary = ingest_postgres(name, lakehouse=house, source_url=url, table="public.providers",
                                          partition_column="id", num_partitions=args.partitions,
                                          executor=executor)  # type: ignore[arg-type]  # fmt: skip
                assert summary.rows == args.rows
                return summary

            return run

        def pipeline(executor: object) -> Callable[[], object]:
            def run() -> object:
                from lakeloader.pipelines.update import run_update

                name = f"p_{uuid.uuid4().hex[:8]}"
                folder = workdir / "pipelines" / name
                (folder / "transformations").mkdir(parents=True)
                (folder / "spark-pipeline.yml").write_text(PIPELINE_SPEC.format(name=name))
                (folder / "transformations" / "claims.sql").write_text(PIPELINE_SQL)
                result = run_update(folder, house, executor=executor)  # type: ignore[arg-type]
                assert result.status == "COMPLETED", [o.message for o in result.outcomes]
                assert sum(o.rows_in for o in result.outcomes if o.flow == "claims") == rows
                return result

            return run

        local = settings("local")
        results["files"]["local"] = best(args.repeat, files(local))
        results["postgres"]["local"] = best(args.repeat, postgres(local))
        results["pipeline"]["local"] = best(args.repeat, pipeline(local))
        started = time.perf_counter()
        with local_ray(1) as cluster:  # one node (the head runs tasks too); then a second node joins
            print(f"    Ray cluster of 1 node on {cluster.address} started in {time.perf_counter() - started:.1f}s")
            on_ray = settings("ray", max_bytes_per_task="4MB")
            # a flow's unit costs a DuckDB session and a task (~60 ms on this machine): units of 32 MB for (c)
            whole_files = settings("ray", max_bytes_per_task="32MB")
            for nodes in (1, 2):
                if nodes == 2:
                    cluster.add_node()
                    cluster.cluster.wait_for_nodes()
                files(on_ray)()  # warm the workers: their first import of lakeloader, pyarrow, deltalake
                postgres(on_ray)()
                pipeline(whole_files)()
                label = f"ray, {nodes} node{'s' if nodes > 1 else ''} of 1 CPU"
                results["files"][label] = best(args.repeat, files(on_ray))
                results["postgres"][label] = best(args.repeat, postgres(on_ray))
                results["pipeline"][label] = best(args.repeat, pipeline(whole_files))
    finally:
        server.stop()
        shutil.rmtree(data_dir.parent, ignore_errors=True)
        shutil.rmtree(workdir, ignore_errors=True)
    kinds = {"(a) files": ("files", rows), "(b) postgres": ("postgres", args.rows), "(c) pipeline": ("pipeline", rows)}
    for label, (kind, count) in kinds.items():
        base = results[kind]["local"]
        for how, seconds in results[kind].items():
            print(f"{label:13s} {how:24s} {seconds:6.2f}s  {count / seconds:>10,.0f} rows/s  {seconds / base:5.2f}x")
    print(json.dumps(results))


if __name__ == "__main__":
    main()
