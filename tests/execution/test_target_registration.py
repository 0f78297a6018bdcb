"""An ingest registers a new table only with its first commit, and never writes a table a pipeline owns.

Before: a failed ingest (a path that does not exist) left a table registered with no Delta log, and `lakeloader
ingest files` run after `make demo` doubled `kardia_bronze.bronze_claims`, a streaming table of a pipeline.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pyarrow as pa
import pytest

from lakeloader.errors import LakeloaderError, ReadOnlyError
from lakeloader.lakehouse import delta
from lakeloader.lakehouse.root import Lakehouse
from lakeloader.sources.files.runner import ingest_files
from lakeloader.sources.postgres.ingest import ingest_postgres
from tests.pipelines.conftest import SPEC
from tests.pipelines.conftest import run as run_pipeline
from tests.sources.files.conftest import write_ndjson


@pytest.fixture
def lh(lakehouse: Lakehouse) -> Lakehouse:
    lakehouse.create_catalog("main", if_not_exists=True)
    lakehouse.create_schema("main.bronze", if_not_exists=True)
    return lakehouse


def _registered(lh: Lakehouse, name: str) -> bool:
    return lh.metastore.get(name) is not None


def test_a_path_that_does_not_exist_registers_nothing(lh: Lakehouse, tmp_path: Path) -> None:
    with pytest.raises(LakeloaderError):
        ingest_files("bronze.t", path=tmp_path / "missing", format="json", checkpoint=tmp_path / "cp", lakehouse=lh)
    assert not _registered(lh, "main.bronze.t")
    assert [t.name for t in lh.list_tables()] == []


def test_a_refused_first_batch_registers_nothing_and_the_first_commit_does(lh: Lakehouse, tmp_path: Path) -> None:
    landing = tmp_path / "landing"
    write_ndjson(landing / "a.json", [{"id": 1}])
    (landing / "b.json").write_bytes(b"\x1f\x8b\x08\x00" + b"\x00" * 20)  # gzip bytes under a plain name
    with pytest.raises(LakeloaderError):
        ingest_files("bronze.t", path=landing, format="json", checkpoint=tmp_path / "cp", lakehouse=lh)
    assert not _registered(lh, "main.bronze.t")
    (landing / "b.json").unlink()
    seen: list[bool] = []
    ingest_files(
        "bronze.t",
        path=landing,
        format="json",
        checkpoint=tmp_path / "cp",
        lakehouse=lh,
        on_batch=lambda _b, _s: seen.append(_registered(lh, "main.bronze.t")),
    )
    assert seen == [True]  # registered as soon as its first batch committed, not at the end of the run
    assert delta.is_delta_table(lh.table("bronze.t").location)


def test_a_table_whose_first_commit_landed_before_a_crash_is_registered_by_the_next_run(
    lh: Lakehouse, tmp_path: Path
) -> None:
    planned = lh.table_for_write("bronze.t", writer="ingest files")
    assert not planned.registered and not _registered(lh, "main.bronze.t")
    delta.write(planned.location, pa.table({"id": [1]}))  # the commit a killed run made before registering
    assert lh.table_for_write("bronze.t", writer="ingest files").registered
    assert lh.table("bronze.t").location == planned.location


def test_a_postgres_run_refused_on_its_options_registers_nothing(lh: Lakehouse, pg_url: str) -> None:
    import psycopg

    with psycopg.connect(pg_url, autocommit=True) as con:
        con.execute("CREATE TABLE items (id int PRIMARY KEY, updated_at timestamptz)")
    with pytest.raises(LakeloaderError, match="nope"):
        ingest_postgres("bronze.p", source_url=pg_url, table="items", mode="incremental", cursor="nope", lakehouse=lh)
    assert not _registered(lh, "main.bronze.p")


def test_an_ingest_into_a_pipeline_table_is_refused_naming_the_pipeline(lh: Lakehouse, tmp_path: Path) -> None:
    lh.create_schema("main.raw", if_not_exists=True)
    lh.create_table("main.raw.events", if_not_exists=True)
    delta.write(lh.table("main.raw.events").location, pa.table({"id": [1, 2]}))
    folder = tmp_path / "claims_pipeline"
    (folder / "transformations").mkdir(parents=True)
    (folder / "spark-pipeline.yml").write_text(
        SPEC.format(name="claims_pipeline", schema="silver", configuration='  unused: "x"')
    )
    sql = "CREATE OR REFRESH STREAMING TABLE bronze_events AS SELECT * FROM STREAM(main.raw.events)"
    (folder / "transformations" / "a.sql").write_text(sql)
    run_pipeline(folder, lh)
    version = delta.open_table(lh.table("main.silver.bronze_events").location).version()
    landing = tmp_path / "landing"
    write_ndjson(landing / "a.json", [{"id": 3}])
    with pytest.raises(ReadOnlyError) as err:
        ingest_files("main.silver.bronze_events", path=landing, format="json", lakehouse=lh)
    message = str(err.value)
    assert "a streaming table of pipeline claims_pipeline" in message
    assert delta.open_table(lh.table("main.silver.bronze_events").location).version() == version
    cmd = [sys.executable, "-m", "lakeloader.cli", "--root", str(lh.root), "ingest", "files", "--path", str(landing)]
    cmd += ["--format", "json", "--target", "main.silver.bronze_events", "--checkpoint", str(tmp_path / "cp")]
    done = subprocess.run(cmd, capture_output=True, text=True, timeout=120)
    assert done.returncode == 1 and len(done.stderr.strip().splitlines()) == 1, done.stderr
    assert "claims_pipeline" in done.stderr
