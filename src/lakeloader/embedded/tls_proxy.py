"""A TLS-terminating proxy in front of the embedded server, whose wheel is built without OpenSSL.

It listens on the public TCP port, answers PostgreSQL's SSLRequest with 'S' (and accepts PostgreSQL 17+ direct
TLS with ALPN "postgresql"), and pipes the decrypted stream to the server's Unix socket. Plaintext clients get a
FATAL error response: the only way in over TCP is TLS. Authentication (scram) stays the server's, end to end.

Run as `python -m lakeloader.embedded.tls_proxy ...`; it daemonizes after binding, prints the daemon's pid and
exits 0, so a zero exit status means the port is already accepting connections.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import os
import signal
import socket
import ssl
import struct
import sys

SSL_REQUEST = 80877103
GSSENC_REQUEST = 80877104
TLS_HANDSHAKE_RECORD = 0x16  # the first byte of a TLS ClientHello: direct TLS (sslnegotiation=direct)
ALPN = "postgresql"
MAX_STARTUP = 10_000  # PostgreSQL's own limit for a startup packet
NEGOTIATION_TIMEOUT = 30.0
CHUNK = 64 * 1024

log = logging.getLogger("lakeloader.tls_proxy")


def server_context(cert_file: str, key_file: str) -> ssl.SSLContext:
    """TLS 1.2+ with the server certificate, offering ALPN "postgresql" as PostgreSQL 17+ servers do."""
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.minimum_version = ssl.TLSVersion.TLSv1_2
    ctx.load_cert_chain(cert_file, key_file)
    ctx.set_alpn_protocols([ALPN])
    return ctx


def error_response(message: str, *, sqlstate: str = "28000") -> bytes:
    """A protocol v3 ErrorResponse (severity FATAL), which libpq shows as the connection error."""
    fields = b"".join(
        code + value.encode() + b"\0"
        for code, value in ((b"S", "FATAL"), (b"V", "FATAL"), (b"C", sqlstate), (b"M", message))
    )
    body = fields + b"\0"
    return b"E" + struct.pack("!I", len(body) + 4) + body


async def _wait_readable(sock: socket.socket) -> None:
    loop = asyncio.get_running_loop()
    ready: asyncio.Future[None] = loop.create_future()

    def wake() -> None:
        if not ready.done():
            ready.set_result(None)

    loop.add_reader(sock.fileno(), wake)
    try:
        await ready
    finally:
        loop.remove_reader(sock.fileno())


async def _recv_exact(sock: socket.socket, size: int) -> bytes:
    loop = asyncio.get_running_loop()
    data = b""
    while len(data) < size:
        chunk = await loop.sock_recv(sock, size - len(data))
        if not chunk:
            raise ConnectionError("client closed the connection during negotiation")
        data += chunk
    return data


async def negotiate(sock: socket.socket, *, refusal: str) -> str | None:
    """Read the client's first packets: "request" (SSLRequest answered), "direct" (TLS), or None (refused)."""
    loop = asyncio.get_running_loop()
    while True:
        await _wait_readable(sock)
        first = sock.recv(1, socket.MSG_PEEK)
        if not first:
            return None
        if first[0] == TLS_HANDSHAKE_RECORD:
            return "direct"
        length, code = struct.unpack("!II", await _recv_exact(sock, 8))
        if length == 8 and code == SSL_REQUEST:
            await loop.sock_sendall(sock, b"S")
            return "request"
        if length == 8 and code == GSSENC_REQUEST:
            await loop.sock_sendall(sock, b"N")  # no GSSAPI encryption: libpq goes on with SSLRequest or refuses
            continue
        if 8 < length <= MAX_STARTUP:  # read the whole plaintext packet, so closing does not reset the socket
            await _recv_exact(sock, length - 8)
        await loop.sock_sendall(sock, error_response(refusal))
        return None


async def _start_tls(sock: socket.socket, ctx: ssl.SSLContext) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
    loop = asyncio.get_running_loop()
    reader = asyncio.StreamReader(limit=CHUNK)
    protocol = asyncio.StreamReaderProtocol(reader)
    transport, _ = await loop.connect_accepted_socket(
        lambda: protocol, sock=sock, ssl=ctx, ssl_handshake_timeout=NEGOTIATION_TIMEOUT
    )
    return reader, asyncio.StreamWriter(transport, protocol, reader, loop)


async def _copy(source: asyncio.StreamReader, target: asyncio.StreamWriter) -> None:
    try:
        while data := await source.read(CHUNK):
            target.write(data)
            await target.drain()
    finally:
        target.close()


async def serve_client(sock: socket.socket, ctx: ssl.SSLContext, upstream: str, *, refusal: str) -> None:
    """Negotiate TLS with one client, then pipe bytes both ways between it and the server's Unix socket."""
    sock.setblocking(False)
    peer = "%s:%s" % sock.getpeername()[:2]  # noqa: UP031 - IPv4 and IPv6 tuples differ in length
    writer: asyncio.StreamWriter | None = None  # once set, its transport owns the socket
    try:
        mode = await asyncio.wait_for(negotiate(sock, refusal=refusal), NEGOTIATION_TIMEOUT)
        if mode is None:
            log.info("%s refused: plaintext connection", peer)
            return
        reader, writer = await _start_tls(sock, ctx)
        ssl_object = writer.get_extra_info("ssl_object")
        if mode == "direct" and (ssl_object is None or ssl_object.selected_alpn_protocol() != ALPN):
            log.info("%s refused: direct TLS without ALPN %r", peer, ALPN)
            return
        try:
            up_reader, up_writer = await asyncio.open_unix_connection(upstream)
        except OSError as exc:
            log.warning("%s: server socket %s unavailable (%s)", peer, upstream, exc)
            writer.write(error_response("the embedded server is not running", sqlstate="57P03"))
            return
        log.info("%s connected (%s, %s)", peer, mode, writer.get_extra_info("cipher"))
        await asyncio.gather(_copy(reader, up_writer), _copy(up_reader, writer), return_exceptions=True)
    except (OSError, ssl.SSLError, TimeoutError, ConnectionError) as exc:
        log.info("%s closed: %s", peer, exc.__class__.__name__)
    finally:
        if writer is None:
            sock.close()
        else:
            writer.close()
            with contextlib.suppress(OSError, ssl.SSLError, ConnectionError):
                await writer.wait_closed()


async def run(listener: socket.socket, ctx: ssl.SSLContext, upstream: str, *, refusal: str) -> None:
    """Accept clients until SIGTERM or SIGINT, then close everything."""
    loop = asyncio.get_running_loop()
    stop = asyncio.Event()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, stop.set)
    listener.setblocking(False)
    clients: set[asyncio.Task[None]] = set()

    async def accept_forever() -> None:
        while True:
            try:
                sock, _ = await loop.sock_accept(listener)
            except OSError as exc:  # e.g. out of file descriptors: keep serving the connections we have
                log.warning("accept failed: %s", exc)
                await asyncio.sleep(0.1)
                continue
            task = asyncio.create_task(serve_client(sock, ctx, upstream, refusal=refusal))
            clients.add(task)
            task.add_done_callback(clients.discard)

    acceptor = asyncio.create_task(accept_forever())
    log.info("listening on %s:%s, upstream %s", *listener.getsockname()[:2], upstream)
    await stop.wait()
    acceptor.cancel()
    listener.close()
    for task in list(clients):
        task.cancel()
    await asyncio.gather(acceptor, *clients, return_exceptions=True)
    log.info("stopped")


def _drop_privileges(user: str) -> None:
    if os.geteuid() != 0:
        return
    import pwd

    entry = pwd.getpwnam(user)
    os.setgroups([])
    os.setgid(entry.pw_gid)
    os.setuid(entry.pw_uid)


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m lakeloader.embedded.tls_proxy", description=__doc__)
    parser.add_argument("--listen-host", default="127.0.0.1")
    parser.add_argument("--listen-port", type=int, required=True)
    parser.add_argument("--cert", required=True, help="server certificate (PEM)")
    parser.add_argument("--key", required=True, help="server private key (PEM)")
    parser.add_argument("--upstream", required=True, help="the server's Unix socket path")
    parser.add_argument("--log", required=True, help="log file of the daemon")
    parser.add_argument("--user", help="when started as root, run as this OS user after binding")
    parser.add_argument("--ca-file", default="ca.pem", help="shown to plaintext clients in the refusal")
    parser.add_argument("--foreground", action="store_true", help="do not daemonize")
    return parser


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    refusal = f"this server accepts TLS connections only; connect with sslmode=verify-full sslrootcert={args.ca_file}"
    try:
        ctx = server_context(args.cert, args.key)
        listener = socket.socket(socket.AF_INET6 if ":" in args.listen_host else socket.AF_INET)
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind((args.listen_host, args.listen_port))
        listener.listen(128)
        log_fd = os.open(args.log, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
    except (OSError, ssl.SSLError) as exc:
        sys.stderr.write(f"tls proxy on {args.listen_host}:{args.listen_port}: {exc}\n")
        return 1
    if not args.foreground:
        pid = os.fork()
        if pid:
            sys.stdout.write(f"{pid}\n")
            return 0
        os.setsid()
        os.chdir("/")
        devnull = os.open(os.devnull, os.O_RDONLY)
        os.dup2(devnull, 0)
        os.dup2(log_fd, 1)
        os.dup2(log_fd, 2)
    logging.basicConfig(
        level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s", stream=os.fdopen(log_fd, "a")
    )
    if args.user:
        _drop_privileges(args.user)
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(run(listener, ctx, args.upstream, refusal=refusal))
    return 0


if __name__ == "__main__":
    sys.exit(main())
