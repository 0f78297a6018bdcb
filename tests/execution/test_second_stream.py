"""A new or mistyped checkpoint over a table another stream already fills from the same source is refused in one
line naming that stream and its checkpoint (Auto Loader would load every file again); --allow-second-stream
lets a second stream in on purpose."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest

from lakeloader.embedded.server import EmbeddedPostgres
from lakeloader.execution import registry
from lakeloader.execution.second_stream import SecondStreamError
from lakeloader.lakehouse import delta
from lakeloader.lakehouse.root import Lakehouse
from lakeloader.sources.files.runner import ingest_files
from lakeloader.sources.postgres import ingest_postgres
from tests.sources.files.conftest import read_table, write_ndjson
from tests.sources.postgres.conftest import Proxy, delta_table, sql


@pytest.fixture
def lh(lakehouse: Lakehouse) -> Lakehouse:
    lakehouse.create_catalog("main", if_not_exists=True)
    lakehouse.create_schema("bronze", if_not_exists=True)
    return lakehouse


@pytest.fixture
def landing(tmp_path: Path) -> Path:
    for i in range(3):
        write_ndjson(tmp_path / "landing" / f"f{i}.json", [{"id": i}, {"id": 10 + i}])
    return tmp_path / "landing"


def _files(lh: Lakehouse, landing: Path, checkpoint: Path, **extra: object) -> int:
    summary = ingest_files(
        "bronze.t",
        path=landing,
        checkpoint=checkpoint,
        lakehouse=lh,
        format="json",
        **extra,  # type: ignore[arg-type]
    )
    return summary.stats.rows


def _version(lh: Lakehouse) -> int:
    return int(delta.open_table(lh.table("bronze.t").location).version())


def test_a_second_checkpoint_over_the_same_folder_and_table_is_refused_naming_the_first(
    lh: Lakehouse, landing: Path, tmp_path: Path
) -> None:
    first, typo = tmp_path / "_checkpoints" / "claims", tmp_path / "_checkpoints" / "cliams"
    assert _files(lh, landing, first) == 6
    version = _version(lh)
    with pytest.raises(SecondStreamError) as refused:
        _files(lh, landing, typo)
    message = str(refused.value)
    assert "\n" not in message
    assert f"by stream main.bronze.t (checkpoint {first};" in message
    assert f"checkpoint {typo} is new to the table and would load every file again" in message
    assert f"run with its checkpoint {first}" in message and "--allow-second-stream" in message
    assert _version(lh) == version and read_table(lh).num_rows == 6, "nothing was written"

    # on purpose: the second stream loads every file again, and is one of the table's streams from then on
    assert _files(lh, landing, typo, allow_second_stream=True) == 6
    assert read_table(lh).num_rows == 12
    write_ndjson(landing / "f3.json", [{"id": 3}])
    assert _files(lh, landing, typo) == 1, "a second stream allowed once is not refused again"
    assert _files(lh, landing, first) == 1


def test_the_first_stream_another_folder_and_a_moved_checkpoint_are_not_second_streams(
    lh: Lakehouse, landing: Path, tmp_path: Path
) -> None:
    cp = tmp_path / "cp"
    assert _files(lh, landing, cp) == 6
    assert _files(lh, landing, cp) == 0
    other = tmp_path / "other"
    write_ndjson(other / "g.json", [{"id": 99}])
    assert _files(lh, other, tmp_path / "cp_other") == 1  # another source into the same table: no question
    moved = tmp_path / "elsewhere" / "cp"
    moved.parent.mkdir()
    cp.rename(moved)  # the same stream id, in another folder: the same stream
    write_ndjson(landing / "f3.json", [{"id": 3}])
    assert _files(lh, landing, moved) == 1
    streams = {r.name: r for r in registry.registered(lh.metastore, target="main.bronze.t")}
    assert streams["main.bronze.t"].checkpoint == moved, "the moved checkpoint took over its record and name"
    assert sorted(streams) == ["main.bronze.t", "main.bronze.t#2"]


def test_the_delta_log_names_a_stream_the_metastore_does_not_know(lh: Lakehouse, landing: Path, tmp_path: Path) -> None:
    first = tmp_path / "cp_a"
    _files(lh, landing, first)
    history = delta.open_table(lh.table("bronze.t").location).history(limit=1)[0]
    assert history["lakeloader.checkpoint"] == str(first)
    assert history["lakeloader.stream_source"] == f"files:json:{landing}"
    lh.metastore.delete_records("stream", scope="main.bronze.t")  # e.g. written from another lakehouse root
    unknown = re.escape(f"by a stream this lakehouse has no record of (checkpoint {first};")
    with pytest.raises(SecondStreamError, match=unknown):
        _files(lh, landing, tmp_path / "cp_b")


def test_a_postgres_incremental_stream_from_a_second_checkpoint_is_refused(
    lh: Lakehouse, pg_url: str, tmp_path: Path
) -> None:
    sql(
        pg_url,
        "CREATE TABLE t (id int PRIMARY KEY, v text); INSERT INTO t SELECT g, 'v' FROM generate_series(1, 50) g",
    )
    opts = {"source_url": pg_url, "table": "public.t", "mode": "incremental", "cursor": "id", "primary_key": "id"}
    first, second = tmp_path / "cp_a", tmp_path / "cp_b"
    assert ingest_postgres("bronze.t", lakehouse=lh, checkpoint=first, **opts).rows == 50
    version = int(delta.open_table(lh.table("bronze.t").location).version())
    with pytest.raises(SecondStreamError) as refused:
        ingest_postgres("bronze.t", lakehouse=lh, checkpoint=second, **opts)
    message = str(refused.value)
    assert "\n" not in message and "[REDACTED]" not in message
    assert message.startswith("table main.bronze.t is already filled from postgresql:")
    assert f"/public.t by stream main.bronze.t (checkpoint {first};" in message
    assert f"checkpoint {second} is new to the table and would read public.t again from the start" in message
    assert "--allow-second-stream" in message
    assert int(delta.open_table(lh.table("bronze.t").location).version()) == version

    # on purpose: it reads the table again; the rows already there are skipped by primary key
    sql(pg_url, "INSERT INTO t VALUES (51, 'new')")
    again = ingest_postgres("bronze.t", lakehouse=lh, checkpoint=second, allow_second_stream=True, **opts)
    assert again.rows == 1
    assert sorted(delta_table(lh, "bronze.t").column("id").to_pylist()) == list(range(1, 52))
    # a full load and a merge cannot be refused: the one reads everything at every run, the other doubles nothing
    full = {k: v for k, v in opts.items() if k not in ("mode", "cursor")}
    assert ingest_postgres("bronze.t", lakehouse=lh, checkpoint=tmp_path / "cp_full", **full).rows == 51


def test_postgres_without_a_key_names_the_other_stream_before_the_rows_check(
    lh: Lakehouse, pg_url: str, tmp_path: Path
) -> None:
    sql(pg_url, "CREATE TABLE t (id int); INSERT INTO t SELECT generate_series(1, 20)")
    opts = {"source_url": pg_url, "table": "public.t", "mode": "incremental", "cursor": "id"}
    ingest_postgres("bronze.t", lakehouse=lh, checkpoint=tmp_path / "a", **opts)
    with pytest.raises(SecondStreamError, match=re.escape(f"by stream main.bronze.t (checkpoint {tmp_path / 'a'};")):
        ingest_postgres("bronze.t", lakehouse=lh, checkpoint=tmp_path / "b", **opts)


@pytest.fixture
def proxy(pg_server: EmbeddedPostgres) -> Iterator[Proxy]:
    """The test server seen on another port: another address for the same database and relation."""
    forwarder = Proxy(pg_server.port).start()
    try:
        yield forwarder
    finally:
        forwarder.stop()


def test_the_same_relation_through_another_address_is_named_with_its_server(
    lh: Lakehouse, pg_url: str, proxy: Proxy, tmp_path: Path
) -> None:
    """Two servers holding the same database and relation (shards) are one source by the stream's keying: the
    refusal says which server the other stream reads, and the option lets the second stream in."""
    sql(pg_url, "CREATE TABLE t (id int PRIMARY KEY); INSERT INTO t SELECT generate_series(1, 10)")
    opts = {"table": "public.t", "mode": "incremental", "cursor": "id", "primary_key": "id"}
    ingest_postgres("bronze.t", lakehouse=lh, source_url=pg_url, checkpoint=tmp_path / "a", **opts)
    port = pg_url.split("@")[1].split("/")[0].rsplit(":", 1)[1]
    with pytest.raises(SecondStreamError, match=f"reading the server at [^;]*:{port};"):
        ingest_postgres("bronze.t", lakehouse=lh, source_url=proxy.url(pg_url), checkpoint=tmp_path / "b", **opts)
    summary = ingest_postgres(
        "bronze.t", lakehouse=lh, source_url=proxy.url(pg_url), checkpoint=tmp_path / "b", allow_second_stream=True,
        **opts,
    )  # fmt: skip
    assert summary.rows == 0, "every row is already there (primary key)"
