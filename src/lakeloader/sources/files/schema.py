"""Stored versions of the inferred schema (`schemaLocation`), and declared schemas (`--schema`).

Fitting files to the schema is `fitter.py`; nested type rules are `nested.py`; `schemaHints` is `hints.py`.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pyarrow as pa

from lakeloader.execution.checkpoint import read_json, write_json_atomic
from lakeloader.sources.files.ddl import parse_ddl, parse_type, to_ddl
from lakeloader.sources.files.fitter import Fitted, SchemaFitter, as_strings
from lakeloader.sources.files.hints import apply_hints


class SchemaStore:
    """Every version of the inferred schema: `<schemaLocation>/_schemas/<n>.json`, never rewritten."""

    def __init__(self, location: str | Path) -> None:
        self.folder = Path(location) / "_schemas"

    def versions(self) -> list[int]:
        if not self.folder.is_dir():
            return []
        return sorted(int(p.stem) for p in self.folder.glob("*.json") if p.stem.isdigit())

    def latest(self) -> pa.Schema | None:
        """The newest stored schema; None if there is none (or only an empty one an older version stored)."""
        versions = self.versions()
        if not versions:
            return None
        ddl = read_json(self.folder / f"{versions[-1]}.json")["ddl"]
        return parse_ddl(ddl, what="stored schema") if ddl.strip() else None

    def save(self, schema: pa.Schema, *, reason: str) -> int | None:
        """Store `schema` as a new version if it differs from the latest; returns the new version number.

        An empty schema (nothing could be read yet) is never stored: the next readable files are inferred.
        """
        if not len(schema) or self.latest() == schema:
            return None
        versions = self.versions()
        version = versions[-1] + 1 if versions else 0
        write_json_atomic(
            self.folder / f"{version}.json",
            {"version": version, "ddl": to_ddl(schema), "reason": reason, "created_at": datetime.now(UTC).isoformat()},
        )
        return version

    def history(self) -> list[dict[str, Any]]:
        return [dict(read_json(self.folder / f"{v}.json")) for v in self.versions()]


def _is_file(path: Path) -> bool:
    """Does DDL-or-path text name a file? (DDL text longer than a file name can be is not one.)"""
    try:
        return len(str(path)) < 4096 and path.is_file()
    except OSError:  # a name too long for the file system: DDL text
        return False


def load_declared_schema(value: str) -> pa.Schema:
    """`--schema`: a path to an .avsc (Avro schema) or .json/.ddl file, or DDL text."""
    path = Path(value)
    if value.endswith((".avsc", ".json", ".ddl")) or _is_file(path):
        text = path.read_text()
        if value.endswith(".avsc") or text.lstrip().startswith("{"):
            from lakeloader.sources.files.formats.avro import avsc_to_arrow

            return avsc_to_arrow(text)
        return parse_ddl(text)
    return parse_ddl(value)


__all__ = [
    "Fitted",
    "SchemaFitter",
    "SchemaStore",
    "apply_hints",
    "as_strings",
    "load_declared_schema",
    "parse_type",
]
