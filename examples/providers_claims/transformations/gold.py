"""kardia_gold: what the payer's analysts read, recomputed from silver at every update."""

from lakeloader import pipelines as dp


@dp.materialized_view(
    name="kardia_gold.paid_by_specialty_month", comment="claims, billed and paid by specialty and month"
)
def paid_by_specialty_month():
    return dp.sql(
        """
        SELECT specialty, date_trunc('MONTH', service_date) AS month,
               count(*) AS claims, sum(billed_amount) AS billed, sum(paid_amount) AS paid,
               round(sum(paid_amount) / nullif(sum(billed_amount), 0), 4) AS paid_share
        FROM kardia_silver.claims
        GROUP BY specialty, date_trunc('MONTH', service_date)
        """
    )


@dp.materialized_view(name="kardia_gold.provider_claim_summary", comment="per provider: claims, amounts, denial rate")
def provider_claim_summary():
    return dp.sql(
        """
        SELECT p.npi, coalesce(p.organization_name, concat_ws(' ', p.first_name, p.last_name)) AS provider,
               p.specialty, p.state,
               count(c.claim_id) AS claims,
               coalesce(sum(c.billed_amount), 0) AS billed,
               coalesce(sum(c.paid_amount), 0) AS paid,
               round(avg(CASE WHEN c.status = 'DENIED' THEN 1.0 ELSE 0.0 END), 4) AS denial_rate
        FROM kardia_silver.providers p
        LEFT JOIN kardia_silver.claims c ON c.provider_npi = p.npi
        GROUP BY p.npi, p.organization_name, p.first_name, p.last_name, p.specialty, p.state
        """
    )
