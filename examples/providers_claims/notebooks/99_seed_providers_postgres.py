# Databricks notebook source
# MAGIC %md
# MAGIC # 99_seed_providers_postgres
# MAGIC `providers_10.csv` into the ephemeral Postgres table `public.providers` over JDBC; the password comes from
# MAGIC secret scope `kardia` (never printed). `truncate` keeps the table's definition (its primary key).

# COMMAND ----------

from pyspark.sql.types import BooleanType, DateType, StringType, StructField, StructType, TimestampType

dbutils.widgets.text("raw", "/Volumes/kardia/landing/raw")
dbutils.widgets.text("pg_host", "localhost")
dbutils.widgets.text("pg_port", "5432")
RAW = dbutils.widgets.get("raw")
JDBC_URL = f"jdbc:postgresql://{dbutils.widgets.get('pg_host')}:{dbutils.widgets.get('pg_port')}/postgres"
pg_pw = dbutils.secrets.get(scope="kardia", key="pg_pw")

PROVIDERS_SCHEMA = StructType(
    [
        StructField(name, StringType())
        for name in (
            "npi",
            "entity_type",
            "first_name",
            "last_name",
            "organization_name",
            "credential",
            "taxonomy_code",
            "specialty",
            "address_line",
            "city",
            "state",
            "zip",
            "phone",
        )
    ]
    + [
        StructField("enumeration_date", DateType()),
        StructField("last_updated", TimestampType()),
        StructField("is_active", BooleanType()),
    ]
)

# COMMAND ----------

providers = spark.read.format("csv").option("header", "true").schema(PROVIDERS_SCHEMA).load(f"{RAW}/providers_10.csv")

(
    providers.write.format("jdbc")
    .option("url", JDBC_URL)
    .option("dbtable", "public.providers")
    .option("user", "postgres")
    .option("password", pg_pw)
    .option("driver", "org.postgresql.Driver")
    .option("truncate", "true")
    .mode("overwrite")
    .save()
)
print(f"seeded {providers.count()} providers into public.providers")
