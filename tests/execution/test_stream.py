"""The commit protocol under crashes: plan → one Delta commit with the transaction → record."""

from __future__ import annotations

import multiprocessing
import os
import signal
from pathlib import Path
from typing import Any

import pyarrow as pa
import pytest
from deltalake import DeltaTable

from lakeloader.errors import ConfigError, TerminalError
from lakeloader.execution.checkpoint import Checkpoint
from lakeloader.execution.stream import append_writer, run_available_now
from lakeloader.lakehouse.delta import CommitResult

PARTS = 6


class PartsSource:
    """A deterministic source: part i holds rows i*10 .. i*10+9; `crash_at` kills the process at one step."""

    def __init__(self, crash_at: tuple[str, int] | None = None) -> None:
        self.crash_at = crash_at

    def _maybe_crash(self, step: str, part: int) -> None:
        if self.crash_at == (step, part):
            os.kill(os.getpid(), signal.SIGKILL)

    def plan_next(self, checkpoint: Checkpoint) -> dict[str, Any] | None:
        planned = checkpoint.latest_planned()
        part = 0 if planned is None else checkpoint.read_plan(planned)["part"] + 1
        return {"part": part} if part < PARTS else None

    def read(self, plan: dict[str, Any]) -> pa.RecordBatchReader:
        part = plan["part"]
        self._maybe_crash("read", part)
        return pa.table({"id": list(range(part * 10, part * 10 + 10))}).to_reader()

    def committed(self, checkpoint: Checkpoint, batch_id: int, plan: dict[str, Any], result: CommitResult) -> None:
        self._maybe_crash("after_commit", plan["part"])


def _run(ckpt: str, table: str, crash_at: tuple[str, int] | None) -> None:
    checkpoint = Checkpoint(ckpt, target="c.s.t", source="parts")
    writer = append_writer(table, stream_id=checkpoint.stream_id, table_name="c.s.t")
    for _ in run_available_now(checkpoint, table, PartsSource(crash_at), writer):
        pass


@pytest.mark.slow
@pytest.mark.parametrize("step", ["read", "after_commit"])
@pytest.mark.parametrize("part", [0, 2, 5])
def test_sigkill_at_any_step_then_rerun_gives_every_row_once(tmp_path: Path, step: str, part: int) -> None:
    ckpt, table = str(tmp_path / "ckpt"), str(tmp_path / "t")
    ctx = multiprocessing.get_context("spawn")
    proc = ctx.Process(target=_run, args=(ckpt, table, (step, part)))
    proc.start()
    proc.join(120)
    assert proc.exitcode == -signal.SIGKILL
    _run(ckpt, table, None)  # recovery run, in this process
    ids = sorted(DeltaTable(table).to_pyarrow_table().column("id").to_pylist())
    assert ids == list(range(PARTS * 10))
    checkpoint = Checkpoint(ckpt, target="c.s.t", source="parts")
    assert checkpoint.latest_committed() == checkpoint.latest_planned() == PARTS - 1
    if step == "after_commit":  # the crashed batch was in Delta: the replay recorded it without rewriting
        record = checkpoint.read_commit(part)
        assert record is not None and record["skipped"] is True


def test_rerun_with_nothing_new_commits_nothing(tmp_path: Path) -> None:
    ckpt, table = str(tmp_path / "ckpt"), str(tmp_path / "t")
    _run(ckpt, table, None)
    version = DeltaTable(table).version()
    _run(ckpt, table, None)
    assert DeltaTable(table).version() == version == PARTS  # CREATE TABLE, then one commit per part


def test_checkpoint_belongs_to_one_table(tmp_path: Path) -> None:
    Checkpoint(tmp_path, target="c.s.t", source="parts")
    with pytest.raises(ConfigError, match=r"belongs to table c\.s\.t"):
        Checkpoint(tmp_path, target="c.s.other", source="parts")


def test_checkpoint_files_never_hold_registered_secrets(tmp_path: Path) -> None:
    from lakeloader.secrets.redact import register

    register("pg-password-123")
    checkpoint = Checkpoint(tmp_path, target="c.s.t", source="parts")
    with pytest.raises(TerminalError, match="refusing to write a secret value") as caught:
        checkpoint.write_plan(0, {"query": "select 1", "dsn": "postgresql://u:pg-password-123@h/db"})
    assert "pg-password-123" not in str(caught.value)
    text = "".join(p.read_text() for p in tmp_path.rglob("*.json"))
    assert "pg-password-123" not in text and checkpoint.latest_planned() is None  # refused, not masked


def test_a_short_registered_value_never_corrupts_stream_state(tmp_path: Path) -> None:
    """Masking "tiny" (a weak test password) inside a stored schema made "tinyint" unreadable: state is data."""
    from lakeloader.secrets.redact import register

    register("tiny")
    checkpoint = Checkpoint(tmp_path, target="c.s.t", source="parts")
    plan = {"schema": "a tinyint, b array<tinyint>", "files": [["/data/tiny/f.parquet", 1, 2]]}
    checkpoint.write_plan(0, plan)
    assert checkpoint.read_plan(0) == plan
