"""Certificates for the embedded server's TLS proxy: a throw-away CA and a server certificate for 127.0.0.1.

The CA's private key only lives in memory while the server certificate is signed, then it is dropped: nobody can
mint another certificate this CA vouches for. Clients trust `ca.pem` (`sslrootcert`) with `sslmode=verify-full`.
"""

from __future__ import annotations

import ipaddress
import os
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

SERVER_NAMES = ("localhost",)
SERVER_ADDRESSES = ("127.0.0.1", "::1")
VALID_DAYS = 397  # the CA/Browser Forum's ceiling for a server certificate
RENEW_BEFORE = timedelta(days=30)


@dataclass(frozen=True)
class TlsFiles:
    """Where the certificates live: `ca.pem` is for clients; `server.pem` and `server.key` for the proxy."""

    folder: Path

    @property
    def ca_file(self) -> Path:
        return self.folder / "ca.pem"

    @property
    def cert_file(self) -> Path:
        return self.folder / "server.pem"

    @property
    def key_file(self) -> Path:
        return self.folder / "server.key"

    def exist(self) -> bool:
        return self.ca_file.is_file() and self.cert_file.is_file() and self.key_file.is_file()


def ensure_certificates(folder: Path, *, now: datetime | None = None) -> TlsFiles:
    """Reuse the certificates in `folder` while they are valid for 30 more days, else create new ones."""
    files = TlsFiles(folder)
    moment = now or datetime.now(UTC)
    if files.exist() and _still_valid(files, moment):
        return files
    create_certificates(folder, now=moment)
    return files


def _still_valid(files: TlsFiles, now: datetime) -> bool:
    from cryptography import x509

    try:
        cert = x509.load_pem_x509_certificate(files.cert_file.read_bytes())
        ca = x509.load_pem_x509_certificate(files.ca_file.read_bytes())
    except (OSError, ValueError):
        return False
    return cert.issuer == ca.subject and min(cert.not_valid_after_utc, ca.not_valid_after_utc) - now > RENEW_BEFORE


def create_certificates(folder: Path, *, now: datetime | None = None) -> TlsFiles:
    """Write a new CA certificate and a server certificate (ECDSA P-256) naming localhost, 127.0.0.1 and ::1."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

    moment = now or datetime.now(UTC)
    start, end = moment - timedelta(minutes=5), moment + timedelta(days=VALID_DAYS)
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_name = x509.Name(
        [
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, "lakeloader"),
            x509.NameAttribute(NameOID.COMMON_NAME, f"lakeloader embedded postgres CA {os.urandom(4).hex()}"),
        ]
    )
    ca_ski = x509.SubjectKeyIdentifier.from_public_key(ca_key.public_key())
    ca_cert = (
        x509.CertificateBuilder()
        .subject_name(ca_name)
        .issuer_name(ca_name)
        .public_key(ca_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(start)
        .not_valid_after(end)
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=False,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=True,
                crl_sign=True,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(ca_ski, critical=False)
        .sign(ca_key, hashes.SHA256())
    )
    server_key = ec.generate_private_key(ec.SECP256R1())
    alt_names: list[x509.GeneralName] = [x509.DNSName(name) for name in SERVER_NAMES]
    alt_names += [x509.IPAddress(ipaddress.ip_address(address)) for address in SERVER_ADDRESSES]
    server_cert = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, SERVER_NAMES[0])]))
        .issuer_name(ca_name)
        .public_key(server_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(start)
        .not_valid_after(end)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=False,
                crl_sign=False,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
        .add_extension(x509.SubjectAlternativeName(alt_names), critical=False)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(server_key.public_key()), critical=False)
        .add_extension(x509.AuthorityKeyIdentifier.from_issuer_subject_key_identifier(ca_ski), critical=False)
        .sign(ca_key, hashes.SHA256())
    )
    folder.mkdir(parents=True, exist_ok=True)
    files = TlsFiles(folder)
    key_pem = server_key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    _write(files.key_file, key_pem, mode=0o600)
    _write(files.cert_file, server_cert.public_bytes(serialization.Encoding.PEM), mode=0o644)
    _write(files.ca_file, ca_cert.public_bytes(serialization.Encoding.PEM), mode=0o644)
    return files


def _write(path: Path, data: bytes, *, mode: int) -> None:
    """Write atomically with `mode` from the first byte (a key file is never readable by others, even briefly)."""
    temp = path.with_name(path.name + ".tmp")
    temp.unlink(missing_ok=True)
    fd = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, mode)
    with os.fdopen(fd, "wb") as handle:
        handle.write(data)
    os.replace(temp, path)
