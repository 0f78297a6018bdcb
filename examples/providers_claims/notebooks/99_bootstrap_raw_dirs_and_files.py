# Databricks notebook source
# MAGIC %md
# MAGIC # 99_bootstrap_raw_dirs_and_files
# MAGIC The catalog, schemas and raw volume of Providers & Claims, the raw folders, and the seed's two files in place:
# MAGIC `providers_10.csv` (seeded into Postgres by `99_seed_providers_postgres`) and `claims_10.avro` in the folder
# MAGIC Auto Loader watches (`claims/`).

# COMMAND ----------

dbutils.widgets.text("catalog", "kardia")
dbutils.widgets.text("raw", "/Volumes/kardia/landing/raw")
CATALOG = dbutils.widgets.get("catalog")
RAW = dbutils.widgets.get("raw")

spark.sql(f"CREATE CATALOG IF NOT EXISTS {CATALOG}")
spark.sql(f"USE CATALOG {CATALOG}")
spark.sql("CREATE SCHEMA IF NOT EXISTS landing COMMENT 'raw files as they land'")
spark.sql("CREATE VOLUME IF NOT EXISTS landing.raw")
spark.sql("CREATE SCHEMA IF NOT EXISTS kardia_bronze")

# COMMAND ----------

for folder in ("claims", "_checkpoints", "_schemas"):
    dbutils.fs.mkdirs(f"{RAW}/{folder}")

present = {f.name for f in dbutils.fs.ls(RAW)}
missing = [name for name in ("providers_10.csv", "claims_10.avro") if name not in present]
if missing:
    raise FileNotFoundError(f"upload {' and '.join(missing)} to {RAW} first")

# COMMAND ----------

# the claims file lands in the folder Auto Loader watches
if "claims_10.avro" not in {f.name for f in dbutils.fs.ls(f"{RAW}/claims")}:
    dbutils.fs.cp(f"{RAW}/claims_10.avro", f"{RAW}/claims/claims_10.avro")

for f in dbutils.fs.ls(RAW):
    print(f.name, f.size)
