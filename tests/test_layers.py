"""Lower layers never import higher ones (DESIGN.md): checked on every import statement, lazy ones included."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[1] / "src" / "lakeloader"

# package -> the lakeloader packages it may import (besides itself and the bottom modules)
# units: durations and sizes (errors only); pandas_guard: keeps pyarrow from importing pandas for nothing
BOTTOM = {"lakeloader.errors", "lakeloader.paths", "lakeloader.units", "lakeloader.pandas_guard"}
ALLOWED = {
    "secrets": {"secrets"},
    "sql": {"sql"},  # the translator: Databricks SQL to DuckDB with Spark's answers, below every SQL path
    "lakehouse": {"lakehouse", "secrets", "sql"},
    "execution": {"execution", "lakehouse", "secrets"},
    "embedded": {"embedded", "secrets", "lakehouse", "samples", "sources"},  # bootstrap reads URLs as the source does
    "samples": {"samples"},
    "quality": {"quality", "lakehouse", "secrets"},
    "sources": {"sources", "execution", "lakehouse", "secrets", "units"},
    "pipelines": {
        "pipelines",
        "federation",
        "quality",
        "sources",
        "execution",
        "lakehouse",
        "secrets",
        "units",
        "sql",
        "spark",
        "notebooks",
    },
    # PySpark's API on DuckDB, below pipelines and notebooks (which give it to user code under PySpark's names)
    "spark": {"spark", "lakehouse", "sources", "execution", "secrets", "sql", "federation"},
    "notebooks": {"notebooks", "spark", "lakehouse", "secrets", "sql"},
    "federation": {"federation", "lakehouse", "secrets", "sources", "execution", "sql"},  # never pipelines or cli
}


def _imports(path: Path) -> list[str]:
    tree = ast.parse(path.read_text())
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.append(node.module)
        elif isinstance(node, ast.Import):
            found += [a.name for a in node.names]
    return [m for m in found if m.startswith("lakeloader")]


@pytest.mark.parametrize("package", sorted(ALLOWED))
def test_package_imports_only_layers_below(package: str) -> None:
    wrong = []
    for path in sorted((SRC / package).rglob("*.py")):
        for module in _imports(path):
            if module in BOTTOM or module == "lakeloader":
                continue
            top = module.split(".")[1]
            if top not in ALLOWED[package]:
                wrong.append(f"{path.relative_to(SRC)} imports {module}")
    assert not wrong, "\n".join(wrong)


def test_bottom_modules_import_only_secrets_redaction() -> None:
    for name in ("errors.py", "paths.py"):  # and each other: paths refuses a root URL with errors' ConfigError
        modules = _imports(SRC / name)
        assert set(modules) <= {"lakeloader.secrets.redact", "lakeloader.errors"}, (name, modules)


# inside pipelines: what an update runs imports the shared context below it, never the dispatcher above it
RUNNERS = ("materialized", "streaming", "snapshots", "cdc", "files_input", "postgres_input", "results", "context")


@pytest.mark.parametrize("module", RUNNERS)
def test_pipeline_runners_never_import_the_dispatcher(module: str) -> None:
    tree = ast.parse((SRC / "pipelines" / f"{module}.py").read_text())
    imported = _imports(SRC / "pipelines" / f"{module}.py") + [
        f"lakeloader.pipelines.{alias.name}"
        for node in ast.walk(tree)
        if isinstance(node, ast.ImportFrom) and node.module == "lakeloader.pipelines"
        for alias in node.names
    ]
    assert "lakeloader.pipelines.flows" not in imported and "lakeloader.pipelines.update" not in imported, imported
    if module == "context":  # the bottom: no runner at all
        assert not {f"lakeloader.pipelines.{r}" for r in RUNNERS} & set(imported), imported
