"""Bench: what the Databricks SQL → DuckDB translator costs per query, and a query's end-to-end overhead.

(a) translation alone over the parity corpus (hundreds of pipeline-shaped queries): parse, type, rewrite and
    generate, each query once (as a first run pays it; a continuous pipeline's repeats are cached);
(b) `lakeloader sql`'s path against DuckDB running the same (already translated) query on the same Parquet files,
    over a 2,000,000-row table: the translator's and the views' share of a real query.

Run: `.venv/bin/python bench/sql_translation.py [--rows 2000000] [--repeat 5]`.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

import pyarrow as pa

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))


def translation_costs() -> list[float]:
    from tests.parity import edge_data
    from tests.parity.corpus import all_cases

    from lakeloader.lakehouse.root import Lakehouse
    from lakeloader.sql import Settings, to_duckdb, types
    from lakeloader.sql.translate import TranslateError

    with tempfile.TemporaryDirectory() as tmp:
        lh = Lakehouse(Path(tmp) / "lh")
        edge_data.write(lh)
        schema = {}
        for table in lh.list_tables():
            from lakeloader.lakehouse import delta

            arrow = delta.open_table(table.location).schema().to_arrow()
            schema[table.name.name] = {f.name: types.from_arrow(pa.field(f).type) for f in arrow}
    costs = []
    for case in all_cases():
        settings = Settings.from_conf(case.settings)
        started = time.perf_counter()
        try:
            to_duckdb(case.sql, settings=settings, schema=schema)
        except TranslateError:
            pass  # a refusal costs the same walk
        except Exception as exc:  # a translator bug: say which query, go on measuring the others
            print(f"   {case.id}: {type(exc).__name__}", file=sys.stderr)
        costs.append(time.perf_counter() - started)
    return costs


def end_to_end(rows: int, repeat: int) -> tuple[float, float]:
    import duckdb

    from lakeloader.lakehouse import delta
    from lakeloader.lakehouse.root import Lakehouse
    from lakeloader.lakehouse.sql import query

    sql = "SELECT grp, count(*) AS n, sum(v) AS s, avg(amount) AS a FROM main.default.facts GROUP BY grp ORDER BY grp"
    with tempfile.TemporaryDirectory() as tmp:
        lh = Lakehouse(Path(tmp) / "lh")
        table = lh.create_table("main.default.facts")
        data = pa.table(
            {
                "grp": pa.array([f"g{i % 50}" for i in range(rows)]),
                "v": pa.array(range(rows), pa.int32()),
                "amount": pa.array([i % 10_000 for i in range(rows)], pa.decimal128(12, 2)),
            }
        )
        delta.write(table.location, data)
        files = [str(f) for f in delta.local_files(delta.open_table(table.location))]
        listed = ", ".join("'" + f + "'" for f in files)
        ours, plain = [], []
        translated = None
        for _ in range(repeat):
            started = time.perf_counter()
            query(lh, sql)
            ours.append(time.perf_counter() - started)
            if translated is None:
                from lakeloader.sql import runtime, to_duckdb, types

                schema = {"facts": {f.name: types.from_arrow(f.type) for f in data.schema}}
                translated = to_duckdb(sql.replace("main.default.facts", "facts"), schema=schema)
            con = duckdb.connect()
            con.execute(f"CREATE VIEW facts AS SELECT * FROM read_parquet([{listed}])")
            runtime.ready(con, translated)  # the macros it calls, as lakeloader makes them once per database
            started = time.perf_counter()
            con.sql(translated).to_arrow_table()
            plain.append(time.perf_counter() - started)
            con.close()
    return min(ours), min(plain)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, default=2_000_000)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    costs = translation_costs()
    ms = sorted(c * 1000 for c in costs)
    print(f"(a) translation of {len(ms)} corpus queries, each once: median {statistics.median(ms):.2f} ms, "
          f"p95 {ms[int(len(ms) * 0.95)]:.2f} ms, max {ms[-1]:.2f} ms")  # fmt: skip
    ours, plain = end_to_end(args.rows, args.repeat)
    print(f"(b) lakeloader sql, group-by over {args.rows:,} rows: {ours:.3f}s  vs DuckDB on the same files "
          f"{plain:.3f}s  {ours / plain:.2f}x  (best of {args.repeat})")  # fmt: skip


if __name__ == "__main__":
    main()
