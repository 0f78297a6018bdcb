"""What a stream reads: a table resolved by Postgres itself (as psql would), or a query made safe to wrap.

A table name is parsed and looked up by the server (`to_regclass`): unquoted names fold to lower case, quoted
ones keep their case and may hold dots, and an unqualified name follows the session's search_path. The
relation is then named by its canonical `schema.table` (quoted where needed), which is also what the stream is
keyed on, with its oid and file node so that a table dropped and recreated, or truncated, is noticed.
A query loses its trailing semicolons and comments, and is wrapped on lines of its own, so a trailing `--`
comment cannot swallow the wrapper.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from typing import Any

from lakeloader.errors import ConfigError
from lakeloader.sources.postgres.typemap import quote_ident

_TAG = re.compile(r"\$([A-Za-z_][A-Za-z0-9_]*)?\$")


@dataclass(frozen=True)
class Relation:
    """The FROM item of every read, its name in messages and checkpoints, and its physical identity."""

    sql: str
    name: str
    oid: int | None = None
    filenode: str | None = None  # the partitions' file nodes for a partitioned table
    kind: str | None = None

    def column(self, name: str) -> str:
        """A qualified reference to a column (an ORDER BY item that no output column name can capture)."""
        return f"{'_q' if self.oid is None else self.sql}.{quote_ident(name)}"

    def identity(self) -> dict[str, Any]:
        return {"name": self.name, "oid": self.oid, "filenode": self.filenode}


def _skip_quoted(text: str, i: int) -> int:
    """The index after the string, identifier, dollar-quoted body or comment starting at `i` (or `i` itself)."""
    c, n = text[i], len(text)
    if c in "'\"":
        escapes = (
            c == "'" and i > 0 and text[i - 1] in "eE" and (i < 2 or not (text[i - 2].isalnum() or text[i - 2] == "_"))
        )
        j = i + 1
        while j < n:
            if escapes and text[j] == "\\":
                j += 2
                continue
            if text[j] == c:
                if j + 1 < n and text[j + 1] == c:
                    j += 2
                    continue
                return j + 1
            j += 1
        return n
    if text.startswith("--", i):
        end = text.find("\n", i)
        return n if end < 0 else end + 1
    if text.startswith("/*", i):
        depth, j = 1, i + 2
        while j < n and depth:
            if text.startswith("/*", j):
                depth, j = depth + 1, j + 2
            elif text.startswith("*/", j):
                depth, j = depth - 1, j + 2
            else:
                j += 1
        return j
    if c == "$" and (i == 0 or not (text[i - 1].isalnum() or text[i - 1] == "_")):
        m = _TAG.match(text, i)
        if m:
            end = text.find(m.group(0), m.end())
            return n if end < 0 else end + len(m.group(0))
    return i


def clean_query(query: str, *, where: str = "query") -> str:
    """`query` without trailing semicolons and comments; a second statement after a `;` is refused."""
    end, i, n = 0, 0, len(query)
    after_semicolon = False
    while i < n:
        j = _skip_quoted(query, i)
        if j == i:
            j = i + 1
            code = not query[i].isspace() and query[i] != ";"
            after_semicolon = after_semicolon or query[i] == ";"
        else:
            code = not query.startswith(("--", "/*"), i)  # a string or a quoted name is code, a comment is not
        if code:
            if after_semicolon:
                raise ConfigError(
                    f"postgres source {where}: the query holds more than one statement; give one SELECT "
                    "(a trailing ';' is fine)"
                )
            end = j
        i = j
    cleaned = query[:end].strip()
    if not cleaned:
        raise ConfigError(f"postgres source {where}: the query is empty; write one SELECT")
    return cleaned


def for_query(query: str) -> Relation:
    cleaned = clean_query(query)
    digest = hashlib.sha256(cleaned.encode()).hexdigest()[:12]
    return Relation(sql=f"(\n{cleaned}\n) AS _q", name=f"query:{digest}")


_LOOKUP = """
SELECT c.oid::int8, format('%%I.%%I', n.nspname, c.relname), c.relkind::text, c.relfilenode::int8
FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
WHERE c.oid = pg_catalog.to_regclass(%s)
"""
_PARTITIONS = """
SELECT string_agg(c.relfilenode::text, ',' ORDER BY c.oid)
FROM pg_catalog.pg_partition_tree(%s::oid) p JOIN pg_catalog.pg_class c ON c.oid = p.relid WHERE p.isleaf
"""
_SIMILAR = """
SELECT format('%%I.%%I', n.nspname, c.relname)
FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
WHERE lower(c.relname) = lower(%s) AND c.relkind IN ('r', 'p', 'v', 'm', 'f') ORDER BY 1 LIMIT 3
"""


def resolve_table(con: Any, table: str) -> Relation:
    """The table `table` names, as Postgres resolves it; a one-line error naming it when there is none."""
    import psycopg

    try:
        con.execute("SELECT pg_catalog.parse_ident(%s)", (table,))  # to_regclass says NULL to a bad name
        row = con.execute(_LOOKUP, (table,)).fetchone()
    except psycopg.Error as exc:  # invalid name syntax, cross-database reference
        cause = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise ConfigError(
            f"postgres source: table {table!r} is not a valid name ({cause}); write schema.table, and quote a name "
            'with capitals or dots: \'"Sales"."Q1.2024"\''
        ) from None
    if row is None:
        last = table.rsplit(".", 1)[-1].strip('"')
        similar = [str(r[0]) for r in con.execute(_SIMILAR, (last,)).fetchall()]
        hint = (
            f"did you mean {' or '.join(similar)}? unquoted names fold to lower case, as in psql: quote the name"
            if similar
            else "check the name, the schema (an unqualified name follows the search_path) and the user's rights"
        )
        raise ConfigError(f"postgres source: table {table} does not exist in this database; {hint}")
    oid, name, kind, filenode = int(row[0]), str(row[1]), str(row[2]), str(row[3])
    if kind == "p":  # a partitioned table has no storage of its own: its partitions' storage identifies it
        filenode = str(con.execute(_PARTITIONS, (oid,)).fetchone()[0] or "")
    return Relation(sql=name, name=name, oid=oid, filenode=filenode, kind=kind)
