"""/Volumes/... resolution and escapes."""

from __future__ import annotations

import os

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
