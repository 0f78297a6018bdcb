"""A corpus of PySpark pipelines and notebooks written as Databricks users write them (`import dlt`, `from pyspark
import pipelines as dp`, `spark.readStream` with Auto Loader, DataFrame transformations, notebooks that
saveAsTable and writeStream), each run twice with new input between, every table compared with an oracle computed
here in Python from the same input (tests/pipelines/test_corpus.py's), not by any SQL engine."""

from __future__ import annotations

import json
from collections import defaultdict
from pathlib import Path
from typing import Any

import pytest

from lakeloader.lakehouse.root import Lakehouse
from tests.pipelines.test_corpus import (
    Case,
    Event,
    _append_flows,
    _backfill,
    _configured,
    _declared,
    _json_paths,
    _medallion,
    _mv_chain,
    _scd1,
    _scd2,
    _sorted,
    _stream_static,
    _streaming_counts,
    run_case,
)

NB = "# Databricks notebook source\n"
CELL = "\n# COMMAND ----------\n\n"


def _banded(all_events: list[Event]) -> dict[str, list[tuple[Any, ...]]]:
    def band(amount: float | None) -> str:
        return "none" if amount is None else "high" if amount > 20 else "low"

    return {"banded": _sorted([(e["id"], band(e["amount"]), e["kind"].upper()) for e in all_events])}


def _kept_two_rules(all_events: list[Event]) -> dict[str, list[tuple[Any, ...]]]:
    kept = [e for e in all_events if e["kind"] != "c" and e["amount"] is not None]
    return {"checked": _sorted([(e["id"],) for e in kept])}


def _gold_only(all_events: list[Event]) -> dict[str, list[tuple[Any, ...]]]:
    return {"gold": _medallion(all_events)["gold"]}


def _landed_once(all_events: list[Event]) -> dict[str, list[tuple[Any, ...]]]:
    return {
        "raw_files": _sorted([(e["id"], e["kind"], f"round{e['id'] // 8}.json") for e in all_events]),
        "per_file": _sorted([(f"round{r}.json", 8) for r in sorted({e["id"] // 8 for e in all_events})]),
    }


def _ids_once(all_events: list[Event]) -> dict[str, list[tuple[Any, ...]]]:
    return {"copied": _sorted([(e["id"], e["kind"], e["amount"]) for e in all_events])}


def _stats(all_events: list[Event]) -> dict[str, list[tuple[Any, ...]]]:
    by: dict[str, list[float]] = defaultdict(list)
    for e in all_events:
        if e["amount"] is not None:
            by[e["kind"]].append(e["amount"])
    return {"stats": _sorted([(k, len(v), min(v), max(v)) for k, v in by.items()])}


def _latest_per_key(all_events: list[Event]) -> dict[str, list[tuple[Any, ...]]]:
    latest: dict[int, int] = {}
    for e in all_events:
        latest[e["id"] % 5] = max(latest.get(e["id"] % 5, e["id"]), e["id"])
    return {"latest": _sorted(list(latest.items()))}


def _unioned(all_events: list[Event]) -> dict[str, list[tuple[Any, ...]]]:
    both = [(e["id"], "event") for e in all_events] + [(-1, "history"), (-2, "history")]
    return {"unioned": _sorted(both)}


CASES = [
    Case(
        "dlt_medallion",
        {
            "medallion.py": """\
            import dlt
            from pyspark.sql import functions as F

            @dlt.table(comment="raw events")
            def bronze():
                return spark.readStream.table("main.raw.events").select("id", "kind", "amount")

            @dlt.table
            @dlt.expect_or_drop("positive", "amount >= 0")
            def silver():
                return dlt.read_stream("bronze")

            @dlt.table
            def gold():
                return dlt.read("silver").groupBy("kind").agg(F.sum("amount").alias("total"))
            """,
        },
        _medallion,
        {
            "bronze": "SELECT id, kind, amount FROM main.silver.bronze",
            "silver": "SELECT id, kind, amount FROM main.silver.silver",
            "gold": "SELECT kind, total FROM main.silver.gold",
        },
    ),
    Case(
        "sdp_medallion",
        {
            "medallion.py": """\
            from pyspark import pipelines as dp
            from pyspark.sql.functions import col, sum as sum_

            @dp.table
            def bronze():
                return spark.readStream.table("main.raw.events").select("id", "kind", "amount")

            @dp.table
            @dp.expect_or_drop("positive", "amount >= 0")
            def silver():
                return spark.readStream.table("bronze").where(col("id").isNotNull())

            @dp.materialized_view
            def gold():
                return spark.read.table("silver").groupBy("kind").agg(sum_("amount").alias("total"))
            """,
        },
        _medallion,
        {
            "bronze": "SELECT id, kind, amount FROM main.silver.bronze",
            "silver": "SELECT id, kind, amount FROM main.silver.silver",
            "gold": "SELECT kind, total FROM main.silver.gold",
        },
    ),
    Case(
        "dlt_autoloader_metadata",
        {
            "files.py": """\
            # Databricks notebook source
            import dlt
            from pyspark.sql import functions as F

            # COMMAND ----------

            @dlt.table
            def raw_files():
                return (
                    spark.readStream.format("cloudFiles")
                    .option("cloudFiles.format", "json")
                    .option("cloudFiles.inferColumnTypes", "true")
                    .load("/Volumes/main/landing/raw/events")
                    .select("id", "kind", F.col("_metadata.file_name").alias("file"))
                )

            @dlt.table
            def per_file():
                return dlt.read("raw_files").groupBy("file").count().withColumnRenamed("count", "n")
            """,
        },
        _landed_once,
        {
            "raw_files": "SELECT id, kind, file FROM main.silver.raw_files",
            "per_file": "SELECT file, n FROM main.silver.per_file",
        },
        landing=True,
    ),
    Case(
        "dlt_window_rank",
        {
            "ranked.py": """\
            import dlt
            from pyspark.sql import Window, functions as F

            @dlt.table
            def ranked():
                known = spark.read.table("main.raw.events").where(F.col("amount").isNotNull())
                w = Window.partitionBy("kind").orderBy(F.col("amount").desc(), "id")
                return known.select("id", "kind", F.rank().over(w).alias("r"))

            @dlt.table
            def top():
                return dlt.read("ranked").filter("r = 1").select("id", "kind")
            """,
        },
        _mv_chain,
        {"ranked": "SELECT id, kind, r FROM main.silver.ranked", "top": "SELECT id, kind FROM main.silver.top"},
    ),
    Case(
        "dlt_apply_changes_scd1",
        {
            "cdc.py": """\
            import dlt
            from pyspark.sql.functions import col, expr, struct

            @dlt.view
            def changes():
                return spark.readStream.table("main.raw.events").select(
                    (col("id") % 5).alias("key"), "kind", "amount", "seq", "id")

            dlt.create_streaming_table("customers")
            dlt.apply_changes(target="customers", source="changes", keys=["key"],
                              sequence_by=struct("seq", "id"), except_column_list=["seq", "id"],
                              stored_as_scd_type=1)
            """,
        },
        _scd1,
        {"customers": "SELECT key, kind, amount FROM main.silver.customers"},
    ),
    Case(
        "sdp_auto_cdc_scd2",
        {
            "history.py": """\
            from pyspark import pipelines as dp
            from pyspark.sql import functions as F

            @dp.temporary_view
            def keyed():
                return spark.readStream.table("main.raw.events").select((F.col("id") % 3).alias("key"), "kind", "id")

            dp.create_streaming_table("history")
            dp.create_auto_cdc_flow(target="history", source="keyed", keys=["key"], sequence_by=F.col("id"),
                                    column_list=["key", "kind"], stored_as_scd_type=2)
            """,
        },
        _scd2,
        {"history": "SELECT key, kind, __START_AT, __END_AT FROM main.silver.history"},
    ),
    Case(
        "dlt_stream_static_join",
        {
            "labelled.py": """\
            import dlt

            @dlt.table
            def labelled():
                events = spark.readStream.table("main.raw.events")
                kinds = spark.read.table("main.raw.kinds")
                return events.join(kinds, "kind").select("id", "label")
            """,
        },
        _stream_static,
        {"labelled": "SELECT id, label FROM main.silver.labelled"},
    ),
    Case(
        "dlt_append_flows",
        {
            "merged.py": """\
            import dlt
            from pyspark.sql import functions as F

            dlt.create_streaming_table("merged")

            @dlt.append_flow(target="merged")
            def only_a():
                return spark.readStream.table("main.raw.events").where("kind = 'a'").select(
                    "id", F.lit("a").alias("grp"))

            @dlt.append_flow(target="merged")
            def the_rest():
                return spark.readStream.table("main.raw.events").where(F.col("kind") != "a").select(
                    "id", F.lit("other").alias("grp"))
            """,
        },
        _append_flows,
        {"merged": "SELECT id, grp FROM main.silver.merged"},
    ),
    Case(
        "dlt_backfill_once",
        {
            "everything.py": """\
            import dlt

            dlt.create_streaming_table("everything")

            @dlt.append_flow(target="everything", once=True)
            def backfill():
                return spark.read.table("main.raw.history").select("id", "kind")

            @dlt.append_flow(target="everything")
            def live():
                return spark.readStream.table("main.raw.events").select("id", "kind")
            """,
        },
        _backfill,
        {"everything": "SELECT id, kind FROM main.silver.everything"},
    ),
    Case(
        "dlt_conf_and_views",
        {
            "views.py": """\
            import dlt
            from pyspark.sql.functions import col

            THRESHOLD = float(spark.conf.get("threshold"))

            @dlt.view
            def known():
                return spark.read.table("main.raw.events").where(col("amount").isNotNull())

            @dlt.view
            def big():
                return dlt.read("known").where(col("amount") > THRESHOLD)

            @dlt.table
            def big_by_kind():
                return dlt.read("big").groupBy("kind").count().withColumnRenamed("count", "n")
            """,
        },
        _configured,
        {"big_by_kind": "SELECT kind, n FROM main.silver.big_by_kind"},
        configuration='  threshold: "15"',
    ),
    Case(
        "dlt_json_explode",
        {
            "tagged.py": """\
            import dlt
            from pyspark.sql import functions as F

            @dlt.table
            def landed():
                return (spark.readStream.format("cloudFiles").option("cloudFiles.format", "json")
                        .option("cloudFiles.inferColumnTypes", True).load("/Volumes/main/landing/raw/events"))

            @dlt.table
            def tagged():
                return dlt.read("landed").select(
                    "id", F.col("payload.device.name").alias("device"), F.explode("tags").alias("tag"))
            """,
        },
        _json_paths,
        {"tagged": "SELECT id, device, tag FROM main.silver.tagged"},
        landing=True,
    ),
    Case(
        "dlt_when_otherwise",
        {
            "banded.py": """\
            import dlt
            import pyspark.sql.functions as F

            @dlt.table
            def banded():
                amount = F.col("amount")
                band = F.when(amount.isNull(), "none").when(amount > 20, "high").otherwise("low")
                return spark.table("main.raw.events").select("id", band.alias("band"), F.upper("kind").alias("k"))
            """,
        },
        _banded,
        {"banded": "SELECT id, band, k FROM main.silver.banded"},
    ),
    Case(
        "dlt_python_udf",
        {
            "banded.py": """\
            import dlt
            from pyspark.sql.functions import col, pandas_udf, udf
            from pyspark.sql.types import StringType


            @udf(returnType=StringType())
            def band(amount):
                return "none" if amount is None else "high" if amount > 20 else "low"


            @pandas_udf("string")
            def shout(kind):
                return kind.str.upper()


            @dlt.table
            def banded():
                return spark.read.table("main.raw.events").select("id", band(col("amount")).alias("band"),
                                                                    shout("kind").alias("k"))
            """,
        },
        _banded,
        {"banded": "SELECT id, band, k FROM main.silver.banded"},
    ),
    Case(
        "sdp_declared_schema",
        {
            "typed.py": """\
            from pyspark import pipelines as dp
            from pyspark.sql.types import DecimalType, IntegerType, StructField, StructType

            SCHEMA = StructType([StructField("id", IntegerType(), False), StructField("amount", DecimalType(10, 2))])

            @dp.materialized_view(schema=SCHEMA)
            def typed():
                return spark.read.table("main.raw.events").where("amount IS NOT NULL").select("id", "amount")
            """,
        },
        _declared,
        {"typed": "SELECT id, amount FROM main.silver.typed"},
    ),
    Case(
        "dlt_expect_all_or_drop",
        {
            "checked.py": """\
            import dlt

            RULES = {"no_c": "kind <> 'c'", "has_amount": "amount IS NOT NULL"}

            @dlt.table
            @dlt.expect_all_or_drop(RULES)
            def checked():
                return spark.readStream.table("main.raw.events").select("id", "kind", "amount")
            """,
        },
        _kept_two_rules,
        {"checked": "SELECT id FROM main.silver.checked"},
    ),
    Case(
        "dlt_streaming_aggregation_recomputed",
        {
            "kinds.py": """\
            import dlt
            from pyspark.sql import functions as F

            @dlt.table
            def kinds():
                return (spark.readStream.table("main.raw.events").groupBy("kind")
                        .agg(F.count("*").alias("n"), F.coalesce(F.sum("amount"), F.lit(0.0)).alias("total")))
            """,
        },
        _streaming_counts,
        {"kinds": "SELECT kind, n, total FROM main.silver.kinds"},
    ),
    Case(
        "dlt_spark_sql_and_stats",
        {
            "stats.py": """\
            import dlt

            @dlt.table
            def stats():
                return spark.sql(
                    "SELECT kind, count(amount) AS n, min(amount) AS lo, max(amount) AS hi "
                    "FROM main.raw.events WHERE amount IS NOT NULL GROUP BY kind")
            """,
        },
        _stats,
        {"stats": "SELECT kind, n, lo, hi FROM main.silver.stats"},
    ),
    Case(
        "dlt_union_by_name",
        {
            "unioned.py": """\
            import dlt
            from pyspark.sql.functions import lit

            @dlt.table
            def unioned():
                events = spark.read.table("main.raw.events").select("id", lit("event").alias("source"))
                history = spark.read.table("main.raw.history").select(lit("history").alias("source"), "id")
                return events.unionByName(history)
            """,
        },
        _unioned,
        {"unioned": "SELECT id, source FROM main.silver.unioned"},
    ),
    Case(
        "dlt_apply_changes_from_snapshot",
        {
            "snapshots.py": """\
            import dlt
            from pyspark.sql import functions as F

            def next_snapshot(last_version):
                events = spark.read.table("main.raw.events")
                version = events.count()
                if last_version is not None and version <= last_version:
                    return None
                latest = events.groupBy((F.col("id") % 5).alias("key")).agg(F.max("id").alias("last_id"))
                return latest, version

            dlt.create_streaming_table("latest")
            dlt.apply_changes_from_snapshot(target="latest", source=next_snapshot, keys=["key"],
                                            stored_as_scd_type=1)
            """,
        },
        _latest_per_key,
        {"latest": "SELECT key, last_id FROM main.silver.latest"},
    ),
    Case(
        "ipynb_libraries_python_and_sql",
        {
            "bronze.ipynb": json.dumps(
                {
                    "cells": [
                        {"cell_type": "markdown", "source": ["# bronze, as a Jupyter notebook"]},
                        {"cell_type": "code", "source": ["import dlt\n", "from pyspark.sql import functions as F\n"]},
                        {
                            "cell_type": "code",
                            "source": [
                                "@dlt.table\n",
                                "def bronze():\n",
                                "    return spark.readStream.table('main.raw.events').select('id', 'kind', 'amount')\n",
                            ],
                        },
                    ],
                    "metadata": {"kernelspec": {"language": "python"}},
                    "nbformat": 4,
                    "nbformat_minor": 5,
                }
            ),
            "silver_gold.ipynb": json.dumps(
                {
                    "cells": [
                        {
                            "cell_type": "code",
                            "source": [
                                "CREATE OR REFRESH STREAMING TABLE silver (CONSTRAINT positive EXPECT (amount >= 0) "
                                "ON VIOLATION DROP ROW) AS SELECT * FROM STREAM(bronze)"
                            ],
                        },
                        {
                            "cell_type": "code",
                            "source": [
                                "CREATE OR REFRESH MATERIALIZED VIEW gold AS\n",
                                "SELECT kind, sum(amount) AS total FROM silver GROUP BY kind",
                            ],
                        },
                    ],
                    "metadata": {"application/vnd.databricks.v1+notebook": {"language": "sql"}},
                    "nbformat": 4,
                    "nbformat_minor": 5,
                }
            ),
        },
        _medallion,
        {
            "bronze": "SELECT id, kind, amount FROM main.silver.bronze",
            "silver": "SELECT id, kind, amount FROM main.silver.silver",
            "gold": "SELECT kind, total FROM main.silver.gold",
        },
    ),
    # -- notebooks: jobs of a workspace, run as `lakeloader notebooks run` runs them ---------------------------
    Case(
        "notebook_batch_gold",
        {
            "gold_job.py": NB
            + "from pyspark.sql import functions as F\n"
            + CELL
            + 'spark.sql("CREATE SCHEMA IF NOT EXISTS main.silver")\n'
            + 'events = spark.table("main.raw.events").filter(F.col("amount") >= 0)\n'
            + 'gold = events.groupBy("kind").agg(F.sum("amount").alias("total"))\n'
            + 'gold.write.mode("overwrite").saveAsTable("main.silver.gold")\n',
        },
        _gold_only,
        {"gold": "SELECT kind, total FROM main.silver.gold"},
        notebooks=("gold_job.py",),
    ),
    Case(
        "notebook_autoloader_once",
        {
            "ingest.py": NB
            + "from pyspark.sql.functions import col\n"
            + 'spark.sql("CREATE SCHEMA IF NOT EXISTS main.silver")\n'
            + CELL
            + '(spark.readStream.format("cloudFiles").option("cloudFiles.format", "json")\n'
            + ' .option("cloudFiles.inferColumnTypes", "true").load("/Volumes/main/landing/raw/events")\n'
            + ' .select("id", "kind", col("_metadata.file_name").alias("file"))\n'
            + ' .writeStream.option("checkpointLocation", "/Volumes/main/landing/raw/_checkpoints/raw_files")\n'
            + ' .trigger(availableNow=True).toTable("main.silver.raw_files")).awaitTermination()\n'
            + CELL
            + 'per_file = spark.table("main.silver.raw_files").groupBy("file").count()\n'
            + 'per_file.withColumnRenamed("count", "n").write.mode("overwrite").saveAsTable("main.silver.per_file")\n',
        },
        _landed_once,
        {
            "raw_files": "SELECT id, kind, file FROM main.silver.raw_files",
            "per_file": "SELECT file, n FROM main.silver.per_file",
        },
        landing=True,
        notebooks=("ingest.py",),
    ),
    Case(
        "notebook_incremental_append",
        {
            "copy.py": NB
            + 'spark.sql("CREATE SCHEMA IF NOT EXISTS main.silver")\n'
            + 'target = "main.silver.copied"\n'
            + CELL
            + "if spark.catalog.tableExists(target):\n"
            + '    last = spark.table(target).agg({"id": "max"}).collect()[0][0]\n'
            + "else:\n"
            + "    last = -1\n"
            + 'new = spark.table("main.raw.events").where(f"id > {last}").select("id", "kind", "amount")\n'
            + 'new.write.mode("append").saveAsTable(target)\n',
        },
        _ids_once,
        {"copied": "SELECT id, kind, amount FROM main.silver.copied"},
        notebooks=("copy.py",),
    ),
    Case(
        "notebook_sql_cells",
        {
            "sql_job.py": NB
            + "# MAGIC %sql\n# MAGIC CREATE SCHEMA IF NOT EXISTS main.silver\n"
            + CELL
            + "# MAGIC %sql\n"
            + "# MAGIC CREATE OR REPLACE TABLE main.silver.ranked AS\n"
            + "# MAGIC SELECT id, kind, rank() OVER (PARTITION BY kind ORDER BY amount DESC, id) AS r\n"
            + "# MAGIC FROM main.raw.events WHERE amount IS NOT NULL\n"
            + CELL
            + 'spark.table("main.silver.ranked").where("r = 1").select("id", "kind")'
            + '.write.mode("overwrite").saveAsTable("main.silver.top")\n',
        },
        _mv_chain,
        {"ranked": "SELECT id, kind, r FROM main.silver.ranked", "top": "SELECT id, kind FROM main.silver.top"},
        notebooks=("sql_job.py",),
    ),
]


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_pyspark_corpus(lakehouse: Lakehouse, tmp_path: Path, case: Case) -> None:
    run_case(lakehouse, tmp_path, case)
