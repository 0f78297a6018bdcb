#!/usr/bin/env bash
# Providers & Claims, as the seed notebooks do it, with the lakeloader CLI:
# secret scope kardia → init script (ephemeral Postgres) → bootstrap → bronze_providers (JDBC) + bronze_claims (Auto Loader).
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

# 01_bronze_jdbc_providers: Postgres → kardia_bronze.bronze_providers (append, as the seed)
$ll ingest postgres \
  --source-url "$($ll postgres status --json | python3 -c 'import json,sys; s=json.load(sys.stdin); print("postgresql://postgres@%s:%s/postgres" % (s["host"], s["port"]))')" \
  --password '{{secrets/kardia/pg_pw}}' \
  --table public.providers --target kardia_bronze.bronze_providers

# 01_bronze_autoloader_claims: Avro claims with the declared schema (claims.avsc = CLAIMS_AVRO_SCHEMA) → bronze_claims
$ll ingest files --path /Volumes/kardia/landing/raw/claims --format avro --schema "$here/examples/providers_claims/claims.avsc" \
  --target kardia_bronze.bronze_claims --checkpoint /Volumes/kardia/landing/raw/_checkpoints/claims \
  --trigger available-now

$ll sql "SELECT count(*) AS providers FROM kardia_bronze.bronze_providers"
$ll sql "SELECT status, count(*) AS claims, sum(billed_amount) AS billed FROM kardia_bronze.bronze_claims GROUP BY 1 ORDER BY 1"
