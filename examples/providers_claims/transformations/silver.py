"""kardia_silver: providers deduplicated by NPI, claims that pass their checks (the rest quarantined)."""

from lakeloader import pipelines as dp

STATUSES = ", ".join(f"'{s.strip()}'" for s in dp.conf.get("kardia.claim_statuses").split(","))


@dp.materialized_view(name="kardia_silver.providers", comment="one row per NPI: its latest version")
@dp.expect_or_drop("valid_npi", "npi RLIKE '^[12][0-9]{9}$'")
def providers():
    return dp.sql(
        """
        SELECT * EXCEPT (_ingested_at) FROM kardia_bronze.bronze_providers
        QUALIFY row_number() OVER (PARTITION BY npi ORDER BY last_updated DESC, _ingested_at DESC) = 1
        """
    )


dp.create_streaming_table(
    name="kardia_silver.claims",
    comment="claims whose amounts, dates, status and provider check out; the rest in claims_quarantine",
    expect_all_or_drop={
        "valid_amounts": "billed_amount > 0 AND allowed_amount <= billed_amount AND paid_amount <= allowed_amount",
        "dates_in_order": "service_date <= to_date(submitted_at)",
        "known_status": f"status IN ({STATUSES})",
        "known_provider": "specialty IS NOT NULL",
    },
)


@dp.append_flow(target="kardia_silver.claims", name="claims_with_provider")
def claims_with_provider():
    return dp.sql(
        """
        SELECT c.*, p.specialty, p.state AS provider_state
        FROM STREAM(kardia_bronze.bronze_claims) c
        LEFT JOIN kardia_silver.providers p ON c.provider_npi = p.npi
        """
    )
