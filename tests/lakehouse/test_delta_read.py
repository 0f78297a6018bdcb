"""Reading Delta tables: their files as local paths and Arrow datasets, from any folder, with any partition value."""

from __future__ import annotations

import datetime
from pathlib import Path

import pyarrow as pa
import pyarrow.dataset as ds
import pyarrow.fs as pafs
from deltalake import DeltaTable

from lakeloader.lakehouse import delta
from lakeloader.lakehouse.root import Lakehouse
from lakeloader.lakehouse.sql import query

AWKWARD_VALUE = "a b%/é 100%25"  # a space, a slash, a non-ASCII letter, a `%` and what looks URI-encoded


def _partitioned(location: Path) -> pa.Table:
    rows = pa.table(
        {
            "id": [1, 2, 3, 4],
            "day": pa.array([datetime.date(2024, 1, 1), None, datetime.date(2024, 1, 2), datetime.date(2024, 1, 1)]),
            "tag": [AWKWARD_VALUE, "x", AWKWARD_VALUE, "plain"],
        }
    )
    delta.write(location, rows, partition_by=["day", "tag"])
    return rows


def test_a_table_in_a_folder_with_a_space_an_accent_and_a_percent_sign_reads_back(tmp_path: Path) -> None:
    assert " " in str(tmp_path) and "é" in str(tmp_path) and "%" in str(tmp_path)  # (the fixture's folder)
    plain, partitioned = tmp_path / "plain", tmp_path / "partitioned"
    delta.write(plain, pa.table({"id": [1, 2, 3]}))
    expected = _partitioned(partitioned)
    for location, rows in ((plain, 3), (partitioned, expected.num_rows)):
        files = delta.local_files(delta.open_table(location))
        assert files and all(Path(f).is_file() and Path(f).is_relative_to(location) for f in files), files
        assert delta.dataset(location).count_rows() == rows
    assert delta.plain_files(delta.open_table(plain)) == delta.local_files(delta.open_table(plain))


def test_partition_values_of_any_text_and_nulls_read_back_and_filter(tmp_path: Path) -> None:
    location = tmp_path / "t"
    expected = _partitioned(location)
    got = delta.dataset(location).to_table().sort_by("id")
    assert got.to_pylist() == expected.select(got.column_names).sort_by("id").to_pylist()
    assert DeltaTable(str(location)).to_pyarrow_table().num_rows == expected.num_rows  # what delta-rs reads too
    by_tag = delta.dataset(location).to_table(filter=ds.field("tag") == AWKWARD_VALUE)
    assert sorted(by_tag.column("id").to_pylist()) == [1, 3]
    assert delta.dataset(location).to_table(filter=ds.field("day").is_null()).column("id").to_pylist() == [2]


def test_sql_over_a_date_partitioned_table(lakehouse: Lakehouse) -> None:
    lakehouse.create_catalog("main", if_not_exists=True)
    lakehouse.create_schema("main.s")
    _partitioned(lakehouse.create_table("main.s.events").location)
    out = query(lakehouse, "SELECT id FROM main.s.events WHERE day = DATE '2024-01-01' ORDER BY id")
    assert out.column("id").to_pylist() == [1, 4]
    out = query(lakehouse, f"SELECT count(*) AS n FROM main.s.events WHERE tag = '{AWKWARD_VALUE}'")
    assert out.to_pylist() == [{"n": 2}]


def test_the_dataset_reads_through_arrows_own_filesystem(tmp_path: Path) -> None:
    """No Python in Arrow's I/O threads: delta-rs' dataset reads through a Python filesystem, and a read still in
    flight when the interpreter exits crashed the process (tests/cli/test_sql_exit.py)."""
    _partitioned(tmp_path / "partitioned")
    delta.write(tmp_path / "plain", pa.table({"id": [1]}))
    for name in ("partitioned", "plain"):
        dataset = delta.dataset(tmp_path / name)
        assert isinstance(dataset.filesystem, pafs.LocalFileSystem), name
