"""Third-party files: every Avro codec of ../shared/realdata/avro, every readable parquet-testing/data file."""

from __future__ import annotations

import shutil
from collections import Counter
from pathlib import Path

import pyarrow.compute as pc
import pyarrow.parquet as pq
import pytest
from tests.sources.files.conftest import Ingest, bad_records, read_table

from lakeloader.lakehouse.root import Lakehouse


def test_realdata_avro_every_codec(
    ingest: Ingest, lh: Lakehouse, landing: Path, tmp_path: Path, realdata: Path
) -> None:
    import polars as pl

    files = sorted((realdata / "avro").glob("*.avro"))
    assert {"weather-deflate.avro", "weather-snappy.avro", "weather-zstd.avro"} <= {f.name for f in files}
    for f in files:
        shutil.copy(f, landing / f.name)
    got = ingest(format="avro", includeMetadata=True)
    assert got.stats.bad_records == 0
    per_file = Counter(m["file_name"] for m in read_table(lh).column("_metadata").to_pylist())
    for f in files:
        # weather-zstd holds weather.avro's records with the zstandard codec, which polars cannot read alone
        expected = per_file["weather.avro"] if f.name == "weather-zstd.avro" else pl.read_avro(f).height
        assert per_file[f.name] == expected, f.name
    table = read_table(lh)
    names = pc.struct_field(table.column("_metadata"), "file_name")
    zstd = table.filter(pc.equal(names, "weather-zstd.avro")).select(["station", "time", "temp"])
    plain = table.filter(pc.equal(names, "weather.avro")).select(["station", "time", "temp"])
    assert zstd.to_pylist() == plain.to_pylist()


@pytest.mark.slow
def test_realdata_parquet_testing_data(
    ingest: Ingest, lh: Lakehouse, landing: Path, tmp_path: Path, realdata: Path
) -> None:
    src = realdata / "parquet-testing" / "data"
    expected: dict[str, int | None] = {}
    for f in sorted(src.glob("*.parquet")):
        if f.name == "large_string_map.brotli.parquet":
            continue  # 2 GiB of strings in one map: pyarrow cannot read it; reading it costs ~10 s to learn that
        shutil.copy(f, landing / f.name)
        try:
            expected[f.name] = pq.read_table(f).num_rows
        except Exception:
            expected[f.name] = None  # pyarrow cannot read it either (nested data over 2 GiB, bad map schema)
    got = ingest(format="parquet", includeMetadata=True)
    per_file = Counter(m["file_name"] for m in read_table(lh).column("_metadata").to_pylist())
    reported = {Path(p).name for p in bad_records(tmp_path).column("file_path").to_pylist()}
    for name, rows in expected.items():
        if rows is None:
            assert name in reported, name
        else:
            assert per_file[name] == rows and name not in reported, name
    assert got.stats.files == len(expected)
    assert sum(1 for r in expected.values() if r is not None) >= 60
