"""`withWatermark` in a Python pipeline: a DataFrame that aggregates its stream by `window(...)` under a watermark
is incremental, each window appended once when the watermark passes it — the windows Spark's append mode emits
(tests/pipelines/test_watermarks.py's model, itself compared with real Structured Streaming there)."""

from __future__ import annotations

import random

import pytest

from lakeloader.errors import ConfigError
from lakeloader.lakehouse.root import Lakehouse
from tests.pipelines.conftest import Write, run
from tests.pipelines.test_watermarks import clicks, emitted_by_spark, windows

PYTHON_WINDOWED = """\
import dlt
from pyspark.sql import functions as F


@dlt.table
def per_window():
    clicks = spark.readStream.table("main.raw.clicks").withWatermark("ts", "5 seconds")
    return (clicks.where(F.col("user").isNotNull()).withColumn("one", F.lit(1))
            .groupBy(F.window("ts", "10 seconds").alias("w")).agg(F.sum("one").alias("n")))
"""


def test_windows_emitted_once_as_spark_does(lh: Lakehouse, pipeline: Write) -> None:
    folder = pipeline({"w.py": PYTHON_WINDOWED})
    batches = [[1, 5, 12], [8, 31], [3, 25, 45], [70]]
    for batch in batches:
        clicks(lh, *[("u", s) for s in batch])
        result = run(folder, lh)
        assert result.status == "COMPLETED", [o.message for o in result.outcomes]
    assert windows(lh) == emitted_by_spark(batches, size=10, delay=5)
    assert run(folder, lh).status == "COMPLETED"  # nothing new: nothing emitted again
    assert windows(lh) == emitted_by_spark(batches, size=10, delay=5)


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_random_batches_match_sparks_model(lh: Lakehouse, pipeline: Write, seed: int) -> None:
    rng = random.Random(seed)
    batches, clock = [], 0
    for _ in range(5):
        clock += rng.randint(5, 30)
        batches.append([max(0, clock - rng.randint(0, 25)) for _ in range(rng.randint(1, 6))])
    folder = pipeline({"w.py": PYTHON_WINDOWED})
    for batch in batches:
        clicks(lh, *[("u", s) for s in batch])
        assert run(folder, lh).status == "COMPLETED"
    assert windows(lh) == emitted_by_spark(batches, size=10, delay=5)


def test_a_non_row_wise_step_before_the_aggregation_is_refused(lh: Lakehouse, pipeline: Write) -> None:
    clicks(lh, ("u", 1))
    folder = pipeline({"w.py": PYTHON_WINDOWED.replace(".where(", ".distinct().where(")})
    result = run(folder, lh)
    assert result.status == "FAILED"
    message = next(o.message for o in result.outcomes if o.message)
    assert "withWatermark: the steps between the streams and groupBy or join must be row-wise" in message
    with pytest.raises(ConfigError, match="withWatermark delay 'soon'"):
        from lakeloader.pipelines.spark_flow import _interval

        _interval("soon", "here")


PYTHON_JOIN = """\
import dlt
from pyspark.sql import functions as F


@dlt.table
def joined():
    imps = spark.readStream.table("main.raw.imps").withWatermark("it", "10 seconds")
    clicks = spark.readStream.table("main.raw.clicks").withWatermark("ct", "10 seconds")
    within = F.col("ct").between(F.col("it"), F.col("it") + F.expr("INTERVAL 20 SECONDS"))
    meets = (F.col("ad") == F.col("cad")) & within
    return imps.join(clicks, meets, "{how}").select("ad", "it", "ct")
"""


@pytest.mark.parametrize("how", ["inner", "left_outer"])
def test_a_join_of_two_streams_under_watermarks(lh: Lakehouse, pipeline: Write, how: str) -> None:
    from tests.pipelines.test_stream_joins import UPDATES, held, joined_by_spark, land

    folder = pipeline({"j.py": PYTHON_JOIN.format(how=how)})
    expected = joined_by_spark(UPDATES, outer=how != "inner")
    for update, table in zip(UPDATES, expected, strict=True):
        land(lh, update)
        result = run(folder, lh)
        assert result.status == "COMPLETED", [o.message for o in result.outcomes]
        assert held(lh) == table
    assert run(folder, lh).status == "COMPLETED"  # nothing new: nothing again
    assert held(lh) == expected[-1]
