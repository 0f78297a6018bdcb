"""The DataFrame API against real PySpark: the same programs (tests/spark/cases.py), and the same questions in SQL,
give Spark's names, types and rows — or an error of the same kind."""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

import pytest

from tests.parity.compare import Answer, result, spark_type_to_arrow
from tests.spark.cases import CASES, ROWS, SCHEMA, Case

ANSWERS = Path(__file__).resolve().parent / "answers"


class Oracle:
    """Spark's answer to a case: from `answers/` (committed), or from one real Spark session started only on a
    miss (a new or changed case; `LAKELOADER_REFRESH_SPARK=1` asks again for all), as tests/parity does."""

    def __init__(self) -> None:
        self.spark: Any = None

    def key(self, case: Case) -> str:
        import hashlib
        import inspect

        from tests.parity.oracle import spark_version

        text = "\n".join(
            [case.id, inspect.getsource(case.program), case.sql or "", repr(ROWS), SCHEMA, spark_version()]
        )
        return hashlib.sha256(text.encode()).hexdigest()[:16]

    def answer(self, case: Case) -> Answer:
        import json
        import os

        path = ANSWERS / f"{case.id}.json"
        key = self.key(case)
        if path.exists() and not os.environ.get("LAKELOADER_REFRESH_SPARK"):
            record = json.loads(path.read_text(encoding="utf-8"))
            if record["key"] == key:
                return Answer.from_json(record["answer"])
        if self.spark is None:
            from tests.parity.oracle import start_spark

            self.spark = start_spark(Path(tempfile.mkdtemp(prefix="llspark")))
        found = _spark_answer(self.spark, case.program)
        ANSWERS.mkdir(exist_ok=True)
        path.write_text(json.dumps({"id": case.id, "key": key, "answer": found.to_json()}, default=str) + "\n")
        return found


@pytest.fixture(scope="module")
def oracle() -> Any:
    found = Oracle()
    yield found
    if found.spark is not None:
        found.spark.stop()


@pytest.fixture(scope="module")
def ours(tmp_path_factory: pytest.TempPathFactory) -> Any:
    from lakeloader.lakehouse.root import Lakehouse
    from lakeloader.spark import session

    return session(Lakehouse(tmp_path_factory.mktemp("lh")))


def _spark_answer(spark: Any, make: Any) -> Answer:
    from pyspark.errors import PySparkException
    from pyspark.sql import Window
    from pyspark.sql import functions as F

    try:
        frame = make(spark, spark.createDataFrame(ROWS, SCHEMA), F, Window)
        table = frame.toArrow()
    except PySparkException as exc:
        return Answer(error=type(exc).__name__, message=str(exc).splitlines()[0])
    answer = result(table)
    types = [spark_type_to_arrow(f.dataType.jsonValue()) for f in frame.schema.fields]
    return Answer(names=[f.name for f in frame.schema.fields], types=types, rows=answer.rows)


def _our_answer(spark: Any, make: Any) -> Answer:
    from lakeloader.errors import LakeloaderError
    from lakeloader.spark import functions as F
    from lakeloader.spark.window import Window

    try:
        table = make(spark, spark.createDataFrame(ROWS, SCHEMA), F, Window).toArrow()
    except LakeloaderError as exc:
        return Answer(error=type(exc).__name__, message=str(exc).splitlines()[0])
    return result(table)


def _sql(sql: str) -> Any:
    def make(spark: Any, df: Any, F: Any, W: Any) -> Any:
        df.createOrReplaceTempView("t")
        return spark.sql(sql)

    return make


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_dataframe_gives_sparks_answer(case: Case, oracle: Oracle, ours: Any) -> None:
    expected = oracle.answer(case)
    got = _our_answer(ours, case.program)
    if expected.error is not None:
        assert got.error is not None, f"Spark failed ({expected.message}); lakeloader gave {got.rows}"
        return
    assert got.error is None, got.message
    assert (got.names, got.types, got.rows) == (expected.names, expected.types, expected.rows)
    if case.sql is not None:
        in_sql = _our_answer(ours, _sql(case.sql))
        assert in_sql.error is None, in_sql.message
        assert (in_sql.types, in_sql.rows) == (expected.types, expected.rows)
