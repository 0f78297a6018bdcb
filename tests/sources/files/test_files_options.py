"""Options: Auto Loader names, prefix and case insensitive, clear errors for unknown or bad values."""

from __future__ import annotations

import pytest

from lakeloader.errors import ConfigError
from lakeloader.sources.files.options import parse_bytes, parse_duration, parse_options


def test_auto_loader_names_with_and_without_prefix() -> None:
    o = parse_options(
        {
            "cloudFiles.format": "json",
            "cloudFiles.maxFilesPerTrigger": "5",
            "maxbytespertrigger": "1g",
            "cleanSource": "move",
            "cloudFiles.cleanSource.moveDestination": "/archive",
            "cloudFiles.schemaEvolutionMode": "rescue",
        }
    )
    assert (o.format, o.max_files_per_trigger, o.max_bytes_per_trigger) == ("json", 5, 1 << 30)
    assert o.clean_source == "MOVE" and o.clean_source_move_destination == "/archive"
    assert o.evolution_mode(declared=False) == "rescue"
    assert o.rescue_column(declared=False) == "_rescued_data"


def test_defaults_follow_auto_loader() -> None:
    o = parse_options({"format": "csv"})
    assert o.max_files_per_trigger == 1000 and not o.allow_overwrites and o.clean_source == "OFF"
    assert o.evolution_mode(declared=False) == "addNewColumns"
    assert o.evolution_mode(declared=True) == "none"
    assert o.rescue_column(declared=True) is None


def test_unknown_option_names_the_closest() -> None:
    with pytest.raises(ConfigError, match="did you mean maxFilesPerTrigger"):
        parse_options({"format": "json", "maxFilePerTrigger": 3})


def test_bad_values_and_missing_format() -> None:
    with pytest.raises(ConfigError, match="format"):
        parse_options({"format": "xml"})
    with pytest.raises(ConfigError, match="no format"):
        parse_options({"maxFilesPerTrigger": 3})
    with pytest.raises(ConfigError, match="maxFilesPerTrigger"):
        parse_options({"format": "json", "maxFilesPerTrigger": "0"})


def test_sizes_and_durations() -> None:
    assert parse_bytes("512m") == 512 << 20 and parse_bytes(10) == 10
    assert parse_duration("7 days", option="x") == 7 * 86400 and parse_duration("30s", option="x") == 30
    with pytest.raises(ConfigError):
        parse_duration("soon", option="x")
    with pytest.raises(ConfigError):
        parse_bytes("lots")
