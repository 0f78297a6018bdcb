"""Synthetic fleet reference data: one row per vehicle of the telematics sample (`VH-0001` ...), as the fleet's
own Postgres database (Supabase in the seed) keeps it."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta
from typing import Any

import pyarrow as pa

from lakeloader.errors import ConfigError
from lakeloader.samples.providers import DEFAULT_SEED

VEHICLES_ARROW_SCHEMA = pa.schema(
    [
        pa.field("vehicle_id", pa.string(), nullable=False),
        pa.field("vin", pa.string(), nullable=False),
        pa.field("make", pa.string(), nullable=False),
        pa.field("model", pa.string(), nullable=False),
        pa.field("model_year", pa.int32(), nullable=False),
        pa.field("fuel_type", pa.string(), nullable=False),
        pa.field("fleet", pa.string(), nullable=False),
        pa.field("depot_city", pa.string(), nullable=False),
        pa.field("in_service", pa.bool_(), nullable=False),
        pa.field("updated_at", pa.timestamp("us", tz="UTC"), nullable=False),
    ]
)
_MODELS = (
    ("Ford", "Transit", "diesel"),
    ("Mercedes-Benz", "Sprinter", "diesel"),
    ("Ram", "ProMaster", "gasoline"),
    ("Rivian", "EDV 500", "electric"),
    ("Volvo", "FL Electric", "electric"),
    ("Isuzu", "NPR-HD", "diesel"),
)
_FLEETS = (("last-mile", "Chicago"), ("regional", "Denver"), ("refrigerated", "Atlanta"))
_VIN_CHARS = "ABCDEFGHJKLMNPRSTUVWXYZ0123456789"  # no I, O, Q in a VIN
UPDATED = datetime(2024, 4, 30, 12, 0, tzinfo=UTC)


def vehicle_records(*, vehicles: int = 5, seed: int = DEFAULT_SEED) -> list[dict[str, Any]]:
    """One row per vehicle `VH-0001` .. `VH-<vehicles>`, the ids the telematics sample's devices report."""
    if vehicles < 1:
        raise ConfigError(f"samples vehicles: {vehicles} vehicles is invalid; pass a fleet size >= 1")
    rng = random.Random(f"lakeloader.samples.vehicles:{seed}")
    rows = []
    for number in range(1, vehicles + 1):
        make, model, fuel = rng.choice(_MODELS)
        fleet, city = rng.choice(_FLEETS)
        rows.append(
            {
                "vehicle_id": f"VH-{number:04d}",
                "vin": "".join(rng.choice(_VIN_CHARS) for _ in range(17)),
                "make": make,
                "model": model,
                "model_year": rng.randint(2018, 2024),
                "fuel_type": fuel,
                "fleet": fleet,
                "depot_city": city,
                "in_service": True,
                "updated_at": UPDATED - timedelta(days=rng.randrange(400)),
            }
        )
    return rows


def generate_vehicles(*, vehicles: int = 5, seed: int = DEFAULT_SEED) -> pa.Table:
    return pa.Table.from_pylist(vehicle_records(vehicles=vehicles, seed=seed), schema=VEHICLES_ARROW_SCHEMA)
