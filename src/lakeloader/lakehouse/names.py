"""Unity Catalog style names: rules, parsing of `catalog.schema.table` with backticks, and quoting for SQL."""

from __future__ import annotations

import re
from dataclasses import dataclass

from lakeloader.errors import NameError_

# Unity Catalog stores names lower-case and allows letters, digits, '_' and '-' (a leading digit is fine:
# `00_landing`). We refuse '.', '/', spaces and control characters, which break paths or three-part names.
_NAME = re.compile(r"^[a-z0-9_][a-z0-9_\-]*$")
_BARE_SQL = re.compile(r"^[a-z_][a-z0-9_]*$")
MAX_LENGTH = 255
DEFAULT_CATALOG = "main"
DEFAULT_SCHEMA = "default"


def check_name(name: str, *, kind: str) -> str:
    """Return `name` normalised to lower case, or raise a one-line error naming the rule it breaks."""
    normal = name.strip().lower()
    if not normal:
        raise NameError_(f"{kind} name is empty; give a name such as 'bronze' or '01_bronze'")
    if len(normal) > MAX_LENGTH:
        raise NameError_(f"{kind} name '{name[:40]}...' is longer than {MAX_LENGTH} characters; shorten it")
    if not _NAME.match(normal):
        raise NameError_(
            f"{kind} name '{name}' has characters other than letters, digits, '_' and '-'; rename it (e.g. '01_bronze')"
        )
    return normal


def quote(name: str) -> str:
    """Quote one name part for SQL, with backticks as Databricks does when it is not a bare identifier."""
    if _BARE_SQL.match(name):
        return name
    return "`" + name.replace("`", "``") + "`"


def split_parts(text: str) -> list[str]:
    """Split a dotted name into parts, honouring backtick quoting (`` `a.b` `` is one part, ```` `` ```` a tick)."""
    parts: list[str] = []
    current: list[str] = []
    i, quoted = 0, False
    while i < len(text):
        ch = text[i]
        if quoted:
            if ch == "`":
                if i + 1 < len(text) and text[i + 1] == "`":
                    current.append("`")
                    i += 1
                else:
                    quoted = False
            else:
                current.append(ch)
        elif ch == "`":
            quoted = True
        elif ch == ".":
            parts.append("".join(current))
            current = []
        else:
            current.append(ch)
        i += 1
    if quoted:
        raise NameError_(f"name '{text}' has an unclosed backtick; close it (e.g. `01_bronze`.events)")
    parts.append("".join(current))
    return [p.strip() for p in parts]


@dataclass(frozen=True, slots=True)
class FullName:
    """A three-level name: catalog.schema.object."""

    catalog: str
    schema: str
    name: str

    def __str__(self) -> str:
        return f"{self.catalog}.{self.schema}.{self.name}"

    @property
    def sql(self) -> str:
        """The name as SQL text, each part quoted where needed."""
        return ".".join(quote(p) for p in (self.catalog, self.schema, self.name))

    @property
    def schema_name(self) -> SchemaName:
        return SchemaName(self.catalog, self.schema)


@dataclass(frozen=True, slots=True)
class SchemaName:
    """A two-level name: catalog.schema."""

    catalog: str
    schema: str

    def __str__(self) -> str:
        return f"{self.catalog}.{self.schema}"


def parse_object_name(
    text: str,
    *,
    kind: str = "table",
    current_catalog: str = DEFAULT_CATALOG,
    current_schema: str = DEFAULT_SCHEMA,
) -> FullName:
    """Parse `catalog.schema.name`, `schema.name` (current catalog) or `name` (current catalog and schema)."""
    parts = split_parts(text)
    if len(parts) == 1:
        parts = [current_catalog, current_schema, *parts]
    elif len(parts) == 2:
        parts = [current_catalog, *parts]
    elif len(parts) != 3:
        raise NameError_(f"{kind} name '{text}' has {len(parts)} parts; write catalog.schema.{kind}")
    catalog, schema, name = parts
    return FullName(check_name(catalog, kind="catalog"), check_name(schema, kind="schema"), check_name(name, kind=kind))


def parse_schema_name(text: str, *, current_catalog: str = DEFAULT_CATALOG) -> SchemaName:
    """Parse `catalog.schema` or `schema` (resolved against the current catalog)."""
    parts = split_parts(text)
    if len(parts) == 1:
        parts = [current_catalog, *parts]
    elif len(parts) != 2:
        raise NameError_(f"schema name '{text}' has {len(parts)} parts; write catalog.schema")
    return SchemaName(check_name(parts[0], kind="catalog"), check_name(parts[1], kind="schema"))
