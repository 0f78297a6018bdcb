"""Sizes and durations as people write them ('512m', '10 minutes', '7 days'), for every option that takes one."""

from __future__ import annotations

import re

from lakeloader.errors import ConfigError

_SIZE_UNITS = {"": 1, "b": 1, "k": 1024, "kb": 1024, "m": 1024**2, "mb": 1024**2, "g": 1024**3, "gb": 1024**3}
_TIME_UNITS = {
    "ms": 0.001,
    "s": 1,
    "sec": 1,
    "second": 1,
    "seconds": 1,
    "m": 60,
    "min": 60,
    "minute": 60,
    "minutes": 60,
    "h": 3600,
    "hour": 3600,
    "hours": 3600,
    "d": 86400,
    "day": 86400,
    "days": 86400,
}
_NUMBER_AND_UNIT = re.compile(r"\s*(\d+(?:\.\d+)?)\s*([a-zA-Z]*)\s*")


def parse_bytes(value: str | int, *, option: str) -> int:
    """'10g', '512 MB', 1048576 → bytes."""
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    m = _NUMBER_AND_UNIT.fullmatch(str(value))
    if not m or m.group(2).lower() not in _SIZE_UNITS:
        raise ConfigError(f"option {option}: {value!r} is not a size; write it like 10g, 512m or 1048576")
    return int(float(m.group(1)) * _SIZE_UNITS[m.group(2).lower()])


def parse_seconds(value: str | float | int, *, option: str) -> float:
    """'30s', '10m', '7 days', '1 hour', '500ms', 0 → seconds."""
    if isinstance(value, int | float) and not isinstance(value, bool):
        return float(value)
    m = _NUMBER_AND_UNIT.fullmatch(str(value))
    unit = m.group(2).lower() if m else None
    if not m or (unit and unit not in _TIME_UNITS):
        raise ConfigError(f"option {option}: {value!r} is not a duration; write it like 30s, 10m, 2h or 7 days")
    return float(m.group(1)) * (_TIME_UNITS[unit] if unit else 1)
