"""Synthetic vehicle telematics: simulated trips (moving tracks, monotonic odometers) as Parquet or JSON lines."""

from __future__ import annotations

import itertools
import json
import math
import random
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, Literal

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

TelematicsFormat = Literal["parquet", "json"]
TELEMATICS_START = datetime(2024, 5, 1, 6, 0, tzinfo=UTC)
LATE_SHIFT = timedelta(days=2)  # how much older a late file's readings are
STEP = timedelta(seconds=5)  # a vehicle reports every 5 seconds while driving
DEFAULT_VEHICLES = 5
_KM_PER_DEGREE = 111.32
_EXTENSIONS: dict[str, str] = {"parquet": "parquet", "json": "json"}


def telematics_arrow_schema(*, with_fuel_level: bool = False) -> pa.Schema:
    """Columns of the telematics sample; `fuel_level` (percent) only in files after `--new-column-after K`."""
    fields = [
        pa.field("vehicle_id", pa.string()),
        pa.field("trip_id", pa.string()),
        pa.field("ts", pa.timestamp("us", tz="UTC")),
        pa.field("lat", pa.float64()),
        pa.field("lon", pa.float64()),
        pa.field("speed_kmh", pa.float64()),
        pa.field("heading", pa.float64()),
        pa.field("odometer_km", pa.float64()),
        pa.field("engine_temp_c", pa.float64()),
        pa.field("harsh_brake", pa.bool_()),
    ]
    if with_fuel_level:
        fields.append(pa.field("fuel_level", pa.float64()))
    return pa.schema(fields)


TELEMATICS_ARROW_SCHEMA = telematics_arrow_schema()
"""Columns of the telematics sample without the evolved `fuel_level` column."""


class _Vehicle:
    """One simulated vehicle: where it is, how fast it goes, and its trip."""

    def __init__(self, rng: random.Random, number: int, start: datetime = TELEMATICS_START) -> None:
        place = rng.choice(vocab.PLACES)
        self.vehicle_id = f"VH-{number:04d}"
        self.lat = place.lat + rng.uniform(-0.05, 0.05)
        self.lon = place.lon + rng.uniform(-0.05, 0.05)
        self.odometer = rng.uniform(5_000.0, 150_000.0)
        self.clock = start + timedelta(seconds=rng.randrange(600))
        self.fuel = rng.uniform(40.0, 100.0)
        self.trip = 0
        self.left = 0
        self.speed = self.heading = self.engine_temp = 0.0

    def step(self, rng: random.Random) -> dict[str, Any]:
        if self.left == 0:  # park, then start a new trip with a cold engine
            if self.trip:
                self.clock += timedelta(minutes=rng.randint(15, 240))
            self.trip += 1
            self.left = rng.randint(40, 240)
            self.speed, self.heading, self.engine_temp = 0.0, rng.uniform(0.0, 360.0), rng.uniform(12.0, 28.0)
            if self.fuel < 15.0:
                self.fuel = rng.uniform(85.0, 100.0)
        else:
            self.clock += STEP
        harsh_brake = self.speed > 60.0 and rng.random() < 0.02
        if harsh_brake:
            speed = self.speed - rng.uniform(35.0, 55.0)
        else:
            speed = min(130.0, max(0.0, self.speed + rng.gauss(1.5 if self.speed < 50.0 else 0.0, 4.0)))
        self.heading = (self.heading + rng.gauss(0.0, 8.0)) % 360.0
        distance = (self.speed + speed) / 2.0 * STEP.total_seconds() / 3600.0
        radians = math.radians(self.heading)
        self.lat += distance * math.cos(radians) / _KM_PER_DEGREE
        self.lon += distance * math.sin(radians) / (_KM_PER_DEGREE * math.cos(math.radians(self.lat)))
        self.odometer += distance
        self.fuel = max(0.0, self.fuel - distance * 0.08)
        self.engine_temp += (90.0 - self.engine_temp) * 0.05 + rng.gauss(0.0, 0.3)
        self.speed = speed
        self.left -= 1
        return {
            "vehicle_id": self.vehicle_id,
            "trip_id": f"{self.vehicle_id}-T{self.trip:05d}",
            "ts": self.clock,
            "lat": round(self.lat, 6),
            "lon": round(self.lon, 6),
            "speed_kmh": round(speed, 1),
            "heading": round(self.heading, 1) % 360.0,  # 359.96 rounds to 360.0, which is 0.0
            "odometer_km": round(self.odometer, 3),  # rounding a non-decreasing series keeps it non-decreasing
            "engine_temp_c": round(self.engine_temp, 1),
            "harsh_brake": harsh_brake,
            "fuel_level": round(self.fuel, 1),
        }


def iter_telematics(
    *, seed: int = DEFAULT_SEED, vehicles: int = DEFAULT_VEHICLES, start: datetime = TELEMATICS_START
) -> Iterator[dict[str, Any]]:
    """An endless stream of readings as dicts (with `fuel_level`), one vehicle after another in turn, from
    `start` (each vehicle's first reading within 10 minutes of it)."""
    if vehicles < 1:
        raise ConfigError(f"samples telematics: --vehicles {vehicles} is invalid; pass a fleet size >= 1")
    rng = random.Random(f"lakeloader.samples.telematics:{seed}")
    fleet = [_Vehicle(rng, number, start) for number in range(1, vehicles + 1)]
    for vehicle in itertools.cycle(fleet):
        yield vehicle.step(rng)


def telematics_records(
    *, rows: int, seed: int = DEFAULT_SEED, vehicles: int = DEFAULT_VEHICLES
) -> list[dict[str, Any]]:
    """The first `rows` readings of `iter_telematics`; row i does not depend on `rows` (prefix-stable)."""
    if rows < 0:
        raise ConfigError(f"samples telematics: rows {rows} is negative; pass a count >= 0")
    return list(itertools.islice(iter_telematics(seed=seed, vehicles=vehicles), rows))


def generate_telematics(
    *, rows: int, seed: int = DEFAULT_SEED, vehicles: int = DEFAULT_VEHICLES, with_fuel_level: bool = False
) -> pa.Table:
    """`rows` readings of a fleet of `vehicles` as an Arrow table; the same seed gives the same table."""
    records = telematics_records(rows=rows, seed=seed, vehicles=vehicles)
    schema = telematics_arrow_schema(with_fuel_level=with_fuel_level)
    return pa.Table.from_pylist(records, schema=schema)


def telematics_file_name(number: int, file_format: TelematicsFormat) -> str:
    return f"telematics_{number:04d}.{_EXTENSIONS[file_format]}"


def _json_line(record: dict[str, Any]) -> str:
    return json.dumps(record | {"ts": record["ts"].strftime("%Y-%m-%dT%H:%M:%SZ")})


def _write_file(path: Path, records: list[dict[str, Any]], file_format: TelematicsFormat, evolved: bool) -> None:
    if not evolved:
        records = [{k: v for k, v in record.items() if k != "fuel_level"} for record in records]
    if file_format == "json":
        path.write_text("".join(_json_line(record) + "\n" for record in records), encoding="utf-8")
        return
    import pyarrow.parquet as pq

    pq.write_table(pa.Table.from_pylist(records, schema=telematics_arrow_schema(with_fuel_level=evolved)), path)


def _glitched(chunk: list[dict[str, Any]], glitches: list[int], seed: int) -> list[dict[str, Any]]:
    """Readings `glitches` (numbers over all files) spoiled: a lost GPS fix at (0, 0), or 999.9 km/h."""
    rng = random.Random(f"lakeloader.samples.telematics.glitches:{seed}:{glitches[:1]}")
    chunk = list(chunk)
    for glitch, index in zip(glitches, rng.sample(range(len(chunk)), min(len(glitches), len(chunk))), strict=False):
        spoiled = {"lat": 0.0, "lon": 0.0} if glitch % 2 == 0 else {"speed_kmh": 999.9}
        chunk[index] = chunk[index] | spoiled
    return chunk


def _break_json_lines(paths: list[Path], count: int, seed: int) -> None:
    """Insert `count` broken lines (a record cut in half) into the files, spread over them in turn."""
    rng = random.Random(f"lakeloader.samples.telematics.malformed:{seed}")
    for index in range(count):
        path = paths[index % len(paths)]
        lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
        victim = lines[rng.randrange(len(lines))]
        lines.insert(rng.randrange(len(lines) + 1), victim[: len(victim) // 2] + "\n")
        path.write_text("".join(lines), encoding="utf-8")


def write_telematics(
    out_dir: Path | str,
    *,
    files: int = 1,
    rows_per_file: int = 100,
    file_format: TelematicsFormat = "parquet",
    seed: int = DEFAULT_SEED,
    vehicles: int = DEFAULT_VEHICLES,
    faults: Faults | None = None,
    on_file: OnFile | None = None,
    start: datetime = TELEMATICS_START,
) -> WriteSummary:
    """Write `files` files of `rows_per_file` readings: `telematics_0001.parquet` (or `.json`, one object a line).

    Malformed records are extra broken lines in JSON files and extra truncated files (numbered after the good
    ones) for Parquet.
    """
    faults = faults or Faults()
    if file_format not in _EXTENSIONS:
        raise ConfigError(f"samples telematics: format {file_format!r} is unknown; pass parquet or json")
    check_counts(files=files, rows_per_file=rows_per_file, what="telematics")
    faults.check(files=files, what="telematics")
    target = prepare_dir(Path(out_dir), what="telematics")
    truncated = faults.malformed if file_format == "parquet" else 0
    readings = iter_telematics(seed=seed, vehicles=vehicles, start=start)
    summary = WriteSummary()
    late_mtimes: dict[Path, datetime] = {}
    for number in range(1, files + truncated + 1):
        chunk = list(itertools.islice(readings, rows_per_file))
        late = number <= files and faults.is_late(number, files)
        if late:
            chunk = [record | {"ts": record["ts"] - LATE_SHIFT} for record in chunk]
        if number <= files and faults.glitches:
            chunk = _glitched(chunk, [g for g in range(faults.glitches) if g % files == number - 1], seed)
        evolved = faults.has_new_column(number)
        path = target / telematics_file_name(number, file_format)
        _write_file(path, chunk, file_format, evolved)
        if number > files:
            truncate_at(path, path.stat().st_size // 2)  # the footer is gone: no Parquet reader opens it
            summary.malformed_files.append(path)
            summary.malformed_records += 1
        else:
            summary.rows += len(chunk)
        if late:
            late_mtimes[path] = max(record["ts"] for record in chunk)
            summary.late_files.append(path)
        if evolved:
            summary.new_column_files.append(path)
        if on_file is not None:
            on_file(path)
        summary.files.append(path)
    if file_format == "json" and faults.malformed:
        _break_json_lines(summary.files, faults.malformed, seed)
        summary.malformed_files = sorted({summary.files[i % files] for i in range(faults.malformed)})
        summary.malformed_records = faults.malformed
    for path, when in late_mtimes.items():  # last: rewriting a file would reset its mtime
        set_mtime(path, when)
    summary.bytes = sum(path.stat().st_size for path in summary.files)
    if faults.duplicate_file:
        summary.duplicate_file = duplicate(summary.files[0], target)
    return summary
