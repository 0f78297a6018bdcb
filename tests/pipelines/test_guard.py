"""Pipeline SQL reads the lakehouse's tables and volumes and nothing else of the machine (the guard of
`lakeloader sql`), in SQL and in Python flows, with one DuckDB database shared by the update's flows."""

from __future__ import annotations

import pytest

from lakeloader.lakehouse.root import Lakehouse
from tests.pipelines.conftest import Write, add_events, outcome, rows, run

ATTEMPTS = [
    "SELECT * FROM read_csv('/etc/passwd')",
    "SELECT content FROM read_text('/proc/self/environ')",
    "SELECT * FROM read_blob('/etc/hostname')",
    "SELECT content FROM read_text('{root}/.lakeloader/metastore.db')",
]


@pytest.mark.parametrize("query", ATTEMPTS)
def test_a_view_cannot_read_files_outside_the_lakehouse(lh: Lakehouse, pipeline: Write, query: str) -> None:
    add_events(lh, [{"id": 1, "kind": "a", "amount": 1.0}])
    folder = pipeline({
        "a.sql": "CREATE OR REFRESH MATERIALIZED VIEW ok AS SELECT count(*) AS n FROM main.raw.events;\n"
                 f"CREATE OR REFRESH MATERIALIZED VIEW leak AS {query.format(root=lh.root)};\n",
    })  # fmt: skip
    result = run(folder, lh)
    failed = outcome(result, "leak")
    assert failed.status == "FAILED" and "\n" not in failed.message, failed.message
    function = query.split("FROM ")[1].split("(")[0]  # not Spark SQL: refused before DuckDB could try it
    assert f"function {function} does not exist" in failed.message, failed.message
    assert "passwd" not in failed.message.replace("/etc/passwd", "") and "root:" not in failed.message
    assert outcome(result, "ok").status == "COMPLETED"  # its sibling, in the same database, is unharmed
    assert rows(lh, "SELECT n FROM main.silver.ok") == [{"n": 1}]


def test_a_python_flow_cannot_lift_the_guard(lh: Lakehouse, pipeline: Write) -> None:
    add_events(lh, [{"id": 1, "kind": "a", "amount": 1.0}])
    folder = pipeline({"a.py": """\
        from lakeloader import pipelines as dp


        @dp.materialized_view
        def sneaky():
            return dp.sql("SELECT * FROM read_csv('/etc/passwd')")


        @dp.materialized_view
        def settings():  # a DuckDB relation's own expressions are DuckDB's: the guard still holds there
            return dp.read("main.raw.events").project("current_setting('enable_external_access') AS v")
        """})  # fmt: skip
    result = run(folder, lh)
    assert outcome(result, "sneaky").status == "FAILED"
    assert rows(lh, "SELECT v FROM main.silver.settings") == [{"v": False}]
