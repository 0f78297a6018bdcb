"""Claims sample: deterministic Avro bytes, readable by fastavro and polars, consistent amounts, faults."""

from __future__ import annotations

import hashlib
import os
import re
from decimal import Decimal
from pathlib import Path
from typing import Any, cast

import fastavro
import polars as pl
import pytest

from lakeloader.errors import ConfigError
from lakeloader.samples import (
    Faults,
    claims_arrow_schema,
    generate_claims,
    generate_providers,
    write_claims_avro,
    write_providers_csv,
)
from lakeloader.samples.providers import read_provider_npis

ICD10 = re.compile(r"[A-Z]\d[0-9A-Z](\.[0-9A-Z]{1,4})?")
PROCEDURE = re.compile(r"\d{5}|[A-Z]\d{4}")


def _read(path: Path) -> list[dict[str, Any]]:
    with path.open("rb") as handle:
        return [cast(dict[str, Any], record) for record in fastavro.reader(handle)]


def _sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_claims_10_bytes_are_deterministic_per_seed(tmp_path: Path) -> None:
    first = write_claims_avro(tmp_path / "a", name="claims_10.avro").files[0]
    again = write_claims_avro(tmp_path / "b", name="claims_10.avro").files[0]
    other = write_claims_avro(tmp_path / "c", name="claims_10.avro", seed=43).files[0]
    numbered = write_claims_avro(tmp_path / "d", files=2, rows_per_file=10).files[0]
    assert first.name == "claims_10.avro" and numbered.name == "claims_0001.avro"
    assert _sha(first) == _sha(again) == _sha(numbered)
    assert _sha(first) != _sha(other)
    with first.open("rb") as handle:
        assert fastavro.reader(handle).codec == "deflate"


def test_amounts_are_consistent_decimals(tmp_path: Path) -> None:
    summary = write_claims_avro(tmp_path, files=2, rows_per_file=150, seed=5)
    assert summary.rows == 300
    records = [record for path in summary.files for record in _read(path)]
    assert len({r["claim_id"] for r in records}) == 300
    for record in records:
        billed, allowed, paid = record["billed_amount"], record["allowed_amount"], record["paid_amount"]
        assert all(isinstance(v, Decimal) and v.as_tuple().exponent == -2 for v in (billed, allowed, paid))
        assert sum(line["charge"] for line in record["lines"]) == billed
        assert Decimal(0) <= paid <= allowed <= billed
        assert record["status"] in {"PAID", "DENIED", "PENDING", "ADJUSTED"}
        assert record["submitted_at"].utcoffset().total_seconds() == 0
        assert record["service_date"] < record["submitted_at"].date()
        assert record["diagnosis_codes"] and all(ICD10.fullmatch(c) for c in record["diagnosis_codes"])
        assert [line["line_number"] for line in record["lines"]] == list(range(1, len(record["lines"]) + 1))
        assert all(PROCEDURE.fullmatch(line["procedure_code"]) for line in record["lines"])
    assert {r["status"] for r in records} == {"PAID", "DENIED", "PENDING", "ADJUSTED"}
    assert any(line["modifier"] for r in records for line in r["lines"])


def test_polars_reads_the_same_decimals_and_matches_the_arrow_schema(tmp_path: Path) -> None:
    path = write_claims_avro(tmp_path, rows_per_file=50, seed=9).files[0]
    frame = pl.read_avro(path)
    assert frame.schema["billed_amount"] == pl.Decimal(12, 2)
    assert frame.schema["submitted_at"] == pl.Datetime("us", "UTC")
    charges = frame.select(
        pl.col("lines").list.eval(pl.element().struct.field("charge")).list.sum().alias("charges"), "billed_amount"
    )
    assert charges["charges"].cast(pl.Decimal(12, 2)).equals(charges["billed_amount"], check_names=False)
    as_arrow = frame.to_arrow().cast(claims_arrow_schema())
    assert as_arrow.equals(generate_claims(rows=50, seed=9))
    assert frame["paid_amount"].to_list() == [r["paid_amount"] for r in _read(path)]


@pytest.mark.parametrize("seed", [0, 42, 1234])
def test_provider_npis_come_from_the_same_seeds_providers(seed: int) -> None:
    npis = set(generate_providers(rows=10, seed=seed).column("npi").to_pylist())
    drawn = set(generate_claims(rows=200, seed=seed, file_number=3).column("provider_npi").to_pylist())
    assert drawn <= npis and len(drawn) > 1


def test_providers_file_supplies_the_npis(tmp_path: Path) -> None:
    csv_path = write_providers_csv(tmp_path / "p.csv", rows=3, seed=77)
    npis = read_provider_npis(csv_path)
    summary = write_claims_avro(tmp_path / "out", rows_per_file=30, provider_npis=npis)
    assert {r["provider_npi"] for r in _read(summary.files[0])} <= set(npis)
    with pytest.raises(ConfigError, match="not a UTF-8 CSV"):
        read_provider_npis(tmp_path / "out" / "claims_0001.avro")


def test_late_files_are_older(tmp_path: Path) -> None:
    summary = write_claims_avro(tmp_path, files=3, rows_per_file=5, faults=Faults(late_files=1))
    assert summary.late_files == [tmp_path / "claims_0003.avro"]
    mtimes = [os.stat(p).st_mtime for p in summary.files]
    assert mtimes[2] < min(mtimes[:2])
    latest_on_time = max(r["submitted_at"] for r in _read(summary.files[0]))
    assert max(r["submitted_at"] for r in _read(summary.files[2])) < latest_on_time


def test_new_column_only_after_k(tmp_path: Path) -> None:
    summary = write_claims_avro(tmp_path, files=4, rows_per_file=3, faults=Faults(new_column_after=2))
    for number, path in enumerate(summary.files, 1):
        records = _read(path)
        assert ("plan_code" in records[0]) is (number > 2)
        assert pl.read_avro(path).columns[-1] == ("plan_code" if number > 2 else "status")
    plain = generate_claims(rows=3, file_number=3)
    evolved = generate_claims(rows=3, file_number=3, with_plan_code=True)
    assert evolved.drop_columns(["plan_code"]).equals(plain)


def test_malformed_files_are_truncated_extras(tmp_path: Path) -> None:
    summary = write_claims_avro(tmp_path, files=2, rows_per_file=400, faults=Faults(malformed=2))
    assert summary.rows == 800 and summary.malformed_records == 2
    assert [p.name for p in summary.malformed_files] == ["claims_0003.avro", "claims_0004.avro"]
    for path in summary.malformed_files:
        with pytest.raises(Exception):  # noqa: B017 - each reader raises its own error type
            _read(path)
        with pytest.raises(Exception):  # noqa: B017
            pl.read_avro(path)
    assert len(_read(summary.files[1])) == 400


def test_duplicate_file_is_byte_identical(tmp_path: Path) -> None:
    summary = write_claims_avro(tmp_path, files=2, rows_per_file=4, faults=Faults(duplicate_file=True))
    assert summary.duplicate_file == tmp_path / "reupload" / "claims_0001.avro"
    assert summary.duplicate_file.read_bytes() == summary.files[0].read_bytes()


def test_bad_options_are_refused(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="needs --files 1"):
        write_claims_avro(tmp_path, files=2, name="x.avro")
    with pytest.raises(ConfigError, match="exceeds --files"):
        write_claims_avro(tmp_path, files=1, faults=Faults(late_files=2))
    with pytest.raises(ConfigError, match="must be >= 1"):
        write_claims_avro(tmp_path, files=0)


def test_a_providers_csv_without_npis_is_refused(tmp_path: Path) -> None:
    (tmp_path / "p.csv").write_text("name,city\nA,B\n")
    with pytest.raises(ConfigError, match="no 'npi' column"):
        read_provider_npis(tmp_path / "p.csv")
    with pytest.raises(ConfigError, match="not found"):
        read_provider_npis(tmp_path / "missing.csv")
