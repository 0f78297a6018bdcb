"""A SQL session's settings, as Spark names them: the session time zone and ANSI mode (Spark 4's defaults).

They come from a pipeline's `configuration`, from `SET key = value` statements, and from `lakeloader sql --conf`.
The time zone is never the machine's: `hour(ts)` must not change with `TZ`.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, replace
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from lakeloader.errors import ConfigError

TIME_ZONE = "spark.sql.session.timeZone"
ANSI = "spark.sql.ansi.enabled"
KNOWN = (TIME_ZONE, ANSI)
_OFFSET = re.compile(r"^(?:UTC|GMT)?([+-])(\d{1,2})(?::?(\d{2}))?$", re.IGNORECASE)


@dataclass(frozen=True)
class Settings:
    """What changes a query's answer: the session time zone (default UTC) and ANSI mode (default on)."""

    time_zone: str = "UTC"
    ansi: bool = True

    @classmethod
    def from_conf(cls, conf: Mapping[str, object] | None) -> Settings:
        """The settings a configuration names (other keys are not ours and are left alone)."""
        settings = cls()
        for key, value in (conf or {}).items():
            if key.lower() in (k.lower() for k in KNOWN):
                settings = settings.set(key, str(value))
        return settings

    def set(self, key: str, value: str) -> Settings:
        """`SET key = value`: a new Settings; an unknown spark.sql key or a bad value is a one-line error."""
        name = key.strip()
        text = value.strip().strip("'\"")
        if name.lower() == TIME_ZONE.lower():
            return replace(self, time_zone=time_zone(text))
        if name.lower() == ANSI.lower():
            if text.lower() not in ("true", "false"):
                raise ConfigError(f"{ANSI} = {value!r}: write true or false")
            return replace(self, ansi=text.lower() == "true")
        raise ConfigError(f"SET {name}: not a setting lakeloader knows; it knows {', '.join(KNOWN)}")

    def to_conf(self) -> dict[str, str]:
        return {TIME_ZONE: self.time_zone, ANSI: str(self.ansi).lower()}


def time_zone(text: str) -> str:
    """A zone as Spark takes it: a region (`Europe/Berlin`), `UTC`/`Z`, or an offset (`+01:00`, `UTC+1`), as
    DuckDB's ICU names it (an offset becomes `GMT+01:00`)."""
    if text.upper() in ("UTC", "Z", "GMT"):
        return "UTC"
    offset = _OFFSET.match(text)
    if offset:
        sign, hours, minutes = offset.group(1), int(offset.group(2)), int(offset.group(3) or 0)
        if hours > 18 or minutes > 59:
            raise ConfigError(f"{TIME_ZONE} = {text!r}: an offset is at most 18 hours; write e.g. +01:00")
        return f"GMT{sign}{hours:02d}:{minutes:02d}"
    try:
        ZoneInfo(text)
    except (ZoneInfoNotFoundError, ValueError):
        raise ConfigError(
            f"{TIME_ZONE} = {text!r}: not a time zone; write a region such as Europe/Berlin, or UTC"
        ) from None
    return text


def split_settings(sql: str, settings: Settings) -> tuple[Settings, str]:
    """`SET key = value; ...; <query>`: the settings the SETs leave, and the one statement after them."""
    import sqlglot
    from sqlglot import exp
    from sqlglot.errors import ParseError

    from lakeloader.sql.dialect import SparkSql

    if "set" not in sql.lower():
        return settings, sql
    try:
        statements = [s for s in sqlglot.parse(sql, read=SparkSql) if s is not None]
    except ParseError:
        return settings, sql  # the translator reports it, with its position
    rest = []
    for statement in statements:
        if not isinstance(statement, exp.Set):
            rest.append(statement)
            continue
        for item in statement.expressions:
            pair = item.this
            if not isinstance(pair, exp.EQ):
                raise ConfigError(f"SET {item.sql(dialect='databricks')}: write SET key = value")
            target = pair.this
            key = ".".join(part.name for part in target.parts) if isinstance(target, exp.Column) else target.name
            value = pair.expression
            text = value.name if isinstance(value, exp.Literal) else value.sql(dialect="databricks")
            settings = settings.set(key, text)
    if len(rest) != 1:
        raise ConfigError(f"sql: {len(rest)} statements besides SET; give one query (SET statements may come first)")
    return settings, rest[0].sql(dialect="databricks")
