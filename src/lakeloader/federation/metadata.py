"""Reading a foreign database's catalog: its schemas and tables, and each table's columns typed exactly as the
Postgres source's typemap types them (an unmapped type is kept aside, named, and never read)."""

from __future__ import annotations

import base64
from dataclasses import dataclass, field
from typing import Any

import pyarrow as pa

from lakeloader.errors import SchemaMismatchError
from lakeloader.sources.postgres.typemap import Column, describe, quote_ident

_SYSTEM = "n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname !~ '^pg_(toast|temp_)'"
SCHEMAS_SQL = f"""
SELECT n.nspname FROM pg_catalog.pg_namespace n
WHERE {_SYSTEM} AND pg_catalog.has_schema_privilege(n.oid, 'USAGE') ORDER BY 1
"""
TABLES_SQL = f"""
SELECT n.nspname, c.relname, c.relkind::text
FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
WHERE c.relkind IN ('r', 'p', 'v', 'm', 'f') AND NOT c.relispartition AND {_SYSTEM}
  AND pg_catalog.has_schema_privilege(n.oid, 'USAGE') AND pg_catalog.has_table_privilege(c.oid, 'SELECT')
ORDER BY 1, 2
"""
_ATTRIBUTES = """
SELECT a.attname, pg_catalog.format_type(a.atttypid, a.atttypmod), co.collname, co.collprovider::text,
       co.collisdeterministic
FROM pg_catalog.pg_attribute a LEFT JOIN pg_catalog.pg_collation co ON co.oid = a.attcollation
WHERE a.attrelid = pg_catalog.to_regclass(%s) AND a.attnum > 0 AND NOT a.attisdropped ORDER BY a.attnum
"""
_DEFAULT_COLLATION = """
SELECT d.datcollate, d.datlocprovider::text, coalesce(d.datlocale, '')
FROM pg_catalog.pg_database d WHERE d.datname = current_database()
"""
_DEFAULT_COLLATION_OLD = """
SELECT d.datcollate, 'c', '' FROM pg_catalog.pg_database d WHERE d.datname = current_database()
"""
# run by the scan session ($1: the quoted relation) before reading: has the table changed since it was described?
ATTRIBUTE_TYPES_SQL = """
SELECT a.attname::text AS name, pg_catalog.format_type(a.atttypid, a.atttypmod) AS type
FROM pg_catalog.pg_attribute a
WHERE a.attrelid = pg_catalog.to_regclass($1) AND a.attnum > 0 AND NOT a.attisdropped
"""
KINDS = {"r": "TABLE", "p": "TABLE", "v": "VIEW", "m": "MATERIALIZED_VIEW", "f": "FOREIGN"}
# collations that order text by code point, as DuckDB does (UTF-8 bytes): remote ORDER BY / min / max / < agree
CODE_POINT_ORDER = {"C", "POSIX", "ucs_basic", "pg_c_utf8"}


@dataclass(frozen=True)
class ForeignColumn:
    """A column of a foreign table: how it is read (the typemap's Column) and how its text is compared remotely."""

    column: Column
    code_point_order: bool = False  # text ordered by code point remotely (C, POSIX, builtin C.UTF-8)
    deterministic: bool = True  # equal only when byte-identical (every collation but nondeterministic ICU ones)
    attribute_type: str = ""  # the table's own declared type (format_type of pg_attribute): staleness check

    @property
    def name(self) -> str:
        return self.column.name

    @property
    def arrow_type(self) -> pa.DataType:
        return self.column.arrow_type

    @property
    def declared(self) -> str:
        return self.column.declared

    @property
    def quoted(self) -> str:
        return quote_ident(self.column.name)


@dataclass(frozen=True)
class Described:
    columns: list[ForeignColumn]
    unsupported: list[tuple[str, str]] = field(default_factory=list)  # (name, declared type)


def list_tables(con: Any) -> tuple[list[str], list[tuple[str, str, str]]]:
    """(schemas, [(schema, table, kind)]) the user may read."""
    schemas = [str(r[0]) for r in con.execute(SCHEMAS_SQL).fetchall()]
    tables = [(str(r[0]), str(r[1]), KINDS[str(r[2])]) for r in con.execute(TABLES_SQL).fetchall()]
    return schemas, tables


def _default_orders_by_code_point(con: Any) -> bool:
    number = int(con.execute("SELECT current_setting('server_version_num')::int").fetchone()[0])
    collate, provider, locale = con.execute(
        _DEFAULT_COLLATION if number >= 170000 else _DEFAULT_COLLATION_OLD
    ).fetchone()
    if provider == "b":  # builtin provider: C and C.UTF-8 order by code point
        return str(locale) in ("C", "C.UTF-8")
    return provider == "c" and str(collate) in ("C", "POSIX")


def describe_table(con: Any, schema: str, table: str, *, where: str) -> Described:
    """The columns of `schema.table`, typed by the Postgres source's typemap; unmapped ones listed apart."""
    relation = f"{quote_ident(schema)}.{quote_ident(table)}"
    attributes = con.execute(_ATTRIBUTES, (relation,)).fetchall()
    default_order = _default_orders_by_code_point(con)
    try:
        typed = {
            c.name: c for c in describe(con, [(a[0], quote_ident(a[0])) for a in attributes], relation, where=where)
        }
        unsupported: list[tuple[str, str]] = []
    except SchemaMismatchError:  # one column at a time, to keep the others readable
        typed, unsupported = {}, []
        for name, declared, *_ in attributes:
            try:
                typed[name] = describe(con, [(name, quote_ident(name))], relation, where=where)[0]
            except SchemaMismatchError:
                unsupported.append((str(name), str(declared)))
    columns = []
    for name, declared, collname, provider, deterministic in attributes:
        if name not in typed:
            continue
        if collname is None:
            by_code_point = False
        elif collname == "default":
            by_code_point = default_order
        else:
            by_code_point = collname in CODE_POINT_ORDER and provider in ("c", "b", "d")
        columns.append(ForeignColumn(typed[name], by_code_point, deterministic is not False, str(declared)))
    return Described(columns, unsupported)


def changed(described: Described, current: dict[str, str]) -> list[str]:
    """The cached columns that are gone or retyped in `current` (name -> declared type); new ones do not matter."""
    return [c.name for c in described.columns if c.attribute_type and current.get(c.name) != c.attribute_type]


def encode(described: Described) -> dict[str, Any]:
    """JSON for the metastore; Arrow types kept exactly, as an IPC schema."""
    schema = pa.schema([pa.field(c.name, c.arrow_type) for c in described.columns])
    return {
        "arrow_schema": base64.b64encode(schema.serialize().to_pybytes()).decode(),
        "columns": [
            {
                "name": c.name,
                "expression": c.column.expression,
                "declared": c.declared,
                "source": c.column.source,
                "code_point_order": c.code_point_order,
                "deterministic": c.deterministic,
                "attribute_type": c.attribute_type,
            }
            for c in described.columns
        ],
        "unsupported": [list(u) for u in described.unsupported],
    }


def decode(data: dict[str, Any]) -> Described:
    schema = pa.ipc.read_schema(pa.py_buffer(base64.b64decode(data["arrow_schema"])))
    columns = [
        ForeignColumn(
            Column(c["name"], c["expression"], c["declared"], schema.field(i).type, c["source"]),
            bool(c["code_point_order"]),
            bool(c["deterministic"]),
            str(c.get("attribute_type", "")),
        )
        for i, c in enumerate(data["columns"])
    ]
    return Described(columns, [(str(u[0]), str(u[1])) for u in data.get("unsupported", [])])
