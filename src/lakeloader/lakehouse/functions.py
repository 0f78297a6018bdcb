"""SQL functions kept in the catalog, as Unity Catalog keeps them: `CREATE [OR REPLACE] FUNCTION [IF NOT EXISTS]
catalog.schema.f(p TYPE, ...) RETURNS TYPE RETURN <expression>` (or `RETURNS TABLE (...) RETURN <query>`), and
`DROP FUNCTION [IF EXISTS] catalog.schema.f`.

Each is a metastore record (kind `function`, scoped to its catalog, so it goes with it) holding its definition.
A query calls it as `catalog.schema.f(...)`, `schema.f(...)` (the current catalog) or `f(...)` (the current
schema, when no Spark built-in has that name); the call is inlined before the query is translated
(`lakeloader.sql.udfs`), so `lakeloader sql` and pipeline SQL give the same answers."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

from lakeloader.errors import AlreadyExistsError, ConfigError, NotFoundError
from lakeloader.lakehouse import names

if TYPE_CHECKING:
    from lakeloader.lakehouse.root import Lakehouse
    from lakeloader.sql.udfs import SqlFunction

KIND = "function"
_CREATE = re.compile(r"^\s*CREATE\s+(OR\s+REPLACE\s+)?(TEMP(ORARY)?\s+)?FUNCTION\b", re.IGNORECASE)
_DROP = re.compile(r"^\s*DROP\s+(TEMP(ORARY)?\s+)?FUNCTION\s+(IF\s+EXISTS\s+)?(?P<name>[^\s;(]+)\s*;?\s*$", re.I)


def is_statement(sql: str) -> bool:
    """Is `sql` a CREATE FUNCTION or DROP FUNCTION statement (catalog DDL, not a query)?"""
    return bool(_CREATE.match(sql) or re.match(r"^\s*DROP\s+(TEMP(ORARY)?\s+)?FUNCTION\b", sql, re.I))


def run_statement(lh: Lakehouse, sql: str) -> str:
    """Carry out a CREATE / DROP FUNCTION statement; what was done, in one line."""
    if _CREATE.match(sql):
        created = create(lh, sql)
        return f"function {created} created"
    found = _DROP.match(sql)
    if found is None:
        raise ConfigError("DROP FUNCTION: write DROP FUNCTION [IF EXISTS] catalog.schema.name")
    if found.group(1):
        raise ConfigError("DROP TEMPORARY FUNCTION: lakeloader sql keeps no session functions; drop catalog ones")
    dropped = drop(lh, found.group("name"), if_exists=bool(found.group(3)))
    return f"function {dropped} dropped" if dropped else f"function {found.group('name')} does not exist"


def _full_name(lh: Lakehouse, parts: tuple[str, ...] | list[str]) -> tuple[str, str, str]:
    clean = [p.strip("`") for p in parts]
    if len(clean) == 1:
        clean = [lh.current_catalog, names.DEFAULT_SCHEMA, *clean]
    elif len(clean) == 2:
        clean = [lh.current_catalog, *clean]
    if len(clean) != 3:
        raise ConfigError(f"function name {'.'.join(parts)} has {len(parts)} parts; write catalog.schema.name")
    kinds = ("catalog", "schema", "function")
    catalog, schema, name = (names.check_name(p, kind=k) for p, k in zip(clean, kinds, strict=True))
    return catalog, schema, name


def create(lh: Lakehouse, sql: str) -> str:
    """Keep the function a CREATE FUNCTION statement defines; its full name."""
    from lakeloader.sql import udfs

    try:
        found = udfs.parse(sql.strip().rstrip(";"), "catalog")
    except ValueError as exc:
        raise ConfigError(f"CREATE FUNCTION: {exc}") from None
    if found.temporary:
        raise ConfigError(
            "CREATE TEMPORARY FUNCTION: a temporary function lives in one session, and lakeloader sql runs one "
            "statement; create it in the catalog (CREATE FUNCTION catalog.schema.name ...), or in a pipeline's file"
        )
    catalog, schema, name = _full_name(lh, found.parts)
    full = f"{catalog}.{schema}.{name}"
    if lh.metastore.get(f"{catalog}.{schema}") is None:
        raise NotFoundError(f"schema {catalog}.{schema} does not exist; create it first (lakeloader schemas create)")
    if found.replace and found.if_not_exists:
        raise ConfigError("CREATE OR REPLACE FUNCTION IF NOT EXISTS: say one of OR REPLACE and IF NOT EXISTS")
    existing = lh.metastore.get_record(KIND, f"{schema}.{name}", scope=catalog)
    if existing is not None and found.if_not_exists:
        return full
    if existing is not None and not found.replace:
        raise AlreadyExistsError(f"function {full} already exists; CREATE OR REPLACE FUNCTION to change it")
    properties = {"definition": sql.strip().rstrip(";"), "kind": "TABLE" if found.columns else "SCALAR"}
    lh.metastore.put_record(kind=KIND, name=f"{schema}.{name}", scope=catalog, properties=properties, replace=True)
    return full


def drop(lh: Lakehouse, written: str, *, if_exists: bool = False) -> str | None:
    catalog, schema, name = _full_name(lh, names.split_parts(written))
    if lh.metastore.get_record(KIND, f"{schema}.{name}", scope=catalog) is None:
        if if_exists:
            return None
        raise NotFoundError(f"function {catalog}.{schema}.{name} does not exist; DROP FUNCTION IF EXISTS skips it")
    lh.metastore.delete_records(KIND, scope=catalog, names=[f"{schema}.{name}"])
    return f"{catalog}.{schema}.{name}"


def listed(lh: Lakehouse, catalog: str | None = None) -> list[dict[str, Any]]:
    """The catalog's functions (every catalog's when None): full name, kind, definition, owner."""
    records = lh.metastore.find_records(KIND, scope=catalog)
    return [
        {"name": f"{r.scope}.{r.name}", "kind": r.properties.get("kind"), "definition": r.properties["definition"],
         "owner": r.owner, "created_at": r.created_at}
        for r in records
    ]  # fmt: skip


def any_defined(lh: Lakehouse) -> bool:
    """Does the catalog keep any SQL function (else no query needs looking at for calls)?"""
    return bool(lh.metastore.find_records(KIND))


def inlined(lh: Lakehouse, sql: str, *, catalog: str | None = None, schema: str = names.DEFAULT_SCHEMA) -> str:
    """`sql` with its calls of the catalog's functions inlined (as it is when it calls none)."""
    from lakeloader.sql import udfs

    if not any_defined(lh):
        return sql
    try:
        return udfs.inline(sql, resolver(lh, catalog=catalog, schema=schema)) or sql
    except ValueError as exc:
        raise ConfigError(f"sql: {exc}; fix the call") from None
    except Exception:  # a statement sqlglot cannot read: the translator says what is wrong with it
        return sql


def resolver(lh: Lakehouse, *, catalog: str | None = None, schema: str = names.DEFAULT_SCHEMA) -> Any:
    """What a query's calls resolve to among the catalog's functions: `(parts) -> SqlFunction | None`, with
    `catalog`/`schema` the current ones (a bare name that is a Spark built-in stays the built-in)."""
    from lakeloader.sql import udfs

    current = catalog or lh.current_catalog
    cache: dict[tuple[str, ...], SqlFunction | None] = {}

    def resolve(parts: list[str]) -> SqlFunction | None:
        key = tuple(p.lower() for p in parts)
        if key in cache:
            return cache[key]
        found = None
        if len(key) == 1 and udfs.is_builtin(key[0]):
            found = None
        elif len(key) <= 3:
            full = [current, schema, *key][-3:] if len(key) < 3 else list(key)
            if len(key) == 2:
                full = [current, *key]
            record = lh.metastore.get_record(KIND, f"{full[1]}.{full[2]}", scope=full[0])
            if record is not None:
                parsed = udfs.parse(record.properties["definition"], ".".join(full))
                found = udfs.SqlFunction(".".join(full), parsed.params, parsed.returns, parsed.columns,
                                         parsed.body, parsed.where)  # fmt: skip
        cache[key] = found
        return found

    return resolve
