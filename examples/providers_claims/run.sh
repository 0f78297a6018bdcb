#!/usr/bin/env bash
# Providers & Claims, as the seed does it, with the lakeloader CLI: secret scope kardia → init script (ephemeral
# Postgres) → bootstrap → the pipeline in this folder (bronze_providers from Postgres, bronze_claims from Avro,
# silver with expectations and a quarantine, gold). Run it twice: the second update reads only what is new.
# Usage: examples/providers_claims/run.sh   (root: $LAKELOADER_ROOT, default ./lakehouse; needs `make` setup first)
set -euo pipefail
here=$(cd "$(dirname "$0")/../.." && pwd)
ll=${LAKELOADER:-$here/.venv/bin/lakeloader}  # a command line: may be "python -m lakeloader.cli"

# 00_secrets: the password lives in secret scope kardia (here: a random one, never echoed)
$ll secrets create-scope kardia --if-not-exists
$ll secrets list-secrets kardia --json | grep -q '"pg_pw"' \
  || python3 -c 'import secrets; print(secrets.token_urlsafe(18))' | $ll secrets put-secret kardia pg_pw

# 99_init_script: start PostgreSQL on this machine with that password (ephemeral: wiped at stop)
$ll postgres start --ephemeral --password '{{secrets/kardia/pg_pw}}'
trap '$ll postgres stop' EXIT

# 99_bootstrap / 99_seed: raw folders, providers_10.csv + claims_10.avro, public.providers seeded
$ll bootstrap providers-claims --generate

# the pipeline: bronze, silver, gold (spark-pipeline.yml + transformations/*.py)
url=$($ll postgres status --json | python3 -c 'import json,sys; s=json.load(sys.stdin); print("postgresql://postgres@%s:%s/postgres" % (s["host"], s["port"]))')
$ll pipelines run "$here/examples/providers_claims" --conf "kardia.postgres_url=$url"

# the seed's own notebooks, as written (PySpark, dbutils, JDBC, Auto Loader), into catalog kardia_nb
read -r host port < <($ll postgres status --json | python3 -c 'import json,sys; s=json.load(sys.stdin); print(s["host"], s["port"])')
notebooks="$here/examples/providers_claims/notebooks"
$ll notebooks run "$notebooks/99_bootstrap_raw_dirs_and_files.py" "$notebooks/99_seed_providers_postgres.py" \
  "$notebooks/01_bronze_jdbc_providers.py" "$notebooks/01_bronze_stream_claims_autoloader.py" \
  --param catalog=kardia_nb --param pg_host="$host" --param pg_port="$port"

$ll sql "SELECT count(*) AS providers FROM kardia.kardia_silver.providers"
$ll sql "SELECT specialty, month, claims, paid FROM kardia.kardia_gold.paid_by_specialty_month ORDER BY month, specialty"
