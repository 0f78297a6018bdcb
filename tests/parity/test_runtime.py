"""The translator's macros are made in a database when a query first calls them: every one, callees first, once,
from many cursors at once."""

from __future__ import annotations

import itertools
import threading

import duckdb

from lakeloader.lakehouse import guard
from lakeloader.sql import parse, runtime, to_duckdb


def test_every_macro_is_made_after_the_macros_it_calls() -> None:
    con = duckdb.connect()
    runtime.prepare(con)
    from lakeloader.sql import functions  # noqa: F401 — registers every macro

    names = " ".join(reversed(list(runtime.MACROS)))  # the order a query names them in is any
    runtime.ready(con, names)
    made = {
        row[0]
        for row in con.sql("SELECT function_name FROM duckdb_functions() WHERE function_type = 'macro'").fetchall()
    }
    assert set(runtime.MACROS) <= made


def test_a_query_makes_only_what_it_calls() -> None:
    con = duckdb.connect()
    runtime.prepare(con)
    assert runtime.ready(con, "SELECT 1") == "SELECT 1"
    sql = to_duckdb(parse("SELECT upper('ß') AS u"))
    assert con.sql(runtime.ready(con, sql)).fetchall() == [("SS",)]
    made = {
        row[0]
        for row in con.sql("SELECT function_name FROM duckdb_functions() WHERE function_type = 'macro'").fetchall()
    }
    assert "spark_upper" in made and "spark_cast_java_text" not in made


def test_cursors_of_one_database_make_each_macro_once_and_see_it(tmp_path: object) -> None:
    """Eight sessions at once on the shared, locked-down database, each needing macros none has made yet."""
    queries = [
        "SELECT cast(1.5D AS STRING) AS a",
        "SELECT upper('ß') AS a",
        "SELECT cast(1e308 AS STRING) AS a",
        "SELECT cast(cast(7 AS FLOAT) AS STRING) AS a",
    ] * 2
    expected = {"SELECT cast(1.5D AS STRING) AS a": "1.5", "SELECT upper('ß') AS a": "SS"}
    expected |= {"SELECT cast(1e308 AS STRING) AS a": "1.0E308", "SELECT cast(cast(7 AS FLOAT) AS STRING) AS a": "7.0"}
    folders = [f"{tmp_path}/only-this-test/"]
    failures: list[BaseException] = []
    answers: dict[int, str] = {}
    start = threading.Barrier(len(queries))

    def run(i: int, query: str) -> None:
        try:
            cursor = guard.shared_cursor(folders)
            sql = to_duckdb(parse(query))
            start.wait()
            answers[i] = cursor.sql(runtime.ready(cursor, sql)).fetchall()[0][0]
        except BaseException as exc:
            failures.append(exc)

    threads = [threading.Thread(target=run, args=(i, q)) for i, q in enumerate(queries)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not failures, failures
    assert [answers[i] for i in range(len(queries))] == [expected[q] for q in queries]


def test_nested_decimal_arithmetic_translates_to_sql_linear_in_its_depth() -> None:
    """Each operand of an exact decimal + - * / is computed once: with copies at every level, `(a + b) * c - a`
    over decimal(38,18) was 46 MB of SQL and five minutes of translation."""
    from lakeloader.sql import types

    schema = {"t": {name: types.of("decimal(38,18)") for name in "abc"}}
    expression = "a"
    sizes = []
    for op, operand in [("+", "b"), ("*", "c"), ("-", "a"), ("/", "b"), ("+", "c"), ("*", "a")]:
        expression = f"({expression} {op} {operand})"
        sizes.append(len(to_duckdb(parse(f"SELECT {expression} AS r FROM t"), schema=schema)))
    growth = [later - earlier for earlier, later in itertools.pairwise(sizes)]
    assert max(growth) < 2 * sizes[0], sizes
