"""Run the corpus on both lakeloader paths against Spark's answers and report: `python -m tests.parity.report`.

Prints, per path, `parity: N queries, E equal, R refused clearly, D different`, then each different case (id,
ours vs Spark's) grouped by cause. Exit code 1 when any case is different.
"""

from __future__ import annotations

import os
import re
import sys
import tempfile
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from tests.parity import edge_data, engines
from tests.parity.compare import Answer, Verdict, verdict
from tests.parity.corpus import Case, all_cases
from tests.parity.oracle import Oracle

if TYPE_CHECKING:
    from lakeloader.lakehouse.root import Lakehouse

SQL, PIPELINE = "lakeloader sql", "pipeline"
PATHS = (SQL, PIPELINE)


@dataclass(frozen=True)
class Result:
    case: Case
    verdict: Verdict
    ours: Answer
    spark: Answer


@dataclass
class Report:
    spark_version: str
    results: dict[str, list[Result]] = field(default_factory=dict)
    unanswered: list[str] = field(default_factory=list)  # cases Spark could not answer here (no Spark, not cached)
    answered: int = 0  # cases with Spark's answer
    asked: int = 0  # answers Spark computed in this run (the rest were cached)
    seconds: dict[str, float] = field(default_factory=dict)

    def counts(self, path: str) -> tuple[int, int, int, int]:
        results = self.results.get(path, [])
        n = len(results)
        equal = sum(r.verdict.outcome == "equal" for r in results)
        refused = sum(r.verdict.outcome == "refused" for r in results)
        return n, equal, refused, n - equal - refused

    def different(self, path: str) -> list[Result]:
        return [r for r in self.results.get(path, []) if r.verdict.outcome == "different"]

    def summary(self, path: str) -> str:
        n, e, r, d = self.counts(path)
        return f"parity: {n} queries, {e} equal, {r} refused clearly, {d} different ({path})"

    def lines(self, *, details: bool = True) -> list[str]:
        timing = ", ".join(f"{k} {v:.1f} s" for k, v in self.seconds.items())
        cached = self.answered - self.asked
        out = [f"Spark {self.spark_version}: {cached} answers cached, {self.asked} asked ({timing})"]
        if self.unanswered:
            out.append(f"no Spark answer (not cached, Spark not installed): {len(self.unanswered)} cases skipped")
        out += [self.summary(path) for path in self.results]
        if not details:
            return out
        for path in self.results:
            different = self.different(path)
            if not different:
                continue
            out.append(f"different on {path} ({len(different)}), by cause:")
            causes: dict[str, list[Result]] = {}
            for r in different:
                causes.setdefault(r.verdict.why, []).append(r)
            for why, results in sorted(causes.items(), key=lambda kv: -len(kv[1])):
                out.append(f"  {why} ({len(results)}):")
                for r in results:
                    out.append(f"    {r.case.id}: ours {r.ours.brief()}")
                    out.append(f"    {' ' * len(r.case.id)}  Spark {r.spark.brief()}")
        return out


def run(lh: Lakehouse, oracle: Oracle, cases: Iterable[Case], *, workdir: Path, paths: Iterable[str] = PATHS) -> Report:
    """Every case's Spark answer (cached, or asked of one Spark session) and lakeloader's on each path."""
    cases = list(cases)
    report = Report(oracle.version)
    started = time.perf_counter()
    spark: dict[str, Answer] = {}
    for c in cases:
        answer = oracle.answer(c)
        if answer is None:
            report.unanswered.append(c.id)
        else:
            spark[c.id] = answer
    report.answered, report.asked = len(spark), oracle.asked
    report.seconds["Spark"] = time.perf_counter() - started
    answered = [c for c in cases if c.id in spark]
    for path in paths:
        started = time.perf_counter()
        if path == SQL:
            ours = {c.id: engines.sql_answer(lh, c) for c in answered}
        elif path == PIPELINE:
            ours = engines.pipeline_answers(lh, answered, workdir / "pipelines")
        else:
            raise ValueError(f"unknown path {path}")
        report.seconds[path] = time.perf_counter() - started
        report.results[path] = [_judge(c, ours[c.id], spark[c.id], pipeline=path == PIPELINE) for c in answered]
    return report


def _judge(case: Case, ours: Answer, spark: Answer, *, pipeline: bool) -> Result:
    if ours.error == engines.NO_SETTINGS:
        return Result(case, Verdict("different", "settings not passed"), ours, spark)
    if ours.error is not None and ours.error.startswith(engines.CRASH):
        return Result(case, Verdict("different", f"crashes ({ours.error.split(':', 1)[1]})"), ours, spark)
    # a table has no row order: a materialized view is compared as a multiset of rows
    found = verdict(ours, spark, ordered=case.ordered and not pipeline, names=case.names())
    if found.outcome == "different" and ours.error is not None:
        found = Verdict("different", f"{found.why}: {_raised_kind(ours.message or '')}")
    return Result(case, found, ours, spark)


_RAISED_KINDS = [
    (r"function \S+ does not exist|Function with name \S+ does not exist", "a function the engine lacks"),
    (r"Malformed JSON", "malformed JSON fails the query (a bad row, or a DDL schema read as JSON)"),
    (r"Parser Error|cannot be read", "syntax the engine cannot parse"),
    (r"Binder Error|Catalog Error", "the engine's binder refuses it"),
    (r"Conversion Error|Could not parse|Invalid Input Error|Out of Range Error", "a value the engine refuses"),
    (r"Not implemented|not supported|Unsupported|only supports", "a construct the translation does not handle"),
]


def _raised_kind(message: str) -> str:
    """What kind of error lakeloader raised, from its message (to group a report's differences by cause)."""
    for pattern, kind in _RAISED_KINDS:
        if re.search(pattern, message, re.IGNORECASE):
            return kind
    return "another error"


def main(argv: list[str] | None = None) -> int:
    import argparse

    from lakeloader.lakehouse.root import Lakehouse

    parser = argparse.ArgumentParser(prog="python -m tests.parity.report", description=__doc__)
    parser.add_argument(
        "--refresh",
        action="store_true",
        help="ask Spark again for every case, write the answers and remove stale ones (make parity-answers)",
    )
    parser.add_argument("--path", choices=PATHS, action="append", help="only this lakeloader path (repeatable)")
    parser.add_argument("-k", dest="pattern", help="only cases whose id contains this text")
    args = parser.parse_args(argv)
    cases = [c for c in all_cases() if not args.pattern or args.pattern in c.id]
    with tempfile.TemporaryDirectory(prefix="lakeloader-parity-") as tmp:
        root = Path(tmp)
        lh = Lakehouse(root / "lakehouse")
        files = edge_data.write(lh)
        oracle = Oracle(
            data_files=lambda: files,
            fingerprint=edge_data.fingerprint(),
            required=bool(os.environ.get("CI")) or args.refresh,
            refresh=args.refresh or os.environ.get("PARITY_REFRESH") == "1",
        )
        try:
            if args.refresh:
                for c in cases:
                    oracle.answer(c)
                stale = oracle.stale(all_cases()) if not args.pattern else []
                for path in stale:
                    path.unlink()
                print(f"Spark {oracle.version}: {oracle.asked} answers written, {len(stale)} stale removed")
                return 0
            report = run(lh, oracle, cases, workdir=root, paths=args.path or PATHS)
        finally:
            oracle.close()
    print("\n".join(report.lines()))
    return 1 if any(report.different(p) for p in report.results) else 0


if __name__ == "__main__":
    sys.exit(main())
