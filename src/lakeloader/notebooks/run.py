"""Run a notebook: its cells in order in one namespace with `spark`, `dbutils` and `display`; `%sql` cells through
the translator, `%run` notebooks in the same namespace; printed secrets redacted; a failing cell reported as
notebook, cell and line, in one line."""

from __future__ import annotations

import io
import sys
import time
import traceback
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from lakeloader.errors import ConfigError, LakeloaderError, TerminalError
from lakeloader.notebooks import imports, source
from lakeloader.notebooks.dbutils import DBUtils, NotebookExit

if TYPE_CHECKING:
    from lakeloader.lakehouse.root import Lakehouse


@dataclass
class NotebookRun:
    """What a run did: the cells run, the value `dbutils.notebook.exit` gave, how long it took."""

    notebook: str
    cells: int = 0
    exit_value: str | None = None
    seconds: float = 0.0
    notes: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {
            "notebook": self.notebook,
            "cells": self.cells,
            "exit_value": self.exit_value,
            "seconds": round(self.seconds, 3),
            "notes": self.notes,
        }


class CellError(TerminalError):
    """A cell failed: notebook, cell and line, with the cell's error in one line."""


class _Redacting(io.TextIOBase):
    """stdout/stderr of the notebook's code: every registered secret masked, as Databricks shows [REDACTED]."""

    def __init__(self, target: Any) -> None:
        self._target = target

    def write(self, text: str) -> int:
        from lakeloader.secrets.redact import redact

        self._target.write(redact(text))
        return len(text)

    def flush(self) -> None:
        self._target.flush()


@contextmanager
def _redacted_output() -> Iterator[None]:
    out, err = sys.stdout, sys.stderr
    sys.stdout, sys.stderr = _Redacting(out), _Redacting(err)
    try:
        yield
    finally:
        sys.stdout, sys.stderr = out, err


def _label(path: Path) -> str:
    return path.name


def check(path: Path, seen: set[Path] | None = None) -> None:
    """Refuse, before any cell runs, a notebook (or one it %runs) that uses what cannot run here."""
    seen = seen if seen is not None else set()
    if path in seen:
        return
    seen.add(path)
    for cell in source.read(path):
        if cell.language == "other":
            raise ConfigError(
                f"{_label(path)}: cell {cell.number}: %{cell.magic} cells are not supported here "
                "(Python and SQL are); rewrite it in Python"
            )
        if cell.language == "run":
            check(source.find(path, cell.magic), seen)
        if cell.language == "python":
            for line, why in imports.refusals(cell.text):
                raise ConfigError(f"{_label(path)}: cell {cell.number}, line {cell.line + line - 1}: {why}")


def namespace(lakehouse: Lakehouse, dbutils: DBUtils) -> dict[str, Any]:
    from lakeloader.notebooks.display import display, displayHTML
    from lakeloader.spark.spark_session import SparkSession

    return {
        "__name__": "__main__",
        "__builtins__": imports.builtins_dict(),
        "spark": SparkSession(),
        "dbutils": dbutils,
        "display": display,
        "displayHTML": displayHTML,
    }


def _one_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
    if isinstance(exc, LakeloaderError):
        return text
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__


def _error_line(exc: BaseException, path: Path, cell: source.Cell) -> int:
    frames = [f for f in traceback.extract_tb(exc.__traceback__) if f.filename == str(path)]
    if isinstance(exc, SyntaxError) and exc.lineno:
        return exc.lineno
    return frames[-1].lineno or cell.line if frames else cell.line


def _run_sql(spark: Any, cell: source.Cell, path: Path) -> None:
    from lakeloader.notebooks.display import display
    from lakeloader.sql.split import split

    statements = split(cell.text, file=str(path))
    result = None
    for statement in statements:
        result = spark.sql(statement.text)
    if result is not None and result.columns:
        display(result)


def run_cells(path: Path, scope: dict[str, Any], result: NotebookRun) -> None:
    for cell in source.read(path):
        if cell.language in ("markdown",) or (not cell.text.strip() and cell.language != "run"):
            continue
        try:
            if cell.language == "run":
                run_cells(source.find(path, cell.magic), scope, result)
                continue
            if cell.language == "pip":
                result.notes.append(
                    f"{_label(path)}: cell {cell.number}: %pip {cell.magic} skipped: install "
                    "packages into lakeloader's environment"
                )
                continue
            result.cells += 1
            if cell.language == "sql":
                _run_sql(scope["spark"], cell, path)
            else:
                code = compile("\n" * (cell.line - 1) + cell.text, str(path), "exec")
                exec(code, scope)
        except NotebookExit:
            raise
        except CellError:
            raise
        except BaseException as exc:
            if isinstance(exc, KeyboardInterrupt | SystemExit):
                raise
            line = _error_line(exc, path, cell)
            raise CellError(f"{_label(path)}: cell {cell.number}, line {line}: {_one_line(exc)}") from None


def run(
    path: str | Path, lakehouse: Lakehouse, *, params: dict[str, str] | None = None, conf: dict[str, str] | None = None
) -> NotebookRun:
    """Run the notebook at `path` on `lakehouse`, cells in order; raises CellError at the first failing cell."""
    from lakeloader.spark import engine

    notebook = Path(path).resolve()
    check(notebook)
    from lakeloader import pandas_guard

    pandas_guard.allow()  # notebook code may import pandas, as on Databricks
    started = time.monotonic()
    result = NotebookRun(str(path))
    dbutils = DBUtils(lakehouse, params)
    from lakeloader.notebooks import dbutils as module

    module.dbutils = dbutils  # `from databricks.sdk.runtime import dbutils`
    run_engine = engine.LakehouseEngine(lakehouse, conf)
    with engine.using(run_engine), _redacted_output():
        scope = namespace(lakehouse, dbutils)
        try:
            run_cells(notebook, scope, result)
        except NotebookExit as done:
            result.exit_value = done.value
    result.seconds = time.monotonic() - started
    return result
