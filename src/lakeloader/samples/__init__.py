"""Deterministic synthetic data: providers (CSV), health claims (Avro) and vehicle telematics (Parquet, JSON)."""

from __future__ import annotations

from lakeloader.samples.claims import (
    CLAIMS_AVRO_SCHEMA,
    claims_arrow_schema,
    claims_avro_schema,
    generate_claims,
    write_claims_avro,
)
from lakeloader.samples.files import Faults, WriteSummary
from lakeloader.samples.npi import is_valid_npi
from lakeloader.samples.providers import (
    DEFAULT_SEED,
    PROVIDERS_ARROW_SCHEMA,
    generate_providers,
    read_provider_npis,
    write_providers_csv,
)
from lakeloader.samples.telematics import (
    TELEMATICS_ARROW_SCHEMA,
    generate_telematics,
    telematics_arrow_schema,
    write_telematics,
)

__all__ = [
    "CLAIMS_AVRO_SCHEMA",
    "DEFAULT_SEED",
    "PROVIDERS_ARROW_SCHEMA",
    "TELEMATICS_ARROW_SCHEMA",
    "Faults",
    "WriteSummary",
    "claims_arrow_schema",
    "claims_avro_schema",
    "generate_claims",
    "generate_providers",
    "generate_telematics",
    "is_valid_npi",
    "read_provider_npis",
    "telematics_arrow_schema",
    "write_claims_avro",
    "write_providers_csv",
    "write_telematics",
]
