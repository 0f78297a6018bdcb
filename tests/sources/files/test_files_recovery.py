"""No stream stuck forever, no file skipped or double-counted: issue 10 items 5, 8, 9, 10, 12, 13 and 14."""

from __future__ import annotations

import json
import os
import time
from datetime import UTC, datetime
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
import pytest
from tests.sources.files.conftest import Ingest, bad_records, read_table, write_ndjson
from typer.testing import CliRunner

from lakeloader.errors import ConfigError, SchemaMismatchError, TerminalError
from lakeloader.execution.checkpoint import Checkpoint
from lakeloader.lakehouse.root import Lakehouse
from lakeloader.sources.files.ledger import FileLedger
from lakeloader.sources.files.schema import SchemaStore


def _ledger(tmp_path: Path) -> dict[str, str]:
    rows = FileLedger(tmp_path / "cp_bronze.t/sources/files/ledger.db").rows()
    return {Path(r["path"]).name: r["status"] for r in rows}


def _touch_later(path: Path) -> None:
    os.utime(path, ns=(time.time_ns(), time.time_ns() + 10**9))


# -- 5 ---------------------------------------------------------------------------------------------------
def test_include_existing_files_false_after_an_empty_first_run(ingest: Ingest, lh: Lakehouse, landing: Path) -> None:
    assert ingest(format="json", includeExistingFiles=False).stats.files == 0  # nothing there yet
    write_ndjson(landing / "late.json", [{"id": 1}])
    assert ingest(format="json", includeExistingFiles=False).stats.files == 1
    assert read_table(lh).num_rows == 1


def test_include_existing_files_is_read_only_at_the_first_start(
    ingest: Ingest, lh: Lakehouse, landing: Path, tmp_path: Path
) -> None:
    write_ndjson(landing / "old.json", [{"id": 1}])
    ingest(format="json", includeExistingFiles=False)
    assert _ledger(tmp_path) == {"old.json": "skipped"}
    write_ndjson(landing / "new.json", [{"id": 2}])
    assert ingest(format="json", includeExistingFiles=True).stats.files == 1  # changing it later: no effect
    assert read_table(lh).column("id").to_pylist() == ["2"]


# -- 8 ---------------------------------------------------------------------------------------------------
def test_with_bad_records_path_bad_records_stay_out_of_the_table(
    ingest: Ingest, lh: Lakehouse, landing: Path, tmp_path: Path
) -> None:
    (landing / "a.json").write_text('{"id": 1}\n{oops\n{"id": 2}\n')
    got = ingest(format="json", badRecordsPath=str(tmp_path / "bad"))
    table = read_table(lh)
    assert sorted(table.column("id").to_pylist()) == ["1", "2"] and "_corrupt_record" not in table.column_names
    assert got.stats.bad_records == 1
    from deltalake import DeltaTable

    assert DeltaTable(str(tmp_path / "bad")).to_pyarrow_table().column("raw").to_pylist() == ["{oops"]


# -- 9 ---------------------------------------------------------------------------------------------------
def test_a_first_batch_of_only_unreadable_files_stores_no_schema(
    ingest: Ingest, lh: Lakehouse, landing: Path, tmp_path: Path
) -> None:
    (landing / "a.parquet").write_bytes(b"not parquet at all")
    got = ingest(format="parquet")
    assert SchemaStore(tmp_path / "cp_bronze.t").versions() == []
    assert "no file could be read yet" in got.line()
    pq.write_table(pa.table({"id": [1, 2]}), landing / "b.parquet")
    got = ingest(format="parquet")
    assert got.stats.rows == 2 and sorted(read_table(lh).column("id").to_pylist()) == [1, 2]
    assert SchemaStore(tmp_path / "cp_bronze.t").versions() == [0]


@pytest.mark.parametrize("mode", ["rescue", "failOnNewColumns", "addNewColumns"])
def test_a_folder_of_another_format_then_the_right_files(
    ingest: Ingest, lh: Lakehouse, landing: Path, mode: str
) -> None:
    write_ndjson(landing / "a.json", [{"id": 1}])
    ingest(format="parquet", schemaEvolutionMode=mode)  # the wrong format: every file is bad
    pq.write_table(pa.table({"id": [7]}), landing / "b.parquet")
    assert ingest(format="parquet", schemaEvolutionMode=mode).stats.rows == 1
    assert read_table(lh).column("id").to_pylist() == [7]


def test_a_stream_stuck_on_an_empty_stored_schema_recovers(
    ingest: Ingest, lh: Lakehouse, landing: Path, tmp_path: Path
) -> None:
    """A checkpoint left by an older version with an empty version 0 goes on once readable files land."""
    SchemaStore(tmp_path / "cp_bronze.t").folder.mkdir(parents=True)
    (SchemaStore(tmp_path / "cp_bronze.t").folder / "0.json").write_text(json.dumps({"version": 0, "ddl": ""}))
    write_ndjson(landing / "a.json", [{"id": 1}])
    assert ingest(format="json").stats.rows == 1


# -- 10 --------------------------------------------------------------------------------------------------
def _big_multiline(path: Path, rows: int = 3000) -> Path:
    path.write_text(json.dumps([{"id": i, "pad": "x" * 100} for i in range(rows)], indent=1))
    assert path.stat().st_size > 256 << 10
    return path


@pytest.mark.parametrize("mode", ["rescue", "failOnNewColumns", "addNewColumns"])
def test_a_big_multiline_json_first_file(ingest: Ingest, lh: Lakehouse, landing: Path, mode: str) -> None:
    _big_multiline(landing / "big.json")
    got = ingest(format="json", multiLine=True, schemaEvolutionMode=mode)
    assert got.stats.rows == 3000 and got.stats.bad_records == 0
    assert sorted(read_table(lh).column("id").to_pylist(), key=int)[-1] == "2999"
    write_ndjson(landing / "next.json", [{"id": 3000, "pad": "y"}])
    assert ingest(format="json", multiLine=True, schemaEvolutionMode=mode).stats.rows == 1


def test_a_big_file_with_a_late_new_column_and_a_malformed_line(
    ingest: Ingest, lh: Lakehouse, landing: Path, tmp_path: Path
) -> None:
    write_ndjson(landing / "first.json", [{"id": 0}])
    ingest(format="json")
    lines = [json.dumps({"id": i, "pad": "x" * 100}) for i in range(1, 3000)]
    lines.append(json.dumps({"id": 3000, "late": "here"}))
    lines.append("{not json")
    (landing / "big.json").write_text("\n".join(lines) + "\n")
    got = ingest(format="json")
    table = read_table(lh)
    assert got.stats.rows == 3001 and table.column("late").drop_null().to_pylist() == ["here"]
    assert table.column("_corrupt_record").drop_null().to_pylist() == ["{not json"]
    assert got.stats.bad_records == 1 and bad_records(tmp_path).num_rows == 1


# -- 12 --------------------------------------------------------------------------------------------------
def test_allow_overwrites_turned_on_late_fails_once_then_the_stream_goes_on(
    ingest: Ingest, lh: Lakehouse, landing: Path, tmp_path: Path
) -> None:
    path = write_ndjson(landing / "a.json", [{"id": 1}])
    ingest(format="json")
    write_ndjson(path, [{"id": 2}, {"id": 3}])
    _touch_later(path)
    write_ndjson(landing / "b.json", [{"id": 4}])
    with pytest.raises(ConfigError, match="no _metadata column"):
        ingest(format="json", allowOverwrites=True)
    got = ingest(format="json")  # the option off again: the new file lands, the rewritten one is left alone
    assert got.stats.files == 1 and sorted(read_table(lh).column("id").to_pylist()) == ["1", "4"]


def test_a_durable_plan_with_a_replacement_replays_without_it(
    ingest: Ingest, lh: Lakehouse, landing: Path, tmp_path: Path
) -> None:
    """A checkpoint an older version left stuck (a planned replacement the table cannot do) goes on."""
    path = write_ndjson(landing / "a.json", [{"id": 1}])
    ingest(format="json")
    write_ndjson(path, [{"id": 2}])
    _touch_later(path)
    new = write_ndjson(landing / "b.json", [{"id": 4}])
    cp = Checkpoint(tmp_path / "cp_bronze.t", target="main.bronze.t", source=f"files:json:{landing}")
    files = [[str(p), p.stat().st_size, p.stat().st_mtime_ns, p == path] for p in (path, new)]
    cp.write_plan(1, {"batch_id": 1, "files": files, "bytes": 0})
    got = ingest(format="json")
    assert got.stats.files == 1 and sorted(read_table(lh).column("id").to_pylist()) == ["1", "4"]
    assert ingest(format="json").stats.files == 0


# -- 13 --------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("content", ["{broken\n", ""])
def test_failfast_advice_to_remove_the_file_works(ingest: Ingest, lh: Lakehouse, landing: Path, content: str) -> None:
    write_ndjson(landing / "a.json", [{"id": 1}])
    (landing / "b.json").write_text(content)
    with pytest.raises(TerminalError, match="remove the file"):
        ingest(format="json", mode="FAILFAST")
    (landing / "b.json").unlink()
    got = ingest(format="json", mode="FAILFAST")
    assert got.stats.rows == 1 and read_table(lh).column("id").to_pylist() == ["1"]


# -- 14 --------------------------------------------------------------------------------------------------
def test_int96_timestamps_are_timestamps_with_time_zone(ingest: Ingest, lh: Lakehouse, landing: Path) -> None:
    ts = datetime(2024, 5, 6, 7, 8, 9, tzinfo=UTC)
    table = pa.table({"ts": pa.array([ts], pa.timestamp("us", tz="UTC")), "s": [{"t": ts}]})
    pq.write_table(table, landing / "i.parquet", use_deprecated_int96_timestamps=True)
    ingest(format="parquet")
    got = read_table(lh)
    assert got.schema.field("ts").type == pa.timestamp("us", tz="UTC")
    assert got.schema.field("s").type == pa.struct([("t", pa.timestamp("us", tz="UTC"))])
    assert got.column("ts").to_pylist() == [ts]


def test_the_bad_records_table_can_be_queried(lh: Lakehouse, landing: Path, tmp_path: Path) -> None:
    from lakeloader.cli.main import app

    (landing / "a.json").write_text('{"id": 1}\n{oops\n')
    root = ["--root", str(lh.root)]
    args = ["ingest", "files", "--path", str(landing), "--format", "json", "--target", "bronze.t"]
    result = CliRunner().invoke(app, [*root, *args, "--checkpoint", str(tmp_path / "cp")])
    assert result.exit_code == 0, result.output
    assert "main.bronze.t_bad_records" in result.output
    result = CliRunner().invoke(app, [*root, "sql", "SELECT raw FROM bronze.t_bad_records", "--json"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.output) == [{"raw": "{oops"}]


def test_a_replayed_batch_already_in_is_not_counted(
    ingest: Ingest, lh: Lakehouse, landing: Path, tmp_path: Path
) -> None:
    write_ndjson(landing / "a.json", [{"id": 1}])
    ingest(format="json")
    (tmp_path / "cp_bronze.t" / "commits" / "0.json").unlink()  # committed, never recorded: a later run finds it in
    got = ingest(format="json")
    assert (got.stats.files, got.stats.rows, got.stats.batches) == (0, 0, 0)
    assert got.line().startswith("main.bronze.t: 0 files, 0 rows")
    assert pc.count_distinct(read_table(lh)["id"]).as_py() == 1


def test_schema_kept_changing_is_not_reached_for_many_new_columns(ingest: Ingest, lh: Lakehouse, landing: Path) -> None:
    write_ndjson(landing / "0.json", [{"id": 0}])
    ingest(format="json")
    for i in range(1, 6):  # each file brings a column past the probe window of the one before
        pad = [{"id": i * 10000 + j, "pad": "x" * 200} for j in range(1500)]
        write_ndjson(landing / f"{i}.json", [*pad, {"id": i, f"c{i}": "v"}])
    got = ingest(format="json")
    assert got.stats.rows == 5 * 1501
    assert all(f"c{i}" in read_table(lh).column_names for i in range(1, 6))
    with pytest.raises(SchemaMismatchError):
        write_ndjson(landing / "z.json", [{"id": 9, "zz": "new"}])
        ingest(format="json", schemaEvolutionMode="failOnNewColumns")
