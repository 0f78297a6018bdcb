"""Load a pipeline: its spec, every source file it names (SQL read, Python imported with the decorators listening),
and the graph; every problem is collected, so `dry-run` can report them all at once."""

from __future__ import annotations

import importlib.abc
import importlib.util
import sys
import traceback
import types
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from lakeloader.errors import ConfigError
from lakeloader.pipelines import api, foreign, graph, sqlddl
from lakeloader.pipelines.model import Definitions, Location
from lakeloader.pipelines.spec import PipelineSpec, load_spec

if TYPE_CHECKING:
    from lakeloader.execution.mirror import Mirror
    from lakeloader.lakehouse.root import Lakehouse


@dataclass
class Pipeline:
    """A loaded pipeline: spec, definitions, graph, and where its state lives."""

    spec: PipelineSpec
    definitions: Definitions
    graph: graph.Graph
    catalog: str
    schema: str
    storage: Path  # a local folder: the storage itself, or the mirror of a storage on an object store
    mirror: Mirror | None = None  # that mirror (execution/mirror.py), pushed at the end of each update

    @property
    def name(self) -> str:
        return self.spec.name

    @property
    def problems(self) -> list[str]:
        return self.graph.problems


def _label(path: Path, spec: PipelineSpec) -> str:
    try:
        return str(path.relative_to(spec.folder.resolve()))
    except ValueError:
        return str(path)


@contextmanager
def _spark_on(lakehouse: Lakehouse, configuration: dict[str, str], pyspark: bool) -> Iterator[None]:
    """`spark` at import time of a pipeline file: over the lakehouse, `spark.conf` the pipeline's configuration."""
    if not pyspark:
        yield
        return
    from lakeloader.spark import engine

    with engine.using(engine.LakehouseEngine(lakehouse, configuration)):
        yield


def _python(
    path: Path,
    label: str,
    definitions: Definitions,
    configuration: dict[str, str],
    lakehouse: Lakehouse,
    source: str | None = None,
) -> None:
    """Import a pipeline's Python file (or `source`, a notebook's code cells, under the notebook's path)."""
    from lakeloader.notebooks import imports

    module_name = f"lakeloader_pipeline_{uuid.uuid4().hex[:8]}_{path.stem}"
    module_spec = (
        importlib.util.spec_from_file_location(module_name, path)
        if source is None
        else importlib.util.spec_from_loader(module_name, _SourceLoader(source, str(path)))
    )
    if module_spec is None or module_spec.loader is None:
        definitions.problems.append(f"{label}: cannot be imported as Python; check the file")
        return
    module = importlib.util.module_from_spec(module_spec)
    text = source if source is not None else path.read_text(encoding="utf-8")
    from lakeloader import pandas_guard

    pandas_guard.allow_if_used(text)
    refused = imports.refusals(text)
    if refused:
        where, why = refused[0]
        definitions.problems.append(f"{label}:{where}: {why}")
        return
    # PySpark's and Databricks' names (pyspark.sql, dlt, pyspark.pipelines) resolve to lakeloader's in this file
    # only; `spark` and `dbutils` are defined as Databricks defines them for pipeline code
    module.__dict__["__builtins__"] = imports.builtins_dict()
    pyspark = imports.uses_pyspark(text)
    if pyspark:
        from lakeloader.notebooks.dbutils import LazyDBUtils
        from lakeloader.spark.spark_session import SparkSession

        module.__dict__["spark"] = SparkSession()
        module.__dict__["dbutils"] = LazyDBUtils()
    sys.modules[module_name] = module
    try:
        with api.registering(definitions, configuration), _spark_on(lakehouse, configuration, pyspark):
            module_spec.loader.exec_module(module)
    except Exception as exc:  # the user's code: say where it failed, in one line
        frames = [f for f in traceback.extract_tb(exc.__traceback__) if f.filename == str(path)]
        line = f":{frames[-1].lineno}" if frames else ""
        if isinstance(exc, SyntaxError) and exc.lineno:
            line = f":{exc.lineno}"
        text = str(exc).splitlines()[0] if str(exc) else ""
        definitions.problems.append(f"{label}{line}: {type(exc).__name__}: {text}; fix the Python file")
    finally:
        sys.modules.pop(module_name, None)


class _SourceLoader(importlib.abc.Loader):
    """Runs code that is not a .py file (a notebook's cells) as a module; `inspect.getsource` finds it."""

    def __init__(self, source: str, filename: str) -> None:
        self.source = source
        self.filename = filename

    def exec_module(self, module: types.ModuleType) -> None:
        import linecache

        lines = self.source.splitlines(keepends=True)
        linecache.cache[self.filename] = (len(self.source), None, lines, self.filename)  # never re-read from disk
        exec(compile(self.source, self.filename, "exec"), module.__dict__)


def _notebook(path: Path) -> tuple[str, str]:
    """A Jupyter notebook library as ("python" | "sql", its code cells joined); markdown cells left out."""
    from lakeloader.notebooks import source

    cells = [c for c in source.read(path) if c.language in ("python", "sql")]
    languages = {c.language for c in cells}
    if len(languages) > 1:
        raise ConfigError(f"{path.name}: a pipeline notebook is one language; this one mixes Python and SQL cells")
    language = languages.pop() if languages else "python"
    joiner = "\n\n" if language == "python" else ";\n\n"
    return language, joiner.join(c.text for c in cells)


def load(path: str | Path | None, lakehouse: Lakehouse, *, conf: dict[str, str] | None = None) -> Pipeline:
    """The pipeline at `path` (its folder or spec file); problems are in `.problems`, not raised.

    `conf` overrides and adds to the spec's configuration for this load (`--conf key=value`)."""
    spec = load_spec(path)
    if conf:
        spec = spec.model_copy(update={"configuration": {**spec.configuration, **conf}})
    configuration = dict(spec.configuration)
    definitions = Definitions()
    for file in spec.source_files():
        label = _label(file, spec)
        if file.suffix == ".sql":
            found = sqlddl.parse_file(file, file.read_text(encoding="utf-8"), configuration, label=label)
            definitions.datasets += found.datasets
            definitions.flows += found.flows
            definitions.problems += found.problems
            definitions.settings.update(found.settings)
            definitions.set_statements += found.set_statements
            definitions.functions.update(found.functions)
            definitions.problems += _unhonoured(found.set_statements, configuration, file.read_text(encoding="utf-8"))
        elif file.suffix == ".ipynb":
            try:
                language, text = _notebook(file)
            except ConfigError as exc:
                definitions.problems.append(str(exc))
                continue
            if language == "python":
                _python(file, label, definitions, configuration, lakehouse, source=text)
            else:
                found = sqlddl.parse_file(file, text, configuration, label=label)
                definitions.datasets += found.datasets
                definitions.flows += found.flows
                definitions.problems += found.problems
                definitions.settings.update(found.settings)
                definitions.set_statements += found.set_statements
                definitions.functions.update(found.functions)
        else:
            _python(file, label, definitions, configuration, lakehouse)
    catalog = spec.catalog or lakehouse.current_catalog
    schema = spec.default_schema
    definitions.problems += _with_functions_inlined(definitions, lakehouse, catalog, schema)

    def exists(full_name: str) -> bool:
        if foreign.is_foreign(lakehouse, full_name):
            return foreign.exists(lakehouse, full_name)
        info = lakehouse.metastore.get(full_name)
        return info is not None and info.kind == "table"

    def tables() -> list[str]:
        return [t.info.full_name for t in lakehouse.list_tables()]

    built = graph.build(definitions, catalog=catalog.lower(), schema=schema.lower(), exists=exists, tables=tables)
    built.problems += foreign.problems(lakehouse, built)
    storage = lakehouse.state_dir / "pipelines" / spec.name
    if spec.storage:
        written = spec.storage
        if not written.startswith("/Volumes/") and not Path(written).is_absolute():
            written = str((spec.folder / written).absolute())
        where = lakehouse.pipeline_storage(written, pipeline=spec.name)
        if not isinstance(where, Path):  # on an object store: worked on in a local mirror, pushed by each update
            from lakeloader.execution.mirror import open_mirror

            mirror = open_mirror(where)
            return Pipeline(spec, definitions, built, catalog.lower(), schema.lower(), mirror.local, mirror)
        storage = where
    return Pipeline(spec, definitions, built, catalog.lower(), schema.lower(), storage)


HONOURED = ("skipChangeCommits", "pipelines.skipChangeCommits", "pipelines.trigger.interval")


def _unhonoured(sets: list[tuple[Location, str, str]], configuration: dict[str, str], text: str) -> list[str]:
    """One problem per SET lakeloader would not honour (never dropped in silence): the session settings of the
    SQL translator (checked), skipChangeCommits, pipelines.trigger.interval, a configuration key, or a key the
    file reads back as `${key}` are honoured."""
    from lakeloader.sql.settings import KNOWN, Settings

    problems = []
    for where, key, value in sets:
        if key.lower() in (k.lower() for k in KNOWN):
            try:
                Settings().set(key, value)
            except ConfigError as exc:
                problems.append(f"{where}: SET {exc}")
            continue
        if key.lower() == "pipelines.trigger.interval":
            from lakeloader import units

            try:
                units.parse_seconds(value, option="pipelines.trigger.interval")
            except ConfigError as exc:
                problems.append(f"{where}: SET {exc}")
            continue
        if key.lower() in (k.lower() for k in HONOURED) or key in configuration or f"${{{key}}}" in text:
            continue
        from lakeloader.sources.files.options import session_option

        if session_option(key) is not None:  # Auto Loader's session confs: options of the file reads after it
            continue
        honoured = ", ".join([*KNOWN, *HONOURED])
        problems.append(
            f"{where}: SET {key}: lakeloader does not honour this setting (it honours {honoured}, the pipeline's "
            "configuration keys, Auto Loader's spark.databricks.cloudFiles.* options and keys read back as ${key}); "
            "remove it, or set what it means as a read_files option"
        )
    return problems


def _with_functions_inlined(definitions: Definitions, lakehouse: Lakehouse, catalog: str, schema: str) -> list[str]:
    """Every SQL flow that calls a SQL function (one the pipeline defines, else one of the catalog, by its full
    name or in the pipeline's schema), with the calls inlined (`lakeloader.sql.udfs`)."""
    from lakeloader.lakehouse import functions as catalog_functions
    from lakeloader.pipelines import translate
    from lakeloader.sql import udfs

    kept = catalog_functions.resolver(lakehouse, catalog=catalog, schema=schema)
    own = definitions.functions

    def resolve(parts: list[str]) -> udfs.SqlFunction | None:
        found: udfs.SqlFunction | None = own.get(parts[0].lower()) if len(parts) == 1 else None
        return found if found is not None else kept(parts)

    problems = []
    has_kept = catalog_functions.any_defined(lakehouse)
    for flow in definitions.flows:
        if not flow.query.sql or not (own or has_kept or flow.query.unresolved):
            continue
        try:
            inlined = udfs.inline(flow.query.sql, resolve) if own or has_kept else None
            if inlined is not None:
                flow.query = translate.describe(inlined, where=flow.location)
            elif flow.query.unresolved:
                problems.append(f"{flow.location}: {flow.query.unresolved}; fix the statement")
        except (ValueError, translate.TranslateError) as exc:
            problems.append(f"{flow.location}: flow {flow.name}: {exc}; fix the call")
    return problems
