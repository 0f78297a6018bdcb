"""Federated SQL: foreign tables a query reads become DuckDB views over their remote scans (with pushdown)."""

from __future__ import annotations

import contextlib
import secrets
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import pyarrow as pa
from sqlglot import exp

from lakeloader.errors import TerminalError
from lakeloader.federation import catalogs, planner, remote
from lakeloader.federation.planner import DIALECTS, Namer, Scan
from lakeloader.sources.postgres.typemap import convert_batch, schema_of

if TYPE_CHECKING:
    from lakeloader.federation.catalogs import ForeignTable
    from lakeloader.lakehouse.root import Lakehouse

VIEW_PREFIX = "__lakeloader_foreign_"


@dataclass
class FederatedQuery:
    """What `attach` did: the SQL to run, the scans behind it, and the views it registered (their names)."""

    sql: str
    scans: list[Scan] = field(default_factory=list)

    @property
    def views(self) -> set[str]:
        return {s.view for s in self.scans}

    def explain(self) -> str:
        """Each remote statement with its bound values and what stays local, then the local query."""
        lines = []
        for scan in self.scans:
            lines.append(f"-- {scan.table.full_name} via {scan.catalog.where}, read as view {scan.view}:")
            lines.append(scan.statement)
            lines += [f"--   ${i} = {v!r}" for i, v in enumerate(scan.params, start=1)]
            lines += [f"--   local: {why}" for why in scan.local]
        lines += ["-- local query (DuckDB):" if self.scans else "-- no foreign table: the query runs locally", self.sql]
        return "\n".join(lines)


def _timezone(con: Any) -> str | None:
    try:
        return str(con.execute("SELECT current_setting('TimeZone')").fetchall()[0][0])
    except Exception:  # DuckDB without its ICU extension has no time zones: naive timestamptz literals stay local
        return None


def _namer(con: Any) -> Namer:
    """Output names of a SELECT as DuckDB gives them, bound over an empty table with the foreign table's columns."""

    def names(select: exp.Select, node: exp.Table, table: ForeignTable) -> list[str]:
        view = f"__lakeloader_probe_{secrets.token_hex(4)}"
        schema = pa.schema([pa.field(c.name, c.arrow_type) for c in table.columns])
        saved = {k: node.args.get(k) for k in ("this", "db", "catalog", "alias")}
        con.register(view, schema.empty_table())
        try:
            planner.replace(node, view, node.alias or node.name, select)
            return list(con.sql(select.sql(dialect=DIALECTS["duckdb"])).columns)
        except Exception:
            return []
        finally:
            for key, value in saved.items():
                node.set(key, value)
            con.unregister(view)

    return names


def _mentions_foreign(lakehouse: Lakehouse, sql: str) -> bool:
    """Whether `sql` may name a table of a foreign catalog: a cheap look, before any parsing, for a catalog name
    followed by a dot (`supabase_data.`, `` `supabase_data`. ``, `"supabase_data".`); any name at all when the
    current catalog is a foreign one."""
    import re

    from lakeloader.lakehouse.root import FOREIGN_CATALOG

    foreign = {c.name for c in lakehouse.list_catalogs() if c.properties.get("catalog_type") == FOREIGN_CATALOG}
    if not foreign:
        return False
    if lakehouse.current_catalog in foreign:
        return True
    qualifiers = re.findall(r"(?:`((?:[^`]|``)+)`|\"((?:[^\"]|\"\")+)\"|([A-Za-z0-9_\-]+))\s*\.", sql)
    named = {(a.replace("``", "`") or b.replace('""', '"') or c).lower() for a, b, c in qualifiers}
    return bool(named & foreign)


def _plan(con: Any, lakehouse: Lakehouse, sql: str, *, dialect: str, pushdown: bool) -> FederatedQuery:
    if not _mentions_foreign(lakehouse, sql):
        return FederatedQuery(sql)  # not parsed at all: SQL sqlglot cannot read still runs as it is
    trees = planner.parse(sql, dialect)
    found = []
    for tree in trees:
        if dialect == "databricks":  # Spark's names for unaliased columns, before any part moves elsewhere
            from lakeloader.sql.translate import name_outputs

            name_outputs(tree)
        refs = planner.foreign_references(lakehouse, tree)
        planner._refuse_writes(lakehouse, tree, refs, sql)
        found.append((tree, refs))
    if not any(refs for _, refs in found):
        return FederatedQuery(sql)
    token, timezone, namer = secrets.token_hex(4), _timezone(con), _namer(con)
    scans: list[Scan] = []
    for tree, refs in found:
        placed = []
        for node, written in refs:
            table = planner.resolve_table(lakehouse, written, tree, node)
            catalog = catalogs.foreign_catalog(lakehouse, written[0])
            view = f"{VIEW_PREFIX}{token}_{len(scans)}"
            scan = planner.plan_scan(
                catalog,
                tree,
                node,
                table,
                view=view,
                pushdown=pushdown,
                timezone=timezone,
                namer=namer,
                dialect=dialect,
            )
            scans.append(scan)
            placed.append((node, scan))
        for node, scan in placed:
            planner.replace(node, scan.view, scan.alias, tree)
    text = ";\n".join(t.sql(dialect=DIALECTS[dialect]) for t in trees)
    return FederatedQuery(text, scans)


def _read(scan: Scan, session: remote.ScanSession) -> pa.Table:
    where = f"foreign table {scan.table.full_name}"
    raw = session.fetch(scan.statement, scan.params, where=where)
    schema = schema_of(scan.columns) if scan.columns else schema_of([planner._ROW])
    columns = scan.columns or [planner._ROW]
    try:
        batches = [convert_batch(b, columns, schema, where=where) for b in raw.to_batches()]
    except TerminalError as exc:  # a type changed remotely: the cached column no longer fits
        raise remote.StaleMetadataError(str(exc)) from None
    return pa.Table.from_batches(batches, schema=schema)


def _check_current(session: remote.ScanSession, scans: list[Scan]) -> None:
    """In the scans' snapshot: every table still has the columns and types it was described with."""
    from lakeloader.federation import metadata

    seen = set()
    for scan in scans:
        table = scan.table
        if table.remote_sql in seen or table.described is None:
            continue
        seen.add(table.remote_sql)
        rows = session.fetch(metadata.ATTRIBUTE_TYPES_SQL, [table.remote_sql]).to_pylist()
        if not rows:
            raise remote.StaleMetadataError(f"foreign table {table.full_name}: the remote table is gone")
        gone = metadata.changed(table.described, {r["name"]: r["type"] for r in rows})
        if gone:
            raise remote.StaleMetadataError(f"foreign table {table.full_name}: column {gone[0]} changed remotely")


def _fetch_group(lakehouse: Lakehouse, scans: list[Scan]) -> list[pa.Table]:
    catalog = scans[0].catalog
    session = remote.ScanSession(
        catalog.options(lakehouse),
        where=catalog.where,
        password_ref=catalog.connection.password,
        connection=catalog.connection.name,
    )
    try:
        _check_current(session, scans)
        done: dict[tuple[str, tuple[str, ...]], pa.Table] = {}
        out = []
        for scan in scans:  # one transaction, one snapshot: the scans of one query agree with each other
            key = (scan.statement, tuple(scan.params))
            if key not in done:
                done[key] = _read(scan, session)
            out.append(done[key])
        return out
    finally:
        session.close()


def _fetch(lakehouse: Lakehouse, scans: list[Scan]) -> list[pa.Table]:
    groups: dict[str, list[int]] = {}
    for i, scan in enumerate(scans):
        groups.setdefault(scan.catalog.name, []).append(i)
    results: list[pa.Table | None] = [None] * len(scans)
    members = list(groups.values())
    if len(members) == 1:
        fetched = [_fetch_group(lakehouse, [scans[i] for i in members[0]])]
    else:
        with ThreadPoolExecutor(max_workers=min(4, len(members))) as pool:
            fetched = list(pool.map(lambda m: _fetch_group(lakehouse, [scans[i] for i in m]), members))
    for indexes, tables in zip(members, fetched, strict=True):
        for i, table in zip(indexes, tables, strict=True):
            results[i] = table
    return [t for t in results if t is not None]


def attach(
    con: Any, lakehouse: Lakehouse, sql: str, *, dialect: str = "duckdb", pushdown: bool = True
) -> FederatedQuery:
    """Register every foreign table that `sql` reads as a DuckDB view over its remote scan; return the SQL to run.

    The contract (for `lakeloader sql` and pipeline sessions alike):

    - `sql` is one or more statements in `dialect` ("duckdb", which also takes Databricks' backticks, or
      "databricks"). Tables of foreign catalogs are found by name (`catalog.schema.table`, or shorter names
      against `lakehouse.current_catalog`); nothing else in the SQL is touched, and SQL naming no foreign table is
      returned unchanged (`FederatedQuery.sql is sql`).
    - Each reference is read now, in a read-only transaction per foreign catalog (one snapshot for all of that
      catalog's references), with the columns, filters, LIMIT, ORDER BY + LIMIT and aggregations that can be
      pushed exactly (see docs/federation.md), and registered on `con` as an Arrow table under a unique view name
      (`FederatedQuery.views`). The returned SQL, in the same `dialect`, reads those views (quoted single-part
      names) under the aliases the query used; translating it further (pipelines: to DuckDB) must leave these
      names as they are. Run it on the same `con`, before the views are unregistered or `con` is closed.
    - A statement other than a query that names a foreign table raises ReadOnlyError naming the catalog.
      Table, column or type changes found on the way refresh the cached metadata once; then a one-line error.
    - `pushdown=False` reads whole tables (all columns, no filter): the reference result of the same query.
    - The caller keeps its guard: check and lock the session (lakehouse/guard.py) on the returned SQL.
    """
    for attempt in range(2):
        planned = _plan(con, lakehouse, sql, dialect=dialect, pushdown=pushdown)
        if not planned.scans:
            return planned
        try:
            tables = _fetch(lakehouse, planned.scans)
        except remote.StaleMetadataError as exc:
            if attempt:
                raise TerminalError(
                    f"{exc}; the remote table changed while it was read: run 'lakeloader foreign-catalogs refresh "
                    f"{planned.scans[0].catalog.name}' and the query again"
                ) from None
            for scan in planned.scans:
                with contextlib.suppress(TerminalError):
                    catalogs.described(lakehouse, scan.table, again=True)
            continue
        for scan, table in zip(planned.scans, tables, strict=True):
            con.register(scan.view, table)
        return planned
    raise AssertionError("unreachable")


def explain(lakehouse: Lakehouse, sql: str, *, dialect: str = "duckdb", pushdown: bool = True) -> FederatedQuery:
    """The plan `attach` would run (remote statements, bound values, what stays local), without reading data."""
    import duckdb

    con = duckdb.connect()
    try:
        return _plan(con, lakehouse, sql, dialect=dialect, pushdown=pushdown)
    finally:
        con.close()
