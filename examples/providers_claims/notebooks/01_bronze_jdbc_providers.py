# Databricks notebook source
# MAGIC %md
# MAGIC # 01_bronze_jdbc_providers
# MAGIC `public.providers` read over JDBC and appended to `kardia_bronze.bronze_providers` with the time it was read.

# COMMAND ----------

from pyspark.sql import functions as F

dbutils.widgets.text("catalog", "kardia")
dbutils.widgets.text("pg_host", "localhost")
dbutils.widgets.text("pg_port", "5432")
CATALOG = dbutils.widgets.get("catalog")
JDBC_URL = f"jdbc:postgresql://{dbutils.widgets.get('pg_host')}:{dbutils.widgets.get('pg_port')}/postgres"

providers = (
    spark.read.format("jdbc")
    .option("url", JDBC_URL)
    .option("dbtable", "public.providers")
    .option("user", "postgres")
    .option("password", dbutils.secrets.get(scope="kardia", key="pg_pw"))
    .option("fetchsize", 1000)
    .load()
)

# COMMAND ----------

bronze = providers.withColumn("_ingested_at", F.current_timestamp())
bronze.write.mode("append").saveAsTable(f"{CATALOG}.kardia_bronze.bronze_providers")

display(spark.table(f"{CATALOG}.kardia_bronze.bronze_providers").groupBy("state").count().orderBy("state"))
