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
HISTORY = [{"id": -1, "kind": "a", "amount": 5.0, "seq": 0}, {"id": -2, "kind": "b", "amount": 7.0, "seq": 0}]
LABELS = {"a": "alpha", "b": "beta", "c": "gamma"}


@dataclass
class Case:
    name: str
    files: dict[str, str]
    oracle: Callable[[list[Event]], dict[str, list[tuple[Any, ...]]]]  # all input so far -> table -> rows
    queries: dict[str, str]  # table -> the SELECT whose rows are compared (ordered by all columns)
    landing: bool = False  # the events also land as JSON files in a volume, one file per round
    configuration: str = '  x: "1"'
    notebooks: tuple[str, ...] = ()  # files run as notebooks (lakeloader notebooks run) each round, not a pipeline


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


def _mv_chain(all_events: list[Event]) -> dict[str, list[tuple[Any, ...]]]:
    known = [e for e in all_events if e["amount"] is not None]
    ranked = []
    for kind in {e["kind"] for e in known}:
        mine = sorted((e for e in known if e["kind"] == kind), key=lambda e: (-e["amount"], e["id"]))
        ranked += [(e["id"], kind, i + 1) for i, e in enumerate(mine)]
    top = [(i, k) for i, k, r in ranked if r == 1]
    return {"ranked": _sorted(ranked), "top": _sorted(top)}


def _append_flows(all_events: list[Event]) -> dict[str, list[tuple[Any, ...]]]:
    return {"merged": _sorted([(e["id"], "a" if e["kind"] == "a" else "other") for e in all_events])}


def _backfill(all_events: list[Event]) -> dict[str, list[tuple[Any, ...]]]:
    return {"everything": _sorted([(e["id"], e["kind"]) for e in [*HISTORY, *all_events]])}


def _scd2(all_events: list[Event]) -> dict[str, list[tuple[Any, ...]]]:
    out = []
    for key in {e["id"] % 3 for e in all_events}:
        current: list[Any] | None = None
        for e in sorted((e for e in all_events if e["id"] % 3 == key), key=lambda e: e["id"]):
            if current is not None and current[1] == e["kind"]:
                continue
            if current is not None:
                current[3] = e["id"]
                out.append(tuple(current))
            current = [key, e["kind"], e["id"], None]
        if current is not None:
            out.append(tuple(current))
    return {"history": _sorted(out)}


def _stream_static(all_events: list[Event]) -> dict[str, list[tuple[Any, ...]]]:
    return {"labelled": _sorted([(e["id"], LABELS[e["kind"]]) for e in all_events])}


def _configured(all_events: list[Event]) -> dict[str, list[tuple[Any, ...]]]:
    big = [e for e in all_events if e["amount"] is not None and e["amount"] > 15]
    return {"big_by_kind": _sorted([(k, sum(1 for e in big if e["kind"] == k)) for k in {e["kind"] for e in big}])}


def _json_paths(all_events: list[Event]) -> dict[str, list[tuple[Any, ...]]]:
    return {"tagged": _sorted([(e["id"], f"d{e['id'] % 2}", tag) for e in all_events for tag in (e["kind"], "x")])}


def _python(all_events: list[Event]) -> dict[str, list[tuple[Any, ...]]]:
    kept = [e for e in all_events if e["amount"] is not None]
    totals: dict[str, float] = defaultdict(float)
    for e in kept:
        totals[e["kind"]] += e["amount"]
    return {"py_bronze": _sorted([(e["id"], e["amount"]) for e in kept]), "py_gold": _sorted(list(totals.items()))}


def _quarantine(all_events: list[Event]) -> dict[str, list[tuple[Any, ...]]]:
    ok = [e for e in all_events if e["kind"] != "c"]
    dropped = [e for e in all_events if e["kind"] == "c"]
    return {"checked": _sorted([(e["id"],) for e in ok]), "checked_quarantine": _sorted([(e["id"],) for e in dropped])}


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
            CREATE OR REFRESH STREAMING LIVE TABLE raw_files AS SELECT id, kind FROM cloud_files(
              "/Volumes/main/landing/raw/events", "json", map("cloudFiles.inferColumnTypes", "true"));
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
    Case(
        "materialized_views_ctes_and_windows",
        {
            "ranked.sql": """\
            CREATE OR REFRESH MATERIALIZED VIEW ranked AS
            WITH known AS (SELECT * FROM main.raw.events WHERE amount IS NOT NULL)
            SELECT id, kind, rank() OVER (PARTITION BY kind ORDER BY amount DESC, id) AS r FROM known;
            CREATE OR REFRESH MATERIALIZED VIEW top AS SELECT id, kind FROM ranked WHERE r = 1;
            """,
        },
        _mv_chain,
        {"ranked": "SELECT id, kind, r FROM main.silver.ranked", "top": "SELECT id, kind FROM main.silver.top"},
    ),
    Case(
        "append_flows",
        {
            "merged.sql": """\
            CREATE OR REFRESH STREAMING TABLE merged;
            CREATE FLOW only_a AS INSERT INTO merged BY NAME
              SELECT id, 'a' AS grp FROM STREAM(main.raw.events) WHERE kind = 'a';
            CREATE FLOW the_rest AS INSERT INTO merged BY NAME
              SELECT id, 'other' AS grp FROM STREAM(main.raw.events) WHERE kind <> 'a';
            """,
        },
        _append_flows,
        {"merged": "SELECT id, grp FROM main.silver.merged"},
    ),
    Case(
        "backfill_once",
        {
            "everything.sql": """\
            CREATE OR REFRESH STREAMING TABLE everything;
            CREATE FLOW backfill AS INSERT INTO ONCE everything BY NAME SELECT id, kind FROM main.raw.history;
            CREATE FLOW live AS INSERT INTO everything BY NAME SELECT id, kind FROM STREAM(main.raw.events);
            """,
        },
        _backfill,
        {"everything": "SELECT id, kind FROM main.silver.everything"},
    ),
    Case(
        "apply_changes_scd2",
        {
            "history.sql": """\
            CREATE TEMPORARY VIEW keyed AS SELECT id % 3 AS key, kind, id FROM STREAM(main.raw.events);
            CREATE OR REFRESH STREAMING TABLE history;
            CREATE FLOW to_history AS AUTO CDC INTO history FROM STREAM(keyed)
              KEYS (key) SEQUENCE BY id COLUMNS key, kind STORED AS SCD TYPE 2;
            """,
        },
        _scd2,
        {"history": "SELECT key, kind, __START_AT, __END_AT FROM main.silver.history"},
    ),
    Case(
        "stream_static_join",
        {
            "labelled.sql": """\
            CREATE OR REFRESH STREAMING TABLE labelled AS
            SELECT e.id, kinds.label FROM STREAM(main.raw.events) e JOIN main.raw.kinds ON kinds.kind = e.kind;
            """,
        },
        _stream_static,
        {"labelled": "SELECT id, label FROM main.silver.labelled"},
    ),
    Case(
        "configuration_and_temporary_views",
        {
            "views.sql": """\
            CREATE TEMPORARY VIEW known AS SELECT * FROM main.raw.events WHERE amount IS NOT NULL;
            CREATE TEMPORARY VIEW big AS SELECT * FROM known WHERE amount > ${threshold};
            CREATE OR REFRESH MATERIALIZED VIEW big_by_kind AS SELECT kind, count(*) AS n FROM big GROUP BY ALL;
            """,
        },
        _configured,
        {"big_by_kind": "SELECT kind, n FROM main.silver.big_by_kind"},
        configuration='  threshold: "15"',
    ),
    Case(
        "json_paths_and_explode",
        {
            "tagged.sql": """\
            CREATE OR REFRESH STREAMING TABLE landed AS SELECT * FROM STREAM read_files(
              '/Volumes/main/landing/raw/events', format => 'json', inferColumnTypes => true);
            CREATE OR REFRESH MATERIALIZED VIEW tagged AS
            SELECT id, payload.device.name AS device, tag FROM landed LATERAL VIEW explode(tags) t AS tag;
            """,
        },
        _json_paths,
        {"tagged": "SELECT id, device, tag FROM main.silver.tagged"},
        landing=True,
    ),
    Case(
        "python_dp",
        {
            "py.py": """\
            from lakeloader import pipelines as dp  # `from pyspark import pipelines as dp`: issue 23

            @dp.table(comment="events with an amount")
            @dp.expect_or_drop("has_amount", "amount IS NOT NULL")
            def py_bronze():
                return dp.read_stream("main.raw.events").select("id, amount")

            @dp.materialized_view
            def py_gold():
                return dp.sql("SELECT e.kind, sum(b.amount) AS total FROM py_bronze b "
                              "JOIN main.raw.events e ON e.id = b.id GROUP BY e.kind")
            """,
        },
        _python,
        {
            "py_bronze": "SELECT id, amount FROM main.silver.py_bronze",
            "py_gold": "SELECT kind, total FROM main.silver.py_gold",
        },
    ),
    Case(
        "expectations_and_quarantine",
        {
            "checked.sql": """\
            CREATE OR REFRESH STREAMING TABLE checked (
              CONSTRAINT no_c EXPECT (kind <> 'c') ON VIOLATION DROP ROW,
              CONSTRAINT warn_only EXPECT (amount > 0)
            ) AS SELECT id, kind, amount FROM STREAM(main.raw.events);
            """,
        },
        _quarantine,
        {
            "checked": "SELECT id FROM main.silver.checked",
            "checked_quarantine": "SELECT id FROM main.silver.checked_quarantine",
        },
    ),
]


def _landed(e: Event) -> dict[str, Any]:
    return {
        "id": e["id"],
        "kind": e["kind"],
        "payload": {"device": {"name": f"d{e['id'] % 2}"}},
        "tags": [e["kind"], "x"],
    }


def _tuple(row: dict[str, Any]) -> tuple[Any, ...]:
    return tuple(row.values())


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_pipeline_corpus(lakehouse: Lakehouse, tmp_path: Path, case: Case) -> None:
    run_case(lakehouse, tmp_path, case)


def run_case(lakehouse: Lakehouse, tmp_path: Path, case: Case) -> None:
    """Two rounds of new input, the pipeline (or notebooks) run after each, every table compared with the oracle."""
    lh = lakehouse
    lh.create_catalog("main", if_not_exists=True)
    lh.create_schema("main.raw", if_not_exists=True)
    lh.create_schema("main.landing", if_not_exists=True)
    source = lh.create_table("main.raw.events")
    volume = Path(lh.create_volume("main.landing.raw").location or "")
    folder = tmp_path / case.name
    (folder / "transformations").mkdir(parents=True)
    (folder / "spark-pipeline.yml").write_text(
        SPEC.format(name=case.name, schema="silver", configuration=case.configuration)
    )
    kinds = lh.create_table("main.raw.kinds")  # a static dimension, and a history to backfill once
    delta.write(kinds.location, pa.table({"kind": ["a", "b", "c"], "label": ["alpha", "beta", "gamma"]}))
    history = lh.create_table("main.raw.history")
    delta.write(history.location, pa.Table.from_pylist(HISTORY, schema=SCHEMA))
    for name, text in case.files.items():
        (folder / "transformations" / name).write_text(textwrap.dedent(text))
    seen: list[Event] = []
    for round_ in range(2):
        new = events(round_)
        delta.write(source.location, pa.Table.from_pylist(new, schema=SCHEMA))
        if case.landing:
            (volume / "events").mkdir(exist_ok=True)
            lines = "".join(json.dumps(_landed(e)) + "\n" for e in new)
            (volume / "events" / f"round{round_}.json").write_text(lines)
        seen += new
        if case.notebooks:
            from lakeloader.notebooks.run import run as run_notebook

            for name in case.notebooks:
                run_notebook(folder / "transformations" / name, lh)
        else:
            result = run(folder, lh)
            assert result.status == "COMPLETED", [o.message for o in result.outcomes]
        expected = case.oracle(seen)
        for table, query in case.queries.items():
            got = _sorted([_tuple(r) for r in rows(lh, query)])
            assert got == expected[table], (case.name, round_, table)
