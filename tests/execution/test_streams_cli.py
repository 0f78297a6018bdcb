"""`lakeloader streams list|show|reset`: every stream's state, wherever its checkpoint is; a reset moves the state
aside, writes nothing to the table, says what the next run will do, and the next run loads everything again."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from lakeloader.cli.context import state
from lakeloader.cli.main import app
from lakeloader.errors import TerminalError
from lakeloader.execution.checkpoint import Checkpoint
from lakeloader.lakehouse import delta
from lakeloader.lakehouse.root import Lakehouse
from lakeloader.sources.files.runner import ingest_files
from lakeloader.sources.postgres import ingest_postgres
from tests.cli.test_read_only import _cli as read_only_cli
from tests.cli.test_read_only import read_only  # noqa: F401  (the fixture)
from tests.sources.files.conftest import write_ndjson
from tests.sources.postgres.conftest import sql


@pytest.fixture
def lh(lakehouse: Lakehouse) -> Lakehouse:
    lakehouse.create_catalog("main", if_not_exists=True)
    lakehouse.create_schema("bronze", if_not_exists=True)
    state.root = lakehouse.root
    state._lakehouse = None
    return lakehouse


def run(*args: str, input: str | None = None) -> tuple[int, str]:
    result = CliRunner().invoke(app, ["--root", str(state.root), *args], input=input)
    if result.exception and not isinstance(result.exception, SystemExit):
        raise result.exception
    return result.exit_code, result.output


def run_json(*args: str) -> Any:
    code, out = run(*args, "--json")
    assert code == 0, out
    return json.loads(out)


def _landing(tmp_path: Path, *, bad: bool = True) -> Path:
    """3 files of 2 rows, and a malformed one."""
    landing = tmp_path / "landing"
    for i in range(3):
        write_ndjson(landing / f"f{i}.json", [{"id": i}, {"id": 10 + i}])
    if bad:
        (landing / "bad.json").write_text("{nope\n")
    return landing


def _table_version(lh: Lakehouse, name: str = "bronze.t") -> int:
    return int(delta.open_table(lh.table(name).location).version())


def test_list_show_reset_of_a_files_stream(lh: Lakehouse, tmp_path: Path) -> None:
    landing = _landing(tmp_path)
    lh.create_volume("main.bronze.vol")
    checkpoint = "/Volumes/main/bronze/vol/_checkpoints/claims"
    code, out = run("ingest", "files", "--path", str(landing), "--format", "json", "--target", "bronze.t",
                    "--checkpoint", checkpoint, "--option", "badRecordsPath=" + str(tmp_path / "bad"))  # fmt: skip
    assert code == 0, out
    folder = lh.resolve_path(checkpoint)

    [listed] = run_json("streams", "list")
    assert {k: listed[k] for k in ("name", "kind", "target", "checkpoint", "batches", "rows", "status")} == {
        "name": "main.bronze.t",
        "kind": "files",
        "target": "main.bronze.t",
        "checkpoint": str(folder),
        "batches": 1,
        "rows": 6,
        "status": "idle",
    }
    assert listed["source"] == f"files:json:{landing}"

    by_name, by_path = run_json("streams", "show", "main.bronze.t"), run_json("streams", "show", checkpoint)
    assert by_name == by_path == run_json("streams", "show", "bronze.t")  # a two-level name: the current catalog
    shown = by_name
    assert shown["files"] == {
        "folder": str(landing),
        "format": "json",
        "files": 4,
        "ledger": {"ingested": 3, "bad": 1},
    }
    assert shown["state"]["batches"] == 1 and shown["state"]["rows"] == 6 and shown["state"]["pending_batch"] is None
    assert shown["state"]["last_commit"]["batch_id"] == 0
    assert shown["state"]["last_commit"]["table_version"] == _table_version(lh) == 1
    assert shown["target_table"] == {
        "exists": True,
        "version": 1,
        "rows": 6,
        "stream_batch": {"stream_id": shown["state"]["stream_id"], "batch_id": 0},
    }
    code, text = run("streams", "show", "main.bronze.t")
    assert code == 0
    assert "target:          main.bronze.t: version 1, 6 rows, holds batch 0 of this stream" in text
    assert "files:           1 bad, 3 ingested (json under" in text
    assert "batches:         1 batch committed, 6 rows" in text

    # reset: asked first (no: nothing changes), says what the next run does, writes nothing to the table
    code, out = run("streams", "reset", "main.bronze.t", input="n\n")
    assert code == 1 and "loads every file under" in out and "which holds 6 rows: they would be there twice" in out
    assert run_json("streams", "show", "main.bronze.t")["state"]["batches"] == 1
    log_files = sorted((lh.table("bronze.t").location / "_delta_log").iterdir())
    code, out = run("streams", "reset", checkpoint, input="y\n")
    assert code == 0, out
    assert "table main.bronze.t not written (version 1)" in out
    assert sorted((lh.table("bronze.t").location / "_delta_log").iterdir()) == log_files
    after = run_json("streams", "show", "main.bronze.t")
    assert after["state"]["batches"] == 0 and after["state"]["previous_stream_ids"] == [shown["state"]["stream_id"]]
    assert after["files"]["ledger"] == {} and after["state"]["restart_reason"] == "reset by lakeloader streams reset"
    assert list((folder / "invalidated").iterdir())

    # the next run loads every file again (the duplicates the reset warned of), and is not a "second stream"
    code, out = run("ingest", "files", "--path", str(landing), "--format", "json", "--target", "bronze.t",
                    "--checkpoint", checkpoint, "--option", "badRecordsPath=" + str(tmp_path / "bad"))  # fmt: skip
    assert code == 0, out
    assert run_json("streams", "show", "main.bronze.t")["target_table"]["rows"] == 12


def test_reset_with_yes_and_json(lh: Lakehouse, tmp_path: Path) -> None:
    landing = _landing(tmp_path)
    ingest_files("bronze.t", path=landing, checkpoint=tmp_path / "cp", lakehouse=lh, format="json")
    done = run_json("streams", "reset", str(tmp_path / "cp"), "--yes")
    assert done["name"] == "main.bronze.t" and done["duplicates"] is True
    assert done["table_rows"] == 7, "6 rows and the malformed line, kept in _corrupt_record (PERMISSIVE)"
    assert done["table_version"] == _table_version(lh) and done["batches"] == 1
    assert done["previous_stream_id"] != done["stream_id"]
    assert Path(done["kept_in"]).parent == tmp_path / "cp" / "invalidated"


def test_list_show_reset_of_a_postgres_incremental_stream(lh: Lakehouse, pg_url: str, tmp_path: Path) -> None:
    sql(
        pg_url,
        "CREATE TABLE t (id int PRIMARY KEY, v text); INSERT INTO t SELECT g, 'v' FROM generate_series(1, 50) g",
    )
    opts = {"source_url": pg_url, "table": "public.t", "mode": "incremental", "cursor": "id", "primary_key": "id"}
    ingest_postgres("bronze.p", lakehouse=lh, lookback="10", **opts)  # the default checkpoint
    sql(pg_url, "INSERT INTO t SELECT g, 'w' FROM generate_series(51, 55) g")
    ingest_postgres("bronze.p", lakehouse=lh, lookback="10", **opts)

    [listed] = run_json("streams", "list")
    assert listed["name"] == "main.bronze.p" and listed["kind"] == "postgres"
    assert (listed["batches"], listed["rows"]) == (2, 55)
    assert listed["checkpoint"] == str(lh.state_dir / "checkpoints" / "main.bronze.p" / "postgres")
    shown = run_json("streams", "show", "main.bronze.p")
    database = pg_url.rsplit("/", 1)[-1].split("?")[0]
    assert shown["source"] == f"postgresql:{database}/public.t"
    pg = shown["postgres"]
    assert {k: pg[k] for k in ("relation", "mode", "cursor", "high_water_mark", "lookback", "primary_key")} == {
        "relation": "public.t",
        "mode": "incremental",
        "cursor": "id",
        "high_water_mark": "55",
        "lookback": "10",
        "primary_key": ["id"],
    }
    last = pg["last_batch"]
    assert (last["batch_id"], last["kind"], last["lo"], last["hi"], last["rows"]) == (1, "range", "50", "55", 5)
    assert pg["address"] and pg_url.split("@")[-1].startswith(pg["address"])
    assert shown["target_table"]["rows"] == 55 and shown["target_table"]["stream_batch"]["batch_id"] == 1
    code, text = run("streams", "show", "main.bronze.p")
    assert "high-water mark: 55" in text and "lookback:        10" in text
    assert "last batch:      1: id from 50 less the lookback (10), up to 55, 5 rows" in text

    version = _table_version(lh, "bronze.p")
    code, out = run("streams", "reset", "main.bronze.p", input="y\n")
    assert code == 0, out
    assert "rows main.bronze.p holds are skipped by primary key (id)" in out and "warning" not in out
    assert _table_version(lh, "bronze.p") == version, "a reset writes nothing to the table"
    assert run_json("streams", "show", "main.bronze.p")["postgres"]["high_water_mark"] is None
    again = ingest_postgres("bronze.p", lakehouse=lh, lookback="10", **opts)
    assert again.rows == 0, "read again from the start; every row is already there"
    assert run_json("streams", "show", "main.bronze.p")["postgres"]["high_water_mark"] == "55"


def test_pipeline_flows_are_listed_but_reset_by_their_pipeline(lh: Lakehouse) -> None:
    folder = lh.state_dir / "pipelines" / "telematics" / "checkpoints" / "main.bronze.readings" / "readings_flow"
    Checkpoint(folder, target="main.bronze.readings", source="delta:main.bronze.raw")
    [flow] = run_json("streams", "list")
    assert (flow["name"], flow["kind"], flow["pipeline"], flow["batches"]) == (
        "telematics/readings_flow",
        "flow",
        "telematics",
        0,
    )
    assert run_json("streams", "show", "telematics/readings_flow")["target_table"]["exists"] is False
    with pytest.raises(TerminalError, match=r"full-refresh-selection main\.bronze\.readings$"):
        run("streams", "reset", "telematics/readings_flow", "--yes")
    assert (folder / "metadata.json").is_file() and not (folder / "invalidated").exists()


def test_unknown_names_and_folders_are_one_line_errors(lh: Lakehouse, tmp_path: Path) -> None:
    from lakeloader.errors import NotFoundError

    with pytest.raises(NotFoundError, match=r"stream main\.bronze\.nope is not known; lakeloader streams list"):
        run("streams", "show", "main.bronze.nope")
    with pytest.raises(NotFoundError, match=re.escape(f"checkpoint {tmp_path}: no stream's metadata.json there")):
        run("streams", "show", str(tmp_path))


def cli(root: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "LAKELOADER_ROOT": str(root)}
    return subprocess.run(
        [sys.executable, "-m", "lakeloader.cli", *args], capture_output=True, text=True, env=env, timeout=120
    )


def test_through_a_real_process_the_refusal_is_one_line_and_list_finds_both(lh: Lakehouse, tmp_path: Path) -> None:
    landing = _landing(tmp_path, bad=False)
    base = ["ingest", "files", "--path", str(landing), "--format", "json", "--target", "bronze.t"]
    assert cli(lh.root, *base, "--checkpoint", str(tmp_path / "a")).returncode == 0
    refused = cli(lh.root, *base, "--checkpoint", str(tmp_path / "b"))
    assert refused.returncode == 1 and refused.stderr.count("\n") == 1 and "Traceback" not in refused.stderr
    assert refused.stderr.startswith(f"error: table main.bronze.t is already filled from {landing} by stream ")
    allowed = cli(lh.root, *base, "--checkpoint", str(tmp_path / "b"), "--allow-second-stream", "--json")
    assert allowed.returncode == 0 and json.loads(allowed.stdout)["rows"] == 6
    listed = json.loads(cli(lh.root, "streams", "list", "--json").stdout)
    assert [(s["name"], s["checkpoint"], s["rows"]) for s in listed] == [
        ("main.bronze.t", str(tmp_path / "a"), 6),
        ("main.bronze.t#2", str(tmp_path / "b"), 6),
    ]
    reset = cli(lh.root, "streams", "reset", "main.bronze.t#2", "--yes")
    assert reset.returncode == 0, reset.stderr
    assert "warning: the next run loads every file under" in reset.stderr


@pytest.mark.usefixtures("read_only")
def test_list_and_show_work_in_a_lakehouse_this_user_may_only_read(lakehouse: Lakehouse) -> None:
    listed = read_only_cli(lakehouse.root, "streams", "list", "--json")
    assert listed.returncode == 0, listed.stderr
    [stream] = json.loads(listed.stdout)
    assert (stream["name"], stream["batches"], stream["rows"]) == ("main.bronze.t", 1, 3)
    shown = read_only_cli(lakehouse.root, "streams", "show", "main.bronze.t")
    assert shown.returncode == 0 and "3 rows, holds batch 0 of this stream" in shown.stdout, shown.stderr
