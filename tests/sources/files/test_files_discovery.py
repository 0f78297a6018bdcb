"""Discovery: globs pushed into the walk, hidden files skipped, time filters, the second look, the ledger."""

from __future__ import annotations

import os
import time
from datetime import UTC, datetime
from pathlib import Path

from lakeloader.sources.files.discovery import FileEntry, Lister, glob_regex, split_stable
from lakeloader.sources.files.ledger import FileLedger, LedgerEntry


def _touch(path: Path, text: str = "x") -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


def _names(entries: list[FileEntry], root: Path) -> set[str]:
    return {os.path.relpath(e.path, root) for e in entries}


def test_recursive_listing_skips_hidden_and_underscore(tmp_path: Path) -> None:
    for rel in ["a.json", "d/b.json", "d/e/c.json", "_checkpoints/x.json", ".tmp.json", "d/_SUCCESS"]:
        _touch(tmp_path / rel)
    assert _names(Lister.create(tmp_path).list_files(), tmp_path) == {"a.json", "d/b.json", "d/e/c.json"}
    flat = Lister.create(tmp_path, recursive=False).list_files()
    assert _names(flat, tmp_path) == {"a.json"}


def test_globs_in_path_prune_folders(tmp_path: Path) -> None:
    for rel in ["2024/01/a.json", "2024/02/b.csv", "2025/01/c.json", "other/01/d.json"]:
        _touch(tmp_path / rel)
    got = Lister.create(f"{tmp_path}/202[4]/*/*.json").list_files()
    assert _names(got, tmp_path) == {"2024/01/a.json"}
    got = Lister.create(f"{tmp_path}/{{2024,2025}}/**/*.json").list_files()
    assert _names(got, tmp_path) == {"2024/01/a.json", "2025/01/c.json"}


def test_glob_pushdown_does_not_descend_into_pruned_folders(tmp_path: Path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    for rel in ["keep/a.json", "skip/deep/b.json"]:
        _touch(tmp_path / rel)
    opened: list[str] = []
    real = os.scandir

    def spy(path):  # type: ignore[no-untyped-def]
        opened.append(str(path))
        return real(path)

    monkeypatch.setattr(os, "scandir", spy)
    Lister.create(f"{tmp_path}/keep/*.json").list_files()
    assert not any("skip" in p for p in opened)


def test_path_glob_filter_and_modified_filters(tmp_path: Path) -> None:
    old = _touch(tmp_path / "old.avro")
    os.utime(old, (1_600_000_000, 1_600_000_000))
    _touch(tmp_path / "new.avro")
    _touch(tmp_path / "new.txt")
    got = Lister.create(tmp_path, path_glob_filter="*.avro").list_files()
    assert _names(got, tmp_path) == {"old.avro", "new.avro"}
    after = datetime(2021, 1, 1, tzinfo=UTC)
    got = Lister.create(tmp_path, path_glob_filter="*.avro", modified_after=after).list_files()
    assert _names(got, tmp_path) == {"new.avro"}
    got = Lister.create(tmp_path, modified_before=after).list_files()
    assert _names(got, tmp_path) == {"old.avro"}


def test_glob_regex() -> None:
    assert glob_regex("*.{json,csv}").match("a.csv") and not glob_regex("*.{json,csv}").match("a.txt")
    assert glob_regex("**/x.json").match("x.json") and glob_regex("**/x.json").match("a/b/x.json")
    assert glob_regex("[!a]*").match("b") and not glob_regex("[!a]*").match("a")


def test_files_being_written_wait(tmp_path: Path) -> None:
    growing = _touch(tmp_path / "growing.json", "{}\n")
    done = _touch(tmp_path / "done.json", "{}\n")
    empty = _touch(tmp_path / "empty.json", "")
    listed = {e.path: e for e in Lister.create(tmp_path).list_files()}
    with open(growing, "a") as fh:
        fh.write("{}\n")
    stable, waiting, zero = split_stable(list(listed.values()), zero_byte_grace=60)
    assert [e.path for e in stable] == [str(done)]
    assert {e.path for e in waiting} == {str(growing), str(empty)}
    assert zero == []
    _, waiting, zero = split_stable([listed[str(empty)]], zero_byte_grace=0, now=time.time() + 1)
    assert [e.path for e in zero] == [str(empty)] and waiting == []


def test_ledger_round_trip(tmp_path: Path) -> None:
    ledger = FileLedger(tmp_path / "ledger.db")
    ledger.record([LedgerEntry("/a", 1, 10, 0, "ingested", 5), LedgerEntry("/b", 2, 20, 0, "bad")])
    ledger.record([LedgerEntry("/a", 3, 30, 1, "ingested", 6)])  # allowOverwrites: same path, newer version
    assert FileLedger(tmp_path / "ledger.db").seen() == {"/a": (3, 30), "/b": (2, 20)}
    assert ledger.counts() == {"ingested": 1, "bad": 1}
    rows = ledger.rows(status="ingested")
    assert rows[0]["path"] == "/a" and rows[0]["batch_id"] == 1 and rows[0]["rows"] == 6
