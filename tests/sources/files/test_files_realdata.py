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


def test_realdata_parquet_copied_as_is_reads_back_the_same(lh: Lakehouse, tmp_path: Path, realdata: Path) -> None:
    """Each readable parquet-testing file into its own table with every conforming file copied: same rows back."""
    from lakeloader.lakehouse import delta
    from lakeloader.sources.files.runner import ingest_files

    copied = 0
    for i, f in enumerate(sorted((realdata / "parquet-testing" / "data").glob("*.parquet"))):
        if f.name == "large_string_map.brotli.parquet":
            continue
        try:
            expected = pq.read_table(f)
        except Exception:
            continue  # unreadable: the bad-data tests cover those
        land = tmp_path / "land" / str(i)
        land.mkdir(parents=True)
        shutil.copy(f, land / f.name)
        got = ingest_files(
            f"bronze.t{i}", path=land, checkpoint=tmp_path / "cp" / str(i), lakehouse=lh, format="parquet",
            copyThroughMinFileSize=0, zeroByteFileGracePeriod="0s",
        )  # fmt: skip
        assert got.stats.rows == expected.num_rows, f.name
        if not got.stats.copied_files:
            continue
        copied += 1
        back = delta.dataset(lh.table(f"bronze.t{i}").location).to_table()
        assert back.num_rows == expected.num_rows, f.name
        for name in expected.column_names:
            column = expected[name].cast(back[name].type)
            # NaN never equals itself: compare the values' text where equals() says no
            assert back[name].equals(column) or str(back[name].to_pylist()) == str(column.to_pylist()), (f.name, name)
    assert copied >= 30
