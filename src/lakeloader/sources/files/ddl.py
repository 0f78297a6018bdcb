"""Spark DDL ⇄ Arrow (`id BIGINT, tags ARRAY<STRING>`): for `--schema`, `schemaHints` and stored versions."""

from __future__ import annotations

import re

import pyarrow as pa

from lakeloader.errors import ConfigError

_SIMPLE: dict[str, pa.DataType] = {
    "tinyint": pa.int8(),
    "byte": pa.int8(),
    "smallint": pa.int16(),
    "short": pa.int16(),
    "int": pa.int32(),
    "integer": pa.int32(),
    "bigint": pa.int64(),
    "long": pa.int64(),
    "float": pa.float32(),
    "real": pa.float32(),
    "double": pa.float64(),
    "boolean": pa.bool_(),
    "bool": pa.bool_(),
    "string": pa.string(),
    "varchar": pa.string(),
    "char": pa.string(),
    "binary": pa.binary(),
    "date": pa.date32(),
    "timestamp": pa.timestamp("us", tz="UTC"),
    "timestamp_ntz": pa.timestamp("us"),
}
_TOKEN = re.compile(r"\s*(`(?:[^`]|``)*`|[A-Za-z_][A-Za-z0-9_$]*|\d+|[<>(),:]|\S)")


class _Parser:
    def __init__(self, text: str, what: str) -> None:
        self.text = text
        self.what = what
        self.tokens = [t for t in _TOKEN.findall(text) if t.strip()]
        self.i = 0

    def fail(self, expected: str) -> ConfigError:
        got = self.tokens[self.i] if self.i < len(self.tokens) else "end of text"
        return ConfigError(
            f"{self.what} {self.text!r}: expected {expected} but found {got!r}; write it like "
            "'id BIGINT, name STRING, tags ARRAY<STRING>'"
        )

    def peek(self) -> str | None:
        return self.tokens[self.i] if self.i < len(self.tokens) else None

    def take(self, expected: str | None = None) -> str:
        tok = self.peek()
        if tok is None or (expected is not None and tok.lower() != expected):
            raise self.fail(expected or "more")
        self.i += 1
        return tok

    def name(self) -> str:
        tok = self.take()
        if tok.startswith("`"):
            return tok[1:-1].replace("``", "`")
        if not re.match(r"[A-Za-z_]", tok):
            raise self.fail("a column name")
        return tok

    def type(self) -> pa.DataType:
        word = self.take().lower()
        if word in ("decimal", "dec", "numeric"):
            precision, scale = 10, 0
            if self.peek() == "(":
                self.take("(")
                precision = int(self.take())
                if self.peek() == ",":
                    self.take(",")
                    scale = int(self.take())
                self.take(")")
            return pa.decimal128(precision, scale)
        if word in ("varchar", "char") and self.peek() == "(":
            self.take("(")
            self.take()
            self.take(")")
            return pa.string()
        if word == "array":
            self.take("<")
            inner = self.type()
            self.take(">")
            return pa.list_(inner)
        if word == "map":
            self.take("<")
            key = self.type()
            self.take(",")
            value = self.type()
            self.take(">")
            return pa.map_(key, value)
        if word == "struct":
            self.take("<")
            fields = []
            while True:
                name = self.name()
                if self.peek() == ":":
                    self.take(":")
                fields.append(pa.field(name, self.type()))
                if self.peek() != ",":
                    break
                self.take(",")
            self.take(">")
            return pa.struct(fields)
        if word not in _SIMPLE:
            self.i -= 1
            raise self.fail("a type (bigint, string, decimal(p,s), array<...>, struct<...>, ...)")
        return _SIMPLE[word]

    def columns(self) -> list[pa.Field]:
        fields = []
        while self.peek() is not None:
            name = self.name()
            fields.append(pa.field(name, self.type()))
            if self.peek() and self.peek().lower() == "not":  # type: ignore[union-attr]
                self.take("not")
                self.take("null")
            if self.peek() is None:
                break
            self.take(",")
        return fields


def parse_ddl(text: str, *, what: str = "schema") -> pa.Schema:
    """'a INT, b STRUCT<x: STRING>' → Arrow schema."""
    fields = _Parser(text, what).columns()
    if not fields:
        raise ConfigError(f"{what} is empty; write it like 'id BIGINT, name STRING'")
    return pa.schema(fields)


def parse_type(text: str, *, what: str = "type") -> pa.DataType:
    parser = _Parser(text, what)
    t = parser.type()
    if parser.peek() is not None:
        raise parser.fail("end of type")
    return t


def to_ddl(schema: pa.Schema) -> str:
    from lakeloader.lakehouse.types import sql_type

    return ", ".join(f"{_quote(f.name)} {_quoted_type(sql_type(f.type))}" for f in schema)


def _quote(name: str) -> str:
    return name if re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", name) else "`" + name.replace("`", "``") + "`"


def _quoted_type(text: str) -> str:
    # sql_type writes struct field names bare; quote the ones that would not parse back
    return re.sub(r"([<,])([^<>,:]+):", lambda m: f"{m.group(1)}{_quote(m.group(2))}:", text)
