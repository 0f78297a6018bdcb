"""Lakehouse Federation: connections, foreign catalogs, and SQL over foreign tables with pushdown.

Public API (heavy modules load on first use):

- `attach(con, lakehouse, sql, *, dialect="duckdb", pushdown=True) -> FederatedQuery`: register the foreign
  tables a query reads on a DuckDB connection; run `FederatedQuery.sql` (see `query.attach`).
- `explain(lakehouse, sql, ...)`: the same plan, without reading data.
- `postgres_source_options(name, *, lakehouse, **fields) -> PostgresSourceOptions`: a foreign table as a source.
- connections: `create_connection`, `alter_connection`, `get_connection`, `list_connections`, `drop_connection`,
  `test_connection`.
- foreign catalogs: `create_foreign_catalog`, `list_foreign_catalogs`, `refresh`, `drop_foreign_catalog`,
  `list_tables`, `describe_table`.
"""

from __future__ import annotations

import importlib
from typing import Any

_EXPORTS = {
    "attach": "lakeloader.federation.query",
    "explain": "lakeloader.federation.query",
    "FederatedQuery": "lakeloader.federation.query",
    "postgres_source_options": "lakeloader.federation.sources",
    "create_connection": "lakeloader.federation.connections",
    "get_connection": "lakeloader.federation.connections",
    "alter_connection": "lakeloader.federation.connections",
    "list_connections": "lakeloader.federation.connections",
    "drop_connection": "lakeloader.federation.connections",
    "Connection": "lakeloader.federation.connections",
    "test_connection": "lakeloader.federation.probe",
    "create_foreign_catalog": "lakeloader.federation.catalogs",
    "list_foreign_catalogs": "lakeloader.federation.catalogs",
    "drop_foreign_catalog": "lakeloader.federation.catalogs",
    "refresh": "lakeloader.federation.catalogs",
    "list_tables": "lakeloader.federation.catalogs",
    "describe_table": "lakeloader.federation.probe",
}
__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'lakeloader.federation' has no attribute {name!r}")
    return getattr(importlib.import_module(module), name)
