"""An S3 server for the session (SeaweedFS on 127.0.0.1) and, per test, the environment pointing at it."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.storage.s3server import BUCKET, SeaweedS3


@pytest.fixture(scope="session")
def s3_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SeaweedS3]:
    server = SeaweedS3(tmp_path_factory.mktemp("seaweedfs")).start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def s3_root(s3_server: SeaweedS3, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    """A fresh lakehouse URL on the server (`s3://lake/<test>`), the environment set for it (inherited by the
    CLI's subprocesses), and the lakehouse's local state under the test's folder."""
    for key, value in s3_server.env().items():
        monkeypatch.setenv(key, value)
    monkeypatch.setenv("LAKELOADER_STATE_HOME", str(tmp_path / "state-home"))
    url = f"s3://{BUCKET}/{uuid.uuid4().hex[:12]}"
    monkeypatch.setenv("LAKELOADER_ROOT", url)
    return url
