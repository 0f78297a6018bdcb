"""`spark-pipeline.yml`: the Spark Declarative Pipelines project spec (name, catalog, schema, storage, configuration,
libraries), found from a folder or a file, validated with every problem named; `init` writes a runnable one."""

from __future__ import annotations

import difflib
import os
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from lakeloader.errors import ConfigError, NotFoundError

SPEC_FILE_NAMES = ("spark-pipeline.yml", "spark-pipeline.yaml", "pipeline.yml", "pipeline.yaml")
SOURCE_SUFFIXES = (".sql", ".py", ".ipynb")


class GlobLibrary(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    include: str


class Library(BaseModel):
    """One `libraries` entry: `glob: {include: ...}` (SDP) or `file: {path: ...}` (Databricks pipeline JSON)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    glob: GlobLibrary | None = None
    file: dict[str, str] | None = None

    @model_validator(mode="after")
    def _one(self) -> Library:
        if (self.glob is None) == (self.file is None):
            raise ValueError("each library is either 'glob: {include: <pattern>}' or 'file: {path: <file>}'")
        if self.file is not None and set(self.file) != {"path"}:
            raise ValueError("a file library is 'file: {path: <file>}'")
        return self

    @property
    def pattern(self) -> str:
        if self.glob is not None:
            return self.glob.include
        assert self.file is not None
        return self.file["path"]


class PipelineSpec(BaseModel):
    """The project spec. `schema` and SDP's `database` are the same thing (the default schema of the datasets)."""

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)

    name: str
    catalog: str | None = None
    schema_: str | None = Field(default=None, alias="schema")
    database: str | None = None
    storage: str | None = None
    executor: str | None = None  # lakeloader's own key: local or ray (who reads and decodes the flows' files)
    configuration: dict[str, str] = Field(default_factory=dict)
    libraries: list[Library] = Field(default_factory=list)
    # where the spec file is (set by `load_spec`, not by the file)
    folder: Path = Field(default=Path("."), exclude=True)

    @field_validator("configuration", mode="before")
    @classmethod
    def _strings(cls, value: Any) -> Any:
        if isinstance(value, dict):  # YAML turns 1 and true into numbers and booleans: SDP's values are strings
            return {str(k): ("true" if v is True else "false" if v is False else str(v)) for k, v in value.items()}
        return value

    @model_validator(mode="after")
    def _check(self) -> PipelineSpec:
        if not self.name.strip():
            raise ValueError("name is empty")
        if self.schema_ and self.database and self.schema_ != self.database:
            raise ValueError(f"schema '{self.schema_}' and database '{self.database}' differ; give one of them")
        if not self.libraries:
            raise ValueError("no libraries: add 'libraries: [{glob: {include: transformations/**}}]'")
        return self

    @property
    def default_schema(self) -> str:
        return self.schema_ or self.database or "default"

    @property
    def default_catalog(self) -> str | None:
        return self.catalog

    def source_files(self) -> list[Path]:
        """The .sql, .py and .ipynb files the libraries name, each once, in a stable order."""
        found: dict[Path, None] = {}
        for library in self.libraries:
            pattern = library.pattern
            if os.path.isabs(pattern):
                raise ConfigError(
                    f"pipeline {self.name}: library '{pattern}' is absolute; write it relative to {self.folder}"
                )
            if pattern.endswith("/**"):
                pattern += "/*"
            matches = sorted(self.folder.glob(pattern)) if any(c in pattern for c in "*?[") else [self.folder / pattern]
            files = [p for p in matches if p.is_file() and "__pycache__" not in p.parts]
            for path in files:
                if path.suffix not in SOURCE_SUFFIXES:
                    if library.file is not None or not pattern.endswith("/*"):
                        raise ConfigError(
                            f"pipeline {self.name}: library file {path} is not .sql, .py or .ipynb; name only those"
                        )
                    continue
                found[path.resolve()] = None
            if not files:
                raise ConfigError(
                    f"pipeline {self.name}: library '{library.pattern}' matches no file under {self.folder}"
                )
        return list(found)


def find_spec(path: str | os.PathLike[str] | None) -> Path:
    """The spec file for PATH: the file itself, or the one spec file in the folder (default: the current one)."""
    where = Path(path or ".").expanduser().absolute()
    if where.is_file():
        return where
    if not where.is_dir():
        raise NotFoundError(f"pipeline {where} does not exist; give the pipeline's folder or its spark-pipeline.yml")
    found = [where / n for n in SPEC_FILE_NAMES if (where / n).is_file()]
    if len(found) > 1:
        raise ConfigError(
            f"pipeline folder {where} has {len(found)} spec files ({', '.join(p.name for p in found)}); keep one"
        )
    if not found:
        raise NotFoundError(
            f"no spark-pipeline.yml in {where}; give the pipeline's folder, or create one with "
            "'lakeloader pipelines init NAME'"
        )
    return found[0]


def load_spec(path: str | os.PathLike[str] | None) -> PipelineSpec:
    """Load and validate the spec; an unknown key names itself and the keys that exist."""
    import yaml

    spec_path = find_spec(path)
    try:
        data = yaml.safe_load(spec_path.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" line {mark.line + 1}" if mark is not None else ""
        raise ConfigError(
            f"{spec_path}{where}: not valid YAML ({getattr(exc, 'problem', exc)}); fix the file"
        ) from None
    if not isinstance(data, dict):
        raise ConfigError(f"{spec_path}: expected keys such as 'name:' and 'libraries:', found {type(data).__name__}")
    try:
        return PipelineSpec.model_validate({**data, "folder": spec_path.parent})
    except ValidationError as exc:
        raise ConfigError(f"{spec_path}: {_first_problem(exc)}") from None


def _first_problem(exc: ValidationError) -> str:
    error = exc.errors()[0]
    where = ".".join(str(p) for p in error["loc"])
    if error["type"] == "extra_forbidden":
        known = ["name", "catalog", "schema", "database", "storage", "executor", "configuration", "libraries"]
        key = str(error["loc"][-1])
        close = difflib.get_close_matches(key, known, n=1)
        hint = f"did you mean '{close[0]}'? " if close and len(error["loc"]) == 1 else ""
        return f"unknown key '{where}'; {hint}valid keys are {', '.join(known)}"
    if error["type"] == "missing":
        return f"'{where}' is missing; add it"
    message = str(error["msg"]).removeprefix("Value error, ")
    return f"{where + ': ' if where else ''}{message}; fix the spec"


_SPEC_TEMPLATE = """\
# A Spark Declarative Pipelines project (https://spark.apache.org/docs/latest/declarative-pipelines-programming-guide.html)
name: {name}
catalog: main
schema: {schema}
# storage: where checkpoints and the event log live (default: in the lakehouse's state folder)
configuration:
  example.rows: "10"
libraries:
  - glob:
      include: transformations/**
"""
_SQL_TEMPLATE = """\
-- A materialized view: recomputed by every update.
CREATE OR REFRESH MATERIALIZED VIEW example_numbers (
  CONSTRAINT positive EXPECT (id > 0) ON VIOLATION DROP ROW
)
COMMENT 'numbers 1 to ${example.rows}, with their squares'
AS SELECT id, id * id AS square FROM (SELECT explode(sequence(1, ${example.rows})) AS id);
"""
_PY_TEMPLATE = """\
from lakeloader import pipelines as dp


@dp.materialized_view(comment="the squares above 10")
@dp.expect("has_square", "square IS NOT NULL")
def example_big_squares():
    return dp.read("example_numbers").filter("square > 10")
"""


def init(name: str, *, parent: str | os.PathLike[str] = ".") -> Path:
    """Write a runnable project `NAME/` with a spec and one SQL and one Python source file."""
    from lakeloader.lakehouse.names import check_name

    folder = Path(parent).absolute() / name
    if folder.exists():
        raise ConfigError(f"pipelines init: {folder} already exists; pick another name or remove it")
    schema = check_name(name.replace("-", "_"), kind="schema")
    (folder / "transformations").mkdir(parents=True)
    (folder / "spark-pipeline.yml").write_text(_SPEC_TEMPLATE.format(name=name, schema=schema), encoding="utf-8")
    (folder / "transformations" / "example_sql.sql").write_text(_SQL_TEMPLATE, encoding="utf-8")
    (folder / "transformations" / "example_python.py").write_text(_PY_TEMPLATE, encoding="utf-8")
    return folder
