"""kardia_bronze: the seed's two bronze notebooks as streaming tables.

01_bronze_jdbc_providers: public.providers read whole at every update and appended with the time it was read
(the notebook's spark.read.jdbc(...).write.mode("append")). 01_bronze_autoloader_claims: the claims that land in
the raw volume, read once each with the schema declared in code (CLAIMS_AVRO_SCHEMA).
"""

from lakeloader import pipelines as dp

RAW = dp.conf.get("kardia.raw")

MONEY = {"type": "bytes", "logicalType": "decimal", "precision": 12, "scale": 2}
CLAIMS_AVRO_SCHEMA = {
    "type": "record",
    "name": "Claim",
    "namespace": "kardia",
    "fields": [
        {"name": "claim_id", "type": "string"},
        {"name": "member_id", "type": "string"},
        {"name": "provider_npi", "type": "string"},
        {"name": "service_date", "type": {"type": "int", "logicalType": "date"}},
        {"name": "submitted_at", "type": {"type": "long", "logicalType": "timestamp-micros"}},
        {"name": "diagnosis_codes", "type": {"type": "array", "items": "string"}},
        {
            "name": "lines",
            "type": {
                "type": "array",
                "items": {
                    "type": "record",
                    "name": "ClaimLine",
                    "fields": [
                        {"name": "line_number", "type": "int"},
                        {"name": "procedure_code", "type": "string"},
                        {"name": "modifier", "type": ["null", "string"], "default": None},
                        {"name": "units", "type": "int"},
                        {"name": "charge", "type": MONEY},
                    ],
                },
            },
        },
        {"name": "billed_amount", "type": MONEY},
        {"name": "allowed_amount", "type": MONEY},
        {"name": "paid_amount", "type": MONEY},
        {"name": "status", "type": "string"},
    ],
}


@dp.table(comment="public.providers as read at each update, appended with _ingested_at")
def bronze_providers():
    providers = dp.read_postgres(
        url=dp.conf.get("kardia.postgres_url"),
        password=dp.conf.get("kardia.postgres_password"),
        dbtable="public.providers",
        mode="full",
    )
    return providers.select("*, current_timestamp AS _ingested_at")


@dp.table(comment="claims as they land in the raw volume (Avro, the declared schema)")
def bronze_claims():
    return dp.read_files(f"{RAW}/claims", format="avro", avroSchema=CLAIMS_AVRO_SCHEMA)
