"""A notebook as cells: Databricks source exports (`# Databricks notebook source` / `-- Databricks notebook source`,
cells split at `COMMAND ----------`, `MAGIC %sql`/`%md`/`%python`/`%run` cells) and Jupyter `.ipynb` files."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from lakeloader.errors import ConfigError

Language = Literal["python", "sql", "markdown", "run", "pip", "other"]
_SEPARATOR = re.compile(r"^\s*(#|--)\s*COMMAND\s*-+\s*$")
_HEADER = re.compile(r"^\s*(#|--)\s*Databricks notebook source\s*$")
_MAGIC = re.compile(r"^\s*(#|--)\s?MAGIC ?(.*)$")


@dataclass(frozen=True)
class Cell:
    number: int  # 1-based, as the notebook shows it
    language: Language
    text: str  # the code, magic prefix and magic line removed
    line: int  # the file line `text` starts on
    magic: str = ""  # the cell's magic word (%run's argument, %scala, ...)


def _magic(language: str, lines: list[str]) -> tuple[Language, str, int]:
    """(language, magic argument, lines to skip) for a cell whose first line may be a %magic."""
    first = lines[0].strip() if lines else ""
    if not first.startswith("%"):
        return language, "", 0  # type: ignore[return-value]
    word, _, rest = first.partition(" ")
    word = word[1:].lower()
    if word == "sql":
        return "sql", "", 1
    if word == "python":
        return "python", "", 1
    if word in ("md", "md-sandbox"):
        return "markdown", "", 1
    if word == "run":
        return "run", rest.strip(), 1
    if word == "pip":
        return "pip", rest.strip(), 1
    return "other", word, 1


def _from_export(path: Path, text: str) -> list[Cell]:
    lines = text.splitlines()
    default: Language = "sql" if lines and lines[0].lstrip().startswith("--") else "python"
    cells: list[Cell] = []
    chunk: list[tuple[int, str]] = []

    def close() -> None:
        body = [(n, t) for n, t in chunk]
        while body and not body[0][1].strip():
            body.pop(0)
        while body and not body[-1][1].strip():
            body.pop()
        if not body:
            return
        magic = [_MAGIC.match(t) for _, t in body]
        if all(magic):  # a cell of another language, every line prefixed with MAGIC
            body = [(n, m.group(2)) for (n, _), m in zip(body, magic, strict=True) if m]
        language, argument, skip = _magic(default, [t for _, t in body])
        rest = body[skip:]
        start = rest[0][0] if rest else body[0][0]
        cells.append(Cell(len(cells) + 1, language, "\n".join(t for _, t in rest), start, argument))

    for number, line in enumerate(lines, start=1):
        if number == 1 and _HEADER.match(line):
            continue
        if _SEPARATOR.match(line):
            close()
            chunk = []
            continue
        chunk.append((number, line))
    close()
    return cells


def _from_ipynb(path: Path, text: str) -> list[Cell]:
    try:
        notebook = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ConfigError(
            f"notebook {path.name}: not valid JSON ({exc.msg}, line {exc.lineno}); re-export it"
        ) from None
    metadata = notebook.get("metadata", {})
    databricks = metadata.get("application/vnd.databricks.v1+notebook", {})  # Databricks' own .ipynb export
    kernel = str(databricks.get("language") or metadata.get("kernelspec", {}).get("language", "python")).lower()
    default: Language = "sql" if kernel == "sql" else "python"
    cells: list[Cell] = []
    for index, cell in enumerate(notebook.get("cells", []), start=1):
        source = cell.get("source", "")
        body = "".join(source) if isinstance(source, list) else str(source)
        if cell.get("cell_type") != "code":
            cells.append(Cell(index, "markdown", body, 1))
            continue
        lines = body.splitlines()
        language, argument, skip = _magic(default, lines)
        cells.append(Cell(index, language, "\n".join(lines[skip:]), 1 + skip, argument))
    return cells


def read(path: Path) -> list[Cell]:
    """The cells of the notebook at `path`, in order."""
    if not path.is_file():
        raise ConfigError(f"notebook {path}: no such file; give the path of a .py, .sql or .ipynb notebook")
    text = path.read_text(encoding="utf-8")
    if path.suffix == ".ipynb":
        return _from_ipynb(path, text)
    if path.suffix in (".scala", ".r", ".R"):
        raise ConfigError(f"notebook {path.name}: Scala and R notebooks need Spark's JVM; use Python or SQL")
    return _from_export(path, text)


def find(base: Path, written: str) -> Path:
    """The notebook `%run ./other` names, relative to `base`'s folder (Databricks omits the extension)."""
    target = (base.parent / written.strip().strip("\"'")).resolve()
    for candidate in (target, *(target.with_name(target.name + s) for s in (".py", ".sql", ".ipynb"))):
        if candidate.is_file():
            return candidate
    raise ConfigError(f"notebook {base.name}: %run {written}: no notebook {target}(.py|.sql|.ipynb); fix the path")
