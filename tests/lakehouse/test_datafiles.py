"""Parallel data files, their statistics, and `delta.dataset`: a filter never skips a row that matches."""

from __future__ import annotations

import decimal
import json
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.dataset as ds
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from lakeloader.lakehouse import delta
from lakeloader.lakehouse.datafiles import write_data_files

EPOCH = datetime(2024, 1, 1, tzinfo=UTC)

SCHEMA = pa.schema(
    {
        "i": pa.int64(),
        "f": pa.float64(),
        "d": pa.decimal128(38, 9),
        "ts": pa.timestamp("us", tz="UTC"),
        "ntz": pa.timestamp("us"),
        "dt": pa.date32(),
        "s": pa.string(),
        "b": pa.bool_(),
    }
)

rows = st.lists(
    st.fixed_dictionaries(
        {
            "i": st.none() | st.integers(-(2**63), 2**63 - 1),
            "f": st.none() | st.floats(allow_infinity=False),
            "d": st.none() | st.decimals(min_value=-(10**28), max_value=10**28, places=9, allow_nan=False),
            "ts": st.none() | st.integers(0, 10**12).map(lambda us: EPOCH + timedelta(microseconds=us)),
            "dt": st.none() | st.dates(min_value=date(1900, 1, 1), max_value=date(2200, 1, 1)),
            "s": st.none() | st.text(max_size=40),
            "b": st.none() | st.booleans(),
        }
    ),
    min_size=1,
    max_size=40,
)


def _table(data: list[dict[str, object]]) -> pa.Table:
    for row in data:
        ts = row["ts"]
        row["ntz"] = ts.replace(tzinfo=None) if isinstance(ts, datetime) else None
    return pa.Table.from_pylist(data, schema=SCHEMA)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(rows, st.data())
def test_filters_over_our_files_return_exactly_the_matching_rows(
    tmp_path_factory: pytest.TempPathFactory, data: list[dict[str, object]], draw: st.DataObject
) -> None:
    table = _table(data)
    location = tmp_path_factory.mktemp("stats") / "t"
    # two files so that bounds from different files meet
    delta.write(location, table.slice(0, table.num_rows // 2 + 1))
    delta.write(location, table.slice(table.num_rows // 2 + 1))
    dataset = delta.dataset(location)
    assert dataset.count_rows() == table.num_rows
    for column in SCHEMA.names:
        values = [v for v in table.column(column).to_pylist() if v is not None]
        if not values or column == "b":
            continue
        pivot = draw.draw(st.sampled_from(values))
        if isinstance(pivot, float) and pivot != pivot:
            continue
        scalar = pa.scalar(pivot, SCHEMA.field(column).type)
        for expression, compute in (
            (ds.field(column) >= scalar, pc.greater_equal),
            (ds.field(column) <= scalar, pc.less_equal),
            (ds.field(column) == scalar, pc.equal),
        ):
            expected = table.filter(compute(table.column(column), scalar)).num_rows
            assert dataset.to_table(filter=expression).num_rows == expected, (column, pivot)
    assert dataset.to_table(filter=ds.field("i").is_null()).num_rows == table.column("i").null_count


def test_files_are_written_in_parallel_chunks_and_cleaned_up_on_failure(tmp_path: Path) -> None:
    batch = pa.record_batch({"x": pa.array(range(100_000), pa.int64())})

    def batches(fail_after: int | None) -> object:
        for n in range(8):
            if fail_after is not None and n == fail_after:
                raise RuntimeError("source died")
            yield batch

    files = write_data_files(tmp_path / "ok", batches(None), batch.schema, workers=2, chunk_bytes=batch.nbytes * 2)
    assert len(files) == 4 and sum(f.rows for f in files) == 800_000
    assert all(json.loads(f.stats)["numRecords"] == 200_000 for f in files)
    with pytest.raises(RuntimeError, match="source died"):
        write_data_files(tmp_path / "bad", batches(5), batch.schema, workers=2, chunk_bytes=batch.nbytes * 2)
    assert list((tmp_path / "bad").iterdir()) == []


def test_decimal_bounds_round_outward() -> None:
    from lakeloader.lakehouse.datafiles import _stats

    value = decimal.Decimal("12345678901234567.89")
    stats = json.loads(_stats(pa.table({"d": pa.array([value], pa.decimal128(38, 2))})))
    assert decimal.Decimal(stats["minValues"]["d"]) <= value <= decimal.Decimal(stats["maxValues"]["d"])


def _parse(value: object, arrow_type: pa.DataType) -> object:
    if pa.types.is_decimal(arrow_type):
        return decimal.Decimal(repr(value))
    if pa.types.is_timestamp(arrow_type):
        text = str(value).replace("Z", "+00:00").replace(" ", "T")
        parsed = datetime.fromisoformat(text)
        return parsed if arrow_type.tz else parsed.replace(tzinfo=None)
    if pa.types.is_date32(arrow_type):
        return date.fromisoformat(str(value))
    return value


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(rows, st.integers(1, 8))
def test_statistics_bound_every_value_and_count_nulls(
    tmp_path_factory: pytest.TempPathFactory, data: list[dict[str, object]], row_group: int
) -> None:
    import pyarrow.parquet as pq

    from lakeloader.lakehouse.datafiles import _stats, parquet_string_bounds

    table = _table(data)
    footer: list[pq.FileMetaData] = []  # string bounds come from the Parquet footer, the rest from Arrow
    pq.write_table(
        table, tmp_path_factory.mktemp("f") / "x.parquet", row_group_size=row_group, metadata_collector=footer
    )
    stats = json.loads(_stats(table, parquet_string_bounds(footer[0])))
    assert stats["numRecords"] == table.num_rows
    for field in SCHEMA:
        column = table.column(field.name)
        assert stats["nullCount"][field.name] == column.null_count
        values = [v for v in column.to_pylist() if v is not None and v == v]  # v == v drops NaN
        if not values:
            assert field.name not in stats["minValues"]
            continue
        low = _parse(stats["minValues"][field.name], field.type)
        high = _parse(stats["maxValues"][field.name], field.type)
        if pa.types.is_string(field.type):  # Delta compares strings by UTF-8 bytes
            values = [v.encode() for v in values]  # type: ignore[union-attr]
            low, high = str(low).encode(), str(high).encode()
        assert all(low <= v <= high for v in values), (field.name, low, high)  # type: ignore[operator]


def test_footer_statistics_cover_top_level_and_struct_leaves_not_list_elements(tmp_path: Path) -> None:
    import pyarrow.parquet as pq

    table = pa.table(
        {
            "id": [1, 2],
            "who": [{"name": "a", "age": 3}, {"name": "b", "age": None}],
            "tags": [["x"], ["y", "z"]],
            "attrs": pa.array([[("k", 1)], []], pa.map_(pa.string(), pa.int64())),
        }
    )
    (written,) = write_data_files(tmp_path, table.to_batches(), table.schema)
    meta = pq.ParquetFile(tmp_path / written.path).metadata.row_group(0)
    has_stats = {meta.column(i).path_in_schema: meta.column(i).is_stats_set for i in range(meta.num_columns)}
    assert has_stats == {
        "id": True,
        "who.name": True,
        "who.age": True,
        "tags.list.element": False,
        "attrs.key_value.key": False,
        "attrs.key_value.value": False,
    }


@settings(max_examples=80, deadline=None)
@given(rows, st.data())
def test_statistics_of_parts_merge_into_those_of_the_whole(data: list[dict[str, object]], draw: st.DataObject) -> None:
    """Row groups read one at a time (copied Parquet files) give the same statistics as the file read whole."""
    from lakeloader.lakehouse.datafiles import _stats, merge_stats

    table = _table(data)
    nested = pa.array(
        [None if r["i"] is None else {"x": r["i"], "y": r["s"]} for r in data],
        pa.struct([("x", pa.int64()), ("y", pa.string())]),
    )
    table = table.append_column("st", nested)
    cut = draw.draw(st.integers(0, table.num_rows))
    parts = [table.slice(0, cut), table.slice(cut)]
    merged = json.loads(_stats(parts[0]))
    merged = merge_stats(merged, json.loads(_stats(parts[1])), table.schema)
    assert merged == json.loads(_stats(table))


def test_merged_statistics_drop_bounds_a_part_could_not_give() -> None:
    from lakeloader.lakehouse.datafiles import merge_stats

    with_bounds = {"numRecords": 2, "minValues": {"a": 1}, "maxValues": {"a": 5}, "nullCount": {"a": 0}}
    values_no_bounds = {"numRecords": 2, "minValues": {}, "maxValues": {}, "nullCount": {"a": 0}}
    all_null = {"numRecords": 2, "minValues": {}, "maxValues": {}, "nullCount": {"a": 2}}
    schema = pa.schema([("a", pa.int64())])
    assert merge_stats(with_bounds, values_no_bounds, schema)["minValues"] == {}
    # a float part without bounds held only NaN, which bounds nothing: the other part's bounds stand
    floats = pa.schema([("a", pa.float64())])
    assert merge_stats(with_bounds, values_no_bounds, floats)["minValues"] == {"a": 1}
    assert merge_stats(with_bounds, all_null, schema) == {
        "numRecords": 4,
        "minValues": {"a": 1},
        "maxValues": {"a": 5},
        "nullCount": {"a": 2},
    }
