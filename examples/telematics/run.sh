#!/usr/bin/env bash
# Telematics bronze, as the seed does it: a landing volume in 00_landing, Parquet and JSON ingested incrementally
# with checkpoints in _checkpoints, bronze tables in 01_bronze. Run it twice: the second run ingests nothing.
# Usage: examples/telematics/run.sh   (root: $LAKELOADER_ROOT, default ./lakehouse; needs `make` setup first)
set -euo pipefail
here=$(cd "$(dirname "$0")/../.." && pwd)
ll=${LAKELOADER:-$here/.venv/bin/lakeloader}  # a command line: may be "python -m lakeloader.cli"
landing=/Volumes/telematics/00_landing/landing

$ll catalogs create telematics --if-not-exists
$ll schemas create 'telematics.`00_landing`' --if-not-exists
$ll schemas create 'telematics.`01_bronze`' --if-not-exists
$ll volumes create 'telematics.`00_landing`.landing' --if-not-exists >/dev/null
folder=$($ll volumes list 'telematics.00_landing' --json | python3 -c 'import json,sys; print(json.load(sys.stdin)[0]["location"])')

# devices upload trip readings (a new wave of files each time this script runs)
wave=$(date +%s)
$ll samples telematics --files 4 --rows-per-file 5000 --format parquet --out "$folder/parquet/$wave" --seed "${wave: -4}"
$ll samples telematics --files 2 --rows-per-file 1000 --format json --out "$folder/json/$wave" --seed "${wave: -3}"

# 01_bronze: Auto Loader, availableNow, one checkpoint per stream
$ll ingest files --path "$landing/parquet" --format parquet --target 'telematics.`01_bronze`.telematics' \
  --checkpoint "$landing/_checkpoints/telematics" --schema-evolution-mode addNewColumns
$ll ingest files --path "$landing/json" --format json --target 'telematics.`01_bronze`.telematics_test' \
  --checkpoint "$landing/_checkpoints/telematics_test" --option inferColumnTypes=true

$ll sql 'SELECT vehicle_id, count(*) AS readings, max(speed_kmh) AS top_speed FROM telematics.`01_bronze`.telematics GROUP BY 1 ORDER BY 1'
$ll files state "$landing/_checkpoints/telematics" --json | python3 -c 'import json,sys; print(len(json.load(sys.stdin)), "files in the ledger")'
