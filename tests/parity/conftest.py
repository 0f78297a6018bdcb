"""The parity suite's fixtures: the edge data as Delta tables, Spark's answers (cached, or from one Spark session
started only on a cache miss), the report of both lakeloader paths, and its summary at the end of the run.

Under CI (`CI` set) a missing pyspark or Java runtime fails the suite; elsewhere it skips what has no cached answer.
`PARITY_REFRESH=1` asks Spark again for every answer (what `make parity-answers` does).
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import AWKWARD
from tests.parity import edge_data
from tests.parity.corpus import all_cases
from tests.parity.oracle import Oracle, spark_missing
from tests.parity.report import Report, run

_REPORT = pytest.StashKey[Report]()


@pytest.fixture(scope="session")
def parity_root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A session folder named like a user's (a space, `é`, `%`): the lakehouse and pipelines live in it."""
    path = tmp_path_factory.mktemp("parity") / AWKWARD
    path.mkdir()
    return path


@pytest.fixture(scope="session")
def edge_lakehouse(parity_root: Path) -> tuple[Any, dict[str, list[str]]]:
    """The edge tables written once as Delta tables `main.default.<name>`, with each table's Parquet files."""
    from lakeloader.lakehouse.root import Lakehouse

    lh = Lakehouse(parity_root / "lakehouse")
    return lh, edge_data.write(lh)


@pytest.fixture(scope="session")
def oracle(edge_lakehouse: tuple[Any, dict[str, list[str]]]) -> Iterator[Oracle]:
    """Spark's answers: cached ones, and one lazily started Spark session for the rest."""
    missing = spark_missing()
    if missing and os.environ.get("CI"):
        pytest.fail(f"parity suite: {missing}; CI must run it against real Spark")
    _, files = edge_lakehouse
    found = Oracle(
        data_files=lambda: files,
        fingerprint=edge_data.fingerprint(),
        required=bool(os.environ.get("CI")),
        refresh=os.environ.get("PARITY_REFRESH") == "1",
    )
    try:
        yield found
    finally:
        found.close()


@pytest.fixture(scope="session")
def parity_report(
    request: pytest.FixtureRequest,
    oracle: Oracle,
    edge_lakehouse: tuple[Any, dict[str, list[str]]],
    parity_root: Path,
) -> Report:
    """The whole corpus on both lakeloader paths, judged against Spark's answers (computed once per session)."""
    lh, _ = edge_lakehouse
    report = run(lh, oracle, all_cases(), workdir=parity_root)
    request.config.stash[_REPORT] = report
    return report


def pytest_terminal_summary(terminalreporter: Any, exitstatus: int, config: pytest.Config) -> None:
    report = config.stash.get(_REPORT, None)
    if report is None:
        return
    terminalreporter.section("parity with Spark")
    for line in report.lines():
        terminalreporter.write_line(line)
