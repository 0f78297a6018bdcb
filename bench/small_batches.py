"""Benchmark: what one small run costs, from the command line, next to the plain scripts it replaces.

Every figure is a whole process, start-up included, as cron or a pipeline runs it; medians of interleaved runs:
(a) a 10-row Postgres table into a new Delta table vs a psycopg script selecting the same rows;
(b) an incremental run with nothing new vs the same psycopg script;
(c) one new small Parquet file ingested vs a script reading that file with pyarrow;
(d) `lakeloader --help` and `lakeloader tables list` (target: 0.25 s) vs a bare `python -c pass`;
(e) the 2M-row table: `lakeloader ingest postgres` vs the raw `COPY ... TO STDOUT (FORMAT binary)` drain.

    .venv/bin/python bench/small_batches.py [--runs 7] [--big-rows 2000000]
"""

from __future__ import annotations

import argparse
import importlib.metadata
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Callable
from pathlib import Path

import psycopg
import pyarrow as pa
import pyarrow.parquet as pq

from lakeloader.embedded.server import EmbeddedPostgres, private_data_dir

PY = sys.executable
LAKELOADER = [PY, "-m", "lakeloader.cli"]
PSYCOPG_SCRIPT = "import sys, psycopg\nwith psycopg.connect(sys.argv[1]) as c: c.execute(sys.argv[2]).fetchall()\n"
PYARROW_SCRIPT = "import sys, pyarrow.parquet as pq\npq.read_table(sys.argv[1])\n"
DRAIN_SCRIPT = """
import sys, psycopg
with psycopg.connect(sys.argv[1]) as con, con.cursor().copy(sys.argv[2]) as copy:
    for _ in copy:
        pass
"""
BIG = """
CREATE TABLE public.big AS SELECT i::bigint AS id, lpad(i::text, 10, '0') AS npi, 'Provider ' || i AS name,
  (ARRAY['cardiology','oncology','pediatrics','radiology'])[1 + i % 4] AS specialty, 'City ' || (i % 1000) AS city,
  (ARRAY['CA','NY','TX','WA'])[1 + i % 4]::char(2) AS state, (10000 + i % 90000)::text AS zip, (i % 5 = 0) AS active,
  round((random() * 5)::numeric, 2)::numeric(3,2) AS rating, (i * 1.37)::numeric(12,2) AS revenue,
  timestamptz '2024-01-01' + i * interval '1 second' AS created_at,
  timestamptz '2024-01-01' + i * interval '1 second' AS updated_at
FROM generate_series(1, {rows}) i
"""


def timed(cmd: list[str], env: dict[str, str]) -> float:
    started = time.perf_counter()
    done = subprocess.run(cmd, capture_output=True, text=True, env=env)
    elapsed = time.perf_counter() - started
    if done.returncode != 0:
        raise SystemExit(f"{' '.join(cmd[:6])} failed: {done.stderr.strip()[-800:]}")
    return elapsed


GAP_S = 1.0


def interleaved(runs: int, *pairs: tuple[str, Callable[[], float]]) -> dict[str, float]:
    """Median seconds of each measure, the measures taking turns so a noisy neighbour slows all alike.

    Runs are GAP_S apart, as a scheduler spaces its runs: what a run leaves behind (a daemon's replacement
    worker, importing) is not counted against the next one, for cold and warm runs and the baselines alike.
    """
    times: dict[str, list[float]] = {name: [] for name, _ in pairs}
    for _ in range(runs):
        for name, measure in pairs:
            times[name].append(measure())
            time.sleep(GAP_S)
    return {name: statistics.median(values) for name, values in times.items()}


def line(label: str, ours: float, base: float, target: str) -> None:
    print(f"{label:<46} {ours:6.3f}s  vs {base:6.3f}s  {ours / base:5.2f}x  (target {target})")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--big-rows", type=int, default=2_000_000)
    parser.add_argument("--gap", type=float, default=GAP_S, help="seconds between two runs")
    args = parser.parse_args()
    globals()["GAP_S"] = args.gap
    work = Path(tempfile.mkdtemp(prefix="lakeloader-bench-"))
    data_dir = private_data_dir(ephemeral=True)
    server = EmbeddedPostgres(data_dir, password="bench-" + uuid.uuid4().hex[:12])
    server.start()
    try:
        run(server, work, args)
    finally:
        server.stop()
        shutil.rmtree(data_dir.parent, ignore_errors=True)
        shutil.rmtree(work, ignore_errors=True)


def run(server: EmbeddedPostgres, work: Path, args: argparse.Namespace) -> None:
    url = server.url(reveal=True)
    with psycopg.connect(url, autocommit=True) as con:
        con.execute(
            "CREATE TABLE public.t10 AS SELECT i AS id, 'name ' || i AS name, now() AS ts FROM generate_series(1, 10) i"
        )
    root = work / "lh"
    env = {**os.environ, "LAKELOADER_ROOT": str(root)}
    for setup in (["catalogs", "create", "main", "--if-not-exists"], ["schemas", "create", "main.bench"]):
        subprocess.run([*LAKELOADER, *setup], check=True, capture_output=True, env=env)
    driver = importlib.metadata.version("adbc-driver-postgresql")  # its build decides (e): docs/postgres_source.md
    print(f"{os.cpu_count()} cores; medians of {args.runs} interleaved runs, each a whole process; ADBC {driver}")
    landing = work / "landing"
    landing.mkdir()
    rows = pa.table(
        {"id": list(range(1000)), "name": [f"n{i}" for i in range(1000)], "v": [i * 0.5 for i in range(1000)]}
    )
    sample = landing / "sample.parquet"
    pq.write_table(rows, sample)
    if args.big_rows:
        with psycopg.connect(url, autocommit=True) as con:
            con.execute(BIG.format(rows=args.big_rows))
            con.execute("VACUUM ANALYZE public.big")
    print("cold: every run starts Python and imports its libraries")
    measure(url, env, work, rows, "cold", args)
    subprocess.run([*LAKELOADER, "daemon", "start"], check=True, capture_output=True, env=env)
    print("warm: `lakeloader daemon start` first; each run is handed to a worker that has imported them")
    try:
        measure(url, env, work, rows, "warm", args)
    finally:
        subprocess.run([*LAKELOADER, "daemon", "stop"], check=True, capture_output=True, env=env)


def measure(url: str, env: dict[str, str], work: Path, rows: pa.Table, kind: str, args: argparse.Namespace) -> None:
    counter = iter(range(1_000_000))

    def new_table() -> float:
        return timed([*LAKELOADER, "ingest", "postgres", "--source-url", url, "--table", "public.t10",
                      "--target", f"bench.new_{kind}_{next(counter)}", "--no-progress"], env)  # fmt: skip

    incremental = [*LAKELOADER, "ingest", "postgres", "--source-url", url, "--table", "public.t10", "--target",
                   f"bench.inc_{kind}", "--mode", "incremental", "--cursor", "id", "--no-progress"]  # fmt: skip
    timed(incremental, env)  # the first run loads the rows; the measured ones find nothing new
    baseline = [PY, "-c", PSYCOPG_SCRIPT, url, "SELECT * FROM public.t10"]
    got = interleaved(
        args.runs,
        ("psycopg", lambda: timed(baseline, env)),
        ("new", new_table),
        ("noop", lambda: timed(incremental, env)),
    )
    line("(a) 10-row table into a new Delta table", got["new"], got["psycopg"], "<= 1.5x")
    line("(b) incremental run with nothing new", got["noop"], got["psycopg"], "<= 1.2x")

    landing = work / "landing"
    files = iter(range(1_000_000))

    def one_file() -> float:
        pq.write_table(rows, landing / f"f_{kind}_{next(files):05d}.parquet")
        checkpoint = str(work / f"cp_files_{kind}")
        return timed([*LAKELOADER, "ingest", "files", "--path", str(landing), "--format", "parquet", "--target",
                      f"bench.files_{kind}", "--checkpoint", checkpoint, "--no-progress"], env)  # fmt: skip

    one_file()  # the first run takes the files already there; the measured ones find one new file each
    got = interleaved(
        args.runs,
        ("pyarrow", lambda: timed([PY, "-c", PYARROW_SCRIPT, str(landing / "sample.parquet")], env)),
        ("file", one_file),
    )
    line("(c) one new small Parquet file", got["file"], got["pyarrow"], "<= 1.5x")

    got = interleaved(
        args.runs,
        ("python", lambda: timed([PY, "-c", "pass"], env)),
        ("help", lambda: timed([*LAKELOADER, "--help"], env)),
        ("list", lambda: timed([*LAKELOADER, "tables", "list"], env)),
    )
    print(f"{'(d) lakeloader --help':<46} {got['help']:6.3f}s  (target <= 0.25 s; bare python {got['python']:.3f}s)")
    print(f"{'(d) lakeloader tables list':<46} {got['list']:6.3f}s  (target <= 0.25 s)")

    if args.big_rows:
        drain = [PY, "-c", DRAIN_SCRIPT, url, "COPY public.big TO STDOUT (FORMAT binary)"]
        targets = iter(range(1000))

        def big() -> float:
            return timed([*LAKELOADER, "ingest", "postgres", "--source-url", url, "--table", "public.big",
                          "--target", f"bench.big_{kind}_{next(targets)}", "--no-progress"], env)  # fmt: skip

        got = interleaved(3, ("drain", lambda: timed(drain, env)), ("big", big))
        line(f"(e) {args.big_rows:,} rows from the CLI, start-up included", got["big"], got["drain"], "<= 1.5x")


if __name__ == "__main__":
    main()
