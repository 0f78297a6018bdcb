"""Symlinks never lead discovery or cleanSource out of the watched folder, nor in circles (issue 10.4, 11.5, 11.13)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from tests.sources.files.conftest import Ingest, read_table, write_ndjson

from lakeloader.errors import ConfigError
from lakeloader.lakehouse.root import Lakehouse
from lakeloader.sources.files.discovery import Lister
from lakeloader.sources.files.runner import ingest_files

RETENTION_0 = {"cleanSource.retentionDuration": "0s"}


@pytest.fixture
def outside(tmp_path: Path) -> Path:
    folder = tmp_path / "outside"
    write_ndjson(folder / "secret.json", [{"id": 666, "v": "secret"}])
    return folder


def test_a_folder_link_in_a_loop_is_read_once(ingest: Ingest, lh: Lakehouse, landing: Path) -> None:
    write_ndjson(landing / "in" / "a.json", [{"id": 1}])
    os.symlink(landing / "in", landing / "in" / "loop")  # `ln -s $PWD/in in/loop`
    got = ingest(format="json")
    assert got.stats.files == 1 and read_table(lh).column("id").to_pylist() == ["1"]


def test_a_linked_file_already_present_is_read_once(ingest: Ingest, lh: Lakehouse, landing: Path) -> None:
    real = write_ndjson(landing / "a.json", [{"id": 1}])
    os.symlink(real, landing / "b.json")
    (landing / "sub").mkdir()
    os.symlink(real, landing / "sub" / "c.json")
    assert ingest(format="json").stats.files == 1
    os.symlink(real, landing / "d.json")  # a new link to a file already in
    assert ingest(format="json").stats.files == 0
    assert read_table(lh).num_rows == 1


def test_links_out_of_the_folder_are_refused(
    ingest: Ingest, lh: Lakehouse, landing: Path, outside: Path, caplog: pytest.LogCaptureFixture
) -> None:
    write_ndjson(landing / "ok.json", [{"id": 1}])
    os.symlink(outside, landing / "link")
    os.symlink(outside / "secret.json", landing / "s.json")
    got = ingest(format="json")
    assert got.stats.files == 1 and read_table(lh).column("id").to_pylist() == ["1"]
    assert "2 symlinks leading outside" in got.line()


def test_a_volume_glob_never_reads_a_link_to_a_system_file(lh: Lakehouse, tmp_path: Path, outside: Path) -> None:
    lh.create_schema("landing")
    lh.create_volume("landing.v")
    folder = lh.resolve_path("/Volumes/main/landing/v")
    write_ndjson(folder / "ok.json", [{"id": 1}])
    target = Path("/etc/hostname") if Path("/etc/hostname").is_file() else outside / "secret.json"
    os.symlink(target, folder / "host")
    os.symlink(outside, folder / "land")
    got = ingest_files(
        "bronze.t", path="/Volumes/main/landing/v/*", checkpoint=tmp_path / "cp", lakehouse=lh, format="text"
    )
    assert got.stats.files == 1
    assert read_table(lh).column("value").to_pylist() == ['{"id": 1}']


def test_clean_source_delete_never_deletes_outside(ingest: Ingest, landing: Path, outside: Path) -> None:
    write_ndjson(landing / "ok.json", [{"id": 1}])
    os.symlink(outside, landing / "link")
    os.symlink(outside / "secret.json", landing / "s.json")
    got = ingest(format="json", cleanSource="DELETE", **RETENTION_0)
    assert got.cleaned == 1 and not (landing / "ok.json").exists()
    assert (outside / "secret.json").is_file()


def test_clean_source_never_follows_a_folder_swapped_for_a_link(
    ingest: Ingest, landing: Path, outside: Path, tmp_path: Path
) -> None:
    write_ndjson(landing / "sub" / "secret.json", [{"id": 1}])
    ingest(format="json", cleanSource="DELETE", **{"cleanSource.retentionDuration": "1h"})
    (landing / "sub" / "secret.json").unlink()
    (landing / "sub").rmdir()
    os.symlink(outside, landing / "sub")  # after the ingest, the folder becomes a link out
    archive = tmp_path / "archive"
    ingest(format="json", cleanSource="DELETE", **RETENTION_0)
    assert (outside / "secret.json").is_file()
    ingest(format="json", cleanSource="MOVE", **{"cleanSource.moveDestination": str(archive), **RETENTION_0})
    assert (outside / "secret.json").is_file() and not (archive / "sub" / "secret.json").exists()


def test_a_lister_reports_real_files_once(tmp_path: Path, outside: Path) -> None:
    write_ndjson(tmp_path / "w" / "a.json", [{"id": 1}])
    os.symlink(tmp_path / "w" / "a.json", tmp_path / "w" / "b.json")
    os.symlink(outside / "secret.json", tmp_path / "w" / "c.json")
    os.symlink(tmp_path / "w" / "nope.json", tmp_path / "w" / "broken.json")
    listing = Lister.create(tmp_path / "w").listing()
    assert [Path(e.path).name for e in listing.files] == ["a.json"]
    assert [Path(p).name for p in listing.refused] == ["c.json"]


@pytest.mark.parametrize("pattern", ["[z-a]", "[]"])
def test_a_bad_glob_is_one_line_error(ingest: Ingest, landing: Path, pattern: str) -> None:
    write_ndjson(landing / "a.json", [{"id": 1}])
    with pytest.raises(ConfigError, match="pathGlobFilter"):
        ingest(format="json", pathGlobFilter=pattern)
    with pytest.raises(ConfigError, match="glob"):
        ingest(path=Path(f"{landing}/{pattern}"), format="json")


def test_a_bad_glob_on_the_cli_exits_1(lh: Lakehouse, landing: Path, tmp_path: Path) -> None:
    args = ["ingest", "files", "--path", str(landing), "--format", "json", "--target", "bronze.t"]
    args += ["--checkpoint", str(tmp_path / "cp"), "-o", "pathGlobFilter=[z-a]"]
    env = {**os.environ, "LAKELOADER_ROOT": str(lh.root)}
    cmd = [sys.executable, "-m", "lakeloader.cli", *args]
    out = subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=120)
    assert out.returncode == 1, out.stderr
    assert "pathGlobFilter" in out.stderr and "internal error" not in out.stderr
    assert len(out.stderr.strip().splitlines()) == 1


def test_a_file_swapped_for_a_link_out_after_planning_is_not_read(
    ingest: Ingest, lh: Lakehouse, landing: Path, outside: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from tests.sources.files.conftest import bad_records

    from lakeloader.sources.files import source as files_source

    write_ndjson(landing / "a.json", [{"id": 1}])
    swapped = write_ndjson(landing / "b.json", [{"id": 2}])
    real = files_source.FilesSource.plan_next

    def plan_then_swap(self: files_source.FilesSource, *args: object, **kwargs: object) -> object:
        plan = real(self, *args, **kwargs)  # type: ignore[arg-type]
        if swapped.exists() and not swapped.is_symlink():
            swapped.unlink()
            os.symlink(outside / "secret.json", swapped)
        return plan

    monkeypatch.setattr(files_source.FilesSource, "plan_next", plan_then_swap)
    ingest(format="json")
    assert read_table(lh).column("id").to_pylist() == ["1"]
    assert "outside the watched folder" in bad_records(tmp_path).column("reason").to_pylist()[0]
