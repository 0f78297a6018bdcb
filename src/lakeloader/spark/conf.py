"""`spark.conf`: the session's settings (Spark's SQL settings reach the translator; others are kept and read back)."""

from __future__ import annotations

from typing import Any

from lakeloader.errors import ConfigError
from lakeloader.spark import engine

_UNSET = object()


class RuntimeConf:
    """`spark.conf.get/set/unset/getAll`, over the current engine's settings."""

    def _values(self) -> dict[str, str]:
        return engine.current().conf

    def set(self, key: str, value: Any) -> None:
        self._values()[key] = "true" if value is True else "false" if value is False else str(value)

    def get(self, key: str, default: Any = _UNSET) -> Any:
        values = self._values()
        if key in values:
            return values[key]
        if default is not _UNSET:
            return default
        from lakeloader.sql.settings import ANSI, TIME_ZONE, Settings

        if key.lower() == TIME_ZONE.lower():
            return Settings().time_zone
        if key.lower() == ANSI.lower():
            return "true"
        raise ConfigError(f"spark.conf.get: '{key}' is not set; set it (spark.conf.set) or pass a default")

    def unset(self, key: str) -> None:
        self._values().pop(key, None)

    @property
    def getAll(self) -> dict[str, str]:
        return dict(self._values())

    def isModifiable(self, key: str) -> bool:
        return True
