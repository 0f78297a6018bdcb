"""Updates with the semantics of Databricks pipelines: streaming tables read only what is new, materialized views
are recomputed, expectations count / drop / fail, failures stop descendants only, refresh selections, event log."""

from __future__ import annotations

from pathlib import Path

import pyarrow as pa
import pytest

from lakeloader.lakehouse import delta
from lakeloader.lakehouse.root import Lakehouse
from lakeloader.pipelines import eventlog
from lakeloader.pipelines.load import load
from tests.pipelines.conftest import Write, add_events, outcome, rows, run

MEDALLION = {
    "bronze.sql": """\
    CREATE OR REFRESH STREAMING TABLE bronze (
      CONSTRAINT has_id EXPECT (id IS NOT NULL) ON VIOLATION DROP ROW,
      CONSTRAINT positive EXPECT (amount >= 0)
    ) AS SELECT * FROM STREAM(main.raw.events);
    """,
    "silver.sql": """\
    CREATE OR REFRESH MATERIALIZED VIEW totals AS
    SELECT kind, sum(amount) AS total, count(*) AS n FROM bronze GROUP BY ALL;
    """,
    "gold.py": """\
    from lakeloader import pipelines as dp

    @dp.materialized_view(comment="the biggest kind")
    def top_kind():
        return dp.read("totals").order("total DESC").limit(1)
    """,
}


def _events(lh: Lakehouse, folder: Path) -> list[dict[str, object]]:
    return eventlog.read(load(folder, lh).storage / "system" / "events")


def test_streaming_tables_read_only_new_rows_and_views_recompute(lh: Lakehouse, pipeline: Write) -> None:
    folder = pipeline(MEDALLION)
    add_events(
        lh,
        [{"id": i, "kind": f"k{i % 2}", "amount": float(i)} for i in range(10)]
        + [{"id": None, "kind": "k0", "amount": 1.0}],
    )
    first = run(folder, lh)
    assert first.status == "COMPLETED"
    bronze = outcome(first, "bronze")
    assert (bronze.rows_in, bronze.rows_out, bronze.dropped) == (11, 10, 1)
    assert bronze.expectations == [
        {"name": "has_id", "dataset": "main.silver.bronze", "passed_records": 10, "failed_records": 1},
        {"name": "positive", "dataset": "main.silver.bronze", "passed_records": 11, "failed_records": 0},
    ]
    assert rows(lh, "SELECT kind, total, n FROM main.silver.totals ORDER BY kind") == [
        {"kind": "k0", "total": 20.0, "n": 5}, {"kind": "k1", "total": 25.0, "n": 5}]  # fmt: skip
    add_events(lh, [{"id": 100, "kind": "k0", "amount": 50.0}, {"id": 101, "kind": "k1", "amount": -1.0}])
    second = run(folder, lh)
    assert outcome(second, "bronze").rows_in == 2  # only the new rows
    assert outcome(second, "bronze").expectations[1]["failed_records"] == 1  # warn: kept, counted
    assert rows(lh, "SELECT count(*) AS n FROM main.silver.bronze") == [{"n": 12}]
    assert rows(lh, "SELECT kind, total FROM main.silver.top_kind") == [{"kind": "k0", "total": 70.0}]
    third = run(folder, lh)  # nothing new anywhere
    assert outcome(third, "bronze").batches == 0 and outcome(third, "totals").up_to_date
    assert rows(lh, "SELECT count(*) AS n FROM main.silver.bronze") == [{"n": 12}]


def test_fail_update_commits_nothing_and_names_the_constraint_and_a_row(lh: Lakehouse, pipeline: Write) -> None:
    folder = pipeline({"a.sql": """\
        CREATE OR REFRESH STREAMING TABLE strict (
          CONSTRAINT small EXPECT (amount < 100) ON VIOLATION FAIL UPDATE
        ) AS SELECT * FROM STREAM(main.raw.events);
        CREATE OR REFRESH MATERIALIZED VIEW after AS SELECT count(*) AS n FROM strict;
        CREATE OR REFRESH MATERIALIZED VIEW sibling AS SELECT count(*) AS n FROM main.raw.events;
        """})  # fmt: skip
    add_events(lh, [{"id": 1, "kind": "a", "amount": 5.0}, {"id": 2, "kind": "b", "amount": 500.0}])
    result = run(folder, lh)
    assert result.status == "FAILED"
    strict = outcome(result, "strict")
    assert strict.status == "FAILED"
    assert "expectation small on main.silver.strict failed" in strict.message and '"amount": 500.0' in strict.message
    assert outcome(result, "after").status == "SKIPPED"  # its descendant stops
    assert outcome(result, "sibling").status == "COMPLETED"  # its sibling does not
    table = lh.table("main.silver.strict")
    assert not delta.is_delta_table(table.location) or delta.describe(table.location)["rows"] == 0
    failed = [e for e in _events(lh, folder) if e["event_type"] == "flow_progress" and e["level"] == "ERROR"]
    assert failed and failed[0]["error"]["exceptions"][0]["message"].startswith("flow strict")  # type: ignore[index]


def test_event_log_has_databricks_columns_and_quality_metrics(lh: Lakehouse, pipeline: Write) -> None:
    folder = pipeline(MEDALLION)
    add_events(lh, [{"id": 1, "kind": "a", "amount": 1.0}, {"id": None, "kind": "a", "amount": 1.0}])
    result = run(folder, lh)
    events = _events(lh, folder)
    assert {e["event_type"] for e in events} >= {"create_update", "update_progress", "flow_definition", "flow_progress"}
    done = [
        e
        for e in events
        if e["event_type"] == "flow_progress"
        and e["origin"]["flow_name"] == "bronze"  # type: ignore[index]
        and e["details"]["flow_progress"]["status"] == "COMPLETED"
    ]  # type: ignore[index]
    details = done[0]["details"]["flow_progress"]  # type: ignore[index]
    assert details["metrics"]["num_output_rows"] == 1
    assert details["data_quality"]["dropped_records"] == 1
    assert details["data_quality"]["expectations"][0] == {
        "name": "has_id", "dataset": "main.silver.bronze", "passed_records": 1, "failed_records": 1}  # fmt: skip
    origin = done[0]["origin"]
    assert origin["pipeline_name"] == "p" and origin["update_id"] == result.update_id  # type: ignore[index]
    states = [e["details"]["update_progress"]["state"] for e in events if e["event_type"] == "update_progress"]  # type: ignore[index]
    assert states == ["INITIALIZING", "RUNNING", "COMPLETED"]
    table = rows(lh, "SELECT count(*) AS n FROM main.raw.events")  # the log is a Delta table too
    assert table == [{"n": 2}]
    log = load(folder, lh).storage / "system" / "events"
    assert delta.describe(log)["columns"][0]["name"] == "id"
    columns = [c["name"] for c in delta.describe(log)["columns"]]
    assert columns == ["id", "sequence", "origin", "timestamp", "level", "maturity_level", "message", "error",
                       "event_type", "details"]  # fmt: skip


def test_refresh_selections_and_full_refresh(lh: Lakehouse, pipeline: Write) -> None:
    folder = pipeline(MEDALLION)
    add_events(lh, [{"id": 1, "kind": "a", "amount": 1.0}])
    run(folder, lh)
    add_events(lh, [{"id": 2, "kind": "a", "amount": 2.0}])
    only = run(folder, lh, refresh=["bronze"])
    assert {o.flow: o.status for o in only.outcomes} == {
        "bronze": "COMPLETED",
        "totals": "EXCLUDED",
        "top_kind": "EXCLUDED",
    }
    assert rows(lh, "SELECT n FROM main.silver.totals") == [{"n": 1}]  # not refreshed
    full = run(folder, lh, full_refresh_selection=["bronze"])
    assert outcome(full, "bronze").rows_in == 2  # everything again, from nothing
    assert rows(lh, "SELECT count(*) AS n FROM main.silver.bronze") == [{"n": 2}]
    everything = run(folder, lh, full_refresh=True)
    assert everything.status == "COMPLETED" and rows(lh, "SELECT n FROM main.silver.totals") == [{"n": 2}]
    with pytest.raises(Exception, match="not a dataset of pipeline p"):
        run(folder, lh, refresh=["nope"])


def test_a_change_upstream_needs_skip_change_commits(lh: Lakehouse, pipeline: Write) -> None:
    folder = pipeline(MEDALLION)
    add_events(lh, [{"id": 1, "kind": "a", "amount": 1.0}])
    run(folder, lh)
    events = lh.table("main.raw.events").location
    delta.open_table(events).delete("id = 1")  # an upstream DELETE: not an append
    failed = run(folder, lh)
    assert outcome(failed, "bronze").status == "FAILED"
    assert "skipChangeCommits" in outcome(failed, "bronze").message
    (folder / "transformations" / "settings.sql").write_text("SET skipChangeCommits = true;")
    add_events(lh, [{"id": 2, "kind": "a", "amount": 1.0}])
    ok = run(folder, lh)
    assert outcome(ok, "bronze").status == "COMPLETED" and outcome(ok, "bronze").rows_in == 1


def test_views_append_flows_and_the_python_api(lh: Lakehouse, pipeline: Write) -> None:
    folder = pipeline({
        "a.sql": """\
        CREATE TEMPORARY VIEW big AS SELECT * FROM STREAM(main.raw.events) WHERE amount >= 10;
        CREATE OR REFRESH STREAMING TABLE everything;
        CREATE FLOW from_big AS INSERT INTO everything BY NAME SELECT id, 'big' AS source FROM STREAM(big);
        """,
        "b.py": """\
        import polars as pl
        import pyarrow as pa
        from lakeloader import pipelines as dp

        @dp.append_flow(target="everything")
        def from_small():
            return dp.read_stream("main.raw.events").filter("amount < 10").project("id, 'small' AS source")

        dp.create_streaming_table("audited", expect_all_or_drop={"has_id": "id IS NOT NULL"})

        @dp.append_flow(target="audited")
        def audit():
            return dp.read_stream("everything")

        @dp.table(name="doubled")
        @dp.expect_or_drop("positive", "amount > 0")
        def doubled_rows():
            return dp.sql("SELECT id, amount * 2 AS amount FROM STREAM(main.raw.events)")

        @dp.materialized_view
        def as_polars():
            return dp.read("everything").pl().group_by("source").agg(pl.len().alias("n")).sort("source")

        @dp.materialized_view
        def as_arrow():
            return pa.table({"n": [dp.read("doubled").count("*").fetchall()[0][0]]})
        """,
    })  # fmt: skip
    add_events(lh, [{"id": 1, "kind": "a", "amount": 5.0}, {"id": 2, "kind": "a", "amount": 50.0},
                    {"id": None, "kind": "a", "amount": 0.0}])  # fmt: skip
    result = run(folder, lh)
    assert result.status == "COMPLETED", [o.message for o in result.outcomes]
    expected = [{"id": 1, "source": "small"}, {"id": 2, "source": "big"}, {"id": None, "source": "small"}]
    assert sorted(rows(lh, "SELECT id, source FROM main.silver.everything"), key=str) == sorted(expected, key=str)
    assert rows(lh, "SELECT count(*) AS n FROM main.silver.audited") == [{"n": 2}]
    assert rows(lh, "SELECT id, amount FROM main.silver.doubled ORDER BY id") == [
        {"id": 1, "amount": 10.0}, {"id": 2, "amount": 100.0}]  # fmt: skip
    assert rows(lh, "SELECT source, n FROM main.silver.as_polars ORDER BY source") == [
        {"source": "big", "n": 1}, {"source": "small", "n": 2}]  # fmt: skip
    assert rows(lh, "SELECT n FROM main.silver.as_arrow") == [{"n": 2}]
    add_events(lh, [{"id": 3, "kind": "a", "amount": 70.0}])
    again = run(folder, lh)
    assert outcome(again, "from_big").rows_out == 1 and outcome(again, "from_small").rows_out == 0
    assert rows(lh, "SELECT count(*) AS n FROM main.silver.everything") == [{"n": 4}]


def test_independent_flows_run_in_parallel(lh: Lakehouse, pipeline: Write) -> None:
    """Two flows that read nothing of each other are in their query functions at the same time."""
    folder = pipeline({"a.py": """\
        import threading
        import pyarrow as pa
        from lakeloader import pipelines as dp

        BARRIER = threading.Barrier(2, timeout=60)

        @dp.materialized_view
        def left():
            BARRIER.wait()  # both flows must be here at once, or this times out
            return pa.table({"side": ["left"]})

        @dp.materialized_view
        def right():
            BARRIER.wait()
            return pa.table({"side": ["right"]})
        """})  # fmt: skip
    result = run(folder, lh)
    assert result.status == "COMPLETED", [o.message for o in result.outcomes]
    assert rows(lh, "SELECT side FROM main.silver.left") == [{"side": "left"}]


def test_a_once_flow_backfills_one_time_and_again_after_a_full_refresh(lh: Lakehouse, pipeline: Write) -> None:
    add_events(lh, [{"id": 1, "kind": "a", "amount": 1.0}])
    lh.create_table("main.raw.archive", if_not_exists=True)
    add_events(
        lh, [{"id": -1, "kind": "old", "amount": 5.0}, {"id": -2, "kind": "old", "amount": 6.0}], "main.raw.archive"
    )
    folder = pipeline({
        "a.sql": """\
        CREATE OR REFRESH STREAMING TABLE all_events AS SELECT * FROM STREAM(main.raw.events);
        CREATE FLOW backfill AS INSERT INTO ONCE all_events BY NAME SELECT * FROM main.raw.archive;
        """,
    })  # fmt: skip
    first = run(folder, lh)
    assert first.status == "COMPLETED", [o.message for o in first.outcomes]
    assert outcome(first, "backfill").rows_out == 2
    add_events(lh, [{"id": -3, "kind": "old", "amount": 7.0}], "main.raw.archive")
    second = run(folder, lh)
    assert outcome(second, "backfill").rows_out == 0 and outcome(second, "backfill").up_to_date
    assert rows(lh, "SELECT count(*) AS n FROM main.silver.all_events") == [{"n": 3}]
    assert run(folder, lh, full_refresh=True).status == "COMPLETED"  # the backfill runs again, on today's archive
    assert rows(lh, "SELECT count(*) AS n FROM main.silver.all_events") == [{"n": 4}]


def test_partitioned_by_partitions_streaming_tables_and_views(lh: Lakehouse, pipeline: Write) -> None:
    add_events(lh, [{"id": i, "kind": f"k{i % 3}", "amount": float(i)} for i in range(9)])
    folder = pipeline({
        "a.sql": """\
        CREATE OR REFRESH STREAMING TABLE bronze PARTITIONED BY (kind) AS SELECT * FROM STREAM(main.raw.events);
        CREATE OR REFRESH MATERIALIZED VIEW totals PARTITIONED BY (kind)
        AS SELECT kind, sum(amount) AS s FROM bronze GROUP BY kind;
        """,
    })  # fmt: skip
    assert run(folder, lh).status == "COMPLETED"
    for name in ("bronze", "totals"):
        assert delta.describe(lh.table(f"main.silver.{name}").location)["partition_columns"] == ["kind"]
    add_events(lh, [{"id": 9, "kind": "k0", "amount": 1.0}])
    assert run(folder, lh).status == "COMPLETED"  # a stream over a partitioned table
    assert rows(lh, "SELECT s FROM main.silver.totals WHERE kind = 'k0'") == [{"s": 0.0 + 3 + 6 + 1}]


def test_a_plain_copy_stream_reads_the_files_and_follows_new_columns(lh: Lakehouse, pipeline: Write) -> None:
    from lakeloader.pipelines.translate import is_plain_stream_copy

    assert is_plain_stream_copy("SELECT * FROM STREAM(main.raw.events)")
    assert is_plain_stream_copy("SELECT * FROM STREAM(raw.events) e")
    for other in (
        "SELECT *, 1 AS x FROM STREAM(raw.events)",
        "SELECT * EXCEPT (kind) FROM STREAM(raw.events)",
        "SELECT * FROM STREAM(raw.events) WHERE id > 1",
        "SELECT DISTINCT * FROM STREAM(raw.events)",
        "SELECT * FROM STREAM(raw.events) LIMIT 3",
        "SELECT * FROM STREAM(raw.events) e JOIN raw.other o USING (id)",
        "SELECT * FROM STREAM read_files('/x', format => 'json')",
        "SELECT id FROM STREAM(raw.events)",
    ):
        assert not is_plain_stream_copy(other), other
    folder = pipeline({"a.sql": "CREATE OR REFRESH STREAMING TABLE copy AS SELECT * FROM STREAM(main.raw.events);"})
    add_events(lh, [{"id": i, "kind": "a", "amount": float(i)} for i in range(5)])
    assert outcome(run(folder, lh), "copy").rows_out == 5
    wider = pa.table({"id": [5, 6], "kind": ["b", "b"], "amount": [5.0, 6.0], "note": ["n5", "n6"]})
    delta.write(lh.table("main.raw.events").location, wider, schema_evolution=True)
    add_events(lh, [{"id": 7, "kind": "c", "amount": 7.0}])
    second = run(folder, lh)
    assert outcome(second, "copy").rows_out == 3 and outcome(second, "copy").rows_in == 3
    got = rows(lh, "SELECT id, note FROM main.silver.copy ORDER BY id")
    assert got == [{"id": i, "note": {5: "n5", 6: "n6"}.get(i)} for i in range(8)]
    assert outcome(run(folder, lh), "copy").up_to_date


def test_columns_qualified_by_an_unaliased_table_name(lh: Lakehouse, pipeline: Write) -> None:
    """`FROM clean c LEFT JOIN s1 ON s1.k = c.id` (Spark resolves s1.k to the table s1): 'Referenced table s1 not
    found' before, as the table became a view of another name."""
    add_events(lh, [{"id": 1, "kind": "a", "amount": 1.0}, {"id": 2, "kind": "b", "amount": 2.0}])
    lh.create_table("main.raw.kinds")
    delta.write(lh.table("main.raw.kinds").location, pa.table({"kind": ["a"], "label": ["first"]}))
    folder = pipeline({
        "a.sql": """\
        CREATE MATERIALIZED VIEW labelled AS
        SELECT e.id, kinds.label FROM main.raw.events e LEFT JOIN main.raw.kinds ON kinds.kind = e.kind;
        CREATE STREAMING TABLE streamed AS
        SELECT events.id, kinds.label FROM STREAM(main.raw.events) events
        JOIN main.raw.kinds ON kinds.kind = events.kind;
        """,
    })  # fmt: skip
    result = run(folder, lh)
    assert result.status == "COMPLETED", [o.message for o in result.outcomes]
    assert rows(lh, "SELECT id, label FROM main.silver.labelled ORDER BY id") == [
        {"id": 1, "label": "first"}, {"id": 2, "label": None}]  # fmt: skip
    assert rows(lh, "SELECT id, label FROM main.silver.streamed") == [{"id": 1, "label": "first"}]


def test_a_materialized_view_over_a_changed_temporary_view_is_recomputed(lh: Lakehouse, pipeline: Write) -> None:
    """The view's query is part of what must be unchanged for a skip: `n` stayed 9 after the temporary view's
    WHERE changed (even under --refresh)."""
    add_events(lh, [{"id": i, "kind": "a", "amount": float(i)} for i in range(1, 10)])

    def define(where: str) -> Path:
        return pipeline({
            "a.sql": f"""\
            CREATE TEMPORARY VIEW chosen AS SELECT * FROM main.raw.events WHERE {where};
            CREATE TEMPORARY VIEW again AS SELECT * FROM chosen;
            CREATE MATERIALIZED VIEW counted AS SELECT count(*) AS n FROM again;
            """,
        })  # fmt: skip

    assert run(define("amount > 0"), lh).status == "COMPLETED"
    assert rows(lh, "SELECT n FROM main.silver.counted") == [{"n": 9}]
    skipped = run(define("amount > 0"), lh)
    assert outcome(skipped, "counted").up_to_date  # nothing changed: skipped
    assert run(define("amount > 5"), lh).status == "COMPLETED"
    assert rows(lh, "SELECT n FROM main.silver.counted") == [{"n": 4}]


def test_streams_over_partitioned_tables(lh: Lakehouse, pipeline: Write) -> None:
    """A stream's first update over a DATE-partitioned table failed (`ArrowTypeError: Expected bytes, got a
    'datetime.date'`: the snapshot gives typed partition values, the log text); its rerun succeeded."""
    import datetime

    table = lh.create_table("main.raw.byday")
    stamp = datetime.datetime(2024, 1, 1, 6, 30, tzinfo=datetime.UTC)

    def land(days: list[int]) -> None:
        data = pa.table({
            "day": [datetime.date(2024, 1, d) for d in days],
            "n": pa.array(days, pa.int32()),
            "at": pa.array([stamp + datetime.timedelta(days=d) for d in days], pa.timestamp("us", tz="UTC")),
            "v": [float(d) for d in days],
        })  # fmt: skip
        delta.write(table.location, data, partition_by=["day", "n", "at"])

    land([1, 2])
    folder = pipeline({"a.sql": "CREATE STREAMING TABLE copy AS SELECT * FROM STREAM(main.raw.byday);"})
    first = run(folder, lh)
    assert first.status == "COMPLETED", [o.message for o in first.outcomes]
    land([3])  # read from the log this time: partition values as text
    second = run(folder, lh)
    assert second.status == "COMPLETED", [o.message for o in second.outcomes]
    got = rows(lh, "SELECT day, n, at, v FROM main.silver.copy ORDER BY v")
    assert got == [
        {"day": datetime.date(2024, 1, d), "n": d, "at": stamp + datetime.timedelta(days=d), "v": float(d)}
        for d in (1, 2, 3)
    ]


def test_set_statements_are_honoured_or_refused_by_name(lh: Lakehouse, pipeline: Write) -> None:
    """SET was stored and ignored (but skipChangeCommits): a session setting applies to the definitions after it in
    its file, `${key}` reads a SET above it, and a setting lakeloader would not honour fails dry-run by name."""
    import datetime

    lh.create_table("main.raw.stamps")
    stamp = datetime.datetime(2024, 3, 1, 23, 30, tzinfo=datetime.UTC)
    delta.write(lh.table("main.raw.stamps").location, pa.table({"ts": pa.array([stamp], pa.timestamp("us", tz="UTC"))}))
    folder = pipeline({
        "a.sql": """\
        CREATE MATERIALIZED VIEW in_utc AS SELECT hour(ts) AS h FROM main.raw.stamps;
        SET spark.sql.session.timeZone = Asia/Tokyo;
        SET my.table = main.raw.stamps
        -- COMMAND ----------
        CREATE MATERIALIZED VIEW in_tokyo AS SELECT hour(ts) AS h FROM ${my.table};
        """,
        "b.sql": "CREATE MATERIALIZED VIEW other_file AS SELECT hour(ts) AS h FROM main.raw.stamps;",
    })  # fmt: skip
    result = run(folder, lh)
    assert result.status == "COMPLETED", [o.message for o in result.outcomes]
    assert rows(lh, "SELECT h FROM main.silver.in_utc") == [{"h": 23}]
    assert rows(lh, "SELECT h FROM main.silver.in_tokyo") == [{"h": 8}]  # 23:30 UTC is 08:30 in Tokyo
    assert rows(lh, "SELECT h FROM main.silver.other_file") == [{"h": 23}]

    refused = {
        "SET spark.databricks.cloudFiles.noSuchThing = 2;": "noSuchThing: lakeloader does not honour this setting",
        "SET spark.sql.shuffle.partitions = 8;": "spark.sql.shuffle.partitions: lakeloader does not honour",
        "SET spark.sql.session.timeZone = Mars/Olympus;": "not a time zone",
        "SET pipelines.trigger.interval = soon;": "is not a duration",
    }
    for statement, why in refused.items():
        bad = pipeline({"a.sql": f"{statement}\nCREATE MATERIALIZED VIEW v AS SELECT 1 AS x;"}, name="bad")
        problems = load(bad, lh).problems
        assert len(problems) == 1 and why in problems[0] and problems[0].startswith("transformations/a.sql:1: SET")
    fine = pipeline({"a.sql": "SET pipelines.trigger.interval = 1 minute;\nSET skipChangeCommits = true;\n"
                     "CREATE MATERIALIZED VIEW v AS SELECT 1 AS x;"}, name="fine")  # fmt: skip
    assert load(fine, lh).problems == []


def test_declared_columns_are_kept(lh: Lakehouse, pipeline: Write) -> None:
    """A column declared DATE was stored as the query's type; NOT NULL was not enforced; PRIMARY/FOREIGN KEY
    constraints were dropped. Now: Spark's casts to the declared types, NOT NULL fails the update (nothing
    committed), the key constraints kept in the table's properties, mismatched columns named."""
    import datetime

    add_events(lh, [{"id": 1, "kind": "2024-03-01", "amount": 1.5}])
    folder = pipeline({
        "a.sql": """\
        CREATE MATERIALIZED VIEW typed (
          id INT NOT NULL, day DATE, amount DECIMAL(10,2) COMMENT 'money',
          CONSTRAINT typed_pk PRIMARY KEY (id) RELY
        ) AS SELECT id, CAST(kind AS TIMESTAMP) AS day, amount FROM main.raw.events;
        """,
    })  # fmt: skip
    result = run(folder, lh)
    assert result.status == "COMPLETED", [o.message for o in result.outcomes]
    columns = {c["name"]: c for c in delta.describe(lh.table("main.silver.typed").location)["columns"]}
    assert {name: c["type"] for name, c in columns.items()} == {"id": "int", "day": "date", "amount": "decimal(10,2)"}
    assert columns["id"]["nullable"] is False
    from decimal import Decimal

    assert rows(lh, "SELECT * FROM main.silver.typed") == [
        {"id": 1, "day": datetime.date(2024, 3, 1), "amount": Decimal("1.50")}]  # fmt: skip
    info = lh.metastore.get("main.silver.typed")
    assert info is not None and info.properties["constraint.typed_pk"] == "PRIMARY KEY (id) RELY"

    add_events(lh, [{"id": None, "kind": "2024-03-02", "amount": 2.0}])
    failed = run(folder, lh)
    assert failed.status == "FAILED"
    message = " ".join(o.message or "" for o in failed.outcomes)
    assert "DELTA_NOT_NULL_CONSTRAINT_VIOLATED" in message and "column id" in message
    assert rows(lh, "SELECT count(*) AS n FROM main.silver.typed") == [{"n": 1}]  # the last good refresh stays

    python = pipeline({"a.py": """\
        from lakeloader import pipelines as dp

        @dp.materialized_view(schema="id INT NOT NULL, day DATE")
        def typed_py():
            return dp.sql("SELECT id, CAST(kind AS TIMESTAMP) AS day FROM main.raw.events WHERE id IS NOT NULL")
        """}, name="python")  # fmt: skip
    assert run(python, lh).status == "COMPLETED"
    columns = {c["name"]: c for c in delta.describe(lh.table("main.silver.typed_py").location)["columns"]}
    assert (columns["day"]["type"], columns["id"]["nullable"]) == ("date", False)

    mismatch = pipeline({"a.sql": "CREATE MATERIALIZED VIEW m (id INT, missing STRING) AS SELECT id, kind "
                         "FROM main.raw.events;"}, name="mismatch")  # fmt: skip
    message = " ".join(o.message or "" for o in run(mismatch, lh).outcomes)
    assert "declares missing, which its query does not return" in message


def test_an_aggregating_streaming_table_is_computed_over_all_its_input(lh: Lakehouse, pipeline: Write) -> None:
    """`SELECT kind, count(*) FROM STREAM(t) GROUP BY kind` held (a, 1), (a, 1) after two updates of one row each:
    computed per batch and appended. Without a watermark Databricks computes it over all its input."""
    folder = pipeline({
        "a.sql": """\
        CREATE OR REFRESH STREAMING TABLE kinds AS
        SELECT kind, count(*) AS n, sum(amount) AS total FROM STREAM(main.raw.events) GROUP BY kind;
        CREATE OR REFRESH STREAMING TABLE copied AS SELECT * FROM STREAM(main.raw.events);
        """,
    })  # fmt: skip
    add_events(lh, [{"id": 1, "kind": "a", "amount": 1.0}])
    assert run(folder, lh).status == "COMPLETED"
    add_events(lh, [{"id": 2, "kind": "a", "amount": 2.0}, {"id": 3, "kind": "b", "amount": 5.0}])
    second = run(folder, lh)
    assert second.status == "COMPLETED", [o.message for o in second.outcomes]
    assert rows(lh, "SELECT kind, n, total FROM main.silver.kinds ORDER BY kind") == [
        {"kind": "a", "n": 2, "total": 3.0}, {"kind": "b", "n": 1, "total": 5.0}]  # fmt: skip
    assert outcome(second, "copied").rows_out == 2  # a row-wise stream stays incremental
    assert outcome(run(folder, lh), "kinds").up_to_date  # nothing new: nothing recomputed


def test_sql_functions_defined_in_the_pipeline(lh: Lakehouse, pipeline: Write) -> None:
    """CREATE [TEMPORARY] FUNCTION, scalar and table, used by the pipeline's queries (inlined before translation:
    the values are the translator's, the tables a table function reads are in the graph)."""
    add_events(lh, [{"id": 1, "kind": "a", "amount": 50.0}, {"id": 2, "kind": "b", "amount": 212.0}])
    folder = pipeline({
        "functions.sql": """\
        CREATE OR REPLACE TEMPORARY FUNCTION to_celsius(f DOUBLE) RETURNS DOUBLE RETURN (f - 32) * 5 / 9;
        CREATE FUNCTION label(k STRING, f DOUBLE) RETURNS STRING RETURN concat(upper(k), ':', round(to_celsius(f)));
        CREATE FUNCTION above(threshold DOUBLE) RETURNS TABLE (id BIGINT, amount DOUBLE)
          RETURN SELECT e.id, e.amount FROM main.raw.events e WHERE e.amount > above.threshold;
        """,
        "a.sql": """\
        CREATE MATERIALIZED VIEW celsius AS SELECT id, to_celsius(amount) AS c, label(kind, amount) AS l
        FROM main.raw.events;
        CREATE MATERIALIZED VIEW hot AS SELECT h.id FROM above(100) h;
        """,
    })  # fmt: skip
    from lakeloader.pipelines.load import load as load_pipeline

    loaded = load_pipeline(folder, lh)
    assert loaded.problems == [] and loaded.graph.external["hot"] == {"main.raw.events"}
    result = run(folder, lh)
    assert result.status == "COMPLETED", [o.message for o in result.outcomes]
    assert rows(lh, "SELECT id, c, l FROM main.silver.celsius ORDER BY id") == [
        {"id": 1, "c": 10.0, "l": "A:10.0"}, {"id": 2, "c": 100.0, "l": "B:100.0"}]  # fmt: skip
    assert rows(lh, "SELECT id FROM main.silver.hot") == [{"id": 2}]
    wrong = pipeline({"f.sql": "CREATE FUNCTION two(a INT, b INT) RETURNS INT RETURN a + b;\n"
                      "CREATE MATERIALIZED VIEW w AS SELECT two(1) AS x;"}, name="wrong")  # fmt: skip
    problems = load_pipeline(wrong, lh).problems
    assert len(problems) == 1 and "function two takes 2 argument(s) (a, b), given 1" in problems[0]


def test_an_inner_join_of_two_streams_holds_every_matching_pair_once(lh: Lakehouse, pipeline: Write) -> None:
    """Two STREAM(...)s inner-joined (no watermark) were refused ('reads 2 streams'). Spark emits each matching pair
    once, whichever side arrives later: the table is the join of all the input. An outer join of streams needs a
    watermark in Spark and stays refused."""
    lh.create_table("main.raw.other")
    folder = pipeline({
        "a.sql": """\
        CREATE OR REFRESH STREAMING TABLE paired AS
        SELECT e.id, e.kind, o.kind AS other
        FROM STREAM(main.raw.events) e JOIN STREAM(main.raw.other) o ON e.id = o.id;
        """,
    })  # fmt: skip
    add_events(lh, [{"id": 1, "kind": "a", "amount": 1.0}, {"id": 2, "kind": "b", "amount": 1.0}])
    add_events(lh, [{"id": 1, "kind": "x", "amount": 0.0}], table="main.raw.other")
    assert run(folder, lh).status == "COMPLETED"
    assert rows(lh, "SELECT id, other FROM main.silver.paired") == [{"id": 1, "other": "x"}]
    add_events(lh, [{"id": 3, "kind": "c", "amount": 1.0}])  # a late left side for an old right one, and new pairs
    add_events(
        lh, [{"id": 2, "kind": "y", "amount": 0.0}, {"id": 3, "kind": "z", "amount": 0.0}], table="main.raw.other"
    )
    second = run(folder, lh)
    assert second.status == "COMPLETED", [o.message for o in second.outcomes]
    assert rows(lh, "SELECT id, kind, other FROM main.silver.paired ORDER BY id") == [
        {"id": 1, "kind": "a", "other": "x"},
        {"id": 2, "kind": "b", "other": "y"},
        {"id": 3, "kind": "c", "other": "z"},
    ]
    outer = pipeline({"a.sql": "CREATE OR REFRESH STREAMING TABLE o AS SELECT e.id FROM STREAM(main.raw.events) e "
                      "LEFT JOIN STREAM(main.raw.other) o ON e.id = o.id;"}, name="outer")  # fmt: skip
    assert any("reads 2 streams" in p for p in load(outer, lh).problems)


def test_a_python_schema_may_be_a_struct_type_or_an_arrow_schema(lh: Lakehouse, pipeline: Write) -> None:
    """`@dp.table(schema=StructType(...))`, as PySpark code declares it, and an Arrow schema: their columns kept."""
    add_events(lh, [{"id": 1, "kind": "2024-03-01", "amount": 1.5}])
    folder = pipeline({"a.py": """\
        import pyarrow as pa
        from pyspark.sql.types import DateType, IntegerType, StructField, StructType

        from lakeloader import pipelines as dp

        DECLARED = StructType([StructField("id", IntegerType(), False), StructField("day", DateType())])

        @dp.materialized_view(schema=DECLARED)
        def spark_typed():
            return dp.sql("SELECT id, CAST(kind AS TIMESTAMP) AS day FROM main.raw.events")

        @dp.materialized_view(schema=pa.schema([("id", pa.int16())]))
        def arrow_typed():
            return dp.sql("SELECT id FROM main.raw.events")

        @dp.materialized_view(schema="not ( a column list")
        def badly_typed():
            return dp.sql("SELECT id FROM main.raw.events")
        """})  # fmt: skip
    result = run(folder, lh)
    spark = {c["name"]: c for c in delta.describe(lh.table("main.silver.spark_typed").location)["columns"]}
    assert (spark["id"]["type"], spark["id"]["nullable"], spark["day"]["type"]) == ("int", False, "date")
    arrow = delta.describe(lh.table("main.silver.arrow_typed").location)["columns"]
    assert [(c["name"], c["type"]) for c in arrow] == [("id", "smallint")]
    failed = outcome(result, "badly_typed")
    assert failed.status == "FAILED" and "is not a column list" in failed.message
