"""`lakeloader sql` as a hostile or careless user types it: only the lakehouse's tables and volumes are reachable."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pyarrow as pa
import pytest

from lakeloader.errors import ConfigError, LakeloaderError, NotFoundError
from lakeloader.lakehouse import delta
from lakeloader.lakehouse.root import Lakehouse
from lakeloader.lakehouse.sql import query as run_query


def query(lh: Lakehouse, sql: str, **options: Any) -> Any:
    """The guard is DuckDB's: these statements are in DuckDB's dialect (`lakeloader sql --dialect duckdb`).
    In Databricks SQL, the default, they are refused before DuckDB sees them (the last tests)."""
    return run_query(lh, sql, dialect="duckdb", **options)


@pytest.fixture
def lh(lakehouse: Lakehouse) -> Lakehouse:
    lakehouse.create_catalog("c")
    lakehouse.create_schema("c.s")
    table = lakehouse.create_table("c.s.t")
    delta.write(table.location, pa.table({"id": [1, 2, 3]}))
    volume = Path(lakehouse.create_volume("c.s.v").location or "")
    (volume / "in").mkdir()
    (volume / "in" / "a.csv").write_text("x\n1\n2\n")
    (volume / "in" / "b.csv").write_text("x\n3\n")
    return lakehouse


@pytest.mark.parametrize(
    "sql",
    [
        "SELECT * FROM read_csv('/etc/hostname')",
        "SELECT * FROM glob('/etc/*')",
        "SELECT * FROM read_text('/proc/self/environ')",
        "SELECT * FROM read_blob('{key}')",
        "SELECT * FROM read_json_auto('{root}/.lakeloader/metastore.db')",
        "SELECT * FROM read_text('{root}/.lakeloader/secrets.enc')",
    ],
)
def test_local_files_outside_volumes_are_out_of_reach(lh: Lakehouse, sql: str) -> None:
    key = lh.root.with_name(lh.root.name + ".key")
    key.write_text("secret key material")
    table = lh.table("c.s.t").location
    with pytest.raises(ConfigError) as caught:
        query(lh, sql.format(key=key, table=table, root=lh.root))
    message = str(caught.value)
    assert "\n" not in message and "--unsafe" in message and "secret key material" not in message


@pytest.mark.parametrize(
    "sql",
    [
        "COPY (SELECT 1) TO '{out}'",
        "COPY (SELECT 42) TO '{log}/00000000000000000099.json'",
        "ATTACH '{out}.duckdb' AS x",
        "INSTALL httpfs",
        "LOAD postgres",
        "SET enable_external_access = true",
        "PRAGMA enable_profiling",
        "CREATE TABLE x AS SELECT 1",
        "SELECT 1; COPY (SELECT 1) TO '{out}'",
        "CALL pragma_version()",
    ],
)
def test_anything_but_a_query_is_refused_before_it_runs(lh: Lakehouse, tmp_path: Path, sql: str) -> None:
    out = tmp_path / "out.csv"
    log = lh.table("c.s.t").location / "_delta_log"
    before = sorted(p.name for p in log.iterdir())
    with pytest.raises(ConfigError, match=r"statements are refused") as caught:
        query(lh, sql.format(out=out, log=log))
    assert "\n" not in str(caught.value)
    assert not out.exists() and sorted(p.name for p in log.iterdir()) == before
    assert query(lh, "SELECT count(*) AS n FROM c.s.t").to_pylist() == [{"n": 3}]


def test_a_tables_own_files_are_readable_as_the_table_is(lh: Lakehouse) -> None:
    """Tables are scanned by DuckDB's own Parquet reader, so their folders are readable (what SQL over the table
    shows anyway); the lakehouse's state (metastore, secrets, checkpoints) stays out of reach (above)."""
    table = lh.table("c.s.t").location
    got = query(lh, f"SELECT count(*) AS n FROM read_parquet('{table}/*.parquet')")
    assert got.to_pylist() == [{"n": 3}]


def test_volume_paths_resolve_and_globs_stay_inside(lh: Lakehouse, tmp_path: Path) -> None:
    got = query(lh, "SELECT sum(x) AS s FROM read_csv('/Volumes/c/s/v/in/*.csv')")
    assert got.to_pylist() == [{"s": 6}]
    got = query(lh, "SELECT count(*) AS n FROM read_csv('/Volumes/c/s/v/in/a.csv') JOIN c.s.t ON x = id")
    assert got.to_pylist() == [{"n": 2}]
    outside = tmp_path / "outside.csv"
    outside.write_text("x\n99\n")
    volume = Path(lh.metastore.get("c.s.v").location or "")  # type: ignore[union-attr]
    (volume / "in" / "link.csv").symlink_to(outside)
    with pytest.raises(ConfigError, match=r"outside volume c\.s\.v"):
        query(lh, "SELECT * FROM read_csv('/Volumes/c/s/v/in/*.csv')")
    with pytest.raises(ConfigError, match="outside volume"):
        query(lh, "SELECT * FROM read_csv('/Volumes/c/s/v/in/link.csv')")
    with pytest.raises(ConfigError, match="climbs out"):
        query(lh, "SELECT * FROM read_csv('/Volumes/c/s/v/../../x.csv')")
    with pytest.raises(NotFoundError, match=r"volume c\.s\.nope does not exist"):
        query(lh, "SELECT * FROM read_csv('/Volumes/c/s/nope/a.csv')")


def test_strings_that_only_look_like_paths_are_data(lh: Lakehouse) -> None:
    assert query(lh, "SELECT '[/x]' AS a, '/etc/hostname' AS b").to_pylist() == [{"a": "[/x]", "b": "/etc/hostname"}]


def test_user_mistakes_are_one_line(lh: Lakehouse) -> None:
    for sql, expected in (
        ("", "statement is empty"),
        ("  ;  ", "statement is empty"),
        ("SELECT foo(1)", "function foo does not exist"),
        ("SELECT * FROM read_csvv('/Volumes/c/s/v/in/a.csv')", "function read_csvv does not exist"),
        ("SELEC 1", "fix the SQL"),
    ):
        with pytest.raises(LakeloaderError, match=expected) as caught:
            query(lh, sql)
        assert "\n" not in str(caught.value)


def test_unsafe_lifts_the_guard(lh: Lakehouse) -> None:
    got = query(lh, "SELECT count(*) > 0 AS ok FROM read_text('/etc/hostname')", unsafe=True)
    assert got.to_pylist() == [{"ok": True}]
    assert os.path.exists("/etc/hostname")


def test_queries_in_one_process_share_a_database_but_not_the_guard_or_their_views(lh: Lakehouse) -> None:
    """Each query gets its own session on a database locked down once; a new volume gets a database that reads it."""
    assert query(lh, "SELECT count(*) AS n FROM c.s.t").to_pylist() == [{"n": 3}]
    with pytest.raises(LakeloaderError, match="Cannot access file"):
        query(lh, "SELECT * FROM read_csv('/etc/hostname')")
    from lakeloader.lakehouse.sql import _guarded_cursor

    first, second = _guarded_cursor(lh), _guarded_cursor(lh)
    first.register("mine", pa.table({"a": [1]}))
    assert first.execute("SELECT a FROM mine").fetchall() == [(1,)]
    with pytest.raises(Exception, match="mine"):  # another query's session does not see it
        second.execute("SELECT a FROM mine").fetchall()
    first.close(), second.close()
    later = Path(lh.create_volume("c.s.later").location or "")
    (later / "x.csv").write_text("x\n7\n")
    assert query(lh, "SELECT x FROM read_csv('/Volumes/c/s/later/x.csv')").to_pylist() == [{"x": 7}]
    assert query(lh, "SELECT sum(x) AS s FROM read_csv('/Volumes/c/s/v/in/*.csv')").to_pylist() == [{"s": 6}]


@pytest.mark.parametrize(
    "sql",
    [
        "COPY (SELECT 1) TO '/tmp/x.csv'",
        "ATTACH '/tmp/x.duckdb' AS x",
        "SELECT * FROM read_csv('/etc/hostname')",
        "SELECT * FROM read_text('/proc/self/environ')",
        "SELECT 1; SELECT 2",
    ],
)
def test_databricks_sql_refuses_duckdbs_statements_and_file_functions_in_one_line(lh: Lakehouse, sql: str) -> None:
    with pytest.raises(LakeloaderError) as err:
        run_query(lh, sql)
    assert "\n" not in str(err.value) and "Cannot access" not in str(err.value)


def test_a_volume_folder_keeps_its_trailing_slash(lh: Lakehouse) -> None:
    """`'/Volumes/c/s/v/' || 'in/a.csv'` names a file in the volume (the slash was lost: `.../vin/a.csv`)."""
    volume = Path(lh.metastore.get("c.s.v").location or "").resolve()  # type: ignore[union-attr]
    got = query(lh, "SELECT concat('/Volumes/c/s/v/', 'in/a.csv') AS p, '/Volumes/c/s/v/in' AS q")
    assert got.to_pylist() == [{"p": f"{volume}/in/a.csv", "q": f"{volume}/in"}]
    got = query(lh, "SELECT count(*) AS n FROM read_csv(concat('/Volumes/c/s/v/', 'in/a.csv'))")
    assert got.to_pylist() == [{"n": 2}]
