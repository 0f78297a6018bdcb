"""The pipeline DDL of Databricks (Lakeflow) SQL files, read into definitions: a small parser over sqlglot's tokens,
because sqlglot does not parse `CONSTRAINT ... EXPECT ... ON VIOLATION`, `CREATE FLOW` or `AUTO CDC`.

Forms: `CREATE OR REFRESH [TEMPORARY|PRIVATE] STREAMING TABLE`, `... MATERIALIZED VIEW`, `CREATE TEMPORARY VIEW`,
the older `LIVE` forms, `CREATE FLOW f AS INSERT INTO [ONCE] t BY NAME <query>`, `CREATE FLOW f AS AUTO CDC INTO ...`,
`APPLY CHANGES INTO ...` and `SET key = value`. The queries themselves stay Databricks SQL text (see translate.py).
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from lakeloader.pipelines import translate
from lakeloader.pipelines.model import AutoCdc, Dataset, Definitions, Expectation, Flow, Location, OnViolation, Query
from lakeloader.sql import split as sqlsplit
from lakeloader.sql.split import Statement

_CDC_CLAUSES = {"KEYS", "IGNORE", "APPLY", "SEQUENCE", "COLUMNS", "STORED", "TRACK"}
_COLUMN_STOP = {"NOT", "COMMENT", "GENERATED", "MASK", "DEFAULT", "PRIMARY", "CONSTRAINT"}


class ParseProblem(Exception):
    """A statement that is not pipeline DDL we read: the message names the construct."""

    def __init__(self, message: str, token: Any | None = None) -> None:
        super().__init__(message)
        self.token = token


class _Cursor:
    """Walks the tokens of one statement."""

    def __init__(self, statement: Statement) -> None:
        self.s = statement
        self.tokens = statement.tokens
        self.i = 0

    def peek(self, ahead: int = 0) -> Any | None:
        j = self.i + ahead
        return self.tokens[j] if j < len(self.tokens) else None

    def word(self, ahead: int = 0) -> str:
        token = self.peek(ahead)
        return "" if token is None else " ".join(str(token.text).upper().split())

    def accept(self, *words: str) -> bool:
        """Take `words` if they come next; sqlglot makes one token of some pairs ("CLUSTER BY", "GROUP BY")."""
        k = w = 0
        while w < len(words):
            text = self.word(k)
            if not text:
                return False
            parts = text.split(" ")
            if [x for x in words[w : w + len(parts)]] != parts:
                return False
            w += len(parts)
            k += 1
        self.i += k
        return True

    def expect(self, *words: str) -> None:
        if not self.accept(*words):
            found = self.peek()
            raise ParseProblem(f"expected {' '.join(words)} but found '{found.text if found else 'the end'}'", found)

    def done(self) -> bool:
        return self.i >= len(self.tokens)

    def name(self, what: str) -> str:
        """A dotted name, each part quoted with backticks where needed (`01_bronze`.t)."""
        from sqlglot.tokenizer_core import TokenType

        parts: list[str] = []
        while True:
            token = self.peek()
            if token is None or token.token_type in (TokenType.L_PAREN, TokenType.COMMA, TokenType.R_PAREN):
                raise ParseProblem(f"expected the name of the {what}", token)
            text = str(token.text)
            quoted = token.token_type == TokenType.IDENTIFIER
            parts.append("`" + text.replace("`", "``") + "`" if quoted or not text.replace("_", "").isalnum() else text)
            self.i += 1
            if self.word() != ".":
                return ".".join(parts)
            self.i += 1

    def group(self) -> tuple[list[Any], str]:
        """The tokens and text inside the parentheses at the cursor (which must open one)."""
        from sqlglot.tokenizer_core import TokenType

        start = self.peek()
        if start is None or start.token_type != TokenType.L_PAREN:
            raise ParseProblem(f"expected '(' but found '{start.text if start else 'the end'}'", start)
        depth, j = 0, self.i
        while j < len(self.tokens):
            kind = self.tokens[j].token_type
            depth += 1 if kind == TokenType.L_PAREN else -1 if kind == TokenType.R_PAREN else 0
            if depth == 0:
                inner = self.tokens[self.i + 1 : j]
                self.i = j + 1
                return inner, self.text_of(inner)
            j += 1
        raise ParseProblem("a '(' is never closed", start)

    def text_of(self, tokens: list[Any]) -> str:
        if not tokens:
            return ""
        return self.s.text[tokens[0].start - self.s.offset : tokens[-1].end + 1 - self.s.offset]

    def rest(self) -> str:
        """The text from the cursor to the end of the statement."""
        return self.text_of(self.tokens[self.i :]).strip()

    def string(self, what: str) -> str:
        from sqlglot.tokenizer_core import TokenType

        token = self.peek()
        if token is None or token.token_type != TokenType.STRING:
            raise ParseProblem(f"expected a string for {what}", token)
        self.i += 1
        return str(token.text)

    def until(self, stops: set[str]) -> str:
        """The text up to the next top-level clause keyword in `stops` (or the end)."""
        from sqlglot.tokenizer_core import TokenType

        start, depth = self.i, 0
        while not self.done():
            kind = self.tokens[self.i].token_type
            if depth == 0 and self.word() in stops:
                break
            depth += 1 if kind == TokenType.L_PAREN else -1 if kind == TokenType.R_PAREN else 0
            self.i += 1
        return self.text_of(self.tokens[start : self.i]).strip()


def _split_commas(tokens: list[Any]) -> list[list[Any]]:
    """Top-level comma-separated items: commas inside (...) and, outside parentheses, inside <...> types stay."""
    from sqlglot.tokenizer_core import TokenType

    items: list[list[Any]] = [[]]
    parens = angles = 0
    for token in tokens:
        kind = token.token_type
        if kind == TokenType.L_PAREN:
            parens += 1
        elif kind == TokenType.R_PAREN:
            parens -= 1
        elif parens == 0 and kind == TokenType.LT:
            angles += 1
        elif parens == 0 and kind == TokenType.GT:
            angles -= 1
        if kind == TokenType.COMMA and parens == 0 and angles <= 0:
            items.append([])
        else:
            items[-1].append(token)
    return [i for i in items if i]


def parse_file(path: Path, text: str, configuration: Mapping[str, str], *, label: str) -> Definitions:
    """The definitions of one SQL file; problems are collected, one line each, never raised."""
    out = Definitions()
    values = dict(configuration)
    cleaned = sqlsplit.clean_notebook(text)
    cleaned, problems = sqlsplit.substitute(cleaned, values, file=label, sets=sqlsplit.set_values(cleaned))
    out.problems += problems
    try:
        statements = sqlsplit.split(cleaned, file=label)
    except ValueError as exc:
        out.problems.append(f"{label}: cannot read the SQL ({exc}); fix the file")
        return out
    for statement in statements:
        try:
            _statement(statement, out)
        except ParseProblem as exc:
            line = exc.token.line if exc.token is not None else statement.line
            first = " ".join(statement.text.split()[:4])
            out.problems.append(f"{label}:{line}: {exc} (in '{first} ...'); fix the statement")
    return out


def _without_live(name: str) -> str:
    """`LIVE.t` is the pipeline's own `t` (the older DLT spelling)."""
    return name[5:] if name[:5].upper() == "LIVE." and len(name) > 5 else name


def _statement(statement: Statement, out: Definitions) -> None:
    c = _Cursor(statement)
    where = Location(statement.file, statement.line)
    if c.accept("SET"):
        text = c.rest()
        key, eq, value = text.partition("=")
        if not eq and key.strip() and " " not in key.strip():  # `SET key;` shows a value in a notebook: nothing to do
            return
        if not eq or not key.strip():
            raise ParseProblem("SET needs 'key = value'")
        out.settings[key.strip()] = value.strip().strip("'\"")
        out.set_statements.append((where, key.strip(), value.strip().strip("'\"")))
        return
    if c.accept("APPLY", "CHANGES", "INTO"):
        target = _without_live(c.name("target table"))
        out.flows.append(_auto_cdc(c, target, name=None, where=where))
        return
    if c.word() != "CREATE":
        raise ParseProblem(
            f"'{' '.join(statement.text.split()[:3])}' is not a pipeline statement: a query belongs in "
            "CREATE OR REFRESH STREAMING TABLE / MATERIALIZED VIEW ... AS <query>",
            c.peek(),
        )
    c.expect("CREATE")
    c.accept("OR", "REFRESH") or c.accept("OR", "REPLACE")
    if c.accept("FUNCTION") or c.accept("TEMPORARY", "FUNCTION") or c.accept("TEMP", "FUNCTION"):
        from lakeloader.sql import udfs

        try:
            function = udfs.parse(statement.text, where)
        except ValueError as exc:
            raise ParseProblem(str(exc), c.peek()) from None
        out.functions[function.name] = function
        return
    if c.accept("FLOW"):
        out.flows.append(_flow(c, where))
        return
    temporary = c.accept("TEMPORARY") or c.accept("TEMP")
    c.accept("PRIVATE")
    kind: Any
    if c.accept("MATERIALIZED", "VIEW"):
        kind = "materialized_view"
    elif (
        c.accept("STREAMING", "LIVE", "TABLE")
        or c.accept("STREAMING", "TABLE")
        or c.accept("INCREMENTAL", "LIVE", "TABLE")
    ):
        kind = "streaming_table"
    elif c.accept("LIVE", "TABLE"):
        kind = "materialized_view"  # the older name of a materialized view
    elif c.accept("LIVE", "VIEW") or c.accept("VIEW"):
        kind = "temporary_view"
    else:
        found = c.peek()
        raise ParseProblem(
            f"'{' '.join(statement.text.split()[: c.i + 2])}' is not a pipeline statement; write CREATE OR REFRESH "
            "STREAMING TABLE, MATERIALIZED VIEW, CREATE TEMPORARY VIEW or CREATE FLOW",
            found,
        )
    name = c.name("dataset")
    dataset = Dataset(name=name, kind=kind, location=where, temporary=temporary and kind == "streaming_table")
    query = _dataset_clauses(c, dataset)
    out.datasets.append(dataset)
    if query is None:
        if kind != "streaming_table":
            raise ParseProblem(f"{kind.replace('_', ' ')} {name} has no AS <query>; add one")
        return  # a streaming table that flows target
    out.flows.append(
        Flow(
            name=name.replace("`", ""),  # the default flow, named as its dataset (`02_silver`.t: 02_silver.t)
            target=name,
            kind="append" if kind == "streaming_table" else "complete",
            query=query,
            location=where,
        )
    )


def _dataset_clauses(c: _Cursor, dataset: Dataset) -> Query | None:
    from sqlglot.tokenizer_core import TokenType

    columns: list[str] = []
    token = c.peek()
    if token is not None and token.token_type == TokenType.L_PAREN:
        inner, _ = c.group()
        for item in _split_commas(inner):
            _table_element(c, item, dataset, columns)
    if columns:
        dataset.schema = ", ".join(columns)
    while not c.done():
        if c.accept("AS") or c.accept("ALIAS"):
            return _query(c, dataset.location)
        if c.accept("COMMENT"):
            dataset.comment = c.string("COMMENT")
        elif c.accept("TBLPROPERTIES"):
            inner, _ = c.group()
            for item in _split_commas(inner):
                key, _eq, value = c.text_of(item).partition("=")
                dataset.properties[key.strip().strip("'\"`")] = value.strip().strip("'\"")
        elif c.accept("PARTITIONED", "BY"):
            inner, _ = c.group()
            dataset.partition_by = [c.text_of(i).strip("` ") for i in _split_commas(inner)]
        elif c.accept("CLUSTER", "BY"):
            if c.accept("AUTO") or c.accept("NONE"):
                continue
            inner, _ = c.group()
            dataset.cluster_by = [c.text_of(i).strip("` ") for i in _split_commas(inner)]
        elif c.accept("USING"):
            fmt = c.word()
            c.i += 1
            if fmt != "DELTA":
                raise ParseProblem(f"USING {fmt}: pipeline tables are Delta tables; remove the clause", c.peek(-1))
        else:
            found = c.peek()
            raise ParseProblem(
                f"'{found.text if found else ''}' is not supported here (LOCATION, SCHEDULE, ROW FILTER, "
                "WITH ... are not); remove it",
                found,
            )
    return None


def _table_element(c: _Cursor, item: list[Any], dataset: Dataset, columns: list[str]) -> None:
    first = str(item[0].text).upper()
    if first == "CONSTRAINT":
        name = str(item[1].text) if len(item) > 1 else ""
        rest = " ".join(str(t.text).upper() for t in item[2:]).split()  # "PRIMARY KEY" may be one token
        if rest[:1] == ["EXPECT"] and len(item) > 3:
            sub = _Cursor(Statement(item, c.s.text, c.s.file, item[0].line, c.s.offset))
            sub.i = 3
            _, condition = sub.group()
            action: OnViolation = "warn"
            if sub.accept("ON", "VIOLATION"):
                if sub.accept("DROP", "ROW"):
                    action = "drop"
                elif sub.accept("FAIL", "UPDATE"):
                    action = "fail"
                else:
                    raise ParseProblem("ON VIOLATION takes DROP ROW or FAIL UPDATE", sub.peek())
            extra = sub.peek()
            if extra is not None:
                raise ParseProblem(f"unexpected '{extra.text}' after the expectation {name}", extra)
            dataset.expectations.append(Expectation(name, condition.strip(), action))
            return
        if rest[:2] in (["PRIMARY", "KEY"], ["FOREIGN", "KEY"]):  # informational in Databricks: kept, not enforced
            dataset.properties[f"constraint.{name.strip('`')}"] = " ".join(c.text_of(item[2:]).split())
            return
        raise ParseProblem(f"constraint {name}: only EXPECT, PRIMARY KEY and FOREIGN KEY constraints exist", item[0])
    words = [str(t.text).upper() for t in item]
    if "GENERATED" in words or "MASK" in words:
        raise ParseProblem(f"column {item[0].text}: generated columns and column masks are not supported", item[0])
    end = next((k for k, w in enumerate(words) if k > 1 and w in _COLUMN_STOP), len(item))
    if end < 2:
        raise ParseProblem(f"column {item[0].text} has no type; write it like 'id BIGINT'", item[0])
    columns.append(c.text_of(item[:end]))
    name = str(item[0].text).strip("`")
    if any(words[k : k + 2] == ["NOT", "NULL"] for k in range(end, len(words))):
        dataset.not_null.append(name)
    if "PRIMARY" in words[end:]:  # `id BIGINT PRIMARY KEY`: informational, kept
        dataset.properties[f"constraint.{name}_pk"] = f"PRIMARY KEY ({name})"


def _query(c: _Cursor, where: Location) -> Query:
    sql = c.rest()
    if not sql:
        raise ParseProblem("AS is not followed by a query", c.peek(-1))
    try:
        return translate.describe(sql, where=where)
    except translate.TranslateError as exc:
        if "[UNRESOLVED_ROUTINE]" in str(exc):  # maybe a function the pipeline defines (in any of its files)
            return Query(sql=sql, unresolved=str(exc))
        raise ParseProblem(str(exc), c.peek()) from None


def _flow(c: _Cursor, where: Location) -> Flow:
    name = c.name("flow")
    if c.accept("COMMENT"):
        c.string("COMMENT")
    if not (c.accept("AS") or c.accept("ALIAS")):
        raise ParseProblem(f"flow {name}: expected AS INSERT INTO ... or AS AUTO CDC INTO ...", c.peek())
    if c.accept("AUTO", "CDC", "INTO") or c.accept("APPLY", "CHANGES", "INTO"):
        target = _without_live(c.name("target table"))
        return _auto_cdc(c, target, name=name, where=where)
    c.expect("INSERT", "INTO")
    once = c.accept("ONCE")
    target = _without_live(c.name("target table"))
    if not c.accept("BY", "NAME"):
        raise ParseProblem(f"flow {name}: write INSERT INTO {target} BY NAME <query> (columns match by name)", c.peek())
    return Flow(name=name, target=target, kind="append", query=_query(c, where), location=where, once=once)


def _columns(c: _Cursor) -> tuple[list[str] | None, list[str] | None]:
    """`* EXCEPT (a, b)` or `(a, b)` or `a, b`: (column list, except list)."""
    if c.accept("*"):
        c.expect("EXCEPT")
        inner, _ = c.group()
        return None, [c.text_of(i).strip("` ") for i in _split_commas(inner)]
    text = c.until(_CDC_CLAUSES)
    return [p.strip().strip("`") for p in text.strip("()").split(",") if p.strip()], None


def _auto_cdc(c: _Cursor, target: str, *, name: str | None, where: Location) -> Flow:
    c.expect("FROM")
    if c.accept("SNAPSHOT"):
        snapshot = True
        source = c.name("source")
    else:
        snapshot = False
        streamed = c.accept("STREAM")
        if streamed and c.word() == "(":
            inner, _ = c.group()
            source = c.text_of(inner).strip()
        else:
            source = c.name("source")
    source = _without_live(source)
    spec: dict[str, Any] = {"from_snapshot": snapshot}
    while not c.done():
        if c.accept("KEYS"):
            inner, _ = c.group()
            spec["keys"] = [c.text_of(i).strip("` ") for i in _split_commas(inner)]
        elif c.accept("IGNORE", "NULL", "UPDATES"):
            spec["ignore_null_updates"] = True
        elif c.accept("APPLY", "AS", "DELETE", "WHEN"):
            spec["apply_as_deletes"] = c.until(_CDC_CLAUSES)
        elif c.accept("APPLY", "AS", "TRUNCATE", "WHEN"):
            spec["apply_as_truncates"] = c.until(_CDC_CLAUSES)
        elif c.accept("SEQUENCE", "BY"):
            spec["sequence_by"] = c.until(_CDC_CLAUSES).strip("` ")
        elif c.accept("COLUMNS"):
            spec["column_list"], spec["except_column_list"] = _columns(c)
        elif c.accept("STORED", "AS", "SCD", "TYPE"):
            level = c.word()
            c.i += 1
            if level not in ("1", "2"):
                raise ParseProblem(f"STORED AS SCD TYPE {level}: only types 1 and 2 exist", c.peek(-1))
            spec["stored_as_scd_type"] = int(level)
        elif c.accept("TRACK", "HISTORY", "ON"):
            spec["track_history_column_list"], spec["track_history_except_column_list"] = _columns(c)
        else:
            found = c.peek()
            raise ParseProblem(f"'{found.text if found else ''}' is not an AUTO CDC clause", found)
    if "keys" not in spec:
        raise ParseProblem(f"AUTO CDC into {target} has no KEYS (...); add the key columns")
    if "sequence_by" not in spec and not snapshot:
        raise ParseProblem(f"AUTO CDC into {target} has no SEQUENCE BY <column>; add the ordering column")
    spec.setdefault("sequence_by", "")
    cdc = AutoCdc(**spec)
    query = Query(
        sql=None if snapshot else f"SELECT * FROM STREAM({source})",
        references={source},
        streaming_references=set() if snapshot else {source},
    )
    kind: Any = "auto_cdc_snapshot" if snapshot else "auto_cdc"
    return Flow(
        name=name or f"{target}_auto_cdc",
        target=target,
        kind=kind,
        query=query,
        location=where,
        auto_cdc=cdc,
        source=source,
    )
