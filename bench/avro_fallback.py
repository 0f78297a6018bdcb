"""Bench: what Avro files polars refuses cost (issue 20): the same claims-like records, with and without a default.

20 files x 10,000 claims rows (lakeloader.samples.claims, deflate) are written twice by fastavro: as they are,
and with a field default (`status` defaults to "PENDING", as a schema that evolved the Avro way has). polars 2
refuses the second kind. Rows of the table: polars alone on the plain files (the floor), our reader on the plain
files, our reader on the files with the default (header made plain, then polars), and the exact fallback
(fastavro record by record) on the same files. Run: `.venv/bin/python bench/avro_fallback.py [--files 20]
[--rows 10000] [--repeat 5] [--workdir DIR]`. Times are the best of `--repeat` runs.
"""

from __future__ import annotations

import argparse
import copy
import io
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import polars as pl

from lakeloader.samples.claims import claim_records, claims_avro_schema
from lakeloader.sources.files.formats import avro, read_bytes
from lakeloader.sources.files.formats import avro_container as container
from lakeloader.sources.files.formats import avro_schema as schemas
from lakeloader.sources.files.options import parse_options


def write(folder: Path, files: int, rows: int) -> tuple[list[Path], list[Path]]:
    import fastavro

    plain_schema = fastavro.parse_schema(claims_avro_schema())
    evolved = copy.deepcopy(claims_avro_schema())
    for field in evolved["fields"]:
        if field["name"] == "status":
            field["default"] = "PENDING"
    default_schema = fastavro.parse_schema(evolved)
    (folder / "plain").mkdir(parents=True, exist_ok=True)
    (folder / "default").mkdir(parents=True, exist_ok=True)
    plain: list[Path] = []
    default: list[Path] = []
    for i in range(files):
        records = claim_records(rows=rows, seed=7, file_number=i + 1)
        for kind, schema, out in (("plain", plain_schema, plain), ("default", default_schema, default)):
            path = folder / kind / f"claims_{i:04d}.avro"
            with open(path, "wb") as fh:
                fastavro.writer(fh, schema, records, codec="deflate")
            out.append(path)
    return plain, default


def best(fn: Callable[[], int], repeat: int) -> tuple[float, int]:
    times, rows = [], 0
    for _ in range(repeat):
        start = time.perf_counter()
        rows = fn()
        times.append(time.perf_counter() - start)
    return min(times), rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--files", type=int, default=20)
    parser.add_argument("--rows", type=int, default=10_000)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--workdir", type=Path, default=None)
    args = parser.parse_args()
    folder = args.workdir or Path(tempfile.mkdtemp(prefix="avro_fallback_"))
    plain, default = write(folder, args.files, args.rows)
    options = parse_options({"format": "avro"})

    def polars_alone(paths: list[Path]) -> int:
        return sum(pl.read_avro(io.BytesIO(p.read_bytes())).height for p in paths)

    def ours(paths: list[Path]) -> int:
        total = 0
        for p in paths:
            got = avro.read(str(p), options, None)
            assert not got.bad and got.table is not None, got.bad
            total += got.table.num_rows
        return total

    def exact(paths: list[Path]) -> int:
        total = 0
        for p in paths:
            data = read_bytes(str(p))
            header = container.parse_header(data)
            got = avro.records(str(p), data, header, schemas.normalise(header.schema))
            assert not got.bad and got.table is not None, got.bad
            total += got.table.num_rows
        return total

    # the fallback's result must be the reference's: fastavro reading the records back
    sample = avro.read(str(default[0]), options, None).table
    data, header = _header(default[0])
    reference = avro.records(str(default[0]), data, header, schemas.normalise(header.schema)).table
    assert sample is not None and reference is not None and sample.equals(reference)

    rows: list[tuple[str, float, int]] = []
    runs: list[tuple[str, Callable[[], int]]] = [
        ("polars alone, files without the default", lambda: polars_alone(plain)),
        ("lakeloader, files without the default", lambda: ours(plain)),
        ("lakeloader, files with a default (header made plain)", lambda: ours(default)),
        ("exact fallback (fastavro), files with a default", lambda: exact(default)),
    ]
    for label, fn in runs:
        seconds, n = best(fn, args.repeat)
        rows.append((label, seconds, n))
    floor = rows[0][1]
    print(f"{args.files} files x {args.rows:,} claims rows (deflate), best of {args.repeat}; polars {pl.__version__}")
    print(f"{'reader':<56} {'seconds':>8} {'rows':>9} {'rows/s':>11} {'vs polars':>9}")
    for label, seconds, n in rows:
        print(f"{label:<56} {seconds:>8.3f} {n:>9,} {n / seconds:>11,.0f} {seconds / floor:>8.2f}x")


def _header(path: Path) -> tuple[bytes, Any]:
    data = read_bytes(str(path))
    return data, container.parse_header(data)


if __name__ == "__main__":
    main()
