"""`lakeloader notebooks run`: Databricks exports and .ipynb run as they are, with spark, dbutils and display."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from lakeloader.errors import ConfigError
from lakeloader.lakehouse.root import Lakehouse
from lakeloader.notebooks.run import CellError, run
from lakeloader.secrets import SecretStore

SEP = "\n# COMMAND ----------\n\n"


def notebook(folder: Path, name: str, *cells: str) -> Path:
    path = folder / name
    path.write_text("# Databricks notebook source\n" + SEP.join(cells) + "\n")
    return path


@pytest.fixture
def lh(tmp_path: Path) -> Lakehouse:
    return Lakehouse(tmp_path / "lh")


def test_cells_sql_run_widgets_and_exit(lh: Lakehouse, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    notebook(tmp_path, "setup.py", 'spark.sql("CREATE SCHEMA IF NOT EXISTS raw")\nBASE = 10')
    path = notebook(
        tmp_path,
        "main.py",
        "# MAGIC %md\n# MAGIC # Title",
        "# MAGIC %run ./setup",
        "from pyspark.sql import functions as F\nimport pyspark.sql.functions as F2\n"
        'dbutils.widgets.text("n", "3")\nn = int(dbutils.widgets.get("n"))\n'
        'spark.range(n).withColumn("x", F.col("id") + BASE).write.mode("overwrite").saveAsTable("raw.nums")',
        "# MAGIC %sql\n# MAGIC SELECT sum(x) AS total FROM raw.nums",
        'dbutils.notebook.exit(str(spark.table("raw.nums").agg(F2.max("x")).collect()[0][0]))',
        'raise RuntimeError("never reached")',
    )
    result = run(path, lh, params={"n": "4"})
    assert result.exit_value == "13"  # ids 0..3 plus BASE 10
    assert "|total|\n+-----+\n|46   |" in capsys.readouterr().out  # 10 + 11 + 12 + 13, as display shows it
    assert result.cells == 4  # the markdown and %run cells are not counted; the setup cell is


def test_secret_is_usable_and_printed_redacted(
    lh: Lakehouse, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    store = SecretStore(lh.root)
    store.create_scope("kardia")
    store.put_secret("kardia", "pg_pw", "hunter2-very-secret")
    path = notebook(tmp_path, "s.py", 'pw = dbutils.secrets.get("kardia", "pg_pw")\nprint("pw is", pw, len(pw))\n'
                    'print([s.key for s in dbutils.secrets.list("kardia")])')  # fmt: skip
    run(path, lh)
    out = capsys.readouterr().out
    assert "hunter2-very-secret" not in out
    assert "pw is [REDACTED] 19" in out and "['pg_pw']" in out


def test_failing_cell_is_one_line_with_cell_and_line(lh: Lakehouse, tmp_path: Path) -> None:
    path = notebook(tmp_path, "bad.py", "x = 1", "y = 2\nz = {}['missing']")
    with pytest.raises(CellError, match=r"^bad.py: cell 2, line 6: KeyError: 'missing'$"):
        run(path, lh)


def test_kafka_refused_before_any_cell_runs(lh: Lakehouse, tmp_path: Path) -> None:
    path = notebook(tmp_path, "k.py", 'spark.sql("CREATE SCHEMA ran")',
                    'df = spark.readStream.format("kafka").option("subscribe", "t").load()')  # fmt: skip
    with pytest.raises(ConfigError, match=r"k.py: cell 2, line 5: format\('kafka'\)"):
        run(path, lh)
    assert lh.metastore.get("main.ran") is None


def test_rdd_and_ml_refused(lh: Lakehouse, tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="RDDs need Spark's JVM"):
        run(notebook(tmp_path, "r.py", "spark.range(3).rdd.map(lambda r: r)"), lh)
    with pytest.raises(CellError, match=r"import pyspark\.ml\.feature: not supported here"):
        run(notebook(tmp_path, "m.py", "from pyspark.ml.feature import VectorAssembler"), lh)


def test_dbutils_fs_stays_in_the_lakehouse(lh: Lakehouse, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    first = (
        'dbutils.fs.put("dbfs:/FileStore/a/b.txt", "hi")\n'
        'print([f.name for f in dbutils.fs.ls("/FileStore/a")], dbutils.fs.head("dbfs:/FileStore/a/b.txt"))'
    )
    path = notebook(tmp_path, "fs.py", first, 'dbutils.fs.ls("dbfs:/../../etc")')
    with pytest.raises(CellError, match="leaves DBFS"):
        run(path, lh)
    assert "['b.txt'] hi" in capsys.readouterr().out
    assert (lh.root / "dbfs" / "FileStore" / "a" / "b.txt").read_text() == "hi"


def test_ipynb_with_sql_magic(lh: Lakehouse, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    cells = [
        {"cell_type": "markdown", "source": ["# hi"]},
        {"cell_type": "code", "source": ["df = spark.createDataFrame([(1, 'a'), (2, 'b')], ['id', 'k'])\n",
                                         "df.createOrReplaceTempView('v')"]},
        {"cell_type": "code", "source": ["%sql\n", "SELECT k FROM v WHERE id = 2"]},
    ]  # fmt: skip
    path = tmp_path / "n.ipynb"
    path.write_text(json.dumps({"cells": cells, "metadata": {}, "nbformat": 4, "nbformat_minor": 5}))
    assert run(path, lh).cells == 2
    assert "|b  |" in capsys.readouterr().out


def test_autoloader_stream_exactly_once(lh: Lakehouse, tmp_path: Path) -> None:
    lh.create_schema("main.land")
    lh.create_volume("main.land.raw")
    folder = lh.resolve_path("/Volumes/main/land/raw/in")
    folder.mkdir(parents=True)
    path = notebook(
        tmp_path,
        "stream.py",
        "from pyspark.sql import functions as F\n"
        '(spark.readStream.format("cloudFiles").option("cloudFiles.format", "json")\n'
        ' .schema("id BIGINT, v STRING").load("/Volumes/main/land/raw/in")\n'
        ' .withColumn("v2", F.upper("v"))\n'
        ' .writeStream.option("checkpointLocation", "/Volumes/main/land/raw/_cp/t")\n'
        ' .trigger(availableNow=True).toTable("land.t"))',
    )
    (folder / "a.json").write_text('{"id": 1, "v": "x"}\n')
    run(path, lh)
    (folder / "b.json").write_text('{"id": 2, "v": "y"}\n')
    run(path, lh)
    run(path, lh)  # nothing new
    from lakeloader.lakehouse.sql import query

    rows = query(lh, "SELECT id, v, v2 FROM main.land.t ORDER BY id").to_pylist()
    assert rows == [{"id": 1, "v": "x", "v2": "X"}, {"id": 2, "v": "y", "v2": "Y"}]


def test_a_failing_python_udf_is_one_line_naming_it(lh: Lakehouse, tmp_path: Path) -> None:
    path = notebook(
        tmp_path,
        "u.py",
        "from pyspark.sql.functions import udf\n"
        "@udf('int')\n"
        "def inverse(x):\n"
        "    return 1 // x\n"
        "spark.range(3).select(inverse('id')).collect()",
    )
    with pytest.raises(CellError, match=r"^u.py: cell 1, line 6: .*Python function inverse failed: "
                                        r"ZeroDivisionError: integer division or modulo by zero"):  # fmt: skip
        run(path, lh)


def test_pyspark_names_are_ours_only_inside_the_notebook(
    lh: Lakehouse, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    import sys

    path = notebook(
        tmp_path,
        "names.py",
        "import pyspark.sql.functions as F\nfrom pyspark.sql import SparkSession\nimport dlt\n"
        "from pyspark import pipelines as dp\nfrom pyspark.dbutils import DBUtils\n"
        "print(F.__name__, SparkSession.__module__, dlt.__name__, dp.__name__, type(DBUtils(spark)).__module__)",
    )
    run(path, lh)
    shown = capsys.readouterr().out.split()
    assert shown == ["lakeloader.spark.functions", "lakeloader.spark.spark_session", "lakeloader.pipelines.dlt",
                     "lakeloader.pipelines.sdp", "lakeloader.notebooks.dbutils"]  # fmt: skip
    import pyspark  # the real one (tests/parity's oracle), untouched outside notebook code

    assert "lakeloader" not in pyspark.__name__ and pyspark.__file__ and "site-packages" in pyspark.__file__
    assert "dlt" not in sys.modules or "lakeloader" not in getattr(sys.modules["dlt"], "__name__", "")


def test_a_tables_stream_into_another_exactly_once(lh: Lakehouse, tmp_path: Path) -> None:
    from lakeloader.lakehouse.sql import query

    lh.create_schema("main.land")
    lh.create_volume("main.land.raw")
    setup = notebook(tmp_path, "setup.py", "spark.range(3).write.saveAsTable('main.land.src')")
    more = notebook(tmp_path, "more.py", "spark.range(3, 5).write.mode('append').saveAsTable('main.land.src')")
    copy = notebook(
        tmp_path,
        "copy.py",
        "from pyspark.sql import functions as F\n"
        "(spark.readStream.table('main.land.src').withColumn('twice', F.col('id') * 2)\n"
        " .writeStream.option('checkpointLocation', '/Volumes/main/land/raw/_cp/copy')\n"
        " .trigger(availableNow=True).toTable('main.land.copy'))",
    )
    run(setup, lh)
    run(copy, lh)
    run(more, lh)
    run(copy, lh)
    run(copy, lh)  # nothing new
    got = query(lh, "SELECT id, twice FROM main.land.copy ORDER BY id").to_pylist()
    assert got == [{"id": i, "twice": 2 * i} for i in range(5)]
    rewrite = notebook(tmp_path, "rewrite.py", "spark.range(1).write.mode('overwrite').saveAsTable('main.land.src')")
    run(rewrite, lh)
    with pytest.raises(CellError, match=r"copy.py: cell 1, line 5: .*changed existing rows at version \d+"):
        run(copy, lh)


def test_a_second_run_of_a_stream_in_use_is_refused_in_one_line(lh: Lakehouse, tmp_path: Path) -> None:
    from lakeloader.execution.checkpoint import LOCK_FILE, hold

    lh.create_schema("main.land")
    lh.create_volume("main.land.raw")
    folder = lh.resolve_path("/Volumes/main/land/raw/in")
    folder.mkdir(parents=True)
    (folder / "a.json").write_text('{"id": 1}\n')
    path = notebook(
        tmp_path,
        "s.py",
        '(spark.readStream.format("cloudFiles").option("cloudFiles.format", "json")'
        '.load("/Volumes/main/land/raw/in")\n'
        ' .writeStream.option("checkpointLocation", "/Volumes/main/land/raw/_cp/t").toTable("main.land.t"))',
    )
    run(path, lh)
    lock = lh.resolve_path("/Volumes/main/land/raw/_cp/t") / LOCK_FILE
    in_use = r"^s.py: cell 1, line 3: .*is in use by another run"
    with hold(lock, what="another run", wait=0), pytest.raises(CellError, match=in_use) as refused:
        run(path, lh)  # another run holds the stream (a cron overlap)
    assert "\n" not in str(refused.value)
    from lakeloader.lakehouse.sql import query

    assert query(lh, "SELECT count(*) AS n FROM main.land.t").column("n")[0].as_py() == 1


def test_reads_stay_in_the_volumes_and_secrets_stay_masked_in_every_form(
    lh: Lakehouse, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    store = SecretStore(lh.root)
    store.create_scope("s")
    store.put_secret("s", "k", "p@ss/wörd:42 long")
    path = notebook(
        tmp_path,
        "hostile.py",
        "from urllib.parse import quote\npw = dbutils.secrets.get('s', 'k')\nprint(pw, quote(pw), quote(pw, safe=''))",
        "spark.read.format('json').load('/etc')",
    )
    with pytest.raises(CellError, match=r"hostile.py: cell 2, line 7: .*outside every volume"):
        run(path, lh)
    out = capsys.readouterr().out
    assert "p@ss" not in out and "w%C3%B6rd" not in out and "wörd" not in out
    assert out == "[REDACTED] [REDACTED] [REDACTED]\n"


def test_session_settings_reach_the_translator(
    lh: Lakehouse, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = notebook(
        tmp_path,
        "conf.py",
        'spark.conf.set("spark.sql.ansi.enabled", "false")\n'
        'spark.conf.set("spark.sql.session.timeZone", "America/New_York")\n'
        "print(spark.sql(\"SELECT 1 / 0 AS z, hour(TIMESTAMP'2024-01-01 12:00:00Z') AS h\").collect())",
        'spark.conf.set("spark.sql.ansi.enabled", True)\nspark.sql("SELECT 1 / 0 AS z").collect()',
    )
    with pytest.raises(CellError, match=r"cell 2, line 8: .*DIVIDE_BY_ZERO"):
        run(path, lh)
    assert capsys.readouterr().out == "[Row(z=None, h=7)]\n"  # non-ANSI: NULL; 12:00 UTC is 7 in New York


def test_the_cli_runs_notebooks_as_a_jobs_tasks(tmp_path: Path) -> None:
    import json

    from tests.cli.test_cli import cli

    first = notebook(tmp_path, "first.py", "spark.range(2).write.saveAsTable('main.default.t')\nprint('made')")
    second = notebook(tmp_path, "second.py", "dbutils.notebook.exit(str(spark.table('main.default.t').count()))")
    done = cli(tmp_path / "lh", "notebooks", "run", str(first), str(second), "--json")
    assert [r["exit_value"] for r in json.loads(done.stdout)] == [None, "2"]  # stdout is the JSON alone
    assert "made" in done.stderr
    bad = notebook(tmp_path, "bad.py", "spark.table('main.default.nope')")
    failed = cli(tmp_path / "lh", "notebooks", "run", str(bad), check=False)
    assert failed.returncode == 1 and "Traceback" not in failed.stderr
    assert failed.stderr.strip().splitlines() == [
        "error: bad.py: cell 1, line 2: table main.default.nope does not exist (did you mean main.default.t?); check "
        "the name with 'lakeloader tables list', or ingest into it first"
    ]


def test_an_aggregated_stream_is_refused_not_appended_per_batch(lh: Lakehouse, tmp_path: Path) -> None:
    lh.create_schema("main.land")
    lh.create_volume("main.land.raw")
    run(notebook(tmp_path, "setup.py", "spark.range(4).write.saveAsTable('main.land.src')"), lh)
    path = notebook(
        tmp_path,
        "agg.py",
        "from pyspark.sql import functions as F\n"
        "(spark.readStream.table('main.land.src').groupBy((F.col('id') % 2).alias('k')).count()\n"
        " .writeStream.option('checkpointLocation', '/Volumes/main/land/raw/_cp/agg').toTable('main.land.agg'))",
    )
    with pytest.raises(CellError, match=r"the stream is aggregated; append mode appends each batch"):
        run(path, lh)
    assert lh.metastore.get("main.land.agg") is None  # nothing written
    with pytest.raises(ConfigError, match=r"applyInPandas \(grouped map\)"):
        run(notebook(tmp_path, "g.py", "spark.range(3).groupBy('id').applyInPandas(lambda p: p, 'id long')"), lh)


def test_pandas_is_imported_only_by_code_that_uses_it(tmp_path: Path) -> None:
    import subprocess
    import sys

    from tests.cli.test_cli import cli

    probe = (
        "import sys, pyarrow as pa\nfrom lakeloader import pandas_guard\npandas_guard.defer()\n"
        "pa.Table.from_pylist([{'a': 1}])\nprint('pandas' in sys.modules)\n"
        "pandas_guard.allow()\nprint(type(pa.table({'a': [1]}).to_pandas()).__name__)"
    )
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True).stdout
    assert out.split() == ["False", "DataFrame"]  # deferred: pyarrow converts without it; allowed: it is there
    uses = notebook(tmp_path, "pd.py", "import pandas as pd\nprint(spark.range(3).toPandas()['id'].sum(), pd.__name__)")
    assert cli(tmp_path / "lh", "notebooks", "run", str(uses)).stdout.split()[:2] == ["3", "pandas"]
