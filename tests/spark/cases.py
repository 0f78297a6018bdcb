"""DataFrame programs asked of real PySpark and of lakeloader.spark: each builds its input with createDataFrame and
returns a DataFrame; `sql`, when given, asks the same question in SQL over the input as temporary view `t`."""

from __future__ import annotations

import datetime
import decimal
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

ROWS = [
    (1, "a", 1.5, decimal.Decimal("10.25"), datetime.date(2024, 1, 5), "x,y"),
    (2, "b", None, decimal.Decimal("3.10"), datetime.date(2024, 2, 29), "z"),
    (3, "a", 3.0, None, None, None),
    (4, "c", -2.25, decimal.Decimal("0.05"), datetime.date(2023, 12, 31), ""),
    (5, "b", 0.0, decimal.Decimal("7.00"), datetime.date(2024, 1, 1), "p,q,r"),
]
SCHEMA = "id BIGINT, k STRING, amount DOUBLE, price DECIMAL(10,2), d DATE, tags STRING"


@dataclass(frozen=True)
class Case:
    id: str
    program: Callable[[Any, Any, Any, Any], Any]  # (spark, df, F, Window) -> DataFrame
    sql: str | None = None


CASES = [
    Case(
        "select_arith",
        lambda s, df, F, W: df.select("id", (F.col("id") * 2 + 1).alias("x"), (F.col("amount") / 2).alias("h")).orderBy(
            "id"
        ),
        "SELECT id, id * 2 + 1 AS x, amount / 2 AS h FROM t ORDER BY id",
    ),
    Case(
        "group_agg",
        lambda s, df, F, W: (
            df.groupBy("k")
            .agg(
                F.sum("amount").alias("s"), F.count("*").alias("n"), F.avg("price").alias("p"), F.max("d").alias("last")
            )
            .orderBy("k")
        ),
        "SELECT k, sum(amount) AS s, count(*) AS n, avg(price) AS p, max(d) AS last FROM t GROUP BY k ORDER BY k",
    ),
    Case(
        "filter_when",
        lambda s, df, F, W: (
            df.filter(F.col("amount").isNotNull() & (F.col("id") > 1))
            .select(
                "id",
                F.when(F.col("amount") > 0, "pos").when(F.col("amount") < 0, "neg").otherwise("zero").alias("sign"),
            )
            .orderBy("id")
        ),
        "SELECT id, CASE WHEN amount > 0 THEN 'pos' WHEN amount < 0 THEN 'neg' ELSE 'zero' END AS sign"
        " FROM t WHERE amount IS NOT NULL AND id > 1 ORDER BY id",
    ),
    Case(
        "window_rank",
        lambda s, df, F, W: df.select(
            "id",
            "k",
            F.row_number().over(W.partitionBy("k").orderBy(F.col("id").desc())).alias("rn"),
            F.sum("id").over(W.partitionBy("k")).alias("tot"),
        ).orderBy("id"),
        "SELECT id, k, row_number() OVER (PARTITION BY k ORDER BY id DESC) AS rn, sum(id) OVER (PARTITION BY k) AS tot"
        " FROM t ORDER BY id",
    ),
    Case(
        "dates",
        lambda s, df, F, W: df.select(
            "id",
            F.date_format("d", "yyyy/MM").alias("ym"),
            F.date_add("d", 30).alias("later"),
            F.datediff(F.lit("2024-03-01").cast("date"), "d").alias("days"),
            F.year("d").alias("y"),
        ).orderBy("id"),
        "SELECT id, date_format(d, 'yyyy/MM') AS ym, date_add(d, 30) AS later, "
        "datediff(DATE'2024-03-01', d) AS days, year(d) AS y"
        " FROM t ORDER BY id",
    ),
    Case(
        "strings",
        lambda s, df, F, W: df.select(
            "id",
            F.upper("k").alias("u"),
            F.concat_ws("-", "k", F.col("id").cast("string")).alias("c"),
            F.split("tags", ",").alias("parts"),
            F.length("tags").alias("n"),
        ).orderBy("id"),
        "SELECT id, upper(k) AS u, concat_ws('-', k, CAST(id AS STRING)) AS c, "
        "split(tags, ',') AS parts, length(tags) AS n"
        " FROM t ORDER BY id",
    ),
    Case(
        "decimal_math",
        lambda s, df, F, W: df.select(
            "id",
            (F.col("price") * F.col("price")).alias("sq"),
            F.round("price", 1).alias("r"),
            (F.col("price") + 1).alias("p1"),
        ).orderBy("id"),
        "SELECT id, price * price AS sq, round(price, 1) AS r, price + 1 AS p1 FROM t ORDER BY id",
    ),
    Case(
        "withcolumn_drop",
        lambda s, df, F, W: (
            df.withColumn("big", F.col("id") > 2).withColumnRenamed("k", "kind").drop("tags", "d").orderBy("id")
        ),
        None,
    ),
    Case(
        "explode",
        lambda s, df, F, W: df.select("id", F.explode(F.split("tags", ",")).alias("tag")).orderBy("id", "tag"),
        "SELECT id, explode(split(tags, ',')) AS tag FROM t ORDER BY id, tag",
    ),
    Case(
        "join_self",
        lambda s, df, F, W: (
            df.alias("a")
            .join(df.groupBy("k").agg(F.count("*").alias("n")).alias("b"), "k", "left")
            .select("id", "k", "n")
            .orderBy("id")
        ),
        None,
    ),
    Case(
        "distinct_union",
        lambda s, df, F, W: df.select("k").union(df.select("k")).distinct().orderBy("k"),
        "SELECT DISTINCT k FROM (SELECT k FROM t UNION ALL SELECT k FROM t) ORDER BY k",
    ),
    Case(
        "na_fill",
        lambda s, df, F, W: df.select("id", "amount", "tags").na.fill({"amount": 0.0, "tags": "none"}).orderBy("id"),
        None,
    ),
    Case(
        "coalesce_cast",
        lambda s, df, F, W: df.select(
            "id",
            F.coalesce("amount", F.lit(-1.0)).alias("a"),
            F.col("price").cast("int").alias("pi"),
            F.col("id").cast("string").alias("sid"),
        ).orderBy("id"),
        "SELECT id, coalesce(amount, -1.0D) AS a, CAST(price AS INT) AS pi, CAST(id AS STRING) AS sid"
        " FROM t ORDER BY id",
    ),
    Case(
        "collect_struct",
        lambda s, df, F, W: (
            df.groupBy("k")
            .agg(
                F.sort_array(F.collect_list("id")).alias("ids"),
                F.struct(F.min("id").alias("lo"), F.max("id").alias("hi")).alias("range"),
            )
            .orderBy("k")
        ),
        "SELECT k, sort_array(collect_list(id)) AS ids, struct(min(id) AS lo, max(id) AS hi) AS range"
        " FROM t GROUP BY k ORDER BY k",
    ),
    Case(
        "python_udf",
        lambda s, df, F, W: df.select(
            "id",
            F.udf(lambda t: None if t is None else len(t.split(",")), "int")("tags").alias("n_tags"),
            F.udf(lambda k, i: f"{k}-{i}")("k", "id").alias("label"),
        ).orderBy("id"),
    ),
    Case(
        "pandas_udf",
        lambda s, df, F, W: df.select("id", F.pandas_udf(lambda a: a * 2 + 1, "double")("amount").alias("a2")).orderBy(
            "id"
        ),
    ),
    Case(
        "registered_udf_in_sql",
        lambda s, df, F, W: (
            s.udf.register("shout", lambda k: None if k is None else k.upper() + "!", "string"),
            df.createOrReplaceTempView("u"),
            s.sql("SELECT id, shout(k) AS loud FROM u ORDER BY id"),
        )[-1],
    ),
    Case(
        "divide_by_zero",
        lambda s, df, F, W: df.select((F.col("id") / F.lit(0)).alias("z")),
        "SELECT id / 0 AS z FROM t",
    ),
]
