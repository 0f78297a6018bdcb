"""Reproducible installs: `make` installs the versions of requirements.lock, which pins everything pyproject asks.

polars 2 broke Avro files with field defaults on a fresh clone while the tested machine still had polars 1: a
fresh clone must get what CI tested. `make test-latest` (LAKELOADER_LATEST=1) runs against the newest releases on
purpose, so there the installed versions may be newer than the lock.
"""

from __future__ import annotations

import os
import re
import tomllib
from importlib import metadata
from pathlib import Path

import pytest
from packaging.markers import Marker
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

REPO = Path(__file__).resolve().parents[1]


def _pins() -> dict[str, list[tuple[str, Marker | None]]]:
    """Each locked distribution's versions, with the marker saying where each applies."""
    pins: dict[str, list[tuple[str, Marker | None]]] = {}
    for line in (REPO / "requirements.lock").read_text().splitlines():
        if not line or line[0] in " #-":
            continue
        spec, _, marker = line.partition(";")
        name, _, version = spec.strip().partition("==")
        assert version, f"requirements.lock: {line!r} is not pinned with =="
        pins.setdefault(canonicalize_name(name), []).append((version, Marker(marker) if marker.strip() else None))
    return pins


def _declared() -> list[Requirement]:
    project = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]
    return [Requirement(r) for r in [*project["dependencies"], *project["optional-dependencies"]["dev"]]]


def test_the_lock_pins_every_declared_dependency_within_its_bounds() -> None:
    pins = _pins()
    for req in _declared():
        if req.marker is not None and not req.marker.evaluate():
            continue
        versions = [v for v, m in pins.get(canonicalize_name(req.name), []) if m is None or m.evaluate()]
        assert versions, f"{req.name} is in pyproject.toml but not in requirements.lock: run `make lock`"
        assert all(req.specifier.contains(v, prereleases=True) for v in versions), (
            f"requirements.lock pins {req.name}=={versions[0]}, outside pyproject's {req.specifier}: run `make lock`"
        )


@pytest.mark.skipif(os.environ.get("LAKELOADER_LATEST") == "1", reason="make test-latest installs the newest")
def test_the_installed_versions_are_the_locked_ones() -> None:
    wrong = []
    for name, entries in _pins().items():
        versions = [v for v, m in entries if m is None or m.evaluate()]
        if not versions:
            continue
        try:
            installed = metadata.version(name)
        except metadata.PackageNotFoundError:
            wrong.append(f"{name} not installed (locked {versions[0]})")
            continue
        if installed != versions[0]:
            wrong.append(f"{name} {installed} (locked {versions[0]})")
    assert not wrong, "the venv differs from requirements.lock, rerun `make`: " + ", ".join(wrong)


def test_make_installs_with_the_lock() -> None:
    makefile = (REPO / "Makefile").read_text()
    stamp = re.search(r"^\$\(STAMP\):.*?(?=^\S)", makefile, re.S | re.M)
    assert stamp and "requirements.lock" in stamp.group().splitlines()[0]
    assert stamp.group().count("-c requirements.lock") == 2  # with uv and with pip
    assert re.search(r"^test-latest:", makefile, re.M)
