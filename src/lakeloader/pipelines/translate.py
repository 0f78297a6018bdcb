"""Databricks SQL queries of a pipeline → DuckDB SQL, with sqlglot: the names a query reads, and its translation.

`STREAM(t)` / `STREAM t` read a dataset incrementally, `read_files(...)` (optionally streamed) reads files, `LIVE.t`
is the older spelling of `t`; each is swapped for a view the executor registers. Databricks' `:` JSON paths give
strings, as there. The rest is `lakeloader.sql`'s: Spark's answers, or a one-line refusal naming the construct.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from lakeloader.pipelines.model import Location, Query
from lakeloader.sql import TranslateError  # one error for every query a pipeline cannot read or translate

if TYPE_CHECKING:
    from lakeloader.sql import Settings
    from lakeloader.sql.translate import Schema

Describe = Callable[[str], "Mapping[str, Any]"]  # a view's name -> its columns' Spark types
READ_FILES = "read_files"
__all__ = ["READ_FILES", "FilesRead", "TranslateError", "describe", "to_duckdb"]


@dataclass(frozen=True)
class FilesRead:
    """A `read_files(path, option => value, ...)` call: the path and its Auto Loader options."""

    path: str
    options: dict[str, Any]
    streaming: bool


Resolver = Callable[[str, bool], str]  # (name as written, streaming?) -> the SQL of the view to read
FilesResolver = Callable[[FilesRead], str]


def _parse(sql: str) -> Any:
    """The query's syntax tree (a copy: callers change it); parsed once per text in this process."""
    return _parsed(sql).copy()


@functools.lru_cache(maxsize=512)
def _parsed(sql: str) -> Any:
    import sqlglot
    from sqlglot.errors import ParseError

    from lakeloader.sql.dialect import SparkSql, unreadable

    try:
        expressions = sqlglot.parse(sql, read=SparkSql)
    except ParseError as exc:
        raise TranslateError(unreadable(sql, exc)) from None
    if len(expressions) != 1 or expressions[0] is None:
        raise TranslateError("expected one query")
    return expressions[0]


def _table_name(table: Any) -> str:
    parts = [table.args.get(k) for k in ("catalog", "db", "this")]
    names = [p.name for p in parts if p is not None]
    if len(names) >= 2 and names[-2].upper() == "LIVE" and len(names) == 2:
        names = names[-1:]  # LIVE.t: the older prefix for the pipeline's own datasets
    return ".".join(
        "`" + n.replace("`", "``") + "`" if not n.replace("_", "").isalnum() or n[0].isdigit() else n for n in names
    )


def _cte_names(tree: Any) -> set[str]:
    from sqlglot import exp

    return {cte.alias_or_name.lower() for cte in tree.find_all(exp.CTE)}


_FILE_FUNCTIONS = (READ_FILES, "cloud_files")  # cloud_files(path, format, map(...)): read_files' older name
_PATH_FORMATS = {"json", "csv", "parquet", "avro", "orc", "text", "binaryfile"}  # json.`/Volumes/...`


def _files_source(table: Any, streaming: bool) -> FilesRead | None:
    """What a table reference reads when it names files: read_files(...), cloud_files(...), json.`<path>`."""
    from sqlglot import exp

    if isinstance(table.this, exp.Anonymous) and table.this.name.lower() in _FILE_FUNCTIONS:
        cloud = table.this.name.lower() == "cloud_files"  # Auto Loader's own name: a stream with or without STREAM
        return _files_read(table.this, streaming or cloud)
    db = table.args.get("db")
    if isinstance(table.this, exp.Identifier) and db is not None and table.name.startswith("/"):
        fmt = db.name.lower()
        if fmt == "delta":
            raise TranslateError(f"delta.`{table.name}`: read a Delta table by its name (catalog.schema.table) here")
        if fmt in _PATH_FORMATS and not table.args.get("catalog"):
            return FilesRead(table.name, {"format": "binaryFile" if fmt == "binaryfile" else fmt}, streaming)
    return None


def _files_read(call: Any, streaming: bool) -> FilesRead:
    from sqlglot import exp

    args = list(call.expressions)
    if call.name.lower() == "cloud_files":
        return _cloud_files(args, streaming)
    if not args or not isinstance(args[0], exp.Literal) or not args[0].is_string:
        raise TranslateError("read_files needs a path string as its first argument")
    options: dict[str, Any] = {}
    for arg in args[1:]:
        if not isinstance(arg, exp.Kwarg):
            raise TranslateError("read_files takes options as name => value")
        value = arg.expression
        if isinstance(value, exp.Boolean):
            options[arg.this.name] = bool(value.this)
        elif isinstance(value, exp.Literal):
            options[arg.this.name] = value.this if value.is_string else value.to_py()
        else:
            raise TranslateError(f"read_files option {arg.this.name} must be a constant")
    return FilesRead(args[0].this, options, streaming)


def _cloud_files(args: list[Any], streaming: bool) -> FilesRead:
    """`cloud_files(path, format [, map('option', 'value', ...)])`, the older name of read_files."""
    from sqlglot import exp

    if len(args) < 2 or not all(isinstance(a, exp.Literal) and a.is_string for a in args[:2]):
        raise TranslateError("cloud_files needs a path and a format: cloud_files('/Volumes/...', 'json')")
    options: dict[str, Any] = {"format": args[1].this}
    if len(args) > 2:
        given = args[2]
        keys = given.args.get("keys") if isinstance(given, exp.VarMap) else None
        values = given.args.get("values") if isinstance(given, exp.VarMap) else None
        if keys is None or values is None:
            raise TranslateError("cloud_files takes its options as map('option', 'value', ...)")
        for key, value in zip(keys.expressions, values.expressions, strict=True):
            if not isinstance(key, exp.Literal) or not isinstance(value, exp.Literal):
                raise TranslateError("cloud_files options must be constants")
            options[key.this] = value.this
    return FilesRead(args[0].this, options, streaming)


def _sources(tree: Any) -> list[tuple[Any, str | FilesRead, bool]]:
    """(node to replace, dataset name or files read, streaming?) for every source of the query."""
    from sqlglot import exp

    ctes = _cte_names(tree)
    out: list[tuple[Any, str | FilesRead, bool]] = []
    streamed: set[int] = set()
    for stream in tree.find_all(exp.Stream):
        inner = stream.this.this if isinstance(stream.this, exp.Subquery) else stream.this
        files = _files_source(inner, True) if isinstance(inner, exp.Table) else None
        if files is not None:
            out.append((stream, files, True))
        elif isinstance(inner, exp.Table) and isinstance(inner.this, exp.Identifier):
            out.append((stream, _table_name(inner), True))
        else:
            raise TranslateError("STREAM(...) takes a dataset name or read_files(...)")
        streamed |= {id(n) for n in stream.walk()}
    for table in tree.find_all(exp.Table):
        if id(table) in streamed:
            continue
        files = _files_source(table, False)
        if files is not None:
            out.append((table, files, files.streaming))
            continue
        if isinstance(table.this, exp.Anonymous):
            continue  # another table function (range, unnest ...): DuckDB's business
        if not isinstance(table.this, exp.Identifier):
            continue
        name = _table_name(table)
        if name.lower() in ctes:
            continue
        out.append((table, name, False))
    return out


def describe(sql: str, *, where: Location) -> Query:
    """The query with the datasets and files it reads (a parse error is a TranslateError)."""
    from lakeloader.pipelines import watermarks
    from lakeloader.sql.translate import unsupported

    sql, marks = watermarks.read_out(sql)
    tree = _parse(sql)
    refused = unsupported(tree)
    if refused is not None:
        raise TranslateError(refused)
    query = Query(sql=sql, watermarks=marks)
    for _node, source, streaming in _sources(tree):
        if isinstance(source, FilesRead):
            query.reads_files = True
            query.streams_files = query.streams_files or streaming
            continue
        query.references.add(source)
        if streaming:
            query.streaming_references.add(source)
    return query


def files_reads(sql: str) -> list[FilesRead]:
    """The files a query reads (read_files, cloud_files, json.`path`), in its order; nothing is translated (a
    typed rule needs the files' columns, which are not known yet)."""
    return [source for _node, source, _streaming in _sources(_parsed(sql)) if isinstance(source, FilesRead)]


def to_duckdb(
    sql: str,
    *,
    resolve: Resolver,
    resolve_files: FilesResolver | None = None,
    describe: Describe | None = None,
    settings: Settings | None = None,
) -> str:
    """The query as DuckDB SQL with Spark's answers (`lakeloader.sql`), every source swapped for what `resolve`
    / `resolve_files` return; `describe` gives a view's columns, so typed rules pick Spark's behaviour.

    Every source is resolved, in the query's order, on every call (resolving registers the views the query
    reads); the rewrite itself is remembered for the same query, views, columns and settings (a continuous
    pipeline's updates, a streaming flow's batches).
    """
    from lakeloader.sql import Settings

    views = []
    for _node, source, streaming in _sources(_parsed(sql)):  # read-only: the cached tree, not a copy
        if isinstance(source, FilesRead):
            if resolve_files is None:
                raise TranslateError("read_files(...) is not available here")
            views.append(resolve_files(source))
        else:
            views.append(resolve(source, streaming))
    schema = tuple(
        (view.strip('"'), tuple((c, t.sql(dialect="spark")) for c, t in describe(view).items()))
        for view in dict.fromkeys(views)
        if describe is not None
    )
    return _rewritten(sql, tuple(views), schema, settings or Settings())


@functools.lru_cache(maxsize=512)
def _rewritten(sql: str, views: tuple[str, ...], columns: tuple[Any, ...], settings: Settings) -> str:
    from sqlglot import exp

    from lakeloader.sql import translate as spark_sql
    from lakeloader.sql import types

    schema: Schema = {view: {c: types.of(t) for c, t in cols} for view, cols in columns}
    tree = _parse(sql)
    sources = _sources(tree)
    plain = [_table_name(n).split(".")[-1].strip("`").lower() for n, s, _ in sources if isinstance(n, exp.Table)
             and not isinstance(s, FilesRead) and not n.args.get("alias")]  # fmt: skip
    for (node, _source, _streaming), view in zip(sources, views, strict=True):
        alias = node.args.get("alias") or (node.this.args.get("alias") if isinstance(node, exp.Stream) else None)
        if alias is None and isinstance(node, exp.Table) and isinstance(node.this, exp.Identifier):
            own = node.name  # `FROM s1 ... ON s1.k = c.id`: columns may name the table, as they do in Spark
            if plain.count(own.lower()) == 1 and view.strip('"') != own:
                node.set("alias", exp.TableAlias(this=exp.to_identifier(own, quoted=True)))
        replacement = exp.to_table(view, dialect="duckdb")
        if isinstance(node, exp.Table):  # keep what else the table carries: alias, TABLESAMPLE, hints, ...
            for key, value in node.args.items():
                if key not in ("this", "db", "catalog") and value is not None:
                    replacement.set(key, value)
        elif alias is not None:
            replacement.set("alias", alias)
        node.replace(replacement)
    return spark_sql.to_duckdb(tree, settings=settings, schema=schema)


ROWS = "__lakeloader_rows"


def condition_to_duckdb(condition: str, columns: Mapping[str, Any] | None = None) -> str:
    """An expectation's condition (Databricks SQL) as a DuckDB expression; `columns` (name -> Spark type) are
    the columns of the rows it checks, so typed rules (`to_date(ts)`, decimals) pick Spark's behaviour."""
    if columns is None:
        sql = to_duckdb(f"SELECT ({condition}) AS ok", resolve=lambda name, _s: name)
        return sql.removeprefix("SELECT ").removesuffix(" AS ok")
    known = dict(columns)
    sql = to_duckdb(
        f"SELECT ({condition}) AS ok FROM {ROWS}", resolve=lambda name, _s: name, describe=lambda _view: known
    )
    if not sql.startswith("SELECT ") or not sql.endswith(f" AS ok FROM {ROWS}"):
        raise TranslateError(f"the condition {condition!r} is not one expression")
    return sql.removeprefix("SELECT ").removesuffix(f" AS ok FROM {ROWS}")


def spark_columns(schema: Any) -> dict[str, Any]:
    """An Arrow schema's columns with their Spark types (for `condition_to_duckdb`)."""
    from lakeloader.sql import types

    return {field.name: types.from_arrow(field.type) for field in schema}


def aggregates_stream(sql: str) -> bool:
    """True when a SELECT that reads a STREAM(...) in its own FROM aggregates it (GROUP BY, DISTINCT, an aggregate
    or window function): without a watermark, Databricks computes such a query over all its input at each
    update, never per batch (`(en, 1), (en, 1)` after two updates of one row each). A static subquery that
    aggregates beside the stream (a stream-static join) does not count."""
    from sqlglot import exp

    try:
        tree = _parse(sql)
    except TranslateError:
        return False
    for select in tree.find_all(exp.Select):
        sources = [select.args.get("from_") or select.args.get("from"), *(select.args.get("joins") or [])]
        if not any(s is not None and s.find(exp.Stream) is not None for s in sources):
            continue
        if any(select.args.get(k) for k in ("group", "distinct", "having")):
            return True
        if any(p.find(exp.AggFunc) is not None or p.find(exp.Window) is not None for p in select.expressions):
            return True
    return False


def joins_streams(sql: str) -> bool:
    """True when a SELECT inner-joins two or more STREAM(...)s of tables (no watermark): Spark's result is every
    matching pair once, so all of the join over all the input, which an update computes whole. Outer joins of
    streams need a watermark in Spark and stay refused."""
    from sqlglot import exp

    try:
        tree = _parse(sql)
    except TranslateError:
        return False
    for select in tree.find_all(exp.Select):
        joins = select.args.get("joins") or []
        first = select.args.get("from_") or select.args.get("from")
        streamed = [s for s in [first, *joins] if s is not None and s.find(exp.Stream) is not None]
        if len(streamed) < 2:
            continue
        return not any(j.side or j.kind.upper() in ("ANTI", "SEMI") for j in joins if j.find(exp.Stream) is not None)
    return False


def sorts_stream(sql: str) -> bool:
    """True when the query's outermost SELECT orders the rows of a stream it reads row by row (no aggregation,
    no join of two streams): what Spark refuses ("Sorting is not supported on streaming DataFrames/Datasets,
    unless it is on aggregated DataFrame/Dataset in Complete output mode")."""
    from sqlglot import exp

    try:
        tree = _parse(sql)
    except TranslateError:
        return False
    if not isinstance(tree, exp.Select) or not tree.args.get("order") or aggregates_stream(sql):
        return False
    sources = [tree.args.get("from_") or tree.args.get("from"), *(tree.args.get("joins") or [])]
    return any(s is not None and s.find(exp.Stream) is not None for s in sources) and not joins_streams(sql)


def keeps_stream_rows(sql: str) -> bool:
    """True when the query's outermost SELECT keeps every column of its one `STREAM(table)` as it is: `*` or
    `s.*` with no EXCEPT / REPLACE, and no GROUP BY, DISTINCT, HAVING, QUALIFY, aggregate or window.

    Its output rows then hold its input rows, so rows it produced can be fed through it again (the quarantine's
    replay): the columns of the stream pick them out, and the query computes the rest anew.
    """
    from sqlglot import exp

    try:
        tree = _parse(sql)
    except TranslateError:
        return False
    streams = list(tree.find_all(exp.Stream))
    if not isinstance(tree, exp.Select) or len(streams) != 1:
        return False
    if any(tree.args.get(k) for k in ("group", "distinct", "having", "qualify")):
        return False
    inner = streams[0].this
    alias = inner.alias if isinstance(inner, exp.Subquery) else ""
    table = inner.this if isinstance(inner, exp.Subquery) else inner
    if not isinstance(table, exp.Table) or not isinstance(table.this, exp.Identifier):
        return False  # STREAM read_files(...): its rows carry _metadata, which no `*` keeps
    names = {n.lower() for n in (alias, table.name) if n}
    kept = False
    for projection in tree.expressions:
        if projection.find(exp.AggFunc) or projection.find(exp.Window):
            return False
        star = projection if isinstance(projection, exp.Star) else None
        if isinstance(projection, exp.Column) and isinstance(projection.this, exp.Star):
            if projection.table.lower() not in names:
                continue
            star = projection.this
        if star is not None:
            if any(star.args.get(k) for k in ("except_", "except", "replace", "rename")):
                return False
            kept = True
    return kept


def is_plain_stream_copy(sql: str) -> bool:
    """True when the query is exactly `SELECT * FROM STREAM(table)` (an alias at most): its rows are the stream's
    new rows as they are, so they need no query engine."""
    from sqlglot import exp

    try:
        tree = _parse(sql)
    except TranslateError:
        return False
    if not isinstance(tree, exp.Select) or any(v for k, v in tree.args.items() if k not in ("expressions", "from_")):
        return False
    star = tree.expressions[0] if len(tree.expressions) == 1 else None
    if not isinstance(star, exp.Star) or any(star.args.values()):
        return False
    source = tree.args["from_"].this
    inner = source.this if isinstance(source, exp.Stream) else None
    table = inner.this if isinstance(inner, exp.Subquery) else inner
    return isinstance(table, exp.Table) and isinstance(table.this, exp.Identifier) and not table.args.get("joins")


def mentions_metadata(text: str) -> bool:
    """True when a query (SQL or Python source) refers to the files' `_metadata` column at all."""
    return "_metadata" in text


def names_metadata(text: str) -> bool:
    """True when a query selects the whole `_metadata` column by name (not only fields of it, `_metadata.x`)."""
    import re

    return re.search(r"\b_metadata\b(?!\s*[.\[])", text) is not None
