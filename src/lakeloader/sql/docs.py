"""docs/sql.md from the function table: every Spark built-in function, exact or refused, and why.

Run `python -m lakeloader.sql.docs docs/sql.md` (`make docs` does); tests/test_docs.py checks it is current.
"""

from __future__ import annotations

import sys
from collections import defaultdict
from pathlib import Path

from lakeloader.sql.registry import spark_functions, spark_version, status

_GROUPS = {
    "agg_funcs": "Aggregate functions",
    "array_funcs": "Array functions",
    "avro_funcs": "Avro functions",
    "bitwise_funcs": "Bitwise functions",
    "collection_funcs": "Collection functions",
    "conditional_funcs": "Conditional functions",
    "conversion_funcs": "Conversion functions",
    "csv_funcs": "CSV functions",
    "datetime_funcs": "Date and time functions",
    "generator_funcs": "Generator functions",
    "hash_funcs": "Hash functions",
    "json_funcs": "JSON functions",
    "lambda_funcs": "Lambda (higher-order) functions",
    "map_funcs": "Map functions",
    "math_funcs": "Math functions",
    "misc_funcs": "Miscellaneous functions",
    "operators": "Operators and other built-ins",
    "predicate_funcs": "Predicates",
    "protobuf_funcs": "Protobuf functions",
    "sketch_funcs": "Sketch functions",
    "st_funcs": "Geospatial functions",
    "string_funcs": "String functions",
    "struct_funcs": "Struct functions",
    "url_funcs": "URL functions",
    "variant_funcs": "Variant functions",
    "vector_funcs": "Vector functions",
    "window_funcs": "Window functions",
    "xml_funcs": "XML functions",
}

INTRO = """\
# Databricks SQL: Spark's answers, or a clear refusal

Every SQL path of lakeloader — pipeline SQL, `dp.sql(...)` in Python flows, `lakeloader sql`, and the local part
of federated queries — runs through one translator (`src/lakeloader/sql/`) from Databricks SQL to DuckDB. Its
promise: a query gives exactly what Apache Spark {version} gives (values, and the types written to Delta), or it
is refused before it runs, in one line naming the function or construct. Nothing is silently different.

The proof is `tests/parity` (in `make test`): hundreds of queries over edge data (NULLs, limits, NaN, unicode, DST,
malformed JSON), each run by real Spark (pyspark and a JDK from PyPI) and by both lakeloader paths (`lakeloader
sql`, and a pipeline's materialized view read back from Delta); every one is equal or refused clearly.
`.venv/bin/python -m tests.parity.report` prints the count; `make parity-answers` asks Spark again.

## Session settings

| setting | default | what it changes |
|---|---|---|
| `spark.sql.session.timeZone` | `UTC` (never the machine's zone) | every conversion between an instant and \
wall-clock time: `hour(ts)`, `date_format`, `cast(ts AS STRING)`, `to_timestamp('2024-03-10 02:30')` |
| `spark.sql.ansi.enabled` | `true` (Spark 4's and Databricks SQL's default) | on: division by zero, overflow, an \
invalid cast and an index out of bounds are errors with Spark's error class (`[DIVIDE_BY_ZERO] ...`); off: \
NULL, or Java's wrap-around for integer overflow |

Set them in `spark-pipeline.yml`'s `configuration:` (a pipeline), with `SET key = value;` before a query, or
with `lakeloader sql --conf key=value`. `lakeloader sql --dialect duckdb` runs DuckDB's own dialect instead, as it
is (no translation, DuckDB's semantics).

## SQL functions in the catalog

`CREATE [OR REPLACE] FUNCTION [IF NOT EXISTS] catalog.schema.f(p TYPE, ...) RETURNS TYPE RETURN <expression>`
(or `RETURNS TABLE (c TYPE, ...) RETURN <query>`) and `DROP FUNCTION [IF EXISTS] catalog.schema.f`, run with
`lakeloader sql`, keep SQL functions in the catalog as Unity Catalog does. A query calls one as
`catalog.schema.f(...)`, `schema.f(...)` (the current catalog) or `f(...)` (the current catalog's `default`
schema; a pipeline's own schema in its queries), and a bare name that a Spark built-in has stays the built-in.
Each call is inlined before translation (arguments cast to the parameters' types, the result to the declared
type), so it gives the answer of the expression it stands for. TEMPORARY functions live in a pipeline's files
(`lakeloader sql` runs one statement: it keeps no session).

## Where lakeloader says no, and why

- **An untyped NULL in a table** (`named_struct('y', NULL)`, `SELECT NULL AS x` written by a pipeline): Spark calls
  its type VOID, which Delta tables here do not store (Databricks' own do only from Runtime 18.2). The flow fails in
  one line naming the column; give it a type (`CAST(NULL AS STRING)`). `lakeloader sql` answers it as Spark does.
- **Spark's time windows**: tumbling `window(ts, '10 minutes'[, slide = the same[, start]])` is Spark's (the struct
  `{{start, end}}`, aligned in UTC microseconds, rows with a NULL time left out, the grouped window named `window`);
  sliding windows (a slide shorter than the window) and `session_window` are refused by name.
- **VARIANT, sketches, XML, Avro/Protobuf/CSV text functions, seeded random numbers**: refused with their reasons
  in the table below.
- **A function no Spark built-in has** (DuckDB's `read_csv`, `read_text`, ...) is `[UNRESOLVED_ROUTINE] ... does
  not exist`, as in Spark; `lakeloader sql --dialect duckdb` runs DuckDB's own SQL (with `--unsafe` for its file
  functions).
- **`NaN > Infinity` over Parquet**: NaN is above every double in Spark, and here. Spark's Parquet scan can skip a
  row group whose only match is a NaN (Parquet's statistics leave NaN out), so Spark over Parquet files may answer
  otherwise; lakeloader gives the answer of Spark's own evaluation.

## Functions

{exact} of Spark's {total} built-in functions and operators are exact; the others are refused, each with its
reason (most: "not supported yet"). This table is generated from the translator's own function table
(`python -m lakeloader.sql.docs docs/sql.md`).
"""


def render() -> str:
    functions = spark_functions()
    by_group: dict[str, list[tuple[str, str, str]]] = defaultdict(list)
    exact = 0
    for f in functions:
        state, note = status(f["name"])
        exact += state == "exact"
        by_group[f["group"]].append((f["name"], state, note))
    out = [INTRO.format(version=spark_version(), exact=exact, total=len(functions))]
    for group in sorted(by_group, key=lambda g: _GROUPS.get(g, g)):
        rows = sorted(by_group[group])
        done = sum(1 for row in rows if row[1] == "exact")
        out.append(f"### {_GROUPS.get(group, group)} ({done} of {len(rows)} exact)\n")
        out.append("| function | status | note |")
        out.append("|---|---|---|")
        for name, shown_status, note in rows:
            shown = name.replace("|", "\\|")
            out.append(f"| `{shown}` | {shown_status} | {note.replace('|', '/')} |")
        out.append("")
    return "\n".join(out)


def main(argv: list[str]) -> int:
    target = Path(argv[0]) if argv else Path("docs/sql.md")
    target.write_text(render(), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
