"""Concurrent writers in separate (spawned) processes: the file lock makes every update land."""

from __future__ import annotations

import multiprocessing
from pathlib import Path

from lakeloader.secrets import SecretStore

WRITERS = 4
KEYS_EACH = 6


def _writer(root: str, worker: int) -> None:
    store = SecretStore(root)
    store.create_scope("shared", if_not_exists=True)  # all race to create the key file and the scope too
    for i in range(KEYS_EACH):
        store.put_secret("shared", f"w{worker}-k{i}", f"value-{worker}-{i}")


def test_concurrent_put_secret_loses_nothing(root: Path) -> None:
    ctx = multiprocessing.get_context("spawn")
    procs = [ctx.Process(target=_writer, args=(str(root), n)) for n in range(WRITERS)]
    for proc in procs:
        proc.start()
    for proc in procs:
        proc.join(timeout=60)
    assert [p.exitcode for p in procs] == [0] * WRITERS
    store = SecretStore(root)
    keys = [s.key for s in store.list_secrets("shared")]
    assert sorted(keys) == sorted(f"w{w}-k{i}" for w in range(WRITERS) for i in range(KEYS_EACH))
    assert store.get_secret("shared", "w3-k5") == "value-3-5"
    assert list(root.parent.glob("lakehouse.key*")) == [root.parent / "lakehouse.key"]
