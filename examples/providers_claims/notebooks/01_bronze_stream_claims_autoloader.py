# Databricks notebook source
# MAGIC %md
# MAGIC # 01_bronze_stream_claims_autoloader
# MAGIC The claims that land in the raw volume, read once each by Auto Loader with the schema declared in code, in one
# MAGIC `availableNow` run into `kardia_bronze.bronze_claims`.

# COMMAND ----------

from pyspark.sql.types import (
    ArrayType,
    DateType,
    DecimalType,
    IntegerType,
    StringType,
    StructField,
    StructType,
    TimestampType,
)

dbutils.widgets.text("catalog", "kardia")
dbutils.widgets.text("raw", "/Volumes/kardia/landing/raw")
CATALOG = dbutils.widgets.get("catalog")
RAW = dbutils.widgets.get("raw")

MONEY = DecimalType(12, 2)
CLAIM_LINE = StructType(
    [
        StructField("line_number", IntegerType(), False),
        StructField("procedure_code", StringType(), False),
        StructField("modifier", StringType(), True),
        StructField("units", IntegerType(), False),
        StructField("charge", MONEY, False),
    ]
)
CLAIMS_SCHEMA = StructType(
    [
        StructField("claim_id", StringType(), False),
        StructField("member_id", StringType(), False),
        StructField("provider_npi", StringType(), False),
        StructField("service_date", DateType(), False),
        StructField("submitted_at", TimestampType(), False),
        StructField("diagnosis_codes", ArrayType(StringType(), False), False),
        StructField("lines", ArrayType(CLAIM_LINE, False), False),
        StructField("billed_amount", MONEY, False),
        StructField("allowed_amount", MONEY, False),
        StructField("paid_amount", MONEY, False),
        StructField("status", StringType(), False),
    ]
)

# COMMAND ----------

claims = (
    spark.readStream.format("cloudFiles")
    .option("cloudFiles.format", "avro")
    .option("cloudFiles.schemaLocation", f"{RAW}/_schemas/{CATALOG}_bronze_claims")
    .schema(CLAIMS_SCHEMA)
    .load(f"{RAW}/claims")
)

query = (
    claims.writeStream.format("delta")
    .option("checkpointLocation", f"{RAW}/_checkpoints/{CATALOG}_bronze_claims")
    .trigger(availableNow=True)
    .toTable(f"{CATALOG}.kardia_bronze.bronze_claims")
)
query.awaitTermination()
print(f"bronze_claims: {spark.table(f'{CATALOG}.kardia_bronze.bronze_claims').count()} claims")
