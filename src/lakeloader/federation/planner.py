"""Planning a query over foreign tables (sqlglot): every reference to one becomes a scan of a DuckDB view, and each
scan asks the remote database for as little as gives the same answer.

Per reference: the WHERE conjuncts (and inner joins' ON conjuncts) that touch only this table when it is not on
the optional side of an outer join, and its own join's ON conjuncts when it is the joined table of a left, semi
or anti join; for a query over this table alone with every conjunct pushed, LIMIT (with ORDER BY when the
engines order the keys alike) or the aggregation (`aggregates.py`); and the columns still named anywhere in the
query once the pushed conjuncts are gone from it (all of them under a `*`). A pushed conjunct is exact, so it is
not evaluated again locally (it becomes TRUE in the local query).
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, ClassVar

import pyarrow as pa
import sqlglot
from sqlglot import exp
from sqlglot.dialects.duckdb import DuckDB

from lakeloader.errors import ConfigError, NotFoundError, ReadOnlyError
from lakeloader.federation import catalogs
from lakeloader.federation.catalogs import ForeignCatalog, ForeignTable
from lakeloader.federation.metadata import ForeignColumn
from lakeloader.federation.pushdown import Binder, NotPushable, Operand, Translator, family, finite, orders_alike
from lakeloader.lakehouse import names
from lakeloader.sources.postgres.typemap import Column, select_list
from lakeloader.sql.dialect import SparkSql

if TYPE_CHECKING:
    from lakeloader.lakehouse.root import Lakehouse

Namer = Callable[[exp.Select, exp.Table, ForeignTable], list[str]]
_ROW = Column("__lakeloader_row", "NULL::int2", "smallint", pa.int16())  # no column needed: rows still count


class DuckDBWithBackticks(DuckDB):
    """DuckDB's dialect, reading Databricks' backtick-quoted names too (`lakeloader sql` takes both)."""

    class Tokenizer(DuckDB.Tokenizer):
        IDENTIFIERS: ClassVar = ['"', "`"]


DIALECTS: dict[str, Any] = {"duckdb": DuckDBWithBackticks, "databricks": SparkSql}


@dataclass
class Scan:
    """One read of a foreign table: the remote statement, its bound values, and the view the query reads."""

    catalog: ForeignCatalog
    table: ForeignTable
    view: str
    alias: str
    columns: list[Column]
    where: list[str] = field(default_factory=list)
    params: list[str] = field(default_factory=list)
    group_by: list[str] = field(default_factory=list)
    order: list[str] = field(default_factory=list)
    limit: int | None = None
    local: list[str] = field(default_factory=list)  # what stays local, and why (for --explain)

    @property
    def statement(self) -> str:
        """The remote SQL (identifiers quoted exactly, values as `$n` parameters)."""
        sql = f"SELECT {select_list(self.columns) or select_list([_ROW])} FROM {self.table.remote_sql}"
        if self.where:
            sql += " WHERE " + " AND ".join(self.where)
        if self.group_by:
            sql += " GROUP BY " + ", ".join(self.group_by)
        if self.order:
            sql += " ORDER BY " + ", ".join(self.order)
        if self.limit is not None:
            sql += f" LIMIT {int(self.limit)}"
        return sql


@dataclass
class Plan:
    """The query to run locally and the scans it needs."""

    sql: str
    scans: list[Scan]


def parse(sql: str, dialect: str) -> list[Any]:
    logger = logging.getLogger("sqlglot")
    level = logger.level
    logger.setLevel(logging.ERROR)  # "falling back to parsing as a Command" is not the user's business
    try:
        return [t for t in sqlglot.parse(sql, read=DIALECTS[dialect]) if t is not None]
    except sqlglot.errors.ParseError as exc:
        detail = exc.errors[0] if exc.errors else {}
        raise ConfigError(f"query over a foreign catalog cannot be read: {detail.get('description') or exc}") from None
    finally:
        logger.setLevel(level)


def _catalog_of(lakehouse: Lakehouse, table: exp.Table, ctes: set[str]) -> tuple[str, str, str] | None:
    """(catalog, schema, table) as written, when `table` names a table of a foreign catalog."""
    if not isinstance(table.this, exp.Identifier):
        return None
    parts = [p.name for p in table.parts]
    if len(parts) == 1 and parts[0].lower() in ctes:
        return None
    if len(parts) == 3:
        written = parts
    elif len(parts) == 2:
        written = [lakehouse.current_catalog, *parts]
    elif len(parts) == 1:
        written = [lakehouse.current_catalog, names.DEFAULT_SCHEMA, parts[0]]
    else:
        return None
    if lakehouse.foreign_catalog(written[0]) is None:
        return None
    return written[0].lower(), written[1], written[2]


def foreign_references(lakehouse: Lakehouse, tree: exp.Expression) -> list[tuple[exp.Table, tuple[str, str, str]]]:
    ctes = {c.alias_or_name.lower() for c in tree.find_all(exp.CTE)}
    out = []
    for table in tree.find_all(exp.Table):
        found = _catalog_of(lakehouse, table, ctes)
        if found is not None:
            out.append((table, found))
    return out


def _refuse_writes(lakehouse: Lakehouse, tree: exp.Expression, refs: list[Any], sql: str) -> None:
    if isinstance(tree, exp.Command):
        words = {w.lower() for w in re.findall(r"[A-Za-z0-9_\-]+(?=\s*\.)", str(tree.expression or ""))}
        catalog = next((w for w in words if lakehouse.foreign_catalog(w) is not None), None)
        if catalog is not None:
            raise ConfigError(
                f"sql: {tree.this} over foreign catalog {catalog} is not supported; write a SELECT (and use "
                "'lakeloader sql --explain' to see what reaches the remote database)"
            )
        return
    if refs and not isinstance(tree, exp.Query):
        _, (catalog, schema, name) = refs[0]
        kind = tree.key.upper()
        raise ReadOnlyError(
            f"{kind} naming {catalog}.{schema}.{name}: catalog {catalog} is a foreign catalog, read-only here; "
            "only queries (SELECT) may read it: change the remote database itself, or write to a catalog of the "
            "lakehouse"
        )


def _enclosing(table: exp.Table) -> tuple[exp.Select | None, int]:
    """The SELECT whose FROM or JOIN holds `table`, and its position (0: FROM, i: the i-th join)."""
    parent = table.parent
    if isinstance(parent, exp.From) and isinstance(parent.parent, exp.Select):
        return parent.parent, 0
    if isinstance(parent, exp.Join) and isinstance(parent.parent, exp.Select):
        joins = parent.parent.args.get("joins") or []
        return parent.parent, next(i for i, j in enumerate(joins) if j is parent) + 1
    return None, -1


def _joins(select: exp.Select) -> list[exp.Join]:
    return list(select.args.get("joins") or [])


def _optional(select: exp.Select, position: int) -> bool:
    """Whether rows of the source at `position` may be null-extended by an outer join of this SELECT."""
    joins = _joins(select)
    if position >= 1 and (joins[position - 1].side or "").upper() in ("LEFT", "FULL"):
        return True
    return any((j.side or "").upper() in ("RIGHT", "FULL") for j in joins[position:])


def _odd_joins(select: exp.Select) -> bool:
    """POSITIONAL, ASOF, NATURAL and LATERAL joins: filtering an input early could change which rows pair up."""
    for join in _joins(select):
        method = str(join.args.get("method") or "").upper()
        if method in ("POSITIONAL", "ASOF", "NATURAL") or isinstance(join.this, exp.Lateral | exp.Unnest):
            return True
    return False


def _inner(join: exp.Join) -> bool:
    return not join.side and (join.kind or "").upper() in ("", "INNER", "CROSS")


def conjuncts(node: exp.Expression | None) -> list[exp.Expression]:
    if node is None:
        return []
    while isinstance(node, exp.Paren):
        node = node.this
    if isinstance(node, exp.And):
        return conjuncts(node.this) + conjuncts(node.expression)
    return [node]


def column_named(table: ForeignTable, name: str) -> ForeignColumn | None:
    """The column `name` means (exact, else the one equal ignoring case)."""
    exact = [c for c in table.columns if c.name == name]
    if exact:
        return exact[0]
    folded = [c for c in table.columns if c.name.lower() == name.lower()]
    return folded[0] if len(folded) == 1 else None


class References:
    """Which column references of a SELECT mean this foreign table's columns."""

    def __init__(self, select: exp.Select | None, node: exp.Table, table: ForeignTable, alias: str) -> None:
        self.select, self.node, self.table, self.alias = select, node, table, alias
        self.alone = select is not None and not _joins(select)
        written = [p.name.lower() for p in node.parts]
        self.written = written if not node.alias else [alias.lower()]

    def resolve(self, column: exp.Column) -> ForeignColumn | None:
        if isinstance(column.this, exp.Star):
            return None
        qualifier = [p.name.lower() for p in column.parts[:-1]]
        if qualifier:
            if qualifier[-1] != self.alias.lower():
                return None
            if len(qualifier) > 1 and qualifier != self.written[-len(qualifier) :]:
                return None
        elif not self.alone:
            return None
        return column_named(self.table, column.name)


def needed_columns(tree: exp.Expression, refs: References) -> list[ForeignColumn]:
    """The columns the query can possibly read from this reference: all of them under a star, else every column
    whose name appears anywhere in the statement (reading one too many is harmless; one too few is not)."""
    table, select = refs.table, refs.select
    if select is None:
        return list(table.columns)
    for join in _joins(select):
        if str(join.args.get("method") or "").upper() == "NATURAL":
            return list(table.columns)
    for star in select.find_all(exp.Star):
        parent = star.parent
        if isinstance(parent, exp.Count):
            continue
        if isinstance(parent, exp.Column):
            qualifier = parent.table.lower() if parent.table else ""
            if qualifier and qualifier != refs.alias.lower():
                continue
        return list(table.columns)
    if any(True for _ in select.find_all(exp.Columns)):
        return list(table.columns)
    words = {i.name.lower() for i in tree.find_all(exp.Identifier)}
    names_ = {c.name.lower() for c in table.columns}
    bare = {c.name.lower() for c in select.find_all(exp.Column) if not c.table}
    if refs.alias.lower() in bare and refs.alias.lower() not in names_:  # the row itself (`SELECT t FROM t`)
        return list(table.columns)
    return [c for c in table.columns if c.name.lower() in words]


def _order_column(select: exp.Select, key: exp.Expression, refs: References) -> ForeignColumn | None:
    """The column an ORDER BY key means: a column, an output alias of one, or the ordinal of one."""
    items = select.expressions
    if isinstance(key, exp.Literal) and not key.is_string and str(key.this).isdigit():
        index = int(key.this) - 1
        if not 0 <= index < len(items):
            return None
        key = items[index].this if isinstance(items[index], exp.Alias) else items[index]
    if not isinstance(key, exp.Column):
        return None
    if not key.table:
        aliased = [i for i in items if isinstance(i, exp.Alias) and i.alias.lower() == key.name.lower()]
        if aliased:
            inner = aliased[0].this
            return refs.resolve(inner) if len(aliased) == 1 and isinstance(inner, exp.Column) else None
    return refs.resolve(key)


def _limit(select: exp.Select) -> int | None:
    limit, offset = select.args.get("limit"), select.args.get("offset")
    if not isinstance(limit, exp.Limit) or limit.args.get("limit_options") or limit.args.get("offset"):
        return None
    value = limit.expression
    if not (isinstance(value, exp.Literal) and not value.is_string and str(value.this).isdigit()):
        return None
    skip = 0
    if offset is not None:
        count = offset.expression
        if not (isinstance(count, exp.Literal) and not count.is_string and str(count.this).isdigit()):
            return None
        skip = int(count.this)
    return int(value.this) + skip


def _plain(select: exp.Select) -> bool:
    """No grouping, aggregates, windows, DISTINCT or QUALIFY: LIMIT applies to the scanned rows themselves."""
    if any(select.args.get(k) for k in ("group", "having", "qualify", "distinct", "windows")):
        return False
    return not any(isinstance(n, exp.AggFunc | exp.Window) for item in select.expressions for n in item.walk())


def plan_scan(
    catalog: ForeignCatalog,
    tree: exp.Expression,
    node: exp.Table,
    table: ForeignTable,
    *,
    view: str,
    pushdown: bool,
    timezone: str | None,
    namer: Namer | None,
    dialect: str,
) -> Scan:
    """What to ask the remote database for this reference (see the module docstring)."""
    alias = node.alias or node.name
    select, position = _enclosing(node)
    refs = References(select, node, table, alias)
    if not pushdown:
        return Scan(catalog, table, view, alias, [c.column for c in table.columns], local=["pushdown is off"])
    scan = Scan(catalog, table, view, alias, [c.column for c in needed_columns(tree, refs)])
    if select is None:
        scan.local.append("the table is not read in a plain FROM or JOIN: only its columns are chosen")
        return scan
    binder = Binder()
    translator = Translator(refs.resolve, binder, timezone=timezone)
    candidates: list[tuple[str, exp.Expression]] = []
    where = conjuncts(select.args["where"].this) if select.args.get("where") else []
    sampled = node.args.get("sample") is not None
    if sampled or _odd_joins(select):
        scan.local.append("sampled, or read in a POSITIONAL/ASOF/NATURAL/LATERAL join: no filter is pushed")
    elif _optional(select, position):
        scan.local += [f"{c.sql()} (the table is on the optional side of an outer join)" for c in where]
    else:
        candidates += [("WHERE", c) for c in where]
        for join in _joins(select):  # an inner join's ON filters like WHERE does, for a table never null-extended
            if _inner(join):
                candidates += [("ON", c) for c in conjuncts(join.args.get("on"))]
    if position >= 1 and not sampled and not _odd_joins(select):
        join = _joins(select)[position - 1]  # its own join's ON: only ever drops rows that would not pair up
        side, kind = (join.side or "").upper(), (join.kind or "").upper()
        if side == "LEFT" or kind in ("SEMI", "ANTI") or (_inner(join) and _optional(select, position)):
            candidates += [("ON", c) for c in conjuncts(join.args.get("on"))]
    pushed_where = 0
    for clause, conjunct in candidates:
        mark = len(binder.values)
        try:
            scan.where.append(translator.predicate(conjunct))
        except NotPushable as why:
            del binder.values[mark:]
            if any(refs.resolve(c) is not None for c in conjunct.find_all(exp.Column)):
                scan.local.append(f"{conjunct.sql()} ({why})")
            continue
        pushed_where += clause == "WHERE"
        conjunct.replace(exp.true())  # exact remotely: not evaluated again, nor its columns read for it
    scan.params = binder.values
    scan.columns = [c.column for c in needed_columns(tree, refs)]
    if not refs.alone or pushed_where != len(where) or sampled:
        return scan
    from lakeloader.federation import aggregates

    if not _plain(select):
        if namer is not None:
            aggregates.push(scan, select, refs, namer, dialect=dialect)
        return scan
    limit = _limit(select)
    if limit is None:
        return scan
    order = []
    for ordered in select.args["order"].expressions if select.args.get("order") else []:
        column = _order_column(select, ordered.this, refs)
        if column is None or not orders_alike(Operand(column.quoted, family(column), column)):
            scan.local.append(f"ORDER BY {ordered.sql()} LIMIT (the engines could order it differently)")
            return scan
        direction = "DESC" if ordered.args.get("desc") else "ASC"
        nulls = "FIRST" if ordered.args.get("nulls_first") else "LAST"
        # qualified: an unqualified name in ORDER BY means the SELECT list's column of that name ("x"::text)
        key = finite(f"{table.remote_sql}.{column.quoted}", family(column))
        order.append(f"{key} {direction} NULLS {nulls}")
    scan.order, scan.limit = order, limit
    return scan


def resolve_table(
    lakehouse: Lakehouse, written: tuple[str, str, str], tree: exp.Expression, node: exp.Table
) -> ForeignTable:
    """The described foreign table; a column the query qualifies with it but the cache lacks refreshes it once."""
    table = catalogs.described(lakehouse, catalogs.find_table(lakehouse, *written))
    alias = (node.alias or node.name).lower()
    asked = {c.name for c in tree.find_all(exp.Column) if c.table.lower() == alias and not isinstance(c.this, exp.Star)}
    missing = [n for n in asked if column_named(table, n) is None]
    if missing:
        table = catalogs.described(lakehouse, table, again=True)
        gone = [n for n in missing if column_named(table, n) is None]
        unsupported = {u[0].lower(): u for u in table.described.unsupported} if table.described else {}
        for name in gone:
            if name.lower() in unsupported:
                declared = unsupported[name.lower()][1]
                raise ConfigError(
                    f"column {name} of foreign table {table.full_name} has type {declared}, which lakeloader does "
                    "not map; read it through a remote view that casts it (e.g. to text)"
                )
        if gone:
            listed = ", ".join(c.name for c in table.columns)
            raise NotFoundError(
                f"column {gone[0]} does not exist in foreign table {table.full_name} (columns: {listed}); fix the SQL"
            )
    return table


def replace(node: exp.Table, view: str, alias: str, tree: exp.Expression) -> None:
    """Point the reference at the view, keeping the name the query uses for it."""
    written = [p.name.lower() for p in node.parts]
    had_alias = bool(node.alias)
    node.set("catalog", None)
    node.set("db", None)
    node.set("this", exp.to_identifier(view, quoted=True))
    if not had_alias:
        node.set("alias", exp.TableAlias(this=exp.to_identifier(alias, quoted=True)))
        for column in tree.find_all(exp.Column):  # fully qualified references: catalog.schema.table.column
            qualifier = [p.name.lower() for p in column.parts[:-1]]
            if len(qualifier) > 1 and qualifier == written[-len(qualifier) :]:
                column.set("catalog", None)
                column.set("db", None)
                column.set("table", exp.to_identifier(alias, quoted=True))
