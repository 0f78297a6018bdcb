"""01_bronze.vehicles: the fleet's reference data, read from its own Postgres database at every update."""

from lakeloader import pipelines as dp


@dp.materialized_view(comment="one row per vehicle: make, model, fleet (from the fleet's Postgres)")
@dp.expect_or_fail("has_vehicle_id", "vehicle_id IS NOT NULL")
def vehicles():
    return dp.read_postgres(
        url=dp.conf.get("fleet.url"), password=dp.conf.get("fleet.password"), table="public.vehicles"
    )
