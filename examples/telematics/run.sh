#!/usr/bin/env bash
# Telematics, as the seed does it: devices upload to a landing volume in 00_landing, the pipeline in this folder
# ingests Parquet and JSON into 01_bronze (checkpoints in _checkpoints), cleans and deduplicates into 02_silver
# and aggregates into 03_gold, with vehicle reference data from the fleet's own Postgres database.
# Run it twice: each wave of files is read once. Usage: examples/telematics/run.sh (root: $LAKELOADER_ROOT)
set -euo pipefail
here=$(cd "$(dirname "$0")/../.." && pwd)
ll=${LAKELOADER:-$here/.venv/bin/lakeloader}  # a command line: may be "python -m lakeloader.cli"

# the fleet's database stands in for the seed's Supabase Postgres: its reader's password in secret scope telematics
$ll secrets create-scope telematics --if-not-exists
$ll secrets list-secrets telematics --json | grep -q '"fleet_pw"' \
  || python3 -c 'import secrets; print(secrets.token_urlsafe(18))' | $ll secrets put-secret telematics fleet_pw
$ll secrets create-scope kardia --if-not-exists
$ll secrets list-secrets kardia --json | grep -q '"pg_pw"' \
  || python3 -c 'import secrets; print(secrets.token_urlsafe(18))' | $ll secrets put-secret kardia pg_pw
$ll postgres start --ephemeral --password '{{secrets/kardia/pg_pw}}'
trap '$ll postgres stop' EXIT
# landing volume + database supabase with public.vehicles, as connection supabase and foreign catalog supabase_data
$ll bootstrap telematics > /dev/null

# devices upload trip readings (a new wave of files each time this script runs)
folder=$($ll volumes list 'telematics.00_landing' --json | python3 -c 'import json,sys; print(json.load(sys.stdin)[0]["location"])')
wave=$(date +%s%N)
$ll samples telematics --files 4 --rows-per-file 5000 --format parquet --out "$folder/parquet/$wave" --seed "${wave: -4}"
$ll samples telematics --files 2 --rows-per-file 1000 --format json --out "$folder/json/$wave" --seed "${wave: -3}"

# the pipeline: 01_bronze, 02_silver, 03_gold (spark-pipeline.yml + transformations/*.sql)
$ll pipelines run "$here/examples/telematics"
# the same bronze written in Python as a DLT pipeline (import dlt, spark.readStream with Auto Loader): 01_bronze_py
$ll pipelines run "$here/examples/telematics/python_bronze"

$ll sql 'SELECT vehicle_id, make, fleet, distance_km, harsh_brakes_per_100km FROM telematics.`03_gold`.harsh_braking ORDER BY 1'
$ll pipelines events "$here/examples/telematics" --type flow_progress --json | python3 -c 'import json,sys; print(len(json.load(sys.stdin)), "flow_progress events")'
