"""Synthetic health claims: the Avro schema declared in code, its Arrow twin, and the Avro file writer."""

from __future__ import annotations

import copy
import hashlib
import random
from collections.abc import Sequence
from datetime import UTC, date, datetime, time, timedelta
from decimal import ROUND_DOWN, Decimal
from pathlib import Path
from typing import Any

import pyarrow as pa

from lakeloader.errors import ConfigError
from lakeloader.samples import vocab
from lakeloader.samples.files import (
    Faults,
    OnFile,
    WriteSummary,
    check_counts,
    duplicate,
    prepare_dir,
    set_mtime,
    truncate_at,
)
from lakeloader.samples.providers import DEFAULT_SEED
from lakeloader.samples.providers import provider_npis as seed_provider_npis

CLAIMS_START = date(2024, 3, 1)  # the day file 1 lands; file n lands n-1 days later
LATE_SHIFT = timedelta(days=60)  # how much older a late file's claims are
DEFAULT_PROVIDER_ROWS = 10  # claims draw NPIs from the first 10 providers of their seed: providers_10.csv
CENTS = Decimal("0.01")

_DECIMAL: dict[str, Any] = {"type": "bytes", "logicalType": "decimal", "precision": 12, "scale": 2}
CLAIMS_AVRO_SCHEMA: dict[str, Any] = {
    "type": "record",
    "name": "Claim",
    "namespace": "lakeloader.samples.kardia",
    "doc": "One submitted health claim with its service lines; amounts in USD.",
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
                        {"name": "charge", "type": _DECIMAL},
                    ],
                },
            },
        },
        {"name": "billed_amount", "type": _DECIMAL},
        {"name": "allowed_amount", "type": _DECIMAL},
        {"name": "paid_amount", "type": _DECIMAL},
        {"name": "status", "type": "string", "doc": "PAID, DENIED, PENDING or ADJUSTED"},
    ],
}
"""The Avro schema of `claims_*.avro` (fastavro / Avro JSON form). Do not mutate; copy it."""

PLAN_CODE_FIELD: dict[str, Any] = {"name": "plan_code", "type": ["null", "string"], "default": None}
"""The column that files after `--new-column-after K` gain."""


def claims_avro_schema(*, with_plan_code: bool = False) -> dict[str, Any]:
    """A fresh copy of `CLAIMS_AVRO_SCHEMA`, optionally with the evolved `plan_code` column at the end."""
    schema = copy.deepcopy(CLAIMS_AVRO_SCHEMA)
    if with_plan_code:
        schema["fields"].append(copy.deepcopy(PLAN_CODE_FIELD))
    return schema


def claims_arrow_schema(*, with_plan_code: bool = False) -> pa.Schema:
    """The Arrow schema matching `CLAIMS_AVRO_SCHEMA`, for the claims bronze table.

    Types follow the Avro logical types (date32, timestamp[us, UTC], decimal128(12, 2)); every field is left
    nullable, as a bronze table accepts what arrives and expectations check the rest. Readers such as polars
    return large_string / large_list: cast to this schema.
    """
    money = pa.decimal128(12, 2)
    line = pa.struct(
        [
            pa.field("line_number", pa.int32()),
            pa.field("procedure_code", pa.string()),
            pa.field("modifier", pa.string()),
            pa.field("units", pa.int32()),
            pa.field("charge", money),
        ]
    )
    fields = [
        pa.field("claim_id", pa.string()),
        pa.field("member_id", pa.string()),
        pa.field("provider_npi", pa.string()),
        pa.field("service_date", pa.date32()),
        pa.field("submitted_at", pa.timestamp("us", tz="UTC")),
        pa.field("diagnosis_codes", pa.list_(pa.string())),
        pa.field("lines", pa.list_(line)),
        pa.field("billed_amount", money),
        pa.field("allowed_amount", money),
        pa.field("paid_amount", money),
        pa.field("status", pa.string()),
    ]
    if with_plan_code:
        fields.append(pa.field("plan_code", pa.string()))
    return pa.schema(fields)


def _members(seed: int) -> list[str]:
    rng = random.Random(f"lakeloader.samples.members:{seed}")
    return [f"M{rng.randrange(10**9):09d}" for _ in range(200)]


def _percent(rng: random.Random, low: int, high: int) -> Decimal:
    return Decimal(rng.randint(low, high)) / 100


def _claim(rng: random.Random, *, claim_id: str, member: str, npi: str, landed: date) -> dict[str, Any]:
    service_date = landed - timedelta(days=rng.randint(1, 45))
    submitted_at = datetime.combine(landed, time(), UTC) + timedelta(
        seconds=rng.randrange(86_400), microseconds=rng.randrange(1_000_000)
    )
    diagnoses = rng.sample(vocab.ICD10_CODES, k=rng.choice((1, 1, 2, 2, 3, 4)))
    lines: list[dict[str, Any]] = []
    charges: list[Decimal] = []
    for number, procedure in enumerate(rng.sample(vocab.PROCEDURES, k=rng.choice((1, 1, 2, 2, 3, 4, 5))), 1):
        units = rng.randint(1, procedure.max_units)
        charge = (Decimal(procedure.base_charge) * units * _percent(rng, 85, 135)).quantize(CENTS)
        modifier = rng.choice(vocab.MODIFIERS) if rng.random() < 0.2 else None
        charges.append(charge)
        lines.append(
            {
                "line_number": number,
                "procedure_code": procedure.code,
                "modifier": modifier,
                "units": units,
                "charge": charge,
            }
        )
    billed = sum(charges, Decimal("0.00"))
    status = rng.choices(vocab.CLAIM_STATUSES, weights=vocab.CLAIM_STATUS_WEIGHTS)[0]
    allowed_share, paid_share = _percent(rng, 45, 90), _percent(rng, 50, 100)
    copay = Decimal(rng.choice((0, 10, 20, 25, 30, 40)))
    allowed = paid = Decimal("0.00")
    if status in ("PAID", "ADJUSTED"):
        allowed = (billed * allowed_share).quantize(CENTS, rounding=ROUND_DOWN)
        if status == "PAID":
            paid = max(allowed - copay, Decimal("0.00"))
        else:
            paid = (allowed * paid_share).quantize(CENTS, rounding=ROUND_DOWN)
    plan_code = rng.choice(vocab.PLAN_CODES)  # drawn always, so other columns do not depend on the option
    return {
        "claim_id": claim_id,
        "member_id": member,
        "provider_npi": npi,
        "service_date": service_date,
        "submitted_at": submitted_at,
        "diagnosis_codes": diagnoses,
        "lines": lines,
        "billed_amount": billed,
        "allowed_amount": allowed,
        "paid_amount": paid,
        "status": status,
        "plan_code": plan_code,
    }


def claim_records(
    *,
    rows: int,
    seed: int = DEFAULT_SEED,
    file_number: int = 1,
    provider_npis: Sequence[str] | None = None,
    late: bool = False,
    with_plan_code: bool = False,
) -> list[dict[str, Any]]:
    """The claims of file `file_number` as Avro-ready dicts (Decimal amounts, tz-aware UTC datetimes).

    A file's claims depend only on the seed, its number and the providers, never on how many files are written.
    """
    if rows < 0:
        raise ConfigError(f"samples claims: --rows-per-file {rows} is negative; pass a count >= 0")
    npis = list(provider_npis) if provider_npis is not None else _default_npis(seed)
    if not npis:
        raise ConfigError("samples claims: no provider NPIs to draw from; pass providers with at least one row")
    members = _members(seed)
    rng = random.Random(f"lakeloader.samples.claims:{seed}:{file_number}")
    landed = CLAIMS_START + timedelta(days=file_number - 1)
    records = []
    for row in range(rows):
        record = _claim(
            rng,
            claim_id=f"CLM-{seed}-{file_number:04d}-{row + 1:06d}",  # unique across seeds too
            member=rng.choice(members),
            npi=rng.choice(npis),
            landed=landed,
        )
        if late:
            record["service_date"] -= LATE_SHIFT
            record["submitted_at"] -= LATE_SHIFT
        if not with_plan_code:
            del record["plan_code"]
        records.append(record)
    return records


def _default_npis(seed: int) -> list[str]:
    return seed_provider_npis(rows=DEFAULT_PROVIDER_ROWS, seed=seed)


def generate_claims(
    *,
    rows: int,
    seed: int = DEFAULT_SEED,
    file_number: int = 1,
    provider_npis: Sequence[str] | None = None,
    late: bool = False,
    with_plan_code: bool = False,
) -> pa.Table:
    """The claims of file `file_number` as an Arrow table with `claims_arrow_schema()`.

    NPIs are drawn from `provider_npis`, by default the first 10 providers of the same seed (`providers_10.csv`).
    """
    records = claim_records(
        rows=rows,
        seed=seed,
        file_number=file_number,
        provider_npis=provider_npis,
        late=late,
        with_plan_code=with_plan_code,
    )
    return pa.Table.from_pylist(records, schema=claims_arrow_schema(with_plan_code=with_plan_code))


def claims_file_name(number: int) -> str:
    return f"claims_{number:04d}.avro"


def _sync_marker(seed: int, number: int) -> bytes:
    # fastavro draws a random sync marker by default; a derived one keeps the bytes identical run to run
    return hashlib.blake2b(f"lakeloader.samples.claims:{seed}:{number}".encode(), digest_size=16).digest()


def _write_avro(path: Path, records: list[dict[str, Any]], *, with_plan_code: bool, sync_marker: bytes) -> None:
    import fastavro

    schema = fastavro.parse_schema(claims_avro_schema(with_plan_code=with_plan_code))
    with path.open("wb") as handle:
        fastavro.writer(handle, schema, records, codec="deflate", sync_marker=sync_marker)


def write_claims_file(path: Path | str, records: list[dict[str, Any]], *, seed: int = DEFAULT_SEED) -> Path:
    """Write `records` (as `claim_records` makes them, edited at will) as one claims Avro file."""
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    with_plan_code = any("plan_code" in r for r in records)
    import zlib

    marker = _sync_marker(seed, zlib.crc32(target.name.encode()))  # the same bytes run to run
    _write_avro(target, records, with_plan_code=with_plan_code, sync_marker=marker)
    return target


def _truncate_last_block(path: Path, sync_marker: bytes) -> None:
    """Cut the file in the middle of its last data block, so that every Avro reader fails on it."""
    data = path.read_bytes()
    ends = []
    start = data.find(sync_marker)
    while start != -1:
        ends.append(start)
        start = data.find(sync_marker, start + 1)
    block_start = ends[-2] + len(sync_marker) if len(ends) > 1 else len(data) // 2
    truncate_at(path, (block_start + ends[-1]) // 2)


def write_claims_avro(
    out_dir: Path | str,
    *,
    files: int = 1,
    rows_per_file: int = 10,
    seed: int = DEFAULT_SEED,
    provider_npis: Sequence[str] | None = None,
    name: str | None = None,
    faults: Faults | None = None,
    on_file: OnFile | None = None,
) -> WriteSummary:
    """Write `files` Avro container files (deflate) of `rows_per_file` claims: `claims_0001.avro`, ...

    `name` renames the single file (`files` must be 1): `name="claims_10.avro"` with 10 rows is the seed's file.
    Malformed files are extra files numbered after the good ones, cut in the middle of a block.
    """
    faults = faults or Faults()
    check_counts(files=files, rows_per_file=rows_per_file, what="claims")
    faults.check(files=files, what="claims")
    if name is not None and (files != 1 or "/" in name or not name.endswith(".avro")):
        raise ConfigError(f"samples claims: --name {name} needs --files 1 and a plain file name ending in .avro")
    target = prepare_dir(Path(out_dir), what="claims")
    npis = list(provider_npis) if provider_npis is not None else _default_npis(seed)
    summary = WriteSummary()
    for number in range(1, files + faults.malformed + 1):
        malformed = number > files
        late = not malformed and faults.is_late(number, files)
        evolved = faults.has_new_column(number)
        records = claim_records(
            rows=rows_per_file, seed=seed, file_number=number, provider_npis=npis, late=late, with_plan_code=evolved
        )
        path = target / (name if name is not None and number == 1 else claims_file_name(number))
        marker = _sync_marker(seed, number)
        _write_avro(path, records, with_plan_code=evolved, sync_marker=marker)
        if malformed:
            _truncate_last_block(path, marker)
            summary.malformed_files.append(path)
            summary.malformed_records += 1
        else:
            summary.rows += len(records)
        if late:
            landed = CLAIMS_START + timedelta(days=number - 1) - LATE_SHIFT
            set_mtime(path, datetime.combine(landed, time(23, 59), UTC))
            summary.late_files.append(path)
        if evolved:
            summary.new_column_files.append(path)
        summary.add(path)
        if on_file is not None:
            on_file(path)
    if faults.duplicate_file:
        summary.duplicate_file = duplicate(summary.files[0], target)
    return summary
