"""A stream's state belongs to its target: a dropped or replaced target makes the stream start over, never skip."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from lakeloader.lakehouse.root import Lakehouse
from lakeloader.sources.files.runner import ingest_files
from lakeloader.sources.postgres import ingest_postgres
from tests.sources.files.conftest import read_table, write_ndjson
from tests.sources.postgres.conftest import delta_table, sql


@pytest.fixture
def lh(lakehouse: Lakehouse) -> Lakehouse:
    lakehouse.create_catalog("main", if_not_exists=True)
    lakehouse.create_schema("bronze", if_not_exists=True)
    return lakehouse


@pytest.mark.parametrize("checkpoint", ["default", "explicit"])
def test_postgres_stream_reloads_after_its_target_is_dropped(
    lh: Lakehouse, pg_url: str, tmp_path: Path, checkpoint: str
) -> None:
    sql(pg_url, "CREATE TABLE t (id int PRIMARY KEY); INSERT INTO t SELECT generate_series(1, 50)")
    opts = {"source_url": pg_url, "table": "public.t", "mode": "incremental", "cursor": "id"}
    if checkpoint == "explicit":
        opts["checkpoint"] = tmp_path / "cp"
    assert ingest_postgres("bronze.t", lakehouse=lh, **opts).rows == 50
    lh.drop_table("bronze.t")
    sql(pg_url, "INSERT INTO t SELECT generate_series(51, 55)")
    again = ingest_postgres("bronze.t", lakehouse=lh, **opts)
    assert again.rows == 55, "the rows below the old high-water mark must come back"
    assert sorted(delta_table(lh, "bronze.t").column("id").to_pylist()) == list(range(1, 56))
    assert ingest_postgres("bronze.t", lakehouse=lh, **opts).rows == 0


def test_files_stream_reloads_after_its_target_is_dropped(lh: Lakehouse, tmp_path: Path) -> None:
    landing = tmp_path / "landing"
    for i in range(3):
        write_ndjson(landing / f"f{i}.json", [{"id": i}])
    cp = tmp_path / "cp"
    opts = {"path": landing, "checkpoint": cp, "lakehouse": lh, "format": "json", "zeroByteFileGracePeriod": "0s"}
    (landing / "bad.json").write_text("{nope\n")
    assert ingest_files("bronze.t", **opts).stats.files == 4
    old_stream = json.loads((cp / "metadata.json").read_text())["stream_id"]
    lh.drop_table("bronze.t")
    write_ndjson(landing / "f3.json", [{"id": 3}])
    again = ingest_files("bronze.t", **opts)
    assert again.stats.files == 5
    table = read_table(lh)
    assert sorted(i for i in table.column("id").to_pylist() if i is not None) == ["0", "1", "2", "3"]
    meta = json.loads((cp / "metadata.json").read_text())
    assert meta["stream_id"] != old_stream and meta["previous_stream_ids"] == [old_stream]
    assert list((cp / "invalidated").iterdir()), "the old state is kept aside"
    from deltalake import DeltaTable

    bad = DeltaTable(str(cp / "bad_records")).to_pyarrow_table()
    assert bad.column("raw").to_pylist() == ["{nope"]  # the new stream's bad records, exactly once


def test_a_table_restored_to_an_older_batch_is_an_error_not_a_reload(lh: Lakehouse, tmp_path: Path) -> None:
    from lakeloader.errors import TerminalError

    landing = tmp_path / "landing"
    opts = {"path": landing, "checkpoint": tmp_path / "cp", "lakehouse": lh, "format": "json"}
    for i in range(2):
        write_ndjson(landing / f"f{i}.json", [{"id": i}])
        opts["zeroByteFileGracePeriod"] = "0s"
        ingest_files("bronze.t", **opts)
    location = lh.table("bronze.t").location
    last = sorted((location / "_delta_log").glob("*.json"))[-1]
    last.unlink()  # as a RESTORE to the version before the last batch would leave it
    with pytest.raises(TerminalError, match="restored to an older version"):
        ingest_files("bronze.t", **opts)
