"""SQL over the lakehouse: DuckDB over Arrow datasets of the Delta tables, with projection and filter pushdown.

Table names are written as on Databricks (`catalog.schema.table`, two-level names against the current
catalog, backticks for names such as `01_bronze`); each one that names a table is swapped for a DuckDB view
over that table's Arrow dataset, so DuckDB pushes projections and filters into the Parquet scan.

User SQL runs in a guarded session (see `guard.py`): queries only, and no file outside the volumes.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Literal

import pyarrow as pa

from lakeloader.errors import ConfigError, LakeloaderError, NotFoundError, TerminalError
from lakeloader.lakehouse import delta, names
from lakeloader.lakehouse.root import Lakehouse

_TOKEN = re.compile(
    r"""(?P<string>'(?:[^']|'')*')
      | (?P<comment>--[^\n]*|/\*.*?\*/)
      | (?P<ident>`(?:[^`]|``)+`|"(?:[^"]|"")+"|[A-Za-z_0-9][A-Za-z_0-9\-]*)
      | (?P<dot>\.)
      | (?P<other>\s+|.)""",
    re.VERBOSE | re.DOTALL,
)
_FROM_WORDS = {"from", "join"}


@dataclass(frozen=True)
class _Chain:
    start: int
    end: int
    parts: list[str]
    after_from: bool


def _unquote(token: str) -> str:
    if token[0] == "`":
        return token[1:-1].replace("``", "`")
    if token[0] == '"':
        return token[1:-1].replace('""', '"')
    return token


def _chains(sql: str) -> list[_Chain]:
    """Dotted identifier chains in `sql`, outside string literals and comments; `after_from` where the chain is
    a table read: after FROM or JOIN at a parenthesis level where a SELECT began (the FROM inside
    `extract(year FROM d)`, `trim(BOTH 'x' FROM s)` or `substring(s FROM 2)` reads no table), not after
    `IS [NOT] DISTINCT`."""
    tokens = [(m.lastgroup, m.group(), m.start(), m.end()) for m in _TOKEN.finditer(sql)]
    chains: list[_Chain] = []
    words = ["", ""]  # the last two words, the last one first ("" after punctuation)
    selects = [True]  # per open parenthesis: has a SELECT begun at this level (the statement's own: yes)
    i = 0
    while i < len(tokens):
        kind, text, start, end = tokens[i]
        if kind != "ident":
            if text == "(":
                selects.append(False)
            elif text == ")" and len(selects) > 1:
                selects.pop()
            if kind not in ("other", "comment") or text.strip():
                words = [text.lower() if kind == "ident" else "", words[0]]
            i += 1
            continue
        if text.lower() in ("select", "with", "values", "table"):
            selects[-1] = True
        parts, j = [_unquote(text)], i + 1
        while j + 1 < len(tokens) and tokens[j][0] == "dot" and tokens[j + 1][0] == "ident":
            parts.append(_unquote(tokens[j + 1][1]))
            end = tokens[j + 1][3]
            j += 2
        reads = words[0] in _FROM_WORDS and selects[-1] and words[1] != "distinct"
        chains.append(_Chain(start, end, parts, reads))
        words = [text.lower() if len(parts) == 1 else "", words[0]]
        i = j
    return chains


def _resolve(lh: Lakehouse, parts: list[str]) -> names.FullName | None:
    try:
        full = names.parse_object_name(
            ".".join(names.quote(p.lower()) for p in parts), current_catalog=lh.current_catalog
        )
    except LakeloaderError:
        return None
    info = lh.metastore.get(str(full))
    return full if info is not None and info.kind == "table" else None


Rewrite = Callable[[Any, str], str]
Dialect = Literal["databricks", "duckdb"]


def query(
    lh: Lakehouse,
    sql: str,
    *,
    unsafe: bool = False,
    rewrite: Rewrite | None = None,
    dialect: Dialect = "databricks",
    conf: Mapping[str, object] | None = None,
) -> pa.Table:
    """Run the query `sql` and return the result as an Arrow table.

    `dialect` "databricks" (the default) runs Databricks SQL with Spark's answers through the one translator
    (`lakeloader.sql`), under the session settings of `conf` and of `SET key = value` statements before the
    query; "duckdb" runs DuckDB's own dialect as it is. Guarded unless `unsafe`: only SELECT-like statements; no
    files but the volumes' (`/Volumes/...` paths in strings are resolved inside their volume), no extensions, no
    settings, no ATTACH or COPY. `rewrite(con, sql)`, when given, runs first on the DuckDB connection and returns
    the SQL to go on with, in the same dialect (the CLI passes federation's, which registers foreign tables as
    views); the guard checks what it returns.
    """
    import duckdb

    from lakeloader.lakehouse import functions, guard
    from lakeloader.sql import runtime

    if not sql.strip().strip(";").strip():
        raise ConfigError("sql: the statement is empty; write a query such as 'SELECT 1'")
    con = duckdb.connect() if unsafe else _guarded_cursor(lh)
    try:
        local = _with_local_paths(lh, sql)
        if dialect == "databricks":
            from lakeloader.sql import Settings
            from lakeloader.sql.settings import split_settings

            settings, local = split_settings(local, Settings.from_conf(conf))
            if functions.is_statement(local):  # CREATE / DROP FUNCTION: the catalog's, not a query
                return pa.table({"status": [functions.run_statement(lh, local)]})
            local = functions.inlined(lh, local)
        if rewrite is not None:
            local = rewrite(con, local)
        final = _with_views(lh, con, local, quote="`" if dialect == "databricks" else '"')
        if dialect == "databricks":
            final = _translated(con, final, settings)
        runtime.ready(con, final)  # the translation's macros, made in the database the first time one is called
        if not unsafe:
            guard.check_statements(con, final)  # on the SQL DuckDB will run: names swapped for views
        result = con.sql(final)
        if result is None:
            raise TerminalError("sql: the statement returned no result; write a query (SELECT ...)")
        return result.to_arrow_table()
    except duckdb.CatalogException as exc:
        raise _unknown(lh, exc) from None
    except duckdb.PermissionException as exc:
        raise guard.refused(exc) from None
    except duckdb.Error as exc:
        from lakeloader.sql.errors import spark_message

        raise TerminalError(f"query failed: {spark_message(str(exc))}; fix the SQL or the data it reads") from None
    finally:
        con.close()


def _translated(con: Any, sql: str, settings: Any) -> str:
    """Databricks SQL (tables already swapped for views) as DuckDB SQL with Spark's answers."""
    from sqlglot import exp

    from lakeloader.sql import parse, to_duckdb
    from lakeloader.sql import types as spark_types

    tree = parse(sql)
    schema: dict[str, Any] = {}
    for name in {t.name for t in tree.find_all(exp.Table) if not t.args.get("db")}:
        try:
            arrow = con.sql(f'SELECT * FROM "{name}" LIMIT 0').arrow().schema
        except Exception:  # a CTE, a table function, or a name DuckDB will report itself
            continue
        schema[name] = {field.name: spark_types.from_arrow(field.type) for field in arrow}
    return to_duckdb(tree, settings=settings, schema=schema)


def _guarded_cursor(lh: Lakehouse) -> Any:
    """A session on the process's DuckDB database locked down to the volumes' folders."""
    from lakeloader.lakehouse import guard

    return guard.shared_cursor(guard.lakehouse_folders(lh))


def _with_local_paths(lh: Lakehouse, sql: str) -> str:
    """`sql` with every `/Volumes/...` string swapped for the real path(s) inside its volume."""
    from lakeloader.lakehouse import guard

    pieces: list[str] = []
    cursor = 0
    for start, end, text in guard.volume_literals(sql):
        pieces += [sql[cursor:start], guard.local_literal(lh, text)]
        cursor = end
    return "".join([*pieces, sql[cursor:]])


def _with_views(lh: Lakehouse, con: Any, sql: str, *, quote: str = '"') -> str:
    """`sql` with every name of a lakehouse table swapped for a DuckDB view over that table's Arrow dataset
    (named in `quote`s: DuckDB's double quotes, or Databricks' backticks)."""
    pieces: list[str] = []
    cursor = 0
    registered: dict[str, str] = {}
    for chain in _chains(sql):
        full = _resolve(lh, chain.parts) if (len(chain.parts) > 1 or chain.after_from) else None
        if full is None:
            if chain.after_from and len(chain.parts) >= 2:
                _raise_unknown(lh, ".".join(chain.parts))
            continue
        view = registered.get(str(full))
        if view is None:
            view = f"__lakeloader_{len(registered)}"
            _register(con, view, lh.table(str(full)))
            registered[str(full)] = view
        pieces += [sql[cursor : chain.start], f"{quote}{view}{quote}"]
        cursor = chain.end
    return "".join([*pieces, sql[cursor:]])


def _register(con: Any, view: str, table: Any) -> None:
    """A view over the table's current snapshot: DuckDB's own Parquet reader over its files when that is exact
    (2-5x faster than scanning an Arrow dataset), else delta-rs' files as an Arrow dataset."""
    from lakeloader.lakehouse.root import require_table_exists

    require_table_exists(table)
    dt = delta.open_table(table.location, table_name=str(table.name))
    files = delta.plain_files(dt)
    if not files:  # partition values, deletion vectors, column mapping, or no file yet
        con.register(view, delta.dataset(table.location, table_name=str(table.name)))
        return
    con.execute(f'CREATE TEMP VIEW "{view}" AS SELECT * FROM {delta.parquet_scan(files)}')


def _unknown(lh: Lakehouse, exc: Exception) -> LakeloaderError:
    """An unknown function or table, in one line with close matches."""
    first = str(exc).splitlines()[0]
    function = re.search(r'Function with name "?([^" ]+)"? does not exist', first)
    if function:
        hint = re.search(r'Did you mean "([^"]+)"', str(exc))
        also = f" (did you mean {hint.group(1)}?)" if hint else ""
        return NotFoundError(f"function {function.group(1)} does not exist{also}; fix the SQL")
    match = re.search(r'with name "?([^" ]+)"? does not exist', first)
    if match:
        try:
            _raise_unknown(lh, match.group(1))
        except NotFoundError as err:
            return err
    return TerminalError(f"query failed: {first}; fix the SQL")


def _raise_unknown(lh: Lakehouse, name: str) -> None:
    known = [t.info.full_name for t in lh.list_tables()]
    short = {k.split(".", 1)[1]: k for k in known if k.startswith(lh.current_catalog + ".")}
    candidates = difflib.get_close_matches(name.lower(), [*known, *short], n=6, cutoff=0.5)
    full = list(dict.fromkeys(short.get(c, c) for c in candidates))[:3]  # a table matches by both its names
    hint = f"did you mean {', '.join(full)}?" if candidates else ("list tables with 'lakeloader tables list'")
    raise NotFoundError(f"table {name} does not exist; {hint}")
