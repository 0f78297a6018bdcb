"""Two streams joined under WATERMARKs: each matching pair emitted once, rows later than the watermark left out,
a LEFT OUTER join's unmatched row emitted (with NULLs) once no row to come can match it — Spark's stream-stream
join in append mode, checked against real Spark Structured Streaming."""

from __future__ import annotations

import datetime as dt
import os
import tempfile
from pathlib import Path
from typing import Any

import pyarrow as pa
import pytest

from lakeloader.lakehouse import delta
from lakeloader.lakehouse.root import Lakehouse
from tests.pipelines.conftest import Write, rows, run

BASE = dt.datetime(2024, 5, 1, 10, 0, tzinfo=dt.UTC)
Update = tuple[list[tuple[str, int]], list[tuple[str, int]]]  # (impressions, clicks): (ad, seconds after BASE)
Pair = tuple[str, int, int | None]

UPDATES: list[Update] = [
    ([("a", 0), ("b", 5)], [("a", 3)]),
    ([("c", 30)], []),
    ([], [("b", 6), ("c", 35), ("a", 50)]),
    ([("d", 60)], [("c", 45), ("b", 15)]),  # b@15 still meets b@5: one stream per update did not move the watermark
    ([("e", 100)], [("d", 99), ("c", 34)]),  # c@34 is late (watermark 35): it never meets c@30; d@60 leaves unmatched
]

JOIN = """\
CREATE OR REFRESH STREAMING TABLE joined
AS SELECT i.ad, i.it, c.ct
FROM STREAM(main.raw.imps) WATERMARK it DELAY OF INTERVAL 10 SECONDS AS i
{kind} JOIN STREAM main.raw.clicks WATERMARK ct DELAY OF INTERVAL 10 SECONDS AS c
ON i.ad = c.cad AND c.ct BETWEEN i.it AND i.it + INTERVAL 20 SECONDS;
"""


def joined_by_spark(updates: list[Update], *, outer: bool, delay: int = 10, span: int = 20) -> list[list[Pair]]:
    """Spark's stream-stream join run as a triggered update (`availableNow`) per update: what the table holds
    after each. Rows at or before the watermark are late and dropped; new rows of each side meet the other's kept
    rows and its new ones. The update's candidate watermark is the smallest of the streams' (max event time in
    this update - delay), never going back; it is kept (and rows evicted with it: impressions while
    `it >= W - span`, clicks while `ct >= W`, the BETWEEN bounds being inclusive; an impression leaving unmatched
    is emitted with NULLs by the outer join) only when both streams had new rows: with one, Spark's plan for
    the update has no watermark on the other stream, so nothing bounds the state and no batch keeps the new
    watermark."""
    epoch = -int((BASE - dt.datetime(1970, 1, 1, tzinfo=dt.UTC)).total_seconds())  # the watermark before any
    watermark = epoch
    kept_i: list[dict[str, Any]] = []
    kept_c: list[dict[str, Any]] = []
    out: list[Pair] = []
    after: list[list[Pair]] = []
    for imps, clicks in updates:
        new_i = [{"ad": a, "t": t, "m": False} for a, t in imps if t > watermark]
        new_c = [{"ad": a, "t": t, "m": False} for a, t in clicks if t > watermark]
        for left, right in [(i, c) for i in new_i for c in kept_c] + [(i, c) for i in kept_i + new_i for c in new_c]:
            if left["ad"] == right["ad"] and left["t"] <= right["t"] <= left["t"] + span:
                out.append((left["ad"], left["t"], right["t"]))
                left["m"] = right["m"] = True
        kept_i, kept_c = kept_i + new_i, kept_c + new_c
        if imps and clicks:
            watermark = max(watermark, min(max(t for _, t in rows) - delay for rows in (imps, clicks)))
            out += [(i["ad"], i["t"], None) for i in kept_i if outer and i["t"] < watermark - span and not i["m"]]
            kept_i = [i for i in kept_i if i["t"] >= watermark - span]
            kept_c = [c for c in kept_c if c["t"] >= watermark]
        after.append(sorted(out, key=str))
    return after


def land(lh: Lakehouse, update: Update) -> None:
    imps, clicks = update
    for table, column, key, events in (("imps", "it", "ad", imps), ("clicks", "ct", "cad", clicks)):
        lh.create_table(f"main.raw.{table}", if_not_exists=True)
        schema = pa.schema([(key, pa.string()), (column, pa.timestamp("us", tz="UTC"))])
        data = pa.Table.from_pylist(
            [{key: a, column: BASE + dt.timedelta(seconds=s)} for a, s in events], schema=schema
        )
        if events or not delta.is_delta_table(lh.table(f"main.raw.{table}").location):
            delta.write(lh.table(f"main.raw.{table}").location, data)


def held(lh: Lakehouse) -> list[Pair]:
    found = rows(lh, "SELECT ad, it, ct FROM main.silver.joined")
    seconds = [(r["ad"], int((r["it"] - BASE).total_seconds()),
                None if r["ct"] is None else int((r["ct"] - BASE).total_seconds())) for r in found]  # fmt: skip
    return sorted(seconds, key=str)


@pytest.mark.parametrize("kind", ["", "LEFT OUTER"])
def test_each_pair_once_and_unmatched_rows_when_nothing_can_match(lh: Lakehouse, pipeline: Write, kind: str) -> None:
    folder = pipeline({"j.sql": JOIN.format(kind=kind)})
    expected = joined_by_spark(UPDATES, outer=bool(kind))
    for update, table in zip(UPDATES, expected, strict=True):
        land(lh, update)
        result = run(folder, lh)
        assert result.status == "COMPLETED", result.error
        assert held(lh) == table
    assert ("b", 5, 15) in held(lh) and ("c", 30, 34) not in held(lh)  # late
    assert (("d", 60, None) in held(lh)) == bool(kind)
    assert run(folder, lh).status == "COMPLETED"  # nothing new: nothing again
    assert held(lh) == expected[-1]


def test_a_full_refresh_joins_all_input_again(lh: Lakehouse, pipeline: Write) -> None:
    folder = pipeline({"j.sql": JOIN.format(kind="")})
    for update in UPDATES:
        land(lh, update)
        assert run(folder, lh).status == "COMPLETED"
    assert run(folder, lh, full_refresh_selection=["joined"]).status == "COMPLETED"
    everything: Update = ([p for u in UPDATES for p in u[0]], [p for u in UPDATES for p in u[1]])
    assert held(lh) == joined_by_spark([everything], outer=False)[-1]
    assert ("c", 30, 34) in held(lh)  # one batch: nothing is late


def test_an_outer_join_without_a_time_range_is_refused(lh: Lakehouse, pipeline: Write) -> None:
    sql = JOIN.format(kind="LEFT OUTER").replace(" AND c.ct BETWEEN i.it AND i.it + INTERVAL 20 SECONDS", "")
    folder = pipeline({"j.sql": sql})
    land(lh, UPDATES[0])
    result = run(folder, lh)
    assert result.status != "COMPLETED"
    assert "needs a time range in its ON condition" in str(result.error) and "\n" not in str(result.error)


def spark_joined(updates: list[Update], *, outer: bool) -> list[list[Pair]]:
    """What real Spark's table holds after each update: the same rows as Parquet file streams, `withWatermark`,
    the same ON condition, append mode, one availableNow trigger per update."""
    import pyarrow.parquet as pq
    from pyspark.sql import functions as F

    from tests.parity.oracle import start_spark

    with tempfile.TemporaryDirectory(prefix="lakeloader-spark-") as folder:
        tmp = Path(folder)
        spark = start_spark(tmp)
        try:
            (tmp / "i").mkdir()
            (tmp / "c").mkdir()
            after = []
            for n, (imps, clicks) in enumerate(updates):
                for name, key, column, events in (("i", "ad", "it", imps), ("c", "cad", "ct", clicks)):
                    if events:
                        times = pa.array([BASE + dt.timedelta(seconds=s) for _, s in events], pa.timestamp("us", "UTC"))
                        pq.write_table(
                            pa.table({key: [a for a, _ in events], column: times}), tmp / name / f"{n}.parquet"
                        )
                i = spark.readStream.schema("ad string, it timestamp").parquet(str(tmp / "i"))
                c = spark.readStream.schema("cad string, ct timestamp").parquet(str(tmp / "c"))
                on = F.expr("i.ad = c.cad AND c.ct BETWEEN i.it AND i.it + INTERVAL 20 SECONDS")
                joined = (
                    i.withWatermark("it", "10 seconds")
                    .alias("i")
                    .join(c.withWatermark("ct", "10 seconds").alias("c"), on, "left_outer" if outer else "inner")
                )
                query = (
                    joined.select("ad", "it", "ct").writeStream.format("parquet")
                    .option("checkpointLocation", str(tmp / "checkpoint")).option("path", str(tmp / "out"))
                    .outputMode("append").trigger(availableNow=True).start()
                )  # fmt: skip
                query.awaitTermination()
                found = spark.read.parquet(str(tmp / "out")).collect() if list((tmp / "out").glob("*.parquet")) else []
                seconds = [(r["ad"], int((r["it"].replace(tzinfo=dt.UTC) - BASE).total_seconds()),
                            None if r["ct"] is None else int((r["ct"].replace(tzinfo=dt.UTC) - BASE).total_seconds()))
                           for r in found]  # fmt: skip
                after.append(sorted(seconds, key=str))
            return after
        finally:
            spark.stop()


@pytest.mark.slow
def test_spark_joins_the_same_pairs() -> None:
    """Spark is the oracle of the model the fast tests use (inner and LEFT OUTER)."""
    from tests.parity.oracle import spark_missing

    missing = spark_missing()
    if missing:
        if os.environ.get("CI"):
            pytest.fail(f"{missing}; CI compares with real Spark")
        pytest.skip(missing)
    for outer in (False, True):
        assert spark_joined(UPDATES, outer=outer) == joined_by_spark(UPDATES, outer=outer)
