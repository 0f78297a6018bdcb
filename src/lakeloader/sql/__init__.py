"""The one Databricks SQL → DuckDB translator, with Spark's semantics: every SQL path runs through it.

`to_duckdb(sql, settings=..., schema=...)` gives DuckDB SQL that returns Spark's answer (values and types) or
refuses in one line; `Settings` holds the session's time zone and ANSI mode; `runtime.ready(con, sql)` makes the
macros the translated SQL calls in `con`'s database. The function table (`registry`) is what docs/sql.md lists.
"""

from lakeloader.sql.settings import Settings
from lakeloader.sql.translate import TranslateError, parse, to_duckdb

__all__ = ["Settings", "TranslateError", "parse", "to_duckdb"]
