"""Streaming tables over landing files (STREAM read_files / dp.read_files) and the quarantine of dropped rows."""

from __future__ import annotations

import json
import re
from pathlib import Path

from lakeloader.lakehouse import delta
from lakeloader.lakehouse.root import Lakehouse
from tests.pipelines.conftest import Write, outcome, rows, run


def _land(folder: Path, name: str, records: list[dict[str, object]], *, bad: str = "") -> None:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / name).write_text("".join(json.dumps(r) + "\n" for r in records) + bad)


def _volume(lh: Lakehouse) -> Path:
    lh.create_schema("main.landing", if_not_exists=True)
    return Path(lh.create_volume("main.landing.raw", if_not_exists=True).location or "")


def test_bronze_silver_gold_over_landing_files_run_twice(lh: Lakehouse, pipeline: Write) -> None:
    """The pipeline a Databricks user writes: Auto Loader bronze, cleaned silver, aggregated gold."""
    landing = _volume(lh) / "readings"
    _land(landing, "a.json", [{"vehicle": "v1", "speed": 50, "km": 10.0}, {"vehicle": "v2", "speed": 70, "km": 5.0}])
    _land(landing, "b.json", [{"vehicle": "v1", "speed": -5, "km": 1.0}], bad="{not json\n")
    folder = pipeline({
        "bronze.sql": """\
        CREATE OR REFRESH STREAMING TABLE bronze AS
        SELECT *, _metadata.file_name AS source_file
        FROM STREAM read_files('/Volumes/main/landing/raw/readings', format => 'json', inferColumnTypes => true,
                               includeMetadata => true);
        """,
        "silver.sql": """\
        CREATE OR REFRESH STREAMING TABLE silver (
          CONSTRAINT valid_speed EXPECT (speed >= 0) ON VIOLATION DROP ROW,
          CONSTRAINT has_vehicle EXPECT (vehicle IS NOT NULL) ON VIOLATION DROP ROW
        ) AS SELECT vehicle, speed, km FROM STREAM(bronze);
        """,
        "gold.sql": "CREATE OR REFRESH MATERIALIZED VIEW gold AS\n"
                    "SELECT vehicle, sum(km) AS km FROM silver GROUP BY ALL;",
    })  # fmt: skip
    first = run(folder, lh)
    assert first.status == "COMPLETED", [o.message for o in first.outcomes]
    from lakeloader.pipelines.graph import render
    from lakeloader.pipelines.load import load

    shown = render(load(folder, lh).graph, "text")
    assert "main.silver.bronze [streaming table] <- files /Volumes/main/landing/raw/readings (json)" in shown
    assert outcome(first, "bronze").rows_out == 4  # three readings and the malformed line, kept as _corrupt_record
    assert rows(lh, "SELECT count(*) AS n FROM main.silver.bronze WHERE _corrupt_record IS NOT NULL") == [{"n": 1}]
    assert rows(lh, "SELECT vehicle, km FROM main.silver.gold ORDER BY vehicle") == [
        {"vehicle": "v1", "km": 10.0}, {"vehicle": "v2", "km": 5.0}]  # fmt: skip
    quarantined = rows(
        lh,
        "SELECT speed, vehicle, _failed_expectations AS failed, _flow"
        " FROM main.silver.silver_quarantine ORDER BY speed NULLS LAST",
    )
    assert quarantined == [
        {"speed": -5, "vehicle": "v1", "failed": ["valid_speed"], "_flow": "silver"},
        {"speed": None, "vehicle": None, "failed": ["valid_speed", "has_vehicle"], "_flow": "silver"},
    ]
    _land(landing, "c.json", [{"vehicle": "v2", "speed": 80, "km": 7.5, "driver": "new column"}])
    second = run(folder, lh)
    assert outcome(second, "bronze").rows_out == 1  # only the new file
    assert "driver" in {c["name"] for c in delta.describe(lh.table("main.silver.bronze").location)["columns"]}
    assert rows(lh, "SELECT vehicle, km FROM main.silver.gold ORDER BY vehicle") == [
        {"vehicle": "v1", "km": 10.0}, {"vehicle": "v2", "km": 12.5}]  # fmt: skip
    assert rows(lh, "SELECT count(*) AS n FROM main.silver.silver_quarantine") == [{"n": 2}]  # never twice


def test_python_read_files_with_configuration(lh: Lakehouse, pipeline: Write) -> None:
    landing = _volume(lh) / "py"
    _land(landing, "a.json", [{"id": 1}, {"id": 2}])
    folder = pipeline(
        {"a.py": """\
        from lakeloader import pipelines as dp

        @dp.table
        def raw():
            return dp.read_files(f"{dp.conf.get('landing')}/py", format="json", inferColumnTypes=True)
        """},
        landing="/Volumes/main/landing/raw",
    )  # fmt: skip
    first = run(folder, lh)
    assert first.status == "COMPLETED", [o.message for o in first.outcomes]
    _land(landing, "b.json", [{"id": 3}])
    assert outcome(run(folder, lh), "raw").rows_out == 1
    assert rows(lh, "SELECT sum(id) AS s FROM main.silver.raw") == [{"s": 6}]


def test_quarantine_can_be_switched_off(lh: Lakehouse, pipeline: Write) -> None:
    landing = _volume(lh) / "off"
    _land(landing, "a.json", [{"id": 1}, {"id": -1}])
    folder = pipeline({"a.sql": """\
        CREATE OR REFRESH STREAMING TABLE t (CONSTRAINT positive EXPECT (id > 0) ON VIOLATION DROP ROW)
        TBLPROPERTIES ('pipelines.quarantine' = 'false')
        AS SELECT * FROM STREAM read_files('/Volumes/main/landing/raw/off', format => 'json', inferColumnTypes => true);
        """})  # fmt: skip
    assert run(folder, lh).status == "COMPLETED"
    assert rows(lh, "SELECT id FROM main.silver.t") == [{"id": 1}]
    assert lh.metastore.get("main.silver.t_quarantine") is None


def test_pipeline_code_reads_files_in_volumes_only(lh: Lakehouse, pipeline: Write, tmp_path: Path) -> None:
    """read_files over any local path put /etc/passwd, or the lakehouse's own key file, in a table `lakeloader sql`
    prints: refused in one line, for a materialized view's read, a stream's, its schema and bad-records
    locations, and a link from inside a volume to outside."""
    landing = _volume(lh) / "ok"
    _land(landing, "a.json", [{"id": 1}])
    outside = tmp_path / "outside"
    _land(outside, "secret.json", [{"id": 99}])
    (landing.parent / "link").symlink_to(outside, target_is_directory=True)
    key_folder = Path(lh.root) / ".lakeloader"
    reads = {
        "mv_etc": "CREATE MATERIALIZED VIEW {name} AS SELECT * FROM read_files('/etc/passwd', format => 'text');",
        "mv_state": f"CREATE MATERIALIZED VIEW {{name}} AS SELECT * FROM read_files('{key_folder}', format => 'text');",
        "stream_outside": "CREATE STREAMING TABLE {name} AS SELECT * FROM STREAM read_files("
        f"'{outside}', format => 'json');",
        "stream_link": "CREATE STREAMING TABLE {name} AS SELECT * FROM STREAM read_files("
        "'/Volumes/main/landing/raw/link', format => 'json');",
        "bad_records_outside": "CREATE STREAMING TABLE {name} AS SELECT * FROM STREAM read_files("
        f"'/Volumes/main/landing/raw/ok', format => 'json', badRecordsPath => '{tmp_path}/bad');",
    }
    for name, sql in reads.items():
        folder = pipeline({"t.sql": sql.replace("{name}", name)}, name=name)
        result = run(folder, lh)
        assert result.status == "FAILED", name
        message = " ".join(o.message or "" for o in result.outcomes) + (result.error or "")
        assert re.search(r"outside (every )?volume", message) and "\n" not in message, (name, message)
        info = lh.metastore.get(f"main.silver.{name}")
        assert info is None or not delta.is_delta_table(info.location or ""), name  # nothing read, nothing committed
    inside = pipeline({"t.sql": "CREATE MATERIALIZED VIEW t AS SELECT * FROM read_files("
                       f"'{landing}', format => 'json', inferColumnTypes => true);"}, name="inside")  # fmt: skip
    assert run(inside, lh).status == "COMPLETED"
    assert rows(lh, "SELECT id FROM main.silver.t") == [{"id": 1}]


def test_path_as_table_and_cloud_files(lh: Lakehouse, pipeline: Write) -> None:
    """``json.`/Volumes/...` ``, ``parquet.`...` `` and `cloud_files(path, format, map(...))` (read_files' older
    name, with Auto Loader's options such as useIncrementalListing) read files as read_files does."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    landing = _volume(lh) / "old"
    _land(landing / "json", "a.json", [{"id": 1}, {"id": 2}])
    (landing / "pq").mkdir()
    pq.write_table(pa.table({"id": [10]}), landing / "pq" / "a.parquet")
    folder = pipeline({
        "a.sql": """\
        CREATE OR REFRESH STREAMING TABLE streamed AS SELECT id FROM STREAM(cloud_files(
          '/Volumes/main/landing/raw/old/json', 'json',
          map('inferColumnTypes', 'true', 'useIncrementalListing', 'auto')));
        CREATE MATERIALIZED VIEW by_path AS SELECT count(*) AS n FROM json.`/Volumes/main/landing/raw/old/json`;
        CREATE MATERIALIZED VIEW parquet_path AS SELECT sum(id) AS s FROM parquet.`/Volumes/main/landing/raw/old/pq`;
        """,
    })  # fmt: skip
    first = run(folder, lh)
    assert first.status == "COMPLETED", [o.message for o in first.outcomes]
    assert rows(lh, "SELECT id FROM main.silver.streamed ORDER BY id") == [{"id": 1}, {"id": 2}]
    assert rows(lh, "SELECT n FROM main.silver.by_path") == [{"n": 2}]
    assert rows(lh, "SELECT s FROM main.silver.parquet_path") == [{"s": 10}]
    _land(landing / "json", "b.json", [{"id": 3}])
    assert outcome(run(folder, lh), "streamed").rows_out == 1
    delta_path = pipeline({"a.sql": "CREATE MATERIALIZED VIEW d AS SELECT * FROM delta.`/Volumes/main/landing/raw/x`;"},
                          name="delta_path")  # fmt: skip
    from lakeloader.pipelines.load import load

    assert any("read a Delta table by its name" in p for p in load(delta_path, lh).problems)


def test_schema_inference_sample_size_is_honoured(lh: Lakehouse, pipeline: Write) -> None:
    """`SET spark.databricks.cloudFiles.schemaInference.sampleSize.numFiles = 2` changed nothing: the schema was
    inferred from every file and `_rescued_data` stayed NULL. Now the first two files infer it, and in rescue mode
    a later file's new column is rescued, as Auto Loader does (by default it samples 1000 files or 50 GB)."""
    import os

    landing = _volume(lh) / "sampled"
    for i, record in enumerate([{"id": 1}, {"id": 2}, {"id": 3, "extra": "x"}]):
        _land(landing, f"{i}.json", [record])
        os.utime(landing / f"{i}.json", (1_700_000_000 + i, 1_700_000_000 + i))
    read = ("FROM STREAM read_files('/Volumes/main/landing/raw/sampled', format => 'json', inferColumnTypes => true, "
            "schemaEvolutionMode => 'rescue')")  # fmt: skip
    sampled = pipeline({"a.sql": "SET spark.databricks.cloudFiles.schemaInference.sampleSize.numFiles = 2;\n"
                        f"CREATE OR REFRESH STREAMING TABLE sampled AS SELECT * {read};"}, name="sampled")  # fmt: skip
    result = run(sampled, lh)
    assert result.status == "COMPLETED", [o.message for o in result.outcomes]
    got = rows(lh, "SELECT id, _rescued_data FROM main.silver.sampled ORDER BY id")
    assert [r["id"] for r in got] == [1, 2, 3] and got[0]["_rescued_data"] is None
    assert json.loads(got[2]["_rescued_data"])["extra"] == "x"
    whole = pipeline({"a.sql": f"CREATE OR REFRESH STREAMING TABLE whole AS SELECT * {read};"}, name="whole")
    assert run(whole, lh).status == "COMPLETED"
    assert rows(lh, "SELECT id, extra FROM main.silver.whole WHERE id = 3") == [{"id": 3, "extra": "x"}]


def test_new_columns_and_a_malformed_line_in_one_batch(lh: Lakehouse, pipeline: Write) -> None:
    """A batch whose files bring a column AND malformed lines: the second read learns the column, the third the
    corrupt-record column; each starts from what the one before learned (it used to fall back and fail)."""
    landing = _volume(lh) / "waves"
    _land(landing, "a.json", [{"id": 1}, {"id": 2}])
    folder = pipeline({"bronze.sql": """\
        CREATE OR REFRESH STREAMING TABLE bronze AS
        SELECT * FROM STREAM read_files('/Volumes/main/landing/raw/waves', format => 'json', inferColumnTypes => true);
        """})  # fmt: skip
    assert run(folder, lh).status == "COMPLETED"
    for i in range(4):
        _land(landing, f"b{i}.json", [{"id": 10 + i, "extra": f"x{i}"}], bad="{broken\n" if i == 3 else "")
    second = run(folder, lh)
    assert second.status == "COMPLETED", [o.message for o in second.outcomes]
    assert rows(lh, "SELECT count(*) AS n, count(extra) AS x, count(_corrupt_record) AS c FROM main.silver.bronze") == [
        {"n": 7, "x": 4, "c": 1}]  # fmt: skip
