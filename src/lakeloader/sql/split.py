"""A pipeline SQL file as statements: notebook exports read as they are, `${key}` substituted, split at `;`.

Databricks exports a SQL notebook as `-- Databricks notebook source`, cells separated by `-- COMMAND ----------`,
markdown cells as `-- MAGIC` lines: those lines are blanked, a cell separator ends a statement (line numbers stay
right for error messages).
Statements are split on the tokens of sqlglot's Databricks tokenizer, so a `;` in a string or a comment is text.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

_NOTEBOOK_LINE = re.compile(r"^\s*--\s*(Databricks notebook source|COMMAND -+|MAGIC\b.*)\s*$")
_PLACEHOLDER = re.compile(r"\$\{([^}]*)\}")


@dataclass(frozen=True)
class Statement:
    """One statement: its tokens (sqlglot), its text, the file and the line it starts on."""

    tokens: list[Any]
    text: str
    file: str
    line: int
    offset: int  # where `text` starts in the (cleaned) file text: token.start - offset indexes `text`


def clean_notebook(text: str) -> str:
    """Blank the lines a Databricks notebook export adds (header, MAGIC cells); a cell separator ends a statement
    (a `;` in its place: cells are statements, and exported cells often have no `;` of their own)."""
    return "\n".join(_cleaned(line) for line in text.split("\n"))


def _cleaned(line: str) -> str:
    match = _NOTEBOOK_LINE.match(line)
    if match is None:
        return line
    return ";" if match.group(1).startswith("COMMAND") else ""


_SET = re.compile(r"^[ \t]*SET[ \t]+([^\s=;]+)[ \t]*=[ \t]*([^;\n]*?)[ \t]*;?[ \t]*$", re.IGNORECASE | re.MULTILINE)


def set_values(text: str) -> list[tuple[int, str, str]]:
    """The file's `SET key = value` lines: (where the line ends, key, value), for the `${key}` after them."""
    return [(m.end(), m.group(1).strip("`"), m.group(2).strip().strip("'\"")) for m in _SET.finditer(text)]


def substitute(
    text: str, values: Mapping[str, str], *, file: str, sets: Sequence[tuple[int, str, str]] = ()
) -> tuple[str, list[str]]:
    """`${key}` replaced by the value the last `SET key = ...` before it gave (a notebook's statements see the
    SETs above them), else the configuration's; each unknown key is a problem naming file and line."""
    problems: list[str] = []

    def replace(match: re.Match[str]) -> str:
        key = match.group(1).strip()
        earlier = [value for end, name, value in sets if name == key and end <= match.start()]
        if earlier:
            return earlier[-1]
        if key in values:
            return values[key]
        line = text.count("\n", 0, match.start()) + 1
        known = ", ".join(sorted(values)) or "none"
        problems.append(
            f"{file}:{line}: ${{{key}}} is not in the pipeline's configuration (keys: {known}); add it to "
            "spark-pipeline.yml under configuration"
        )
        return match.group(0)

    return _PLACEHOLDER.sub(replace, text), problems


def split(text: str, *, file: str) -> list[Statement]:
    """The statements of a file (empty ones dropped); a tokenizer error is raised as ValueError with the line."""
    from sqlglot.dialects.dialect import Dialect
    from sqlglot.errors import TokenError
    from sqlglot.tokenizer_core import TokenType

    try:
        tokens = Dialect.get_or_raise("databricks").tokenize(text)
    except TokenError as exc:
        raise ValueError(str(exc).splitlines()[0]) from None
    out: list[Statement] = []
    current: list[Any] = []
    for token in [*tokens, None]:
        if token is None or token.token_type == TokenType.SEMICOLON:
            if current:
                start, end = current[0].start, current[-1].end + 1
                out.append(Statement(current, text[start:end], file, current[0].line, start))
            current = []
        else:
            current.append(token)
    return out
