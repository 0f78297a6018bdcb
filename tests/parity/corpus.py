"""The corpus: every case of `cases/*.py` (each module's `CASES`), and what a case is."""

from __future__ import annotations

import importlib
import pkgutil
import re
import textwrap
from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType

# Constructs a refusal may name besides functions (matched as whole words in the query, case-insensitively).
CONSTRUCTS = (
    "LATERAL VIEW",
    "OUTER",
    "PIVOT",
    "UNPIVOT",
    "QUALIFY",
    "TABLESAMPLE",
    "INTERVAL",
    "GROUPING SETS",
    "ROLLUP",
    "CUBE",
    "LIKE",
    "ILIKE",
    "RLIKE",
    "REGEXP",
    "ESCAPE",
    "DIV",
    "CAST",
    "FILTER",
    "NULLS FIRST",
    "NULLS LAST",
    "NULL",  # an untyped NULL literal (VOID), which a Delta table does not store
)
_STRINGS = re.compile(r"'(?:[^'\\]|\\.|'')*'|\"(?:[^\"\\]|\\.)*\"")
_CALL = re.compile(r"\b([A-Za-z_][A-Za-z0-9_]*)\s*\(")
_LAST_ORDER_BY = re.compile(r"\bORDER\s+BY\b(?:[^()]|\([^()]*\))*$", re.IGNORECASE)  # not inside OVER (...)


@dataclass(frozen=True)
class Case:
    """One query of the corpus.

    Args:
        id: unique, a valid table name (the pipeline path writes a materialized view named after it).
        sql: Databricks SQL reading the edge tables by their single-part names; every column aliased to a plain
            name (Delta refuses `(a + 1)` as a column name).
        ordered: the query orders its rows (ORDER BY at the top), so the order is part of the answer.
        settings: session settings both engines get (`spark.sql.ansi.enabled`, `spark.sql.session.timeZone`).
        note: what the case is about, when the id does not say it.
        spark_sql: the same query in Apache Spark's words, where Databricks SQL has syntax Apache Spark lacks
            (`:` paths over JSON strings are Databricks-only: Spark applies `:` to VARIANT alone).
    """

    id: str
    sql: str
    ordered: bool = False
    settings: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}))
    note: str = ""
    spark_sql: str | None = None

    @property
    def spark_text(self) -> str:
        """What Spark runs for this case."""
        return self.spark_sql or self.sql

    def names(self) -> set[str]:
        """The functions, constructs and settings the query uses: what a clear refusal names."""
        text = _STRINGS.sub("''", self.sql)
        found = {m.group(1).lower() for m in _CALL.finditer(text)}
        upper = " ".join(text.upper().split())
        found |= {c for c in CONSTRUCTS if re.search(rf"\b{c}\b", upper)}
        if ":" in text.replace("::", ""):
            found.add(":")
        return found | set(self.settings)


def case(
    id: str,
    sql: str,
    *,
    ordered: bool | None = None,
    settings: Mapping[str, str] | None = None,
    note: str = "",
    spark_sql: str | None = None,
) -> Case:
    """A case; `ordered` defaults to whether the query ends with an ORDER BY clause (optionally with a LIMIT)."""
    text = textwrap.dedent(sql).strip()
    if ordered is None:
        ordered = bool(_LAST_ORDER_BY.search(_STRINGS.sub("''", text)))
    spark = textwrap.dedent(spark_sql).strip() if spark_sql else None
    return Case(id, text, ordered, MappingProxyType(dict(settings or {})), note, spark)


def all_cases() -> list[Case]:
    """Every case of every module in `cases/`, in module order, ids unique."""
    from tests.parity import cases as package

    found: list[Case] = []
    for info in sorted(pkgutil.iter_modules(package.__path__), key=lambda m: m.name):
        module = importlib.import_module(f"{package.__name__}.{info.name}")
        found += list(module.CASES)
    seen: set[str] = set()
    for c in found:
        if c.id in seen:
            raise ValueError(f"parity case id {c.id} is used twice")
        seen.add(c.id)
    return found
