"""Parquet copy-through: files whose columns are already what the table stores join the commit byte for byte."""

from __future__ import annotations

import hashlib
import random
import shutil
from datetime import UTC, datetime
from pathlib import Path

import polars as pl
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from tests.sources.files.conftest import Ingest, bad_records, kill_loop, read_table

from lakeloader.errors import TerminalError
from lakeloader.lakehouse import types
from lakeloader.lakehouse.root import Lakehouse


def _claims(seed: int, n: int = 500) -> pa.Table:
    rng = random.Random(seed)
    return pa.table(
        {
            "claim_id": pa.array([f"C{seed:03d}-{i:05d}" for i in range(n)], pa.large_string()),
            "amount": [round(rng.uniform(1, 100), 2) for _ in range(n)],
            "codes": pa.array([["a", "b"][: rng.randint(0, 2)] for _ in range(n)], pa.large_list(pa.large_string())),
            "at": pa.array([datetime(2024, 1, 1, tzinfo=UTC)] * n, pa.timestamp("us", tz="UTC")),
        }
    )


def _digest(path: Path) -> str:
    return hashlib.blake2b(path.read_bytes(), digest_size=16).hexdigest()


def _table_files(lh: Lakehouse, name: str = "bronze.t") -> tuple[list[Path], list[Path]]:
    """(files the table references, Parquet files lying in its folder)."""
    from lakeloader.lakehouse import delta

    location = lh.table(name).location
    referenced = [Path(f) for f in delta.local_files(delta.open_table(location))]
    return referenced, sorted(location.glob("*.parquet"))


def test_conforming_files_are_copied_byte_for_byte(ingest: Ingest, lh: Lakehouse, landing: Path) -> None:
    sources = []
    for i in range(4):  # c3 has five row groups: read one at a time, their statistics merged
        pq.write_table(
            _claims(i), landing / f"c{i}.parquet", compression="zstd", row_group_size=100 if i == 3 else None
        )
        sources.append(landing / f"c{i}.parquet")
    summary = ingest(format="parquet", copyThroughMinFileSize=0)
    assert summary.stats.copied_files == 4 and summary.stats.rows == 2000
    assert "4 Parquet files copied as they were" in summary.line()
    referenced, lying = _table_files(lh)
    assert sorted(_digest(p) for p in referenced) == sorted(_digest(p) for p in sources)
    assert sorted(referenced) == lying  # nothing left behind
    from deltalake import DeltaTable

    actions = pa.table(DeltaTable(str(lh.table("bronze.t").location)).get_add_actions(flatten=True)).to_pydict()
    assert actions["num_records"] == [500] * 4
    assert min(actions["min.claim_id"]) == "C000-00000" and max(actions["max.claim_id"]) == "C003-00499"
    table = read_table(lh)
    assert table.num_rows == 2000 and table.column("_rescued_data").null_count == 2000
    expected = pa.concat_tables([_claims(i) for i in range(4)])
    assert sorted(table.column("claim_id").to_pylist()) == sorted(expected.column("claim_id").to_pylist())
    # statistics bound the copied rows: a reader that skips files by them still finds every row
    # (a copy in a folder of a plain name: Polars cannot read a table whose path holds a space, `é` or `%`,
    # pola-rs/polars#20944, and it follows links)
    plain = lh.root.parent.parent / "plain-name"
    shutil.copytree(lh.table("bronze.t").location, plain)
    hit = pl.scan_delta(str(plain)).filter(pl.col("claim_id") == "C002-00042").collect()
    assert (
        hit.height == 1
        and hit["amount"][0] == expected.filter(pc.equal(expected["claim_id"], "C002-00042"))["amount"][0].as_py()
    )


def test_files_needing_a_conversion_or_below_the_size_are_re_encoded(
    ingest: Ingest, lh: Lakehouse, landing: Path
) -> None:
    pq.write_table(_claims(1), landing / "a_ok.parquet")
    ns = _claims(2).set_column(3, "at", pa.array([datetime(2024, 1, 2)] * 500, pa.timestamp("ns", tz="UTC")))
    pq.write_table(ns, landing / "b_nanos.parquet", coerce_timestamps=None, allow_truncated_timestamps=False)
    pq.write_table(_claims(3), landing / "c_brotli.parquet", compression="brotli")
    pq.write_table(_claims(5), landing / "c_split.parquet", use_dictionary=False, use_byte_stream_split=["amount"])
    small = landing / "d_small.parquet"
    pq.write_table(_claims(4, n=5), small)
    minimum = min(p.stat().st_size for p in landing.iterdir() if p != small)
    summary = ingest(format="parquet", copyThroughMinFileSize=str(minimum))
    assert summary.stats.rows == 2005
    assert summary.stats.copied_files == 1  # only a_ok: b needs micros, c portable codecs/encodings, d is small
    table = read_table(lh)
    assert table.schema.field("at").type == pa.timestamp("us", tz="UTC")
    assert pc.count_distinct(table["at"]).as_py() == 2
    referenced, lying = _table_files(lh)
    assert sorted(referenced) == lying
    assert _digest(landing / "a_ok.parquet") in {_digest(p) for p in referenced}


def test_off_and_per_file_columns_disable_copying(ingest: Ingest, lh: Lakehouse, landing: Path) -> None:
    pq.write_table(_claims(1), landing / "a.parquet")
    assert ingest(format="parquet", copyThroughMinFileSize="off").stats.copied_files == 0
    pq.write_table(_claims(2), landing / "b.parquet")
    got = ingest(format="parquet", copyThroughMinFileSize=0, includeMetadata=True)
    assert got.stats.copied_files == 0 and got.stats.rows == 500
    assert read_table(lh).column("_metadata").null_count == 500  # the first file predates includeMetadata


def test_a_file_with_a_new_column_is_re_encoded_and_evolves_the_table(
    ingest: Ingest, lh: Lakehouse, landing: Path
) -> None:
    pq.write_table(_claims(1), landing / "a.parquet")
    ingest(format="parquet", copyThroughMinFileSize=0)
    pq.write_table(_claims(2).append_column("extra", pa.array(["x"] * 500)), landing / "b.parquet")
    pq.write_table(_claims(3), landing / "c.parquet")
    got = ingest(format="parquet", copyThroughMinFileSize=0)
    assert got.stats.rows == 1000
    table = read_table(lh)
    assert table.column("extra").null_count == 1000 and table.num_rows == 1500


def test_a_corrupt_file_goes_to_bad_records_and_copies_of_its_batch_still_commit(
    ingest: Ingest, lh: Lakehouse, landing: Path, tmp_path: Path
) -> None:
    pq.write_table(_claims(1), landing / "a.parquet")
    raw = bytearray((landing / "a.parquet").read_bytes())
    raw[200:400] = b"\x00" * 200  # pages destroyed, footer intact
    (landing / "b_corrupt.parquet").write_bytes(bytes(raw))
    got = ingest(format="parquet", copyThroughMinFileSize=0)
    assert got.stats.copied_files == 1 and got.stats.rows == 500 and got.stats.bad_files == 1
    assert bad_records(tmp_path).column("file_path").to_pylist() == [str(landing / "b_corrupt.parquet")]
    referenced, lying = _table_files(lh)
    assert sorted(referenced) == lying


def test_failfast_batch_leaves_no_copies_and_the_rerun_commits_once(
    ingest: Ingest, lh: Lakehouse, landing: Path
) -> None:
    for i in range(3):
        pq.write_table(_claims(i), landing / f"a{i}.parquet")
    (landing / "z_bad.parquet").write_bytes(b"PAR1 not really parquet PAR1")
    with pytest.raises(TerminalError, match="FAILFAST"):
        ingest(format="parquet", copyThroughMinFileSize=0, mode="FAILFAST")
    location = lh.table_for_write("bronze.t", writer="a test").location
    assert not list(location.glob("*.parquet"))  # the copies of the failed batch were removed
    got = ingest(format="parquet", copyThroughMinFileSize=0)  # the fix the error names: mode PERMISSIVE
    assert got.stats.copied_files == 3 and got.stats.bad_files == 1
    ids = read_table(lh).column("claim_id").to_pylist()
    assert len(ids) == len(set(ids)) == 1500


def test_a_failed_commit_removes_the_copies_and_the_retry_commits_once(
    ingest: Ingest, lh: Lakehouse, landing: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from deltalake import DeltaTable

    for i in range(3):
        pq.write_table(_claims(i), landing / f"a{i}.parquet")
    real = DeltaTable.create_write_transaction

    def crash(*args: object, **kwargs: object) -> None:
        raise OSError("injected: disk gone before the commit")

    monkeypatch.setattr(DeltaTable, "create_write_transaction", crash)
    with pytest.raises(OSError, match="injected"):
        ingest(format="parquet", copyThroughMinFileSize=0)
    assert not list(lh.table("bronze.t").location.glob("*.parquet"))
    monkeypatch.setattr(DeltaTable, "create_write_transaction", real)
    assert ingest(format="parquet", copyThroughMinFileSize=0).stats.rows == 1500
    ids = read_table(lh).column("claim_id").to_pylist()
    assert len(ids) == len(set(ids)) == 1500


_SIMPLE = [pa.int8(), pa.int16(), pa.int32(), pa.int64(), pa.float32(), pa.float64(), pa.bool_(), pa.date32()]
_NEEDS_CONVERSION = [
    pa.uint8(),
    pa.uint32(),
    pa.float16(),
    pa.timestamp("ns", tz="UTC"),
    pa.timestamp("ms"),
    pa.time64("us"),
    pa.binary(4),
    pa.date64(),
    pa.decimal256(10, 2),
]


def _types(leaf: st.SearchStrategy[pa.DataType]) -> st.SearchStrategy[pa.DataType]:
    return st.recursive(
        leaf,
        lambda inner: st.one_of(
            inner.map(pa.list_),
            inner.map(pa.large_list),
            st.lists(inner, min_size=1, max_size=3).map(lambda ts: pa.struct([(f"f{i}", t) for i, t in enumerate(ts)])),
        ),
        max_leaves=4,
    )


_STORED = st.sampled_from(
    [
        *_SIMPLE,
        pa.string(),
        pa.large_string(),
        pa.binary(),
        pa.large_binary(),
        pa.timestamp("us", tz="UTC"),
        pa.timestamp("us"),
        pa.decimal128(12, 2),
        pa.dictionary(pa.int32(), pa.string()),
    ]
)


@settings(max_examples=200, deadline=None)
@given(_types(_STORED))
def test_types_delta_stores_without_conversion_are_copied_as_is(t: pa.DataType) -> None:
    assert types.stored_as_is(t, types.delta_type(t))


@settings(max_examples=200, deadline=None)
@given(_types(st.sampled_from(_NEEDS_CONVERSION)))
def test_types_needing_a_conversion_are_never_copied_as_is(t: pa.DataType) -> None:
    assert not types.stored_as_is(t, types.delta_type(t))


_SCRIPT = """
import sys
from lakeloader.lakehouse.root import Lakehouse
from lakeloader.sources.files.runner import ingest_files
lh = Lakehouse(sys.argv[1])
s = ingest_files("bronze.t", path=sys.argv[2], checkpoint=sys.argv[3], lakehouse=lh, format="parquet",
                 maxFilesPerTrigger=1, copyThroughMinFileSize=0)
print("DONE", s.stats.files)
"""


@pytest.mark.slow
def test_kill_minus_nine_loop_with_copied_files(lh: Lakehouse, landing: Path, tmp_path: Path) -> None:
    expected = set()
    for i in range(240):
        part = _claims(i, n=50)
        expected |= set(part.column("claim_id").to_pylist())
        folder = landing / f"d{i % 3}"
        folder.mkdir(exist_ok=True)
        pq.write_table(part, folder / f"f{i:03d}.parquet")
    # kill points spread over startup, planning, copying and committing
    kills, _ = kill_loop(_SCRIPT, [str(lh.root), str(landing), str(tmp_path / "cp")], seed=99)
    assert kills >= 3
    ids = read_table(lh).column("claim_id").to_pylist()
    assert len(ids) == len(set(ids)), "duplicates"
    assert set(ids) == expected, "gaps"
