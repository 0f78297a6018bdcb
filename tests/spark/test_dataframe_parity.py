"""The DataFrame API against real PySpark: the same programs (tests/spark/cases.py), and the same questions in SQL,
give Spark's names, types and rows — or an error of the same kind."""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

import pytest

from tests.parity.compare import Answer, result, spark_type_to_arrow
from tests.spark.cases import CASES, ROWS, SCHEMA, Case

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def real_spark() -> Any:
    from tests.parity.oracle import start_spark

    folder = Path(tempfile.mkdtemp(prefix="llspark"))
    spark = start_spark(folder)
    yield spark
    spark.stop()


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
def test_dataframe_gives_sparks_answer(case: Case, real_spark: Any, ours: Any) -> None:
    expected = _spark_answer(real_spark, case.program)
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
