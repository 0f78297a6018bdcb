"""Landing files on an object store (a real S3 server): Auto Loader's listing, reading, bad files and cleanSource
give what the same files give in a local folder."""

from __future__ import annotations

import collections
import io
import json
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from lakeloader.lakehouse import storage
from lakeloader.sources.files.discovery import make_lister
from lakeloader.sources.files.objects import ObjectLister
from tests.storage.test_object_storage import cli, keys_under


def _files() -> dict[str, bytes]:
    """The same landing folder's files, by relative path: JSON lines in month folders, one corrupt, skipped names."""
    out: dict[str, bytes] = {}
    for month in ("2025-12", "2026-01", "2026-02"):
        for part in range(3):
            lines = [{"id": f"{month}-{part}-{i}", "amount": i * 1.5, "tags": {"k": month}} for i in range(20)]
            out[f"{month}/part-{part}.json"] = "\n".join(json.dumps(x) for x in lines).encode() + b"\n"
    out["2026-02/broken.json"] = b'{"id": "ok-1", "amount": 1}\n{"id": oops\n'
    out["2026-02/_SUCCESS"] = b""
    out["_checkpoint/junk.json"] = b"not json"
    return out


def _put(base: str, files: dict[str, bytes]) -> None:
    for rel, data in files.items():
        (storage.ObjectPath(base) / rel).write_bytes(data)


def test_json_landing_in_a_volume_on_s3_ingests_as_from_a_local_folder(s3_root: str, tmp_path: Path) -> None:
    files = _files()
    local_landing = tmp_path / "landing"
    for rel, data in files.items():
        (local_landing / rel).parent.mkdir(parents=True, exist_ok=True)
        (local_landing / rel).write_bytes(data)
    cli("volumes", "create", "main.default.landing", root=s3_root)
    _put(f"{s3_root}/main/default/volumes/landing/events", files)
    local = tmp_path / "local"
    args = ["ingest", "files", "--format", "json", "--target", "main.default.events", "--json"]
    before = json.loads(cli(*args, "--path", str(local_landing), "--checkpoint", str(tmp_path / "cp-local"),
                            root=local).stdout)  # fmt: skip
    out = cli(*args, "--path", "/Volumes/main/default/landing/events", "--checkpoint", str(tmp_path / "cp"),
              root=s3_root)  # fmt: skip
    summary = json.loads(out.stdout)
    assert summary["files"] == before["files"] == 10  # _SUCCESS and _checkpoint/ left out, as locally
    assert summary["rows"] == before["rows"] == 182  # 180, the good line of broken.json and its corrupt line
    assert summary["bad_records"] == before["bad_records"] == 1

    def rows(root: str | Path) -> list[dict[str, object]]:
        query = "SELECT id, amount, tags.k AS k, _corrupt_record FROM main.default.events ORDER BY ALL"
        got = cli("sql", "--json", query, root=root)
        return list(json.loads(got.stdout))

    assert rows(s3_root) == rows(local) and len(rows(s3_root)) == 182
    bad = cli("sql", "--json", "SELECT file_path, reason FROM main.default.events_bad_records", root=s3_root)
    [record] = json.loads(bad.stdout)
    assert record["file_path"] == f"{s3_root}/main/default/volumes/landing/events/2026-02/broken.json"
    again = json.loads(cli(*args, "--path", "/Volumes/main/default/landing/events", "--checkpoint",
                           str(tmp_path / "cp"), root=s3_root).stdout)  # fmt: skip
    assert again["rows"] == 0 and again["files"] == 0


def test_a_glob_in_the_path_prunes_the_listing_level_by_level(s3_root: str) -> None:
    base = f"{s3_root}/landing"
    _put(base, _files())
    for i in range(30):  # a year nobody asked for: its keys must never be listed
        (storage.ObjectPath(base) / f"2024-{i:02d}" / "x.json").write_bytes(b"{}\n")
    listed: list[str] = []

    class Watching(ObjectLister):
        def _list_level(self, prefix: str) -> dict[str, object]:
            listed.append(prefix)
            return super()._list_level(prefix)

    plain = make_lister(f"{base}/2026-*/*.json")
    assert isinstance(plain, ObjectLister)
    lister = Watching(root=plain.root, segments=plain.segments)
    names = sorted(e.path.rsplit("landing/", 1)[1] for e in lister.list_files())
    assert names == ["2026-01/part-0.json", "2026-01/part-1.json", "2026-01/part-2.json", "2026-02/broken.json",
                     "2026-02/part-0.json", "2026-02/part-1.json", "2026-02/part-2.json"]  # fmt: skip
    assert sorted(p.rsplit("landing", 1)[1] for p in listed) == ["", "/2026-01", "/2026-02"]  # one LIST per level
    # one object named directly: that object (a HEAD), not what is below its name
    [single] = make_lister(f"{base}/2026-01/part-0.json").list_files()
    assert single.path == f"{base}/2026-01/part-0.json" and single.size == len(_files()["2026-01/part-0.json"])
    # without a glob: one flat listing, names starting with _ or . left out
    every = make_lister(base, path_glob_filter="*.json").list_files()
    assert len(every) == 10 + 30 and not any("/_" in e.path for e in every)


def test_clean_source_moves_ingested_objects_on_s3(s3_root: str, tmp_path: Path) -> None:
    landing = f"{s3_root}/in"
    for i in range(3):
        buf = io.BytesIO()
        pq.write_table(pa.table({"id": [i, i + 10]}), buf)
        (storage.ObjectPath(landing) / f"d/f{i}.parquet").write_bytes(buf.getvalue())
    out = cli("ingest", "files", "--path", landing, "--format", "parquet", "--target", "main.default.moved",
              "--checkpoint", str(tmp_path / "cp"), "--option", "cleanSource=MOVE", "--option",
              f"cleanSource.moveDestination={s3_root}/archive", "--option", "cleanSource.retentionDuration=0 seconds",
              root=s3_root)  # fmt: skip
    assert "3 source files cleaned" in out.stdout
    assert keys_under(landing) == []
    assert sorted(k.rsplit("/archive/", 1)[1] for k in keys_under(f"{s3_root}/archive")) == [
        "d/f0.parquet", "d/f1.parquet", "d/f2.parquet"]  # fmt: skip
    got = cli("sql", "--json", "SELECT sum(id) AS s FROM main.default.moved", root=s3_root)
    assert json.loads(got.stdout) == [{"s": 3 + 33}]


@pytest.mark.slow
def test_two_machines_running_one_stream_at_once_land_every_file_once(s3_root: str, tmp_path: Path) -> None:
    """Two runs of one stream with its checkpoint on S3, from two "machines" (each its own local state and mirror,
    so no local lock keeps them apart), while files keep landing: each file's rows are in the table once."""
    import os
    import subprocess
    import sys

    landing = f"{s3_root}/stream-in"
    checkpoint = f"{s3_root}/checkpoints/shared"

    def land(start: int, count: int) -> None:
        for i in range(start, start + count):
            buf = io.BytesIO()
            pq.write_table(pa.table({"id": list(range(i * 100, i * 100 + 100)), "file": [i] * 100}), buf)
            (storage.ObjectPath(landing) / f"f{i:03d}.parquet").write_bytes(buf.getvalue())

    land(0, 10)
    args = [sys.executable, "-m", "lakeloader.cli", "--root", s3_root, "ingest", "files", "--path", landing,
            "--format", "parquet", "--target", "main.default.shared", "--checkpoint", checkpoint,
            "--option", "maxFilesPerTrigger=2"]  # fmt: skip
    runs = []
    for machine in ("a", "b"):
        env = {**os.environ, "LAKELOADER_STATE_HOME": str(tmp_path / f"machine-{machine}"), "LAKELOADER_NO_DAEMON": "1"}
        runs.append(subprocess.Popen(args, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True))
    land(10, 6)  # more files while both run
    outcomes = [run.communicate(timeout=300) for run in runs]
    codes = [run.returncode for run in runs]
    # a run may lose a race and stop in one line (another run planned the batch); none fails otherwise
    for code, (_, err) in zip(codes, outcomes, strict=True):
        assert code == 0 or ("another run" in err and "Traceback" not in err), err
    assert 0 in codes
    env = {**os.environ, "LAKELOADER_STATE_HOME": str(tmp_path / "machine-c"), "LAKELOADER_NO_DAEMON": "1"}
    final = subprocess.run(args, env=env, capture_output=True, text=True)  # a third machine finishes the stream
    assert final.returncode == 0, final.stderr
    # each machine keeps its own metastore (docs/object_storage.md): the table is read at its location
    from lakeloader.lakehouse import delta

    rows = delta.dataset(f"{s3_root}/main/default/tables/shared").to_table()
    counts = sorted(collections.Counter(rows.column("file").to_pylist()).items())
    assert counts == [(i, 100) for i in range(16)]
    assert rows.num_rows == len(set(rows.column("id").to_pylist())) == 1600


def test_incremental_listing_lists_only_keys_after_the_last_one_seen(s3_root: str, tmp_path: Path) -> None:
    """useIncrementalListing=true (Auto Loader's option): a rerun lists from the last key seen on, so a key that
    sorts before it is not seen — as Databricks warns; without the option every new key is found."""
    landing = f"{s3_root}/ordered"

    def land(name: str, value: int) -> None:
        buf = io.BytesIO()
        pq.write_table(pa.table({"v": [value]}), buf)
        (storage.ObjectPath(landing) / name).write_bytes(buf.getvalue())

    for i, name in enumerate(("2026-01-01.parquet", "2026-01-02.parquet")):
        land(name, i)
    base = ["ingest", "files", "--path", landing, "--format", "parquet", "--json"]
    incremental = [*base, "--target", "main.default.inc", "--checkpoint", str(tmp_path / "inc"),
                   "--option", "useIncrementalListing=true"]  # fmt: skip
    whole = [*base, "--target", "main.default.whole", "--checkpoint", str(tmp_path / "whole")]
    assert json.loads(cli(*incremental, root=s3_root).stdout)["files"] == 2
    assert json.loads(cli(*whole, root=s3_root).stdout)["files"] == 2
    land("2026-01-03.parquet", 2)  # sorts after: found both ways
    land("2025-12-31.parquet", 3)  # sorts before the last key seen: only a whole listing finds it
    assert json.loads(cli(*incremental, root=s3_root).stdout)["files"] == 1
    assert json.loads(cli(*whole, root=s3_root).stdout)["files"] == 2
    assert json.loads(cli(*incremental, root=s3_root).stdout)["files"] == 0


def test_a_file_moved_aside_here_is_not_brought_back_by_a_pull(s3_root: str) -> None:
    """A pipeline's flows share the mirror of its storage: one flow's full refresh moves its checkpoint's plans
    aside while another flow opens its checkpoint (a pull). The pull must not bring the old plans back (the full
    refresh then found its batch 0 'planned by another run'); what changed on the store is still pulled."""
    from lakeloader.execution.mirror import open_mirror
    from lakeloader.lakehouse import storage

    remote = storage.ObjectPath(f"{s3_root}/pipeline")
    mirror = open_mirror(remote)
    plan = mirror.local / "checkpoints" / "a" / "offsets" / "0.json"
    plan.parent.mkdir(parents=True)
    plan.write_text('{"batch_id": 0}')
    mirror.push()
    aside = mirror.local / "checkpoints" / "a" / "invalidated" / "0.json"
    aside.parent.mkdir(parents=True)
    plan.rename(aside)  # Checkpoint.start_over, not pushed yet
    (remote / "checkpoints" / "b" / "offsets" / "0.json").write_bytes(b'{"batch_id": 0}')  # another machine's
    mirror.pull()  # flow b opens its checkpoint
    assert not plan.exists()
    assert (mirror.local / "checkpoints" / "b" / "offsets" / "0.json").exists()
    mirror.push()
    keys = {m["path"].rsplit("/pipeline/", 1)[1] for m in remote.walk_keys()}
    assert "checkpoints/a/offsets/0.json" not in keys and "checkpoints/a/invalidated/0.json" in keys
