"""Real S3-compatible servers for tests, on 127.0.0.1, stopped by their own process handles.

- `SeaweedS3`: SeaweedFS (lakeloader.demo.s3server, which the demo uses too), whose conditional writes are atomic.
- `HeaderDroppingProxy`: a store that ignores `If-None-Match` (the fault the conditional-write probe must catch):
  a forwarding proxy in front of moto's S3 server that drops the header (moto checks no signatures).
"""

from __future__ import annotations

import contextlib
import http.client
import http.server
import subprocess
import sys
import threading
from pathlib import Path

from lakeloader.demo.s3server import (
    ACCESS_KEY,
    BUCKET,
    SECRET_KEY,
    SeaweedS3,
    _wait_http,
    free_port,
    loopback_env,
    stop_process,
)

__all__ = ["ACCESS_KEY", "BUCKET", "SECRET_KEY", "HeaderDroppingProxy", "SeaweedS3", "free_port"]


class _Forward(http.server.BaseHTTPRequestHandler):
    upstream: tuple[str, int] = ("127.0.0.1", 0)
    protocol_version = "HTTP/1.1"

    def _forward(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else None
        headers = {k: v for k, v in self.headers.items() if k.lower() not in ("if-none-match", "host")}
        conn = http.client.HTTPConnection(*self.upstream, timeout=30)
        try:
            conn.request(self.command, self.path, body=body, headers=headers)
            answer = conn.getresponse()
            data = answer.read()
            self.send_response(answer.status)
            for key, value in answer.getheaders():
                if key.lower() not in ("transfer-encoding", "content-length", "connection"):
                    self.send_header(key, value)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            if self.command != "HEAD":
                self.wfile.write(data)
        finally:
            conn.close()

    do_GET = do_PUT = do_POST = do_DELETE = do_HEAD = _forward

    def log_message(self, format: str, *args: object) -> None:
        pass


class HeaderDroppingProxy:
    """moto's S3 server behind a proxy that drops `If-None-Match`: a store where every conditional PUT succeeds."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.moto_port = free_port()
        self.proc: subprocess.Popen[bytes] | None = None
        self.server: http.server.ThreadingHTTPServer | None = None

    @property
    def endpoint(self) -> str:
        assert self.server is not None
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    def env(self) -> dict[str, str]:
        return loopback_env(self.endpoint, "testing", "testing")

    def start(self) -> HeaderDroppingProxy:
        log = self.folder / "moto.log"
        moto = str(Path(sys.executable).with_name("moto_server"))
        args = [moto, "-H", "127.0.0.1", "-p", str(self.moto_port)]
        self.proc = subprocess.Popen(args, stdout=log.open("wb"), stderr=subprocess.STDOUT)
        try:
            _wait_http(f"http://127.0.0.1:{self.moto_port}/", self.proc, log)
            handler = type("Forward", (_Forward,), {"upstream": ("127.0.0.1", self.moto_port)})
            self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
            threading.Thread(target=self.server.serve_forever, daemon=True).start()
            import boto3

            s3 = boto3.client("s3", endpoint_url=f"http://127.0.0.1:{self.moto_port}", aws_access_key_id="testing",
                              aws_secret_access_key="testing", region_name="us-east-1")  # fmt: skip
            s3.create_bucket(Bucket=BUCKET)
        except BaseException:
            self.stop()
            raise
        return self

    def stop(self) -> None:
        if self.server is not None:
            with contextlib.suppress(Exception):
                self.server.shutdown()
                self.server.server_close()
        if self.proc is not None:
            stop_process(self.proc)
