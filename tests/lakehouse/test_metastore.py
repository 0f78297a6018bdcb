"""The metastore: objects, drops, and several processes at once."""

from __future__ import annotations

import multiprocessing
import sqlite3
from pathlib import Path

import pytest

from lakeloader.errors import AlreadyExistsError, NotFoundError, TerminalError
from lakeloader.lakehouse.root import Lakehouse


def test_objects_round_trip(lakehouse: Lakehouse) -> None:
    lakehouse.create_catalog("kardia", comment="healthcare")
    lakehouse.create_schema("kardia.`01_bronze`")
    table = lakehouse.create_table("kardia.01_bronze.claims", properties={"quality": "bronze"})
    info = lakehouse.table("kardia.01_bronze.claims").info
    assert info == table.info
    assert info.type == "MANAGED" and info.format == "delta" and info.properties == {"quality": "bronze"}
    assert info.owner and info.created_at
    assert [c.name for c in lakehouse.list_catalogs()] == ["kardia", "main"]  # main: every fresh root has it
    assert [s.name for s in lakehouse.list_schemas("kardia")] == ["01_bronze"]


def test_create_twice_and_missing_parents(lakehouse: Lakehouse) -> None:
    lakehouse.create_catalog("c")
    with pytest.raises(AlreadyExistsError):
        lakehouse.create_catalog("c")
    lakehouse.create_catalog("c", if_not_exists=True)
    with pytest.raises(NotFoundError, match="lakeloader schemas create"):
        lakehouse.create_table("c.nope.t")


def test_current_catalog_resolves_two_level_names(lakehouse: Lakehouse) -> None:
    lakehouse.create_catalog("kardia")
    lakehouse.create_schema("kardia.kardia_bronze")
    lakehouse.use_catalog("kardia")
    lakehouse.create_table("kardia_bronze.bronze_providers")
    assert str(lakehouse.table("kardia.kardia_bronze.bronze_providers").name) == "kardia.kardia_bronze.bronze_providers"


def test_drop_refuses_non_empty_without_cascade(lakehouse: Lakehouse) -> None:
    lakehouse.create_catalog("c")
    lakehouse.create_schema("c.s")
    volume = lakehouse.create_volume("c.s.v")
    assert volume.location is not None and Path(volume.location).is_dir()
    with pytest.raises(TerminalError, match="--cascade"):
        lakehouse.drop_catalog("c")
    lakehouse.drop_catalog("c", cascade=True)
    assert [c.name for c in lakehouse.list_catalogs()] == ["main"] and not Path(volume.location).exists()


def _create_many(root: str, worker: int, count: int) -> None:
    lh = Lakehouse(root)
    for i in range(count):
        lh.create_schema(f"shared.s_{worker}_{i}")
        lh.create_table(f"shared.s_{worker}_{i}.t")
        lh.metastore.set_properties(f"shared.s_{worker}_{i}.t", {"worker": str(worker)})


def test_concurrent_processes_do_not_corrupt_the_metastore(lakehouse: Lakehouse) -> None:
    lakehouse.create_catalog("shared")
    ctx = multiprocessing.get_context("spawn")
    procs = [ctx.Process(target=_create_many, args=(str(lakehouse.root), w, 15)) for w in range(4)]
    for p in procs:
        p.start()
    for p in procs:
        p.join(120)
        assert p.exitcode == 0
    assert len(lakehouse.list_schemas("shared")) == 60
    assert len(lakehouse.list_tables()) == 60
    con = sqlite3.connect(lakehouse.state_dir / "metastore.db")
    assert con.execute("PRAGMA integrity_check").fetchone() == ("ok",)
    con.close()
