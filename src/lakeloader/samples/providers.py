"""Synthetic provider metadata (NPPES-like): an Arrow table and the seed's `providers_10.csv`."""

from __future__ import annotations

import csv
import random
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from typing import Any

import pyarrow as pa

from lakeloader.errors import ConfigError
from lakeloader.samples import vocab
from lakeloader.samples.npi import random_npi

DEFAULT_SEED = 42
PROVIDERS_ARROW_SCHEMA = pa.schema(
    [
        pa.field("npi", pa.string(), nullable=False),
        pa.field("entity_type", pa.string(), nullable=False),  # "individual" or "organization"
        pa.field("first_name", pa.string()),
        pa.field("last_name", pa.string()),
        pa.field("organization_name", pa.string()),
        pa.field("credential", pa.string()),
        pa.field("taxonomy_code", pa.string(), nullable=False),
        pa.field("specialty", pa.string(), nullable=False),
        pa.field("address_line", pa.string(), nullable=False),
        pa.field("city", pa.string(), nullable=False),
        pa.field("state", pa.string(), nullable=False),
        pa.field("zip", pa.string(), nullable=False),
        pa.field("phone", pa.string(), nullable=False),
        pa.field("enumeration_date", pa.date32(), nullable=False),
        pa.field("last_updated", pa.timestamp("us", tz="UTC"), nullable=False),
        pa.field("is_active", pa.bool_(), nullable=False),
    ]
)
"""Columns of the providers sample, in CSV order."""

_FIRST_ENUMERATION = date(2005, 5, 23)  # the day NPPES began issuing NPIs
_LAST_ENUMERATION = date(2023, 12, 31)
_LAST_UPDATE = date(2024, 6, 30)
_INDIVIDUAL = tuple(t for t in vocab.TAXONOMIES if not t.organization)
_ORGANIZATION = tuple(t for t in vocab.TAXONOMIES if t.organization)


def provider_rng(seed: int) -> random.Random:
    """The providers' random stream; a string seed is hashed with SHA-512, so it is stable across runs."""
    return random.Random(f"lakeloader.samples.providers:{seed}")


def _provider(rng: random.Random, npi: str) -> dict[str, Any]:
    organization = rng.random() < 0.2
    taxonomy = rng.choice(_ORGANIZATION if organization else _INDIVIDUAL)
    place = rng.choice(vocab.PLACES)
    street = f"{rng.randint(1, 9899)} {rng.choice(vocab.STREETS)}"
    if rng.random() < 0.3:
        street += f", Suite {rng.randint(1, 9)}{rng.choice(('00', '10', '50'))}"
    enumerated = _FIRST_ENUMERATION + timedelta(days=rng.randrange((_LAST_ENUMERATION - _FIRST_ENUMERATION).days))
    updated_day = enumerated + timedelta(days=rng.randrange((_LAST_UPDATE - enumerated).days + 1))
    updated = datetime.combine(updated_day, time(), UTC) + timedelta(seconds=rng.randrange(86_400))
    person = not organization
    return {
        "npi": npi,
        "entity_type": "organization" if organization else "individual",
        "first_name": rng.choice(vocab.FIRST_NAMES) if person else None,
        "last_name": rng.choice(vocab.LAST_NAMES) if person else None,
        "organization_name": None
        if person
        else f"{rng.choice(vocab.ORGANIZATION_PREFIXES)} {rng.choice(vocab.ORGANIZATION_SUFFIXES[taxonomy.code])}",
        "credential": rng.choice(taxonomy.credentials) if person else None,
        "taxonomy_code": taxonomy.code,
        "specialty": taxonomy.specialty,
        "address_line": street,
        "city": place.city,
        "state": place.state,
        "zip": f"{place.zip3}{rng.randrange(100):02d}",
        "phone": f"{place.area_code}-555-01{rng.randrange(100):02d}",  # 555-0100..0199: reserved as fictional
        "enumeration_date": enumerated,
        "last_updated": updated,
        "is_active": rng.random() < 0.92,
    }


def provider_records(*, rows: int, seed: int = DEFAULT_SEED) -> list[dict[str, Any]]:
    """Provider rows as Python dicts. Row i depends only on the seed and the rows before it (prefix-stable)."""
    if rows < 0:
        raise ConfigError(f"samples providers: --rows {rows} is negative; pass a count >= 0")
    rng = provider_rng(seed)
    seen: set[str] = set()
    records = []
    for _ in range(rows):
        npi = random_npi(rng, first_digit=rng.choice("12"))
        while npi in seen:
            npi = random_npi(rng, first_digit=npi[0])
        seen.add(npi)
        records.append(_provider(rng, npi))
    return records


def generate_providers(*, rows: int, seed: int = DEFAULT_SEED) -> pa.Table:
    """A table of `rows` providers with valid, unique NPIs; the same seed gives the same table.

    The first k rows do not depend on `rows`, so the providers of `providers_10.csv` are the first ten of any
    larger set with the same seed.
    """
    return pa.Table.from_pylist(provider_records(rows=rows, seed=seed), schema=PROVIDERS_ARROW_SCHEMA)


def provider_npis(*, rows: int, seed: int = DEFAULT_SEED) -> list[str]:
    """Just the NPIs of `generate_providers(rows=rows, seed=seed)`."""
    return [record["npi"] for record in provider_records(rows=rows, seed=seed)]


def _csv_value(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%dT%H:%M:%SZ")
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


def write_providers_csv(path: Path | str, *, rows: int, seed: int = DEFAULT_SEED) -> Path:
    """Write `rows` providers as CSV (header, `\\n` line ends, empty = null, ISO dates, UTC `...Z` timestamps).

    The same rows and seed give the same bytes on every run.
    """
    target = Path(path)
    if target.is_dir():
        raise ConfigError(f"samples providers: --out {target} is a folder; pass a file path like providers_10.csv")
    target.parent.mkdir(parents=True, exist_ok=True)
    with target.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(PROVIDERS_ARROW_SCHEMA.names)
        for record in provider_records(rows=rows, seed=seed):
            writer.writerow([_csv_value(record[name]) for name in PROVIDERS_ARROW_SCHEMA.names])
    return target


def read_provider_npis(path: Path | str) -> list[str]:
    """The `npi` column of a providers CSV (for `samples claims --providers`)."""
    source = Path(path)
    if not source.is_file():
        raise ConfigError(f"samples claims: providers file {source} not found; pass an existing CSV to --providers")
    try:
        with source.open(encoding="utf-8", newline="") as handle:
            reader = csv.DictReader(handle)
            columns = reader.fieldnames or []
            npis = [row["npi"] for row in reader if row.get("npi")] if "npi" in columns else None
    except (UnicodeDecodeError, csv.Error) as exc:
        raise ConfigError(
            f"samples claims: providers file {source} is not a UTF-8 CSV ({exc}); "
            "pass a CSV written by `lakeloader samples providers`"
        ) from exc
    if npis is None:
        raise ConfigError(
            f"samples claims: providers file {source} has no 'npi' column; "
            "pass a CSV written by `lakeloader samples providers`"
        )
    if not npis:
        raise ConfigError(f"samples claims: providers file {source} has no NPIs; pass a CSV with at least one row")
    return npis
