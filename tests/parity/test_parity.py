"""The bar of issue 21: on both paths users run, every query of the corpus gives Spark's answer (values and types)
or is refused in one clear line; none is different. The run's summary lists what differs, grouped by cause."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.parity.report import PIPELINE, SQL, Report

pytestmark = pytest.mark.slow

REPO = Path(__file__).resolve().parents[2]


def _no_difference(report: Report, path: str) -> None:
    assert not report.unanswered, f"no Spark answer for {report.unanswered[:5]}"
    different = report.different(path)
    if different:
        lines = [
            f"  {r.case.id} ({r.verdict.why}): ours {r.ours.brief(120)} | Spark {r.spark.brief(120)}" for r in different
        ]
        more = f"\n  ... and {len(lines) - 30} more (the summary at the end lists them all)" if len(lines) > 30 else ""
        pytest.fail(report.summary(path) + "\n" + "\n".join(lines[:30]) + more, pytrace=False)


def test_lakeloader_sql_gives_spark_answers(parity_report: Report) -> None:
    _no_difference(parity_report, SQL)


def test_pipelines_write_what_spark_writes(parity_report: Report) -> None:
    _no_difference(parity_report, PIPELINE)


def test_lakeloader_sql_answers_do_not_depend_on_the_machine_time_zone() -> None:
    """The same corpus with the process in New York's zone: the session's zone (UTC) decides, never the machine's."""
    env = {**os.environ, "TZ": "America/New_York"}
    command = [sys.executable, "-m", "tests.parity.report", "--path", SQL]
    run = subprocess.run(command, cwd=REPO, env=env, capture_output=True, text=True, timeout=600)
    if run.returncode != 0:
        pytest.fail(f"under TZ=America/New_York:\n{run.stdout[:6000]}{run.stderr[-2000:]}", pytrace=False)
