"""A corpus of pipelines written as Databricks users write them (notebook exports and plain SQL files, the older
LIVE forms, SET, SQL functions, AUTO CDC, Auto Loader over a volume), each run twice with new input between,
every table compared with an oracle computed here in Python from the same input, not by any SQL engine."""

from __future__ import annotations

import json
import textwrap
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

import pyarrow as pa
import pytest

from lakeloader.lakehouse import delta
from lakeloader.lakehouse.root import Lakehouse
from tests.pipelines.conftest import SPEC, rows, run

Event = dict[str, Any]


def events(round_: int) -> list[Event]:
    """The raw events of one round: new ids, repeated kinds, a negative and a NULL amount among them."""
    out = []
    for i in range(8):
        n = round_ * 8 + i
        amount = None if n % 7 == 3 else float((n * 37) % 50 - 10)
        out.append({"id": n, "kind": "abc"[n % 3], "amount": amount, "seq": (n * 5) % 11 + round_ * 100})
    return out


SCHEMA = pa.schema([("id", pa.int64()), ("kind", pa.string()), ("amount", pa.float64()), ("seq", pa.int64())])


@dataclass
class Case:
    name: str
    files: dict[str, str]
    oracle: Callable[[list[Event]], dict[str, list[tuple[Any, ...]]]]  # all input so far -> table -> rows
    queries: dict[str, str]  # table -> the SELECT whose rows are compared (ordered by all columns)
    landing: bool = False  # the events also land as JSON files in a volume, one file per round


def _sorted(values: list[tuple[Any, ...]]) -> list[tuple[Any, ...]]:
    return sorted(values, key=repr)


def _medallion(all_events: list[Event]) -> dict[str, list[tuple[Any, ...]]]:
    silver = [e for e in all_events if e["amount"] is not None and e["amount"] >= 0]
    gold: dict[str, float] = defaultdict(float)
    for e in silver:
        gold[e["kind"]] += e["amount"]
    return {
        "bronze": _sorted([(e["id"], e["kind"], e["amount"]) for e in all_events]),
        "silver": _sorted([(e["id"], e["kind"], e["amount"]) for e in silver]),
        "gold": _sorted(list(gold.items())),
    }


def _streaming_counts(all_events: list[Event]) -> dict[str, list[tuple[Any, ...]]]:
    counts: dict[str, list[float]] = defaultdict(list)
    for e in all_events:
        counts[e["kind"]].append(e["amount"])
    return {"kinds": _sorted([(k, len(v), sum(a for a in v if a is not None)) for k, v in counts.items()])}


def _scd1(all_events: list[Event]) -> dict[str, list[tuple[Any, ...]]]:
    latest: dict[int, Event] = {}
    for e in sorted(all_events, key=lambda e: e["seq"] * 1000 + e["id"]):
        latest[e["id"] % 5] = e
    return {"customers": _sorted([(k, e["kind"], e["amount"]) for k, e in latest.items()])}


def _functions(all_events: list[Event]) -> dict[str, list[tuple[Any, ...]]]:
    def band(amount: float | None) -> str | None:
        if amount is None:
            return None
        return "high" if amount > 20 else "low"

    return {"banded": _sorted([(e["id"], band(e["amount"]), e["kind"].upper()) for e in all_events])}


def _declared(all_events: list[Event]) -> dict[str, list[tuple[Any, ...]]]:
    kept = [e for e in all_events if e["amount"] is not None]
    return {"typed": _sorted([(e["id"], Decimal(str(e["amount"])).quantize(Decimal("0.01"))) for e in kept])}


def _files(all_events: list[Event]) -> dict[str, list[tuple[Any, ...]]]:
    return {
        "raw_files": _sorted([(e["id"], e["kind"]) for e in all_events]),
        "file_counts": [(len(all_events),)],
    }


CASES = [
    Case(
        "medallion_notebook_export",
        {
            "medallion.sql": """\
            -- Databricks notebook source
            -- MAGIC %md
            -- MAGIC # Medallion, as exported from a notebook (cells without ';')

            -- COMMAND ----------
            CREATE OR REFRESH STREAMING LIVE TABLE bronze
            COMMENT 'raw events'
            AS SELECT id, kind, amount FROM STREAM(main.raw.events)

            -- COMMAND ----------
            CREATE OR REFRESH STREAMING LIVE TABLE silver (
              CONSTRAINT positive EXPECT (amount >= 0) ON VIOLATION DROP ROW
            ) AS SELECT * FROM STREAM(LIVE.bronze)

            -- COMMAND ----------
            CREATE OR REFRESH LIVE TABLE gold AS SELECT kind, sum(amount) AS total FROM LIVE.silver GROUP BY kind
            """,
        },
        _medallion,
        {
            "bronze": "SELECT id, kind, amount FROM main.silver.bronze",
            "silver": "SELECT id, kind, amount FROM main.silver.silver",
            "gold": "SELECT kind, total FROM main.silver.gold",
        },
    ),
    Case(
        "streaming_aggregation",
        {
            "counts.sql": """\
            CREATE OR REFRESH STREAMING TABLE kinds AS
            SELECT kind, count(*) AS n, coalesce(sum(amount), 0) AS total FROM STREAM(main.raw.events)
            GROUP BY kind ORDER BY kind;
            """,
        },
        _streaming_counts,
        {"kinds": "SELECT kind, n, total FROM main.silver.kinds"},
    ),
    Case(
        "apply_changes_scd1",
        {
            "cdc.sql": """\
            CREATE TEMPORARY LIVE VIEW changes AS SELECT id % 5 AS key, kind, amount, seq, id
            FROM STREAM(main.raw.events);
            CREATE OR REFRESH STREAMING LIVE TABLE customers;
            APPLY CHANGES INTO LIVE.customers FROM STREAM(LIVE.changes) KEYS (key)
              SEQUENCE BY STRUCT(seq, id) COLUMNS * EXCEPT (seq, id) STORED AS SCD TYPE 1;
            """,
        },
        _scd1,
        {"customers": "SELECT key, kind, amount FROM main.silver.customers"},
    ),
    Case(
        "set_and_functions",
        {
            "a_functions.sql": """\
            CREATE TEMPORARY FUNCTION band(a DOUBLE) RETURNS STRING
              RETURN CASE WHEN a IS NULL THEN NULL WHEN a > 20 THEN 'high' ELSE 'low' END;
            """,
            "b_banded.sql": """\
            SET spark.sql.ansi.enabled = true;
            SET source.table = main.raw.events;
            CREATE OR REFRESH MATERIALIZED VIEW banded AS SELECT id, band(amount) AS band, upper(kind) AS k
            FROM ${source.table};
            """,
        },
        _functions,
        {"banded": "SELECT id, band, k FROM main.silver.banded"},
    ),
    Case(
        "declared_schema",
        {
            "typed.sql": """\
            CREATE OR REFRESH MATERIALIZED VIEW typed (
              id INT NOT NULL COMMENT 'the event', amount DECIMAL(10,2),
              CONSTRAINT typed_pk PRIMARY KEY (id) RELY
            ) AS SELECT id, amount FROM main.raw.events WHERE amount IS NOT NULL;
            """,
        },
        _declared,
        {"typed": "SELECT id, amount FROM main.silver.typed"},
    ),
    Case(
        "auto_loader_volume",
        {
            "files.sql": """\
            CREATE OR REFRESH STREAMING TABLE raw_files AS SELECT id, kind FROM STREAM(cloud_files(
              '/Volumes/main/landing/raw/events', 'json', map('inferColumnTypes', 'true')));
            CREATE OR REFRESH MATERIALIZED VIEW file_counts AS
            SELECT count(*) AS n FROM json.`/Volumes/main/landing/raw/events`;
            """,
        },
        _files,
        {
            "raw_files": "SELECT id, kind FROM main.silver.raw_files",
            "file_counts": "SELECT n FROM main.silver.file_counts",
        },
        landing=True,
    ),
]


def _tuple(row: dict[str, Any]) -> tuple[Any, ...]:
    return tuple(row.values())


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_pipeline_corpus(lakehouse: Lakehouse, tmp_path: Path, case: Case) -> None:
    lh = lakehouse
    lh.create_catalog("main", if_not_exists=True)
    lh.create_schema("main.raw", if_not_exists=True)
    lh.create_schema("main.landing", if_not_exists=True)
    source = lh.create_table("main.raw.events")
    volume = Path(lh.create_volume("main.landing.raw").location or "")
    folder = tmp_path / case.name
    (folder / "transformations").mkdir(parents=True)
    (folder / "spark-pipeline.yml").write_text(SPEC.format(name=case.name, schema="silver", configuration='  x: "1"'))
    for name, text in case.files.items():
        (folder / "transformations" / name).write_text(textwrap.dedent(text))
    seen: list[Event] = []
    for round_ in range(2):
        new = events(round_)
        delta.write(source.location, pa.Table.from_pylist(new, schema=SCHEMA))
        if case.landing:
            (volume / "events").mkdir(exist_ok=True)
            lines = "".join(json.dumps({"id": e["id"], "kind": e["kind"]}) + "\n" for e in new)
            (volume / "events" / f"round{round_}.json").write_text(lines)
        seen += new
        result = run(folder, lh)
        assert result.status == "COMPLETED", [o.message for o in result.outcomes]
        expected = case.oracle(seen)
        for table, query in case.queries.items():
            got = _sorted([_tuple(r) for r in rows(lh, query)])
            assert got == expected[table], (case.name, round_, table)
