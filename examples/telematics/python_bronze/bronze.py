# Databricks notebook source
# MAGIC %md
# MAGIC # 01_bronze (Python): Auto Loader over the landing volume, one streaming table per device feed

# COMMAND ----------

import dlt
from pyspark.sql import functions as F

LANDING = spark.conf.get("landing")

# COMMAND ----------


@dlt.table(comment="device readings as they land (Parquet), with the file each came from")
def telematics():
    return (
        spark.readStream.format("cloudFiles")
        .option("cloudFiles.format", "parquet")
        .option("cloudFiles.schemaEvolutionMode", "addNewColumns")
        .load(f"{LANDING}/parquet")
        .select(
            "*",
            F.col("_metadata.file_path").alias("source_file"),
            F.col("_metadata.file_modification_time").alias("landed_at"),
        )
    )


# COMMAND ----------


@dlt.table(comment="the test feed (JSON lines); a malformed line is kept whole in _corrupt_record")
def telematics_test():
    return (
        spark.readStream.format("cloudFiles")
        .option("cloudFiles.format", "json")
        .option("cloudFiles.inferColumnTypes", "true")
        .load(f"{LANDING}/json")
        .withColumn("source_file", F.col("_metadata.file_path"))
    )


# COMMAND ----------


@dlt.table(comment="one row per vehicle: make, model, fleet (from the foreign catalog supabase_data)")
@dlt.expect_or_fail("has_vehicle_id", "vehicle_id IS NOT NULL")
def vehicles():
    return spark.read.table("supabase_data.public.vehicles")
