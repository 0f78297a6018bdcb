"""Telematics sample: deterministic files, plausible monotonic tracks, Parquet and JSON faults."""

from __future__ import annotations

import hashlib
import itertools
import json
import math
import os
from collections import defaultdict
from pathlib import Path
from typing import Any

import pyarrow.json as pajson
import pyarrow.parquet as pq
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from lakeloader.samples import Faults, generate_telematics, telematics_arrow_schema, write_telematics
from lakeloader.samples.telematics import TelematicsFormat


def _digests(paths: list[Path]) -> list[str]:
    return [hashlib.sha256(p.read_bytes()).hexdigest() for p in paths]


def _json_rows(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text().splitlines()]


@pytest.mark.parametrize("file_format", ["parquet", "json"])
def test_files_are_deterministic_per_seed(tmp_path: Path, file_format: TelematicsFormat) -> None:
    def write(folder: str, seed: int) -> list[Path]:
        return write_telematics(
            tmp_path / folder,
            files=3,
            rows_per_file=40,
            file_format=file_format,
            seed=seed,
        ).files

    first, again, other = write("a", 42), write("b", 42), write("c", 1)
    assert [p.name for p in first] == [f"telematics_000{i}.{file_format}" for i in (1, 2, 3)]
    assert _digests(first) == _digests(again)
    assert set(_digests(first)).isdisjoint(_digests(other))


@settings(max_examples=15, deadline=None)
@given(seed=st.integers(min_value=0, max_value=2**32), vehicles=st.integers(min_value=1, max_value=6))
def test_tracks_are_monotonic_and_plausible(seed: int, vehicles: int) -> None:
    by_vehicle: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for row in generate_telematics(rows=600, seed=seed, vehicles=vehicles).to_pylist():
        by_vehicle[row["vehicle_id"]].append(row)
    assert len(by_vehicle) == vehicles
    for rows in by_vehicle.values():
        for before, after in itertools.pairwise(rows):
            assert after["ts"] > before["ts"]
            assert after["odometer_km"] >= before["odometer_km"]
            if after["trip_id"] == before["trip_id"]:  # 5 s apart: at most ~180 m at 130 km/h
                step = math.dist((before["lat"], before["lon"]), (after["lat"], after["lon"]))
                assert step < 0.01
        assert all(0 <= r["speed_kmh"] <= 130 and 0 <= r["heading"] < 360 for r in rows)
        assert all(-90 < r["lat"] < 90 and -180 < r["lon"] < 180 for r in rows)
        assert len({r["trip_id"] for r in rows}) >= 1


def test_json_and_parquet_hold_the_same_readings(tmp_path: Path) -> None:
    parquet = write_telematics(tmp_path / "p", rows_per_file=50).files[0]
    lines = write_telematics(tmp_path / "j", rows_per_file=50, file_format="json").files[0]
    expected = generate_telematics(rows=50)
    assert pq.read_table(parquet).equals(expected)
    from_json = pajson.read_json(lines).cast(telematics_arrow_schema())
    assert from_json.equals(expected)


def test_late_files_are_older(tmp_path: Path) -> None:
    summary = write_telematics(tmp_path, files=3, rows_per_file=30, file_format="json", faults=Faults(late_files=2))
    assert [p.name for p in summary.late_files] == ["telematics_0002.json", "telematics_0003.json"]
    assert os.stat(summary.files[1]).st_mtime < os.stat(summary.files[0]).st_mtime
    first_on_time = min(r["ts"] for r in _json_rows(summary.files[0]))
    assert max(r["ts"] for r in _json_rows(summary.files[2])) < first_on_time


@pytest.mark.parametrize("file_format", ["parquet", "json"])
def test_new_column_only_after_k(tmp_path: Path, file_format: TelematicsFormat) -> None:
    summary = write_telematics(
        tmp_path,
        files=3,
        rows_per_file=10,
        file_format=file_format,
        faults=Faults(new_column_after=1),
    )
    for number, path in enumerate(summary.files, 1):
        columns = pq.read_schema(path).names if file_format == "parquet" else list(_json_rows(path)[0])
        assert ("fuel_level" in columns) is (number > 1)
    assert summary.new_column_files == summary.files[1:]


def test_malformed_json_lines_fail_to_parse(tmp_path: Path) -> None:
    summary = write_telematics(tmp_path, files=2, rows_per_file=25, file_format="json", faults=Faults(malformed=3))
    good = bad = 0
    for path in summary.files:
        for line in path.read_text().splitlines():
            try:
                json.loads(line)
                good += 1
            except json.JSONDecodeError:
                bad += 1
    assert (good, bad) == (50, 3) == (summary.rows, summary.malformed_records)


def test_malformed_parquet_files_are_truncated_extras(tmp_path: Path) -> None:
    summary = write_telematics(tmp_path, files=2, rows_per_file=25, faults=Faults(malformed=1))
    assert [p.name for p in summary.malformed_files] == ["telematics_0003.parquet"]
    with pytest.raises(Exception):  # noqa: B017 - pyarrow's own error type
        pq.read_table(summary.malformed_files[0])
    assert summary.rows == sum(pq.read_table(p).num_rows for p in summary.files[:2])


def test_duplicate_file_is_byte_identical(tmp_path: Path) -> None:
    summary = write_telematics(tmp_path, files=2, rows_per_file=5, faults=Faults(duplicate_file=True))
    assert summary.duplicate_file is not None and summary.duplicate_file.parent.name == "reupload"
    assert summary.duplicate_file.read_bytes() == summary.files[0].read_bytes()
