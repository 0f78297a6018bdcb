"""The executor seam without a cluster: work units bounded in bytes, the settings' precedence and one-line errors."""

from __future__ import annotations

import itertools
import os
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from lakeloader.errors import ConfigError
from lakeloader.execution import executor


@settings(max_examples=200, deadline=None)
@given(sizes=st.lists(st.integers(min_value=0, max_value=5000), max_size=60), limit=st.integers(1, 4000))
def test_units_keep_every_item_once_in_order_and_stay_within_the_limit(sizes: list[int], limit: int) -> None:
    items = list(enumerate(sizes))
    units = executor.units_by_bytes(items, lambda item: item[1], limit)
    assert [item for unit in units for item in unit] == items  # nothing lost, nothing twice, plan order
    for unit in units:
        assert unit, "an empty unit"
        assert sum(s for _, s in unit) <= limit or len(unit) == 1  # only a file bigger than the limit is alone
    for left, right in itertools.pairwise(units):  # greedy: a unit closes only when the next item overflows
        assert sum(s for _, s in left) + right[0][1] > limit


def test_settings_take_arguments_over_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LAKELOADER_EXECUTOR", "ray")
    monkeypatch.setenv("LAKELOADER_RAY_ADDRESS", "10.0.0.1:6379")
    monkeypatch.setenv("LAKELOADER_MAX_BYTES_PER_TASK", "64MB")
    chosen = executor.settings()
    assert (chosen.name, chosen.address, chosen.max_bytes_per_task, chosen.distributed) == (
        "ray", "10.0.0.1:6379", 64 * 1024 * 1024, True)  # fmt: skip
    local = executor.settings("local", max_bytes_per_task="1KB")
    assert (local.name, local.max_bytes_per_task, local.distributed) == ("local", 1024, False)
    with pytest.raises(ConfigError, match="executor 'spark': unknown; use one of local, ray"):
        executor.settings("spark")
    with pytest.raises(ConfigError, match="max-bytes-per-task"):
        executor.settings("ray", max_bytes_per_task="lots")


def test_the_local_executor_maps_in_order_and_raises_the_first_failure() -> None:
    ex = executor.open_executor(executor.settings("local"))
    assert not ex.distributed
    assert list(ex.map(lambda n: n * n, list(range(20)), label="t")) == [n * n for n in range(20)]

    def fail_on_3(n: int) -> int:
        if n == 3:
            raise ValueError("unit 3 failed")
        return n

    with pytest.raises(ValueError, match="unit 3 failed"):
        list(ex.map(fail_on_3, list(range(6)), label="t"))


def test_an_unknown_executor_on_the_cli_is_one_line(tmp_path: Path) -> None:
    env = {**os.environ, "LAKELOADER_ROOT": str(tmp_path / "lh"), "LAKELOADER_NO_DAEMON": "1"}
    out = subprocess.run([sys.executable, "-m", "lakeloader.cli", "ingest", "files", "--path", str(tmp_path),
                          "--format", "json", "--target", "main.default.t", "--checkpoint", str(tmp_path / "cp"),
                          "--executor", "spark"], capture_output=True, text=True, env=env, timeout=120)  # fmt: skip
    assert out.returncode != 0 and "Traceback" not in out.stderr
    assert "executor 'spark': unknown; use one of local, ray" in out.stderr
