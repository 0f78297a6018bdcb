"""TLS in front of the embedded server: certificates, verify-full, wrong host names and plaintext refused."""

from __future__ import annotations

import ipaddress
from collections.abc import Callable
from pathlib import Path

import psycopg
import pytest
from cryptography import x509

from lakeloader.embedded import instance
from lakeloader.embedded.tls import create_certificates, ensure_certificates
from lakeloader.embedded.tls_proxy import error_response

Start = Callable[..., instance.Started]


def test_certificates_name_loopback_only_and_keep_no_ca_key(tmp_path: Path) -> None:
    files = create_certificates(tmp_path / "tls")
    assert sorted(p.name for p in (tmp_path / "tls").iterdir()) == ["ca.pem", "server.key", "server.pem"]
    assert files.key_file.stat().st_mode & 0o077 == 0
    cert = x509.load_pem_x509_certificate(files.cert_file.read_bytes())
    ca = x509.load_pem_x509_certificate(files.ca_file.read_bytes())
    names = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    assert names.get_values_for_type(x509.DNSName) == ["localhost"]
    assert names.get_values_for_type(x509.IPAddress) == [
        ipaddress.ip_address("127.0.0.1"),
        ipaddress.ip_address("::1"),
    ]
    assert cert.issuer == ca.subject
    assert ca.extensions.get_extension_for_class(x509.BasicConstraints).value.ca
    cert.verify_directly_issued_by(ca)
    assert ensure_certificates(tmp_path / "tls").cert_file.read_bytes() == files.cert_file.read_bytes()


def test_error_response_is_a_protocol_v3_fatal_error() -> None:
    packet = error_response("TLS only")
    assert packet[:1] == b"E" and int.from_bytes(packet[1:5], "big") == len(packet) - 1
    assert b"SFATAL\0" in packet and b"C28000\0" in packet and packet.endswith(b"MTLS only\0\0")


@pytest.mark.slow
def test_verify_full_works_and_plaintext_or_wrong_host_is_refused(root: Path, password: str, postgres: Start) -> None:
    state = postgres(tls=True, ephemeral=True).state
    assert state.ca_file and state.proxy_pid and instance.proxy_alive(state.proxy_pid)
    postmaster = (Path(state.data_dir) / "postmaster.pid").read_text().splitlines()
    assert postmaster[5].strip() == "", "with --tls the server itself must not listen on TCP"
    url = instance.connection_url(root=root, reveal=True)
    assert "sslmode=verify-full" in url and f"sslrootcert={state.ca_file}" in url
    base = f"host=127.0.0.1 port={state.port} user=postgres dbname=postgres password={password}"
    tls = f"sslmode=verify-full sslrootcert={state.ca_file}"
    with psycopg.connect(url) as con:
        assert con.pgconn.ssl_in_use
        assert con.execute("SELECT 1").fetchone() == (1,)
    with psycopg.connect(f"{base} {tls} sslnegotiation=direct") as con:  # PostgreSQL 17+ direct TLS, ALPN
        assert con.pgconn.ssl_in_use
    for host in ("localhost", "127.0.0.1"):
        with psycopg.connect(f"{base.replace('127.0.0.1', host)} {tls}") as con:
            assert con.pgconn.ssl_in_use
    with pytest.raises(psycopg.OperationalError, match=r'does not match host name "wrong\.example"'):
        psycopg.connect(f"{base} {tls} host=wrong.example hostaddr=127.0.0.1")
    with pytest.raises(psycopg.OperationalError, match="accepts TLS connections only"):
        psycopg.connect(f"{base} sslmode=disable")
    with pytest.raises(psycopg.OperationalError, match="password authentication failed"):
        psycopg.connect(f"{base.replace(password, 'wrong-' + password)} {tls}")
    other_ca = create_certificates(root / "other").ca_file
    with pytest.raises(psycopg.OperationalError, match="certificate verify failed"):
        psycopg.connect(f"{base} sslmode=verify-full sslrootcert={other_ca}")
    instance.stop(root=root)
    assert not instance.proxy_alive(state.proxy_pid)


@pytest.mark.slow
def test_tls_server_keeps_its_ca_across_restarts(root: Path, password: str, postgres: Start) -> None:
    first = postgres(tls=True).state
    ca = Path(first.ca_file or "").read_bytes()
    instance.stop(root=root)
    second = postgres(tls=True).state
    assert Path(second.ca_file or "").read_bytes() == ca
    with psycopg.connect(instance.connection_url(root=root, reveal=True)) as con:
        assert con.pgconn.ssl_in_use


@pytest.mark.slow
def test_start_brings_back_a_dead_proxy(root: Path, password: str, postgres: Start) -> None:
    import os
    import signal
    import time

    state = postgres(tls=True, ephemeral=True).state
    assert state.proxy_pid is not None
    os.kill(state.proxy_pid, signal.SIGKILL)
    while instance.proxy_alive(state.proxy_pid):  # SIGKILL is delivered asynchronously
        time.sleep(0.01)
    assert instance.status(root=root)["running"] is False  # the server alone is unreachable over TCP
    again = postgres(tls=True, ephemeral=True)
    assert again.already_running and again.state.proxy_pid != state.proxy_pid
    with psycopg.connect(instance.connection_url(root=root, reveal=True)) as con:
        assert con.pgconn.ssl_in_use
