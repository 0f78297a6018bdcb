"""WATERMARK ... DELAY OF: a streaming table's windowed aggregation is incremental and emits each window once,
when the watermark (latest event time minus the delay) passes its end; rows of windows already emitted come too
late and are left out, as in Spark's append mode."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pyarrow as pa
import pytest

from lakeloader.lakehouse import delta
from lakeloader.lakehouse.root import Lakehouse
from lakeloader.pipelines import watermarks
from tests.pipelines.conftest import Write, rows, run

BASE = dt.datetime(2024, 5, 1, 10, 0, tzinfo=dt.UTC)
SCHEMA = pa.schema([("user", pa.string()), ("ts", pa.timestamp("us", tz="UTC")), ("t", pa.string())])


def clicks(lh: Lakehouse, *events: tuple[str, int]) -> None:
    """Append clicks (user, seconds after BASE) to main.raw.clicks."""
    table = [{"user": u, "ts": BASE + dt.timedelta(seconds=s), "t": str(BASE + dt.timedelta(seconds=s))[:19]}
             for u, s in events]  # fmt: skip
    lh.create_table("main.raw.clicks", if_not_exists=True)
    delta.write(lh.table("main.raw.clicks").location, pa.Table.from_pylist(table, schema=SCHEMA))


def emitted_by_spark(batches: list[list[int]], *, size: int, delay: int) -> list[tuple[int, int]]:
    """The windows Spark's append mode emits over these micro-batches (seconds after BASE): (window start, count).
    Each batch: rows of windows already closed (end <= watermark) are late and dropped; then the watermark moves
    to max(event time) - delay and every window whose end it passed is emitted once."""
    watermark = -int((BASE - dt.datetime(1970, 1, 1, tzinfo=dt.UTC)).total_seconds())  # the epoch: before any
    seen, open_rows, out = None, [], []
    for batch in batches:
        open_rows += [s for s in batch if (s // size + 1) * size > watermark]
        latest = max(batch)
        seen = latest if seen is None else max(seen, latest)
        watermark = max(watermark, seen - delay)
        closed = sorted({s // size * size for s in open_rows if (s // size + 1) * size <= watermark})
        out += [(start, sum(1 for s in open_rows if s // size * size == start)) for start in closed]
        open_rows = [s for s in open_rows if (s // size + 1) * size > watermark]
    return out


WINDOWED = """\
CREATE OR REFRESH STREAMING TABLE per_window
AS SELECT window(ts, '10 seconds') AS w, count(*) AS n
FROM STREAM main.raw.clicks WATERMARK ts DELAY OF INTERVAL 5 SECONDS AS c
GROUP BY window(ts, '10 seconds');
"""


def windows(lh: Lakehouse, table: str = "main.silver.per_window") -> list[tuple[int, int]]:
    found = rows(lh, f"SELECT w.start AS s, n FROM {table} ORDER BY 1")
    return [(int((r["s"] - BASE).total_seconds()), r["n"]) for r in found]


def test_windows_are_emitted_once_when_the_watermark_passes_them(lh: Lakehouse, pipeline: Write) -> None:
    folder = pipeline({"w.sql": WINDOWED})
    batches = [[1, 5, 12], [8, 31], [3, 25, 45], [70]]
    for batch in batches:
        clicks(lh, *[("u", s) for s in batch])
        result = run(folder, lh)
        assert result.status == "COMPLETED", result.error
    assert windows(lh) == emitted_by_spark(batches, size=10, delay=5)
    assert windows(lh) == [(0, 3), (10, 1), (20, 1), (30, 1), (40, 1)]  # 3 came late; 45's window closed by 70
    assert run(folder, lh).status == "COMPLETED"  # nothing new: nothing emitted again
    assert windows(lh) == [(0, 3), (10, 1), (20, 1), (30, 1), (40, 1)]
    schema = pa.schema(delta.open_table(lh.table("main.silver.per_window").location).schema().to_arrow())
    types = {f.name: f.type for f in schema}
    assert str(types["w"]) == "struct<start: timestamp[us, tz=UTC], end: timestamp[us, tz=UTC]>"


def test_a_full_refresh_starts_the_watermark_over(lh: Lakehouse, pipeline: Write) -> None:
    folder = pipeline({"w.sql": WINDOWED})
    clicks(lh, ("u", 1), ("u", 12), ("u", 30))
    assert run(folder, lh).status == "COMPLETED"
    assert windows(lh) == [(0, 1), (10, 1)]
    clicks(lh, ("u", 2))  # late for the running stream
    assert run(folder, lh).status == "COMPLETED"
    assert windows(lh) == [(0, 1), (10, 1)]
    assert run(folder, lh, full_refresh_selection=["per_window"]).status == "COMPLETED"  # all input again, as one batch
    assert windows(lh) == [(0, 2), (10, 1)]


def test_a_named_expression_and_grouping_by_the_event_time_itself(lh: Lakehouse, pipeline: Write) -> None:
    folder = pipeline(
        {
            "w.sql": """\
            CREATE OR REFRESH STREAMING TABLE per_second
            AS SELECT event_time, user, count(*) AS n
            FROM STREAM(main.raw.clicks) WATERMARK to_timestamp(t) AS event_time DELAY OF INTERVAL '2' SECONDS
            GROUP BY event_time, user;
            """
        }
    )
    clicks(lh, ("a", 1), ("b", 1), ("a", 4))
    assert run(folder, lh).status == "COMPLETED"
    assert rows(lh, "SELECT user, n FROM main.silver.per_second ORDER BY user") == [
        {"user": "a", "n": 1},
        {"user": "b", "n": 1},
    ]
    clicks(lh, ("a", 1), ("a", 4), ("c", 9))  # 1 is late (<= watermark 2); 4 joins the open group
    assert run(folder, lh).status == "COMPLETED"
    got = rows(lh, "SELECT user, n, second(event_time) AS s FROM main.silver.per_second ORDER BY s, user")
    assert got == [{"user": "a", "n": 1, "s": 1}, {"user": "b", "n": 1, "s": 1}, {"user": "a", "n": 2, "s": 4}]
    names = pa.schema(delta.open_table(lh.table("main.silver.per_second").location).schema().to_arrow()).names
    assert names == ["event_time", "user", "n"]


@pytest.mark.parametrize(
    ("query", "said"),
    [
        ("SELECT user, count(*) AS n FROM STREAM main.raw.clicks WATERMARK ts DELAY OF INTERVAL 5 SECONDS "
         "GROUP BY user", "does not group by it"),
        ("SELECT window(ts, '10 seconds') AS w, count(*) AS n FROM STREAM main.raw.clicks WATERMARK ts DELAY OF "
         "INTERVAL 5 SECONDS GROUP BY 1 ORDER BY n", "ORDER BY"),
        ("SELECT count(*) AS n FROM STREAM main.raw.clicks WATERMARK user DELAY OF INTERVAL 5 SECONDS "
         "GROUP BY user", "needs a TIMESTAMP"),
    ],
)  # fmt: skip
def test_shapes_spark_does_not_run_are_refused_in_one_line(
    lh: Lakehouse, pipeline: Write, query: str, said: str
) -> None:
    folder = pipeline({"w.sql": f"CREATE OR REFRESH STREAMING TABLE bad AS {query};"})
    clicks(lh, ("u", 1))
    result = run(folder, lh)
    assert result.status != "COMPLETED"
    assert said in str(result.error) and "\n" not in str(result.error)


def test_the_clause_is_read_out_in_every_spelling() -> None:
    sql, marks = watermarks.read_out(
        "SELECT * FROM STREAM(LIVE.a) WATERMARK a_ts DELAY OF INTERVAL '5' MINUTE a "
        "JOIN STREAM b WATERMARK b.t DELAY OF INTERVAL 1 HOUR 30 MINUTES AS bb ON a.k = bb.k"
    )
    assert sql == "SELECT * FROM STREAM(LIVE.a) AS a JOIN STREAM b AS bb ON a.k = bb.k"
    assert [(m.column, m.delay_us, m.relation, m.source) for m in marks] == [
        ("a_ts", 300_000_000, "a", "LIVE.a"),
        ("t", 5_400_000_000, "bb", "b"),
    ]
    with pytest.raises(Exception, match="DELAY OF"):
        watermarks.read_out("SELECT * FROM STREAM s WATERMARK ts")


def spark_windows(tmp: Path, batches: list[list[int]], *, size: int, delay: int) -> list[tuple[int, int]]:
    """What real Spark emits: the same batches through Structured Streaming, append mode, one availableNow
    trigger per batch, `withWatermark` + `groupBy(window(...))` (the WATERMARK clause's DataFrame form)."""
    import pyarrow.parquet as pq
    from pyspark.sql import functions as F

    from tests.parity.oracle import start_spark

    spark = start_spark(tmp)
    try:
        source, out, checkpoint = tmp / "src", tmp / "out", tmp / "checkpoint"
        source.mkdir()
        for i, batch in enumerate(batches):
            stamps = [BASE + dt.timedelta(seconds=s) for s in batch]
            pq.write_table(pa.table({"ts": pa.array(stamps, pa.timestamp("us", tz="UTC"))}), source / f"{i}.parquet")
            grouped = (
                spark.readStream.schema("ts timestamp").parquet(str(source)).withWatermark("ts", f"{delay} seconds")
            )
            query = (
                grouped.groupBy(F.window("ts", f"{size} seconds")).count().writeStream.format("parquet")
                .option("checkpointLocation", str(checkpoint)).option("path", str(out))
                .outputMode("append").trigger(availableNow=True).start()
            )  # fmt: skip
            query.awaitTermination()
        found = spark.read.parquet(str(out)).collect()
        return sorted((int((r[0]["start"].replace(tzinfo=dt.UTC) - BASE).total_seconds()), r[1]) for r in found)
    finally:
        spark.stop()


@pytest.mark.slow
def test_spark_emits_the_same_windows(lh: Lakehouse, pipeline: Write) -> None:
    """Spark is the oracle: random batches (some rows late, some windows left open), Spark's emitted windows =
    this module's model of Spark = lakeloader's table."""
    import os
    import random

    from tests.parity.oracle import spark_missing

    missing = spark_missing()
    if missing:
        if os.environ.get("CI"):
            pytest.fail(f"{missing}; CI compares with real Spark")
        pytest.skip(missing)
    rng = random.Random(22)
    batches, clock = [], 0
    for _ in range(5):
        clock += rng.randint(5, 30)
        batches.append([max(0, clock - rng.randint(0, 25)) for _ in range(rng.randint(1, 6))])
    import tempfile

    with tempfile.TemporaryDirectory(prefix="lakeloader-spark-") as spark_folder:  # a path without spaces
        spark = spark_windows(Path(spark_folder), batches, size=10, delay=5)
    assert spark == emitted_by_spark(batches, size=10, delay=5)
    folder = pipeline({"w.sql": WINDOWED})
    for batch in batches:
        clicks(lh, *[("u", s) for s in batch])
        assert run(folder, lh).status == "COMPLETED"
    assert windows(lh) == spark


def test_files_parsed_to_timestamps_then_windowed(lh: Lakehouse, pipeline: Write) -> None:
    """The notebook shape: Auto Loader JSON (strings) → `to_timestamp` in bronze (it failed: 'cast from an
    expression of unknown type', the files' columns were not known when the read was looked for) → a windowed
    count under a watermark in silver."""
    lh.create_schema("main.landing", if_not_exists=True)
    landing = Path(lh.create_volume("main.landing.raw", if_not_exists=True).location or "")
    folder = pipeline(
        {
            "clicks.sql": """\
            -- Databricks notebook source
            CREATE OR REFRESH STREAMING TABLE bronze
            AS SELECT user, to_timestamp(ts) AS ts
            FROM STREAM read_files('/Volumes/main/landing/raw/', format => 'json')

            -- COMMAND ----------
            CREATE OR REFRESH STREAMING TABLE per_minute
            AS SELECT window(ts, '1 minute') AS w, count(*) AS clicks, count(DISTINCT user) AS users
            FROM STREAM(LIVE.bronze) WATERMARK ts DELAY OF INTERVAL 30 SECONDS AS c
            GROUP BY window(ts, '1 minute')
            """
        }
    )

    def land(name: str, *events: tuple[str, str]) -> None:
        (landing / name).write_text("".join(f'{{"user": "{u}", "ts": "2024-05-01 {t}"}}\n' for u, t in events))

    land("1.json", ("a", "10:00:05"), ("b", "10:00:40"), ("a", "10:01:10"))
    assert run(folder, lh).status == "COMPLETED"
    assert rows(lh, "SELECT * FROM main.silver.per_minute") == []  # watermark 10:00:40: no minute closed
    land("2.json", ("c", "10:00:59"), ("c", "10:01:50"), ("d", "10:03:00"))
    assert run(folder, lh).status == "COMPLETED"
    got = rows(lh, "SELECT minute(w.start) AS m, clicks, users FROM main.silver.per_minute ORDER BY m")
    assert got == [{"m": 0, "clicks": 3, "users": 3}, {"m": 1, "clicks": 2, "users": 2}]


def test_order_by_as_spark_allows_it(lh: Lakehouse, pipeline: Write) -> None:
    """ORDER BY: kept in an aggregation recomputed whole (Spark's complete mode sorts), refused in one line where
    rows are appended as they come (Spark: sorting is not supported on streaming DataFrames)."""
    from lakeloader.pipelines.load import load

    clicks(lh, ("b", 1), ("a", 2), ("b", 3))
    folder = pipeline({"s.sql": """\
        CREATE OR REFRESH STREAMING TABLE per_user AS
        SELECT user, count(*) AS n FROM STREAM main.raw.clicks GROUP BY user ORDER BY n DESC, user;
        CREATE OR REFRESH STREAMING TABLE sorted AS SELECT * FROM STREAM main.raw.clicks ORDER BY ts DESC;
        """})  # fmt: skip
    loaded = load(folder, lh)
    assert len(loaded.problems) == 1, loaded.problems
    assert "flow sorted sorts its stream (ORDER BY)" in loaded.problems[0] and "s.sql:3" in loaded.problems[0]
