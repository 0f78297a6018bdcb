"""Demo step 10: the lakehouse on object storage — a local S3 server (SeaweedFS), a lakehouse at s3://lake/demo on
it, Telematics' Parquet landing files ingested there from the store, the same rows as on the local disk."""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

from lakeloader.errors import TerminalError

if TYPE_CHECKING:
    from lakeloader.lakehouse.root import Lakehouse

Say = Callable[[str], None]
ROOT = "s3://lake/demo"
LANDING = "s3://lake/landing/telematics"
TABLE = "main.default.readings"
LOCAL_TABLE = "telematics.01_bronze.readings_raw"  # step 9's stream of the same Parquet files


@contextlib.contextmanager
def _environment(values: dict[str, str]) -> Iterator[None]:
    saved = {key: os.environ.get(key) for key in values}
    os.environ.update(values)
    try:
        yield
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


def run(lh: Lakehouse, landing_volume: str, say: Say) -> dict[str, Any]:
    """Start the server, upload the landing files, ingest them into a lakehouse on it (CLI), compare, rerun."""
    from lakeloader.demo.s3server import SeaweedS3
    from lakeloader.lakehouse import storage

    if isinstance(lh.root, storage.ObjectPath):
        say("  the demo's lakehouse is on an object store already: every step above ran there")
        return {"skipped": "the lakehouse is on an object store"}
    landing = lh.resolve_path(landing_volume)
    folder = lh.state_dir / "demo-s3"
    shutil.rmtree(folder, ignore_errors=True)  # from nothing, as every step of the demo
    try:
        server = SeaweedS3(folder).start()
    except FileNotFoundError as exc:
        say(f"  skipped: {exc}")
        return {"skipped": str(exc)}
    env = {**server.env(), "LAKELOADER_STATE_HOME": str(folder / "state"), "LAKELOADER_NO_DAEMON": "1"}
    try:
        with _environment(env):
            return _on_the_store(lh, landing, say, server.endpoint)
    finally:
        server.stop()


def _on_the_store(lh: Lakehouse, landing: Path, say: Say, endpoint: str) -> dict[str, Any]:
    from lakeloader.lakehouse import delta, storage

    files = sorted(p for p in landing.rglob("*.parquet") if not any(part.startswith(("_", ".")) for part in p.parts))
    for path in files:
        (storage.ObjectPath(LANDING) / path.relative_to(landing).as_posix()).write_bytes(path.read_bytes())
    say(f"  SeaweedFS on {endpoint}; uploaded the {len(files)} Parquet landing files to {LANDING}")

    def cli(*args: str) -> str:
        command = [sys.executable, "-m", "lakeloader.cli", "--root", ROOT, *args]
        done = subprocess.run(command, capture_output=True, text=True, timeout=300)
        if done.returncode != 0:
            raise TerminalError(f"demo: lakeloader {' '.join(args[:2])} on S3 failed: {done.stderr.strip()[-500:]}")
        return done.stdout.strip()

    ingest = ["ingest", "files", "--path", LANDING, "--format", "parquet", "--target", TABLE, "--no-progress",
              "--checkpoint", f"{ROOT}/_checkpoints/readings"]  # fmt: skip
    first = cli(*ingest)
    say(f"  lakeloader --root {ROOT} ingest files --path {LANDING} ...: {first}")
    again = cli(*ingest)
    say(f"  the same again: {again}")
    remote = delta.dataset(f"{ROOT}/main/default/tables/readings").to_table()
    here = delta.dataset(lh.table(LOCAL_TABLE).location).to_table()
    columns = [c for c in here.column_names if c in remote.column_names]

    def rows(table: Any) -> list[str]:
        return sorted(json.dumps(row, sort_keys=True, default=str) for row in table.select(columns).to_pylist())

    same = columns == remote.column_names and rows(remote) == rows(here)
    keys = sum(1 for _ in storage.ObjectPath(ROOT).walk_keys())
    say(f"  {TABLE} on S3: {remote.num_rows:,} rows, {'the same' if same else 'NOT the same'} as {LOCAL_TABLE} on "
        f"disk; {keys} objects under {ROOT} (Delta log, data files, the stream's checkpoint)")  # fmt: skip
    if not same:
        raise TerminalError(f"demo: {TABLE} on S3 differs from {LOCAL_TABLE}")
    return {"first": first, "again": again, "rows": remote.num_rows, "same_rows": same, "objects": keys}
