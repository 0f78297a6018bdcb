"""/Volumes/... resolution and escapes."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from lakeloader.errors import ConfigError, NameError_, NotFoundError
from lakeloader.lakehouse.root import Lakehouse


@pytest.fixture
def volume(lakehouse: Lakehouse) -> Lakehouse:
    lakehouse.create_catalog("kardia")
    lakehouse.create_schema("kardia.landing")
    lakehouse.create_volume("kardia.landing.raw")
    return lakehouse


def test_volume_path_resolves_inside_the_volume(volume: Lakehouse) -> None:
    path = volume.resolve_path("/Volumes/kardia/landing/raw/claims/claims_10.avro")
    location = volume.metastore.get("kardia.landing.raw")
    assert location is not None and location.location is not None
    assert path == (volume.root / "kardia" / "landing" / "volumes" / "raw" / "claims" / "claims_10.avro").resolve()
    assert str(path).startswith(location.location)


def test_dotdot_escape_is_refused(volume: Lakehouse) -> None:
    with pytest.raises(ConfigError, match="climbs out"):
        volume.resolve_path("/Volumes/kardia/landing/raw/a/../../secrets")
    # '..' that stays inside is fine
    assert volume.resolve_path("/Volumes/kardia/landing/raw/a/../b").name == "b"


def test_symlink_escape_is_refused(volume: Lakehouse, tmp_path: os.PathLike[str]) -> None:
    inside = volume.resolve_path("/Volumes/kardia/landing/raw")
    outside = volume.root.parent / "outside"
    outside.mkdir()
    (inside / "link").symlink_to(outside)
    with pytest.raises(ConfigError, match="outside volume"):
        volume.resolve_path("/Volumes/kardia/landing/raw/link/file.csv")


def test_unknown_volume_and_incomplete_path(volume: Lakehouse) -> None:
    with pytest.raises(NotFoundError, match=r"did you mean kardia\.landing\.raw"):
        volume.resolve_path("/Volumes/kardia/landing/raws/x")
    with pytest.raises(NameError_, match="incomplete"):
        volume.resolve_path("/Volumes/kardia/landing")


def test_plain_paths_pass_through(volume: Lakehouse, tmp_path: os.PathLike[str]) -> None:
    assert volume.resolve_path(str(tmp_path)) == volume.resolve_path(str(tmp_path)).absolute()


def test_volumes_and_tables_never_overlap_the_lakehouse_state_or_each_other(
    lakehouse: Lakehouse, tmp_path: Path
) -> None:
    from lakeloader.errors import ConfigError

    lakehouse.create_catalog("c")
    lakehouse.create_schema("c.s")
    for location in (lakehouse.root / ".lakeloader", lakehouse.root, lakehouse.root / ".lakeloader" / "checkpoints"):
        with pytest.raises(ConfigError, match="own state folder"):
            lakehouse.create_volume("c.s.v", location=location)
    table = lakehouse.create_table("c.s.t")
    with pytest.raises(ConfigError, match=r"overlaps table c\.s\.t"):
        lakehouse.create_volume("c.s.v", location=table.location.parent)
    outside = tmp_path / "landing"
    lakehouse.create_volume("c.s.v", location=outside)
    with pytest.raises(ConfigError, match=r"overlaps volume c\.s\.v"):
        lakehouse.create_table("c.s.t2", location=outside / "tables" / "t2")
    link = tmp_path / "sneaky"
    link.symlink_to(lakehouse.root / ".lakeloader")
    with pytest.raises(ConfigError, match="own state folder"):
        lakehouse.create_volume("c.s.w", location=link)
    with pytest.raises(ConfigError, match="is a volume path"):
        lakehouse.create_volume("c.s.w", location="/Volumes/c/s/v/x")
    assert lakehouse.create_volume("c.s.v", location=outside, if_not_exists=True).full_name == "c.s.v"
