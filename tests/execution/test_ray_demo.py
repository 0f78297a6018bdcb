"""`lakeloader demo` on a local disk with its rows read and written by work units on a real two-node Ray cluster:
both example pipelines, the notebooks, the files and Postgres ingests give the local executor's tables."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Any

import pytest

from tests.storage.test_demo_on_s3 import compare_with_local_demo, on_ray
from tests.storage.test_object_storage import cli


@pytest.mark.slow
def test_the_demo_on_ray_gives_the_local_executors_tables(
    tmp_path: Path, local_demo: tuple[Path, subprocess.CompletedProcess[str]], ray_cluster: Any
) -> None:
    root = tmp_path / "lh"
    report = json.loads(cli("demo", "--json", root=root, env=on_ray(ray_cluster)).stdout)
    assert "on Ray:" in report["guards"]["stream"]
    differing = compare_with_local_demo(report, root, local_demo[0])
    assert differing == {}, json.dumps(differing)
