"""`spark.sql(...)` statements that are not queries, run at once as Spark runs them: catalogs, schemas, volumes,
USE, SET, CREATE TABLE [AS SELECT], INSERT, DROP, TRUNCATE. Anything else that is not a query is refused by name."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

import pyarrow as pa

from lakeloader.errors import ConfigError
from lakeloader.spark import engine

if TYPE_CHECKING:
    from lakeloader.spark.spark_session import SparkSession

_NAME = r"((?:`[^`]+`|[\w-]+)(?:\.(?:`[^`]+`|[\w-]+))*)"
_IF_NOT = r"(?:\s+IF\s+NOT\s+EXISTS)?"
_COMMENT = r"(?:\s+COMMENT\s+'((?:[^']|'')*)')?"
_PATTERNS = [
    ("catalog", rf"CREATE\s+CATALOG{_IF_NOT}\s+{_NAME}{_COMMENT}"),
    ("schema", rf"CREATE\s+(?:SCHEMA|DATABASE){_IF_NOT}\s+{_NAME}{_COMMENT}"),
    ("volume", rf"CREATE\s+(?:MANAGED\s+)?VOLUME{_IF_NOT}\s+{_NAME}{_COMMENT}"),
    ("use_catalog", rf"USE\s+CATALOG\s+{_NAME}"),
    ("use_schema", rf"USE(?:\s+SCHEMA|\s+DATABASE)?\s+{_NAME}"),
    ("drop_table", rf"DROP\s+TABLE(\s+IF\s+EXISTS)?\s+{_NAME}"),
    ("drop_schema", rf"DROP\s+(?:SCHEMA|DATABASE)(\s+IF\s+EXISTS)?\s+{_NAME}(\s+CASCADE)?"),
    ("drop_volume", rf"DROP\s+VOLUME(\s+IF\s+EXISTS)?\s+{_NAME}"),
    ("truncate", rf"TRUNCATE\s+TABLE\s+{_NAME}"),
    ("set", r"SET\s+([\w.]+)\s*=\s*(.*)"),
    (
        "ctas",
        rf"CREATE\s+(OR\s+REPLACE\s+)?TABLE(\s+IF\s+NOT\s+EXISTS)?\s+{_NAME}(?:\s+USING\s+DELTA)?"
        rf"(?:\s+COMMENT\s+'(?:[^']|'')*')?\s+AS\s+(.*)",
    ),
    (
        "create_table",
        rf"CREATE\s+(OR\s+REPLACE\s+)?TABLE(\s+IF\s+NOT\s+EXISTS)?\s+{_NAME}\s*\((.*)\)"
        r"(?:\s+USING\s+DELTA)?(?:\s+COMMENT\s+'(?:[^']|'')*')?",
    ),
    ("insert", rf"INSERT\s+(INTO|OVERWRITE)(?:\s+TABLE)?\s+{_NAME}\s+(.*)"),
]
_QUERY = re.compile(r"^\s*(\(|SELECT\b|WITH\b|VALUES\b|FROM\b|TABLE\b)", re.IGNORECASE)
_FUNCTION = re.compile(r"^\s*(CREATE(\s+OR\s+REPLACE)?(\s+TEMPORARY)?\s+FUNCTION|DROP\s+FUNCTION)\b", re.IGNORECASE)


def _strip(sql: str) -> str:
    text = re.sub(r"^\s*(--[^\n]*\n\s*)*", "", sql).strip()
    return text[:-1].rstrip() if text.endswith(";") else text


def _unquote(name: str) -> str:
    from lakeloader.lakehouse import names

    return ".".join(names.split_parts(name))


def run(spark: SparkSession, sql: str) -> pa.Table | None:
    """Run `sql` if it is a statement and return its result (an empty table); None for a query."""
    text = _strip(sql)
    if _QUERY.match(text) or _FUNCTION.match(text):
        return None  # queries and SQL functions: lakehouse.sql.query runs them
    for kind, pattern in _PATTERNS:
        match = re.fullmatch(pattern, text, re.IGNORECASE | re.DOTALL)
        if match:
            return _run(spark, kind, match.groups()) or pa.table({})
    word = " ".join(text.split()[:2]).upper()
    raise ConfigError(f"spark.sql: {word} ... is not supported here; see docs/pyspark.md for the statements run")


def _schema_name(run: engine.Engine, name: str) -> str:
    parts = _unquote(name).split(".")
    return ".".join(parts) if len(parts) == 2 else f"{run.lakehouse.current_catalog}.{parts[0]}"


def _run(spark: SparkSession, kind: str, groups: tuple[Any, ...]) -> pa.Table | None:
    run = engine.current()
    lh = run.lakehouse
    if kind == "catalog":
        lh.create_catalog(_unquote(groups[0]), comment=_comment(groups[1]), if_not_exists=True)
    elif kind == "schema":
        lh.create_schema(_schema_name(run, groups[0]), comment=_comment(groups[1]), if_not_exists=True)
    elif kind == "volume":
        lh.create_volume(_unquote(run.table_name(groups[0])), comment=_comment(groups[1]), if_not_exists=True)
    elif kind == "use_catalog":
        spark.catalog.setCurrentCatalog(groups[0])
    elif kind == "use_schema":
        spark.catalog.setCurrentDatabase(groups[0])
    elif kind == "drop_table":
        full = _unquote(run.table_name(groups[1]))
        if lh.metastore.get(full) is not None:
            lh.drop_table(full)
        elif not groups[0]:
            raise ConfigError(f"DROP TABLE {full}: no such table; write DROP TABLE IF EXISTS")
    elif kind == "drop_schema":
        full = _schema_name(run, groups[1])
        if lh.metastore.get(full) is not None:
            lh.drop_schema(full, cascade=bool(groups[2]))
        elif not groups[0]:
            raise ConfigError(f"DROP SCHEMA {full}: no such schema; write DROP SCHEMA IF EXISTS")
    elif kind == "drop_volume":
        full = _unquote(run.table_name(groups[1]))
        if lh.metastore.get(full) is not None:
            lh.drop_volume(full)
        elif not groups[0]:
            raise ConfigError(f"DROP VOLUME {full}: no such volume; write DROP VOLUME IF EXISTS")
    elif kind == "truncate":
        from lakeloader.lakehouse import delta

        table = lh.table(_unquote(run.table_name(groups[0])))
        delta.write(table.location, run.schema(str(table.name)).empty_table(), mode="overwrite")
    elif kind == "set":
        spark.conf.set(groups[0], groups[1].strip().strip("'\""))
    elif kind == "ctas":
        from lakeloader.spark.readwriter import write_table

        replace, if_not, name, query = groups
        exists = lh.metastore.get(_unquote(run.table_name(name))) is not None
        if exists and if_not:
            return None
        mode = "overwrite" if replace else "errorifexists"
        write_table(run, name, run.run(query), mode, [], {})
    elif kind == "create_table":
        _create_table(run, *groups)
    elif kind == "insert":
        from lakeloader.spark.readwriter import DataFrameWriter

        how, name, query = groups
        DataFrameWriter(spark.sql(query)).insertInto(name, overwrite=how.upper() == "OVERWRITE")
    return None


def _comment(text: str | None) -> str | None:
    return text.replace("''", "'") if text else None


def _create_table(run: engine.Engine, replace: str | None, if_not: str | None, name: str, columns: str) -> None:
    from lakeloader.lakehouse import delta
    from lakeloader.sources.files.ddl import parse_ddl

    full = _unquote(run.table_name(name))
    if run.lakehouse.metastore.get(full) is not None:
        if if_not:
            return
        if not replace:
            raise ConfigError(f"CREATE TABLE {full}: it already exists; write CREATE TABLE IF NOT EXISTS")
    schema = parse_ddl(columns, what=f"CREATE TABLE {full}")
    table = run.lakehouse.table_for_write(full, writer="CREATE TABLE")
    delta.write(table.location, schema.empty_table(), mode="overwrite", overwrite_schema=True, table_name=full)
    run.lakehouse.register_written(table)
