"""Providers sample: valid unique NPIs, deterministic CSV bytes, a CSV that reads back as the table."""

from __future__ import annotations

import hashlib
import re
from pathlib import Path

import pyarrow.csv as pacsv
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from lakeloader.errors import ConfigError
from lakeloader.samples import PROVIDERS_ARROW_SCHEMA, generate_providers, is_valid_npi, write_providers_csv
from lakeloader.samples.vocab import TAXONOMIES


def npi_is_valid(npi: str) -> bool:
    """CMS's own recipe, written apart from the code under test: double every other digit of the 9-digit
    base starting from its rightmost, add the digits, add 24 for the '80840' prefix, round up to a ten."""
    if not re.fullmatch(r"[12]\d{9}", npi):
        return False
    total = 24
    for index, char in enumerate(npi[:9]):
        digit = int(char)
        if index % 2 == 0:  # positions 1, 3, 5, 7, 9 from the left are doubled
            digit *= 2
            total += digit // 10 + digit % 10
        else:
            total += digit
    return (10 - total % 10) % 10 == int(npi[9])


def test_the_independent_check_agrees_with_the_cms_example() -> None:
    assert npi_is_valid("1234567893") and is_valid_npi("1234567893")
    assert not npi_is_valid("1234567890") and not is_valid_npi("1234567890")


@settings(max_examples=30, deadline=None)
@given(seed=st.integers(min_value=0, max_value=2**32), rows=st.integers(min_value=0, max_value=60))
def test_npis_are_valid_and_unique(seed: int, rows: int) -> None:
    npis = generate_providers(rows=rows, seed=seed).column("npi").to_pylist()
    assert len(npis) == rows == len(set(npis))
    assert all(npi_is_valid(npi) for npi in npis)


def _sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_csv_bytes_are_deterministic_per_seed(tmp_path: Path) -> None:
    first = write_providers_csv(tmp_path / "a" / "providers_10.csv", rows=10, seed=42)
    again = write_providers_csv(tmp_path / "b" / "providers_10.csv", rows=10, seed=42)
    other = write_providers_csv(tmp_path / "c" / "providers_10.csv", rows=10, seed=43)
    assert _sha(first) == _sha(again)
    assert _sha(first) != _sha(other)
    assert len(first.read_text().splitlines()) == 11


def test_rows_are_prefix_stable() -> None:
    assert generate_providers(rows=25, seed=7).slice(0, 10).equals(generate_providers(rows=10, seed=7))


def test_csv_reads_back_as_the_table(tmp_path: Path) -> None:
    path = write_providers_csv(tmp_path / "providers.csv", rows=40, seed=3)
    types = {field.name: field.type for field in PROVIDERS_ARROW_SCHEMA}
    read = pacsv.read_csv(path, convert_options=pacsv.ConvertOptions(column_types=types, strings_can_be_null=True))
    expected = generate_providers(rows=40, seed=3)
    assert read.cast(expected.schema).equals(expected)


def test_values_are_realistic() -> None:
    taxonomies = {t.code: t for t in TAXONOMIES}
    for row in generate_providers(rows=200, seed=11).to_pylist():
        taxonomy = taxonomies[row["taxonomy_code"]]
        assert row["specialty"] == taxonomy.specialty
        if taxonomy.organization:
            assert row["entity_type"] == "organization" and row["organization_name"] and row["first_name"] is None
        else:
            assert row["first_name"] and row["last_name"] and row["credential"] in taxonomy.credentials
        assert re.fullmatch(r"[A-Z]{2}", row["state"]) and re.fullmatch(r"\d{5}", row["zip"])
        assert re.fullmatch(r"\d{3}-555-01\d{2}", row["phone"])
        assert row["enumeration_date"] <= row["last_updated"].date()
        assert row["last_updated"].utcoffset().total_seconds() == 0


def test_a_folder_as_out_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="is a folder"):
        write_providers_csv(tmp_path, rows=1)
