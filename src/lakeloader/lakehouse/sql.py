"""SQL over the lakehouse: DuckDB over Arrow datasets of the Delta tables, with projection and filter pushdown.

Table names are written as on Databricks (`catalog.schema.table`, two-level names against the current
catalog, backticks for names such as `01_bronze`); each one that names a table is swapped for a DuckDB view
over that table's Arrow dataset, so DuckDB pushes projections and filters into the Parquet scan.
"""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass

import pyarrow as pa

from lakeloader.errors import LakeloaderError, NotFoundError, TerminalError
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
    """Dotted identifier chains in `sql`, outside string literals and comments."""
    tokens = [(m.lastgroup, m.group(), m.start(), m.end()) for m in _TOKEN.finditer(sql)]
    chains: list[_Chain] = []
    previous_word = ""
    i = 0
    while i < len(tokens):
        kind, text, start, end = tokens[i]
        if kind != "ident":
            if kind not in ("other", "comment") or text.strip():
                previous_word = text.lower() if kind == "ident" else ""
            i += 1
            continue
        parts, j = [_unquote(text)], i + 1
        while j + 1 < len(tokens) and tokens[j][0] == "dot" and tokens[j + 1][0] == "ident":
            parts.append(_unquote(tokens[j + 1][1]))
            end = tokens[j + 1][3]
            j += 2
        chains.append(_Chain(start, end, parts, previous_word in _FROM_WORDS))
        previous_word = text.lower() if len(parts) == 1 else ""
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


def query(lh: Lakehouse, sql: str) -> pa.Table:
    """Run `sql` and return the result as an Arrow table."""
    import duckdb

    con = duckdb.connect()
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
            table = lh.table(str(full))
            dataset = delta.dataset(table.location, table_name=str(full))
            con.register(view, dataset)
            registered[str(full)] = view
        pieces.append(sql[cursor : chain.start])
        pieces.append(f'"{view}"')
        cursor = chain.end
    pieces.append(sql[cursor:])
    try:
        return con.sql("".join(pieces)).to_arrow_table()
    except duckdb.CatalogException as exc:
        match = re.search(r'with name "?([^" ]+)"? does not exist', str(exc))
        if match:
            _raise_unknown(lh, match.group(1))
        raise TerminalError(f"query failed: {str(exc).splitlines()[0]}") from exc
    except duckdb.Error as exc:
        raise TerminalError(f"query failed: {str(exc).splitlines()[0]}; fix the SQL") from exc
    finally:
        con.close()


def _raise_unknown(lh: Lakehouse, name: str) -> None:
    known = [t.info.full_name for t in lh.list_tables()]
    short = {k.split(".", 1)[1]: k for k in known if k.startswith(lh.current_catalog + ".")}
    candidates = difflib.get_close_matches(name.lower(), [*known, *short], n=3, cutoff=0.5)
    hint = (
        f"did you mean {', '.join(short.get(c, c) for c in candidates)}?"
        if candidates
        else ("list tables with 'lakeloader tables list'")
    )
    raise NotFoundError(f"table {name} does not exist; {hint}")
