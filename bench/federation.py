"""Benchmark: federated SQL over a 2M-row foreign table, against its physical limits, in one run.

Builds `trips` (2M rows, 6 columns) in an embedded server as the foreign database, with its own user and
password, and a 2M-row Delta table keyed like it. Prints, each as the median of several runs:

(a) a selective query (0.1 % of the rows, indexed), through `lakeloader sql`'s path in process (a new guarded
    DuckDB session per query, as the CLI opens) and through a pipeline's (`attach` on an open DuckDB session),
    against psql running the pushed-down statement itself (the same SQL and bound values; psql's process start
    included, as it is in any psql run) — target <= 1.2x; and against psycopg in process;
(b) the same selectivity without an index (a sequential scan on both sides);
(c) a join of the foreign table with the 2M-row Delta table, against DuckDB joining the same data already
    local (both tables Delta) — target <= 1.5x — once with every foreign row taking part (then moving them off
    Postgres is the floor: the pushed scan's COPY drain is printed next to it) and once with 1 % of them;
(d) a full scan (`SELECT *` to Arrow) against draining `COPY ... TO STDOUT (FORMAT binary)` — target <= 1.5x;
(e) with pgbouncer installed: 600 concurrent queries through it in transaction mode, ADBC in autocommit mode
    (the probe behind the pooler rules) against ours.

    .venv/bin/python bench/federation.py [--rows 2000000] [--runs 5]
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import subprocess
import tempfile
import time
import uuid
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any
from urllib.parse import quote

import duckdb
import psycopg
import pyarrow as pa

from lakeloader.embedded.server import EmbeddedPostgres, bin_dir, private_data_dir
from lakeloader.lakehouse.root import Lakehouse

BUILD = """
CREATE TABLE public.trips AS
SELECT i::bigint AS id, (i % 1000)::int AS vehicle, (i % 997) * 1.25::numeric(10, 2) AS fare, i / 7.0::float8 AS km,
       timestamptz '2024-01-01' + i * interval '1 second' AS started, 'city ' || (i % 50) AS city
FROM generate_series(1, {rows}) i;
ALTER TABLE public.trips ADD PRIMARY KEY (id);
CREATE INDEX ON public.trips (vehicle);
CREATE TABLE public.trips_noindex AS SELECT * FROM public.trips;
"""


def median(fn: Callable[[], Any], runs: int) -> float:
    fn()  # warm: caches, the ADBC driver's type table, DuckDB's first use
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        fn()
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def psql_bound(url: str, statement: str, params: list[str]) -> None:
    bound = " ".join("'" + p.replace("'", "''") + "'" for p in params)
    script = f"{statement} \\bind {bound} \\g\n" if params else f"{statement};\n"
    subprocess.run(
        [str(bin_dir() / "psql"), url, "-X", "-q", "-A", "-t", "-o", "/dev/null"],
        input=script,
        text=True,
        check=True,
        capture_output=True,
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, default=2_000_000)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()

    from lakeloader.federation.catalogs import create_foreign_catalog
    from lakeloader.federation.connections import create_connection
    from lakeloader.federation.query import attach, explain
    from lakeloader.lakehouse import delta
    from lakeloader.lakehouse.sql import query
    from lakeloader.secrets import SecretStore

    data_dir = private_data_dir(ephemeral=True)
    server = EmbeddedPostgres(data_dir, password="pw-" + uuid.uuid4().hex[:12])
    work = Path(tempfile.mkdtemp(prefix="bench-federation-"))
    try:
        server.start()
        user, password, db = "fed_bench", "pw-" + uuid.uuid4().hex, "fed_bench"
        with psycopg.connect(server.url(reveal=True), autocommit=True) as con:
            con.execute(f"CREATE ROLE {user} LOGIN PASSWORD '{password}'")
            con.execute(f"CREATE DATABASE {db} OWNER {user}")
        url = f"postgresql://{user}:{quote(password, safe='')}@127.0.0.1:{server.port}/{db}"
        t0 = time.perf_counter()
        with psycopg.connect(url, autocommit=True) as con:
            con.execute(BUILD.format(rows=args.rows))
            con.execute("VACUUM ANALYZE")
        print(f"built public.trips: {args.rows:,} rows x 6 columns in {time.perf_counter() - t0:.1f}s")

        lh = Lakehouse(work / "lh")
        store = SecretStore(lh.root)
        store.create_scope("bench")
        store.put_secret("bench", "pw", password)
        create_connection(
            lh, "pg", host="127.0.0.1", port=server.port, database=db, user=user, password="{{secrets/bench/pw}}"
        )
        create_foreign_catalog(lh, "fed", connection="pg")

        def federated(sql: str) -> pa.Table:
            return query(lh, sql, rewrite=lambda con, text: attach(con, lh, text).sql)

        # (a), (b) selective queries
        for label, table in (("(a) selective, indexed  ", "trips"), ("(b) selective, seq scan ", "trips_noindex")):
            sql = f"SELECT id, fare, started FROM fed.public.{table} WHERE vehicle = 42"
            scan = explain(lh, sql).scans[0]
            assert federated(sql).num_rows == args.rows // 1000
            ours = median(lambda sql=sql: federated(sql), args.runs)
            session = duckdb.connect()

            def pipeline(sql: str = sql, con: Any = session) -> None:
                con.sql(attach(con, lh, sql).sql).to_arrow_table()

            in_session = median(pipeline, args.runs)
            session.close()
            psql = median(lambda s=scan: psql_bound(url, s.statement, s.params), args.runs)

            def in_process(s: Any = scan) -> None:
                with psycopg.connect(url, prepare_threshold=None) as con:
                    con.cursor().execute(s.statement.replace("$1", "%s"), s.params).fetchall()

            pg = median(in_process, args.runs)
            print(
                f"{label}  sql path {ours * 1000:6.1f} ms ({ours / psql:.2f}x)   pipeline path "
                f"{in_session * 1000:6.1f} ms ({in_session / psql:.2f}x)   psql {psql * 1000:6.1f} ms "
                f"(target <= 1.2x)   psycopg in process {pg * 1000:6.1f} ms"
            )
        print(f"    remote statement: {scan.statement}  params {scan.params}")

        # (c) a join with a 2M-row Delta table
        lh.create_catalog("main", if_not_exists=True)
        lh.create_schema("main.bench", if_not_exists=True)
        ids = pa.array(range(1, args.rows + 1), pa.int64())
        meta = pa.table({"id": ids, "segment": pa.array([f"s{i % 20}" for i in range(args.rows)])})
        delta.write(lh.create_table("main.bench.meta").location, meta)
        local_trips = federated("SELECT * FROM fed.public.trips")
        delta.write(lh.create_table("main.bench.trips").location, local_trips)
        join = (
            "SELECT m.segment, count(*) AS n, sum(t.fare) AS fare FROM {trips} t JOIN main.bench.meta m "
            "ON t.id = m.id WHERE {where} GROUP BY m.segment ORDER BY m.segment"
        )
        # all 2M foreign rows take part (moving them is the floor), then 1 % of them (an indexed filter)
        for label, where in (("every row  ", "t.km > 10"), ("1 % of rows", "t.vehicle < 10")):
            fed_join = join.format(trips="fed.public.trips", where=where)
            local_join = join.format(trips="main.bench.trips", where=where)
            assert federated(fed_join).to_pylist() == query(lh, local_join).to_pylist()
            ours = median(lambda q=fed_join: federated(q), args.runs)
            local = median(lambda q=local_join: query(lh, q), args.runs)
            remote = explain(lh, fed_join).scans[0]

            def drain_pushed(s: Any = remote) -> None:  # the rows the join needs, moved at the wire's limit
                literal = s.statement
                for i, value in reversed(list(enumerate(s.params, start=1))):
                    literal = literal.replace(f"${i}", "'" + str(value).replace("'", "''") + "'")
                copy_sql = f"COPY ({literal}) TO STDOUT (FORMAT binary)"
                with psycopg.connect(url) as con, con.cursor().copy(copy_sql) as copy:
                    for _ in copy:
                        pass

            moved = median(drain_pushed, args.runs)
            print(
                f"(c) join with 2M-row Delta, {label}  ours {ours:6.2f} s    local {local:6.2f} s "
                f"({ours / local:.2f}x, target <= 1.5x)    the pushed scan's COPY binary drain {moved:6.2f} s, "
                f"+ the local join {moved + local:6.2f} s ({ours / (moved + local):.2f}x of that floor)"
            )
            print(f"    remote statement: {remote.statement}")

        # (d) full scan against the COPY binary drain
        def drain() -> None:
            with (
                psycopg.connect(url) as con,
                con.cursor().copy('COPY (SELECT * FROM "public"."trips") TO STDOUT (FORMAT binary)') as copy,
            ):
                for _ in copy:
                    pass

        def psql_drain() -> None:
            subprocess.run(
                [str(bin_dir() / "psql"), url, "-X", "-q", "-c",
                 'COPY (SELECT * FROM "public"."trips") TO STDOUT (FORMAT binary)'],
                stdout=subprocess.DEVNULL, check=True,
            )  # fmt: skip

        full = "SELECT * FROM fed.public.trips"
        assert federated(full).num_rows == args.rows
        ours = median(lambda: federated(full), args.runs)
        copy = median(drain, args.runs)
        copy_psql = median(psql_drain, args.runs)
        print(
            f"(d) full scan to Arrow       ours {ours:6.2f} s    COPY binary drain {copy:6.2f} s (psycopg; "
            f"{ours / copy:.2f}x, target <= 1.5x), {copy_psql:6.2f} s (psql; {ours / copy_psql:.2f}x)"
        )

        # (e) the pooler probe
        probe(server, user, password, db, lh)
    finally:
        server.stop()
        shutil.rmtree(data_dir.parent, ignore_errors=True)
        shutil.rmtree(work, ignore_errors=True)


def probe(server: EmbeddedPostgres, user: str, password: str, db: str, lh: Lakehouse) -> None:
    """600 concurrent queries through PgBouncer (transaction mode): ADBC in autocommit vs ours."""
    import sys

    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
    try:
        import pytest
        from tests.pgbouncer import PGBOUNCER, pgbouncer
    except ImportError:
        print("(e) pooler probe skipped: run from the repository with the dev extras installed")
        return
    if PGBOUNCER is None:
        print("(e) pooler probe skipped: pgbouncer is not installed")
        return
    import adbc_driver_manager
    import adbc_driver_postgresql

    from lakeloader.federation.catalogs import create_foreign_catalog
    from lakeloader.federation.connections import create_connection
    from lakeloader.federation.query import attach
    from lakeloader.lakehouse.sql import query

    probe_url = f"postgresql://{user}:{quote(password, safe='')}@127.0.0.1:{{port}}/{db}"
    try:
        with pgbouncer(server.port, {user: password}, pool_size=4, probe=probe_url) as port:
            url = probe_url.replace("{port}", str(port))
            database = adbc_driver_postgresql.connect(url)

            def expected(i: int) -> tuple[list[str], list[int]]:
                lo = (i * 13) % 9000
                return ["id", "vehicle", "city"][: 1 + i % 3], list(range(lo + 1, lo + 2 + i % 7))

            def adbc_autocommit(i: int) -> bool:
                columns, ids = expected(i)
                con = adbc_driver_manager.AdbcConnection(database)
                statement = adbc_driver_manager.AdbcStatement(con)
                try:
                    statement.set_sql_query(
                        f"SELECT {', '.join(columns)} FROM public.trips WHERE id BETWEEN {ids[0]} AND {ids[-1]} "
                        "ORDER BY id"
                    )
                    handle, _ = statement.execute_query()
                    table = pa.RecordBatchReader._import_from_c(handle.address).read_all()
                    return table.column_names == columns and table.column("id").to_pylist() == ids
                except Exception:
                    return False
                finally:
                    statement.close()
                    con.close()

            create_connection(
                lh, "pooled", host="127.0.0.1", port=port, database=db, user=user,
                password="{{secrets/bench/pw}}", pooler="transaction",
            )  # fmt: skip
            create_foreign_catalog(lh, "pooled", connection="pooled")

            def ours(i: int) -> bool:
                columns, ids = expected(i)
                sql = (
                    f"SELECT {', '.join(columns)} FROM pooled.public.trips WHERE id BETWEEN {ids[0]} AND {ids[-1]} "
                    "ORDER BY id"
                )
                try:
                    table = query(lh, sql, rewrite=lambda con, text: attach(con, lh, text).sql)
                except Exception:
                    return False
                return table.column_names == columns and table.column("id").to_pylist() == ids

            for label, fn in (("ADBC, autocommit", adbc_autocommit), ("ours (explicit tx)", ours)):
                started = time.perf_counter()
                with ThreadPoolExecutor(max_workers=100) as pool:
                    right = sum(pool.map(fn, range(600)))
                print(
                    f"(e) 600 concurrent through PgBouncer, {label:18}  {600 - right:3d} wrong or failed "
                    f"({time.perf_counter() - started:.1f} s)"
                )
    except pytest.skip.Exception:
        print("(e) pooler probe skipped: pgbouncer is not installed")


if __name__ == "__main__":
    main()
