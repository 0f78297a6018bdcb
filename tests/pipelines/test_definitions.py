"""Reading pipelines as Databricks users write them: the spec, every SQL form, Python, and every problem at once."""

from __future__ import annotations

from pathlib import Path

import pytest

from lakeloader.errors import ConfigError
from lakeloader.lakehouse.root import Lakehouse
from lakeloader.pipelines import translate
from lakeloader.pipelines.load import load
from lakeloader.pipelines.spec import load_spec
from tests.pipelines.conftest import Write


def test_spec_unknown_keys_name_themselves_and_schema_or_database(tmp_path: Path) -> None:
    (tmp_path / "transformations").mkdir()
    (tmp_path / "transformations" / "a.sql").write_text("CREATE MATERIALIZED VIEW x AS SELECT 1 AS a")
    spec = tmp_path / "spark-pipeline.yml"
    spec.write_text("name: p\ndatabase: bronze\nlibraries:\n  - glob:\n      include: transformations/**\n")
    assert load_spec(tmp_path).default_schema == "bronze"
    spec.write_text("name: p\ncatalgo: main\nlibraries: [{glob: {include: transformations/**}}]\n")
    with pytest.raises(ConfigError, match=r"unknown key 'catalgo'; did you mean 'catalog'\?"):
        load_spec(tmp_path)
    spec.write_text("catalog: main\nlibraries: [{glob: {include: transformations/**}}]\n")
    with pytest.raises(ConfigError, match="'name' is missing"):
        load_spec(spec)
    spec.write_text("name: p\nlibraries: [{glob: {include: nowhere/**}}]\n")
    with pytest.raises(ConfigError, match="matches no file"):
        load_spec(tmp_path).source_files()
    spec.write_text("name: p\n")
    with pytest.raises(ConfigError, match="no libraries"):
        load_spec(tmp_path)


def test_every_sql_form(tmp_path: Path, lh: Lakehouse, pipeline: Write) -> None:
    folder = pipeline(
        {
            "bronze.sql": """\
            -- Databricks notebook source
            -- MAGIC %md
            -- MAGIC # Bronze, exported from a notebook

            -- COMMAND ----------
            SET pipelines.trigger.interval = 1 minute;
            CREATE OR REFRESH STREAMING TABLE raw_copy (
              id BIGINT NOT NULL COMMENT 'the key',
              kind STRING,
              CONSTRAINT has_id EXPECT (id IS NOT NULL) ON VIOLATION DROP ROW,
              CONSTRAINT big EXPECT (amount < ${limit}) ON VIOLATION FAIL UPDATE,
              CONSTRAINT soft EXPECT (kind <> "x"),
              CONSTRAINT pk PRIMARY KEY (id)
            ) COMMENT "raw, as it came" TBLPROPERTIES ('quality' = 'bronze') CLUSTER BY (kind)
            AS SELECT * FROM STREAM(main.raw.events);

            -- COMMAND ----------
            CREATE OR REFRESH TEMPORARY STREAMING TABLE scratch AS SELECT * FROM STREAM raw_copy;
            CREATE OR REFRESH MATERIALIZED VIEW totals AS SELECT kind, sum(amount) AS s FROM LIVE.raw_copy GROUP BY ALL;
            CREATE LIVE TABLE old_style AS SELECT * FROM totals;
            CREATE TEMPORARY VIEW recent AS SELECT * FROM STREAM(raw_copy) WHERE amount > 1;
            CREATE OR REFRESH STREAMING TABLE merged;
            CREATE FLOW from_recent AS INSERT INTO merged BY NAME SELECT * FROM STREAM(recent);
            CREATE FLOW backfill AS INSERT INTO ONCE merged BY NAME SELECT * FROM STREAM(scratch);
            CREATE OR REFRESH STREAMING TABLE customers;
            CREATE FLOW cdc AS AUTO CDC INTO customers FROM STREAM(raw_copy) KEYS (id) IGNORE NULL UPDATES
              APPLY AS DELETE WHEN kind = 'DELETE' APPLY AS TRUNCATE WHEN kind = 'TRUNCATE' SEQUENCE BY amount
              COLUMNS * EXCEPT (kind) STORED AS SCD TYPE 1;
            CREATE OR REFRESH STREAMING TABLE customers_history;
            APPLY CHANGES INTO customers_history FROM STREAM raw_copy KEYS (id, kind) SEQUENCE BY amount
              STORED AS SCD TYPE 2 TRACK HISTORY ON * EXCEPT (amount);
            """,
        },
        limit="1000",
    )
    loaded = load(folder, lh)
    assert loaded.problems == []
    graph = loaded.graph
    assert sorted(graph.nodes) == [
        "main.silver.customers", "main.silver.customers_history", "main.silver.merged", "main.silver.old_style",
        "main.silver.raw_copy", "main.silver.scratch", "main.silver.totals", "recent",
    ]  # fmt: skip
    raw = graph.nodes["main.silver.raw_copy"].dataset
    properties = {"quality": "bronze", "constraint.pk": "PRIMARY KEY (id)"}  # informational: kept, not enforced
    assert (raw.comment, raw.properties, raw.cluster_by) == ("raw, as it came", properties, ["kind"])
    assert raw.not_null == ["id"]
    assert raw.schema == "id BIGINT, kind STRING"
    assert [(e.name, e.condition, e.on_violation) for e in raw.expectations] == [
        ("has_id", "id IS NOT NULL", "drop"),
        ("big", "amount < 1000", "fail"),
        ("soft", 'kind <> "x"', "warn"),
    ]
    assert graph.nodes["main.silver.scratch"].dataset.temporary
    assert graph.nodes["main.silver.old_style"].dataset.kind == "materialized_view"
    assert graph.flows["backfill"].once and graph.flows["from_recent"].target == "merged"
    cdc = graph.flows["cdc"].auto_cdc
    assert cdc is not None and cdc.keys == ["id"] and cdc.ignore_null_updates and cdc.except_column_list == ["kind"]
    assert (cdc.apply_as_deletes, cdc.apply_as_truncates, cdc.sequence_by) == (
        "kind = 'DELETE'",
        "kind = 'TRUNCATE'",
        "amount",
    )
    history = graph.flows["customers_history_auto_cdc"].auto_cdc
    assert (
        history is not None
        and history.stored_as_scd_type == 2
        and history.track_history_except_column_list == ["amount"]
    )
    assert loaded.definitions.settings == {"pipelines.trigger.interval": "1 minute"}
    assert graph.flow_streams["from_recent"] == {"recent"} and graph.flow_reads["totals"] == {"main.silver.raw_copy"}


def test_every_problem_at_once_with_file_and_line(tmp_path: Path, lh: Lakehouse, pipeline: Write) -> None:
    folder = pipeline(
        {
            "a.sql": """\
            CREATE OR REFRESH MATERIALIZED VIEW a AS SELECT * FROM STREAM(main.raw.events);
            CREATE OR REFRESH STREAMING TABLE b AS SELECT * FROM main.raw.events;
            CREATE OR REFRESH MATERIALIZED VIEW c AS SELECT * FROM main.raw.event;
            CREATE OR REFRESH MATERIALIZED VIEW d AS SELECT * FROM e;
            CREATE OR REFRESH MATERIALIZED VIEW e AS SELECT * FROM d;
            CREATE FLOW f AS INSERT INTO nowhere BY NAME SELECT * FROM STREAM(b);
            CREATE OR REFRESH MATERIALIZED VIEW g USING PARQUET AS SELECT 1;
            CREATE OR REFRESH MATERIALIZED VIEW h AS SELECT ${missing} AS x;
            CREATE OR REFRESH MATERIALIZED VIEW a AS SELECT 2;
            SELECT 1;
            CREATE OR REFRESH MATERIALIZED VIEW broken AS SELEC 1 FROM;
            CREATE OR REFRESH MATERIALIZED VIEW sketch AS SELECT hll_sketch_agg(id) AS s FROM main.raw.events;
            CREATE OR REFRESH MATERIALIZED VIEW unknown AS SELECT frobnicate(id) AS s FROM main.raw.events;
            """,
            "b.py": """\
            from lakeloader import pipelines as dp

            @dp.materialized_view
            def fine():
                return dp.read("a")

            raise RuntimeError("a broken helper")
            """,
        }
    )
    problems = load(folder, lh).problems
    text = "\n".join(problems)
    expected = [
        "a.sql:1: materialized view main.silver.a reads a stream",
        "a.sql:2: streaming table main.silver.b reads no stream",
        "a.sql:3: flow c reads main.raw.event, which is neither a dataset of this pipeline nor a table of the "
        "lakehouse (did you mean",
        "the flows read each other in a cycle",
        "a.sql:6: flow f writes to nowhere, which the pipeline does not define",
        "a.sql:7: USING PARQUET",
        "a.sql:8: ${missing} is not in the pipeline's configuration",
        "dataset main.silver.a is defined twice (first at transformations/a.sql:1)",
        "a.sql:10: 'SELECT 1' is not a pipeline statement",
        "a.sql:11: the query cannot be read",
        "a.sql:12: function hll_sketch_agg: not supported: Apache DataSketches",  # refused before anything runs
        "a.sql:13: [UNRESOLVED_ROUTINE] function frobnicate does not exist",
        "b.py:7: RuntimeError: a broken helper",
    ]
    for piece in expected:
        assert piece in text, f"missing: {piece}\n{text}"
    assert all("\n" not in p for p in problems)


def test_databricks_sql_translates_to_duckdb() -> None:
    """Every source is swapped for the view the executor registers (`01_bronze`.t, STREAM(t), LIVE.t, a CTE kept),
    and what comes out runs on DuckDB with Spark's answers (the values themselves are the parity suite's)."""
    import duckdb

    from lakeloader.sql import runtime, types

    def resolve(name: str, streaming: bool) -> str:
        return ("s_" if streaming else "t_") + name.replace("`", "").replace(".", "_")

    columns = {"ts": "timestamp", "v": "string", "y": "string", "arr": "array<int>"}
    con = duckdb.connect()
    con.execute("SET TimeZone = 'UTC'")
    runtime.prepare(con)
    for view in ("t_01_bronze_t", "s_t", "t_t"):
        con.execute(
            f"CREATE TABLE {view} AS SELECT TIMESTAMPTZ '2024-03-10 23:30:00+00' AS ts, '{{\"a\": {{\"b\": 7}}}}' AS v,"
            " '12' AS y, [1, 2] AS arr"
        )
    cases = {
        "SELECT date_trunc('DAY', ts) AS d, count(*) AS n FROM `01_bronze`.t GROUP BY ALL": ("t_01_bronze_t", 1),
        'SELECT v:a.b AS x, try_cast(y AS INT) AS y, "text" AS s FROM STREAM(t)': ("s_t", 1),
        "SELECT explode(arr) AS e, current_timestamp() AS now FROM LIVE.t": ("t_t", 2),
        "WITH x AS (SELECT * FROM t) SELECT * FROM x": ("t_t", 1),
    }
    for sql, (view, rows) in cases.items():
        duck = translate.to_duckdb(
            sql, resolve=resolve, describe=lambda _v: {c: types.of(t) for c, t in columns.items()}
        )
        assert view in duck and "LIVE" not in duck and "`" not in duck, duck
        assert len(con.sql(runtime.ready(con, duck)).fetchall()) == rows, duck
    first = con.sql(translate.to_duckdb(
        "SELECT v:a.b AS x, try_cast(y AS INT) AS y FROM STREAM(t)",
        resolve=resolve, describe=lambda _v: {c: types.of(t) for c, t in columns.items()},
    )).fetchall()  # fmt: skip
    assert first == [("7", 12)]
    with pytest.raises(translate.TranslateError, match="cannot be read"):
        translate.to_duckdb("SELECT FROM WHERE", resolve=resolve)


def test_expectations_that_would_not_be_applied_are_problems(lh: Lakehouse, pipeline: Write) -> None:
    from lakeloader.pipelines.load import load

    folder = pipeline({"a.sql": """\
        CREATE TEMPORARY VIEW v (CONSTRAINT c EXPECT (id > 0) ON VIOLATION DROP ROW) AS SELECT * FROM main.raw.events;
        CREATE OR REFRESH STREAMING TABLE t (CONSTRAINT d EXPECT (id > 0));
        CREATE FLOW f AS AUTO CDC INTO t FROM STREAM(main.raw.events) KEYS (id) SEQUENCE BY id;
        CREATE OR REFRESH MATERIALIZED VIEW m AS SELECT * FROM v;
        """})  # fmt: skip
    problems = load(folder, lh).problems
    assert any("temporary view v has expectations" in p for p in problems), problems
    assert any("target of an AUTO CDC flow" in p for p in problems), problems


def test_notebook_cells_are_statements_without_semicolons(tmp_path: Path) -> None:
    """Exported notebooks often end no cell with `;` (9 of 12 public DLT examples): a SET cell swallowed the next
    cell and the error named something unrelated."""
    from lakeloader.pipelines.sqlddl import parse_file

    source = tmp_path / "bronze.sql"
    source.write_text(
        "-- Databricks notebook source\n"
        "-- MAGIC %md\n"
        "-- MAGIC # Bronze\n"
        "\n"
        "-- COMMAND ----------\n"
        "SET spark.sql.session.timeZone = Europe/Berlin\n"
        "\n"
        "-- COMMAND ----------\n"
        "CREATE OR REFRESH STREAMING TABLE raw_copy\n"
        "AS SELECT * FROM STREAM(main.raw.events)\n"
        "\n"
        "-- COMMAND ----------\n"
        "CREATE OR REFRESH MATERIALIZED VIEW totals AS\n"
        "SELECT count(*) AS n FROM raw_copy\n"
        "-- COMMAND ----------\n"
        "-- a cell of comments only\n"
    )
    found = parse_file(source, source.read_text(), {}, label="bronze.sql")
    assert found.problems == []
    assert found.settings == {"spark.sql.session.timeZone": "Europe/Berlin"}
    assert [d.name for d in found.datasets] == ["raw_copy", "totals"]
    assert [f.location.line for f in found.flows] == [9, 13]


def test_live_in_every_position(lh: Lakehouse, pipeline: Write) -> None:
    """The older DLT spellings the public examples use: LIVE. before a target or a source, CREATE (STREAMING |
    TEMPORARY | INCREMENTAL) LIVE TABLE/VIEW, backticked constraint names, `SET key;`."""
    folder = pipeline(
        {
            "old.sql": """\
            SET pipelines.trigger.interval;
            CREATE STREAMING LIVE TABLE events AS SELECT * FROM STREAM(main.raw.events);
            CREATE TEMPORARY LIVE VIEW recent AS SELECT * FROM LIVE.events WHERE amount > 1;
            CREATE LIVE TABLE totals (CONSTRAINT `valid kind` EXPECT (kind IS NOT NULL) ON VIOLATION DROP ROW)
            AS SELECT kind, sum(amount) AS s FROM LIVE.recent GROUP BY kind;
            CREATE INCREMENTAL LIVE TABLE copied AS SELECT * FROM STREAM(LIVE.events);
            CREATE OR REFRESH STREAMING LIVE TABLE customers;
            APPLY CHANGES INTO LIVE.customers FROM STREAM(LIVE.events) KEYS (id) SEQUENCE BY amount;
            """,
        }
    )
    loaded = load(folder, lh)
    assert loaded.problems == []
    graph = loaded.graph
    assert sorted(graph.nodes) == [
        "main.silver.copied", "main.silver.customers", "main.silver.events", "main.silver.totals", "recent"
    ]  # fmt: skip
    assert graph.nodes["main.silver.totals"].dataset.expectations[0].name == "valid kind"
    assert graph.flows["customers_auto_cdc"].target in ("customers", "LIVE.customers")
    assert graph.flow_streams["customers_auto_cdc"] == {"main.silver.events"}
    assert graph.flow_reads["totals"] == {"recent"} and graph.flow_streams["copied"] == {"main.silver.events"}


def test_storage_is_checked_as_tables_and_volumes_are(lh: Lakehouse, pipeline: Write) -> None:
    """`storage:` inside the lakehouse's state folder or another table's folder received pipeline.json, state/ and
    system/: refused in one line; a folder inside a volume (where the seeds keep `_checkpoints`) is fine."""
    import yaml

    lh.create_schema("main.landing", if_not_exists=True)
    volume = Path(lh.create_volume("main.landing.raw").location or "")
    table = Path(lh.table("main.raw.events").location)
    folder = pipeline({"a.sql": "CREATE MATERIALIZED VIEW v AS SELECT 1 AS x;"})
    spec_file = folder / "spark-pipeline.yml"
    spec = yaml.safe_load(spec_file.read_text())
    refused = {
        str(Path(lh.root) / ".lakeloader" / "mine"): "state folder",
        str(table / "pipeline"): "overlaps table main.raw.events",
        str(volume.parent): "overlaps volume main.landing.raw",
    }
    for storage, why in refused.items():
        spec_file.write_text(yaml.safe_dump({**spec, "storage": storage}))
        with pytest.raises(ConfigError, match=why) as info:
            load(folder, lh)
        assert "\n" not in str(info.value)
    spec_file.write_text(yaml.safe_dump({**spec, "storage": "/Volumes/main/landing/raw/_checkpoints/p"}))
    assert load(folder, lh).storage == volume.resolve() / "_checkpoints" / "p"


@pytest.mark.parametrize("name", ['`x"><iframe>`', "`has space`", "`a/b`"])
def test_a_dataset_name_outside_the_lakehouse_rule_says_what_is_wrong(
    lh: Lakehouse, pipeline: Write, name: str
) -> None:
    """It said 'flow ... writes to ..., which the pipeline does not define' as well, for a name it was given."""
    folder = pipeline({"a.sql": f"CREATE MATERIALIZED VIEW {name} AS SELECT 1 AS x;"})
    problems = load(folder, lh).problems
    assert len(problems) == 1 and "has characters other than letters, digits" in problems[0], problems
    assert problems[0].startswith("transformations/a.sql:1: dataset ")


def test_dry_run_binds_every_query(lh: Lakehouse, pipeline: Write) -> None:
    """Files passed dry-run and failed at run time on a function or a column: now bound over the schemas that can
    be known (the lakehouse's tables, the datasets upstream, temporary views), each problem with file and line."""
    from lakeloader.pipelines import binding
    from tests.pipelines.conftest import add_events

    add_events(lh, [{"id": 1, "kind": "a", "amount": 1.0}])
    folder = pipeline({
        "a.sql": """\
        CREATE MATERIALIZED VIEW totals AS SELECT kind, sum(amount) AS total FROM main.raw.events GROUP BY kind;
        CREATE TEMPORARY VIEW big AS SELECT * FROM totals WHERE total > 1;
        CREATE MATERIALIZED VIEW wrong_column AS SELECT kind, amount FROM big;
        CREATE MATERIALIZED VIEW wrong_type AS SELECT size(total) AS d FROM totals;
        CREATE MATERIALIZED VIEW fine AS SELECT upper(kind) AS k, total * 2 AS t FROM big;
        """,
    })  # fmt: skip
    loaded = load(folder, lh)
    assert loaded.problems == []
    found = binding.problems(loaded, lh)
    assert len(found) == 2, found
    joined = "\n".join(found)
    assert "transformations/a.sql:3: flow wrong_column:" in joined and "amount" in joined
    assert "transformations/a.sql:4: flow wrong_type:" in joined and "size needs an array" in joined
    assert lh.metastore.get("main.silver.totals") is None  # nothing ran


def test_a_watermark_aggregation_not_grouped_by_its_event_time_fails_dry_run(lh: Lakehouse, pipeline: Write) -> None:
    """WATERMARK ... DELAY OF is read (it said 'Invalid expression / Unexpected token'); an aggregation Spark's
    append mode cannot run under it is said at dry-run with its file and line."""
    from lakeloader.pipelines import binding

    folder = pipeline({
        "w.sql": "CREATE OR REFRESH STREAMING TABLE w AS SELECT kind, count(*) AS n FROM STREAM(main.raw.events)\n"
                 "WATERMARK ts DELAY OF INTERVAL 10 MINUTES GROUP BY kind;"
    })  # fmt: skip
    loaded = load(folder, lh)
    assert loaded.problems == []
    assert loaded.graph.flows["w"].query.watermarks[0].delay_us == 600_000_000
    found = binding.problems(loaded, lh)
    assert len(found) == 1 and found[0].startswith("transformations/w.sql:1: flow w: the query aggregates under "
                                                   "WATERMARK ts but does not group by it"), found  # fmt: skip
