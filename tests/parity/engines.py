"""lakeloader's answers, by the two paths users run: `lakeloader sql` (`lakehouse.sql.query`) and a pipeline's
materialized view written to Delta and read back (its values, and the Delta schema's types).

Session settings reach lakeloader as the translator takes them: a pipeline's `configuration` in
spark-pipeline.yml, and `query(..., conf={...})` for `lakeloader sql` (its `--conf`, Spark's keys). While `query`
takes no `conf`, a case with settings is `different` on that path (its settings cannot be passed), never silently
run without them.
"""

from __future__ import annotations

import inspect
import re
import shutil
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pyarrow as pa

from tests.parity.compare import Answer, arrow_type_name, result
from tests.parity.corpus import Case

if TYPE_CHECKING:
    from lakeloader.lakehouse.root import Lakehouse

SCHEMA = "main.default"
NO_SETTINGS = "HARNESS:NO_SETTINGS"  # an `error` class: the path cannot take the case's settings (yet)
CRASH = "CRASH"  # an `error` class prefix: an exception that is not a LakeloaderError

_SPEC = """\
name: {name}
catalog: main
schema: default
configuration:
{configuration}
libraries:
  - glob:
      include: transformations/**
"""


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__


def _caught(exc: Exception) -> Answer:
    from lakeloader.errors import LakeloaderError

    if isinstance(exc, LakeloaderError):
        message = str(exc).strip()
        return Answer(error=type(exc).__name__, message=message if "\n" not in message else message[:2000])
    return Answer(error=f"{CRASH}:{type(exc).__name__}", message=_first_line(exc))


def sql_answer(lh: Lakehouse, case: Case) -> Answer:
    """The `lakeloader sql` path: `lakehouse.sql.query(lh, sql)`, with the case's settings as `conf`."""
    from lakeloader.lakehouse.sql import query

    kwargs: dict[str, Any] = {}
    if case.settings:
        if "conf" not in inspect.signature(query).parameters:
            return Answer(error=NO_SETTINGS, message="lakehouse.sql.query takes no session settings (conf=) yet")
        kwargs["conf"] = dict(case.settings)
    try:
        table = query(lh, case.sql, **kwargs)
    except Exception as exc:
        return _caught(exc)
    return result(table)


def view_name(case: Case) -> str:
    return "pv_" + re.sub(r"\W", "_", case.id.lower())


def pipeline_answers(lh: Lakehouse, cases: Iterable[Case], folder: Path) -> dict[str, Answer]:
    """The pipeline path: each case a materialized view `pv_<id>` of a pipeline (one pipeline per distinct set of
    settings, given as its configuration), run in one update; each table read back from Delta.

    A definition the pipeline refuses at load (a problem naming its file) is that case's error; the pipeline is
    loaded again without it, so one refused query never hides the others' answers.
    """
    groups: dict[tuple[tuple[str, str], ...], list[Case]] = {}
    for c in cases:
        groups.setdefault(tuple(sorted(c.settings.items())), []).append(c)
    answers: dict[str, Answer] = {}
    for number, (settings, members) in enumerate(groups.items()):
        answers |= _run_group(lh, members, dict(settings), folder / f"parity_{number}", f"parity_{number}")
    return answers


def _run_group(
    lh: Lakehouse, cases: list[Case], settings: dict[str, str], folder: Path, name: str
) -> dict[str, Answer]:
    from lakeloader.pipelines.load import load
    from lakeloader.pipelines.update import run_update

    shutil.rmtree(folder, ignore_errors=True)
    (folder / "transformations").mkdir(parents=True)
    conf = "\n".join(f"  {k}: {_yaml_string(v)}" for k, v in settings.items()) or '  parity: "default settings"'
    (folder / "spark-pipeline.yml").write_text(_SPEC.format(name=name, configuration=conf), encoding="utf-8")
    by_file = {}
    for c in cases:
        path = folder / "transformations" / f"{view_name(c)}.sql"
        path.write_text(f"CREATE OR REFRESH MATERIALIZED VIEW {view_name(c)} AS\n{c.sql}\n", encoding="utf-8")
        by_file[path.name] = c
    answers: dict[str, Answer] = {}
    while by_file:
        try:
            loaded = load(folder, lh)
        except Exception as exc:  # the spec itself: every remaining case gets the error
            return answers | {c.id: _caught(exc) for c in by_file.values()}
        if loaded.problems:
            blamed = _blame(loaded.problems, by_file)
            if not blamed:
                message = "; ".join(loaded.problems)
                return answers | {c.id: Answer(error="PipelineProblems", message=message) for c in by_file.values()}
            for file, message in blamed.items():
                answers[by_file.pop(file).id] = Answer(error="PipelineProblems", message=message)
                (folder / "transformations" / file).unlink()
            continue
        try:
            update = run_update(loaded, lh)
        except Exception as exc:
            return answers | {c.id: _caught(exc) for c in by_file.values()}
        outcomes = {o.dataset.rsplit(".", 1)[-1]: o for o in update.outcomes}
        for c in by_file.values():
            outcome = outcomes.get(view_name(c))
            if outcome is None:
                answers[c.id] = Answer(error=f"{CRASH}:NoOutcome", message="the update ran no flow for it")
            elif outcome.status != "COMPLETED":
                answers[c.id] = Answer(error=f"Flow{outcome.status.title()}", message=outcome.message)
            else:
                answers[c.id] = _read_back(lh, f"{SCHEMA}.{view_name(c)}")
        break
    return answers


def _blame(problems: list[str], by_file: dict[str, Case]) -> dict[str, str]:
    """Each problem that names a case's file, by that file (its messages joined)."""
    blamed: dict[str, str] = {}
    for problem in problems:
        for file in by_file:
            if re.search(rf"\b{re.escape(file)}\b", problem):
                blamed[file] = f"{blamed[file]}; {problem}" if file in blamed else problem
    return blamed


def _yaml_string(value: str) -> str:
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _read_back(lh: Lakehouse, name: str) -> Answer:
    """A materialized view's table: its rows, and its types as the Delta schema has them."""
    from lakeloader.lakehouse import delta

    try:
        location = lh.table(name).location
        table = delta.dataset(location, table_name=name).to_table()
        logged = delta.open_table(location, table_name=name).schema().to_arrow()
        schema = logged if isinstance(logged, pa.Schema) else pa.schema(logged)
    except Exception as exc:
        return _caught(exc)
    answer = result(table)
    types = [arrow_type_name(schema.field(n).type) if n in schema.names else "missing" for n in answer.names]
    return Answer(names=answer.names, types=types, rows=answer.rows)
