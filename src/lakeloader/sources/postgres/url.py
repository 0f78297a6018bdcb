"""libpq connection URLs, parsed by libpq itself (as psql parses them), checked, and printed without a password.

Every libpq parameter in the URL (`options`, `target_session_attrs`, `connect_timeout`, `application_name`...)
reaches both drivers; libpq refuses an unknown one by name. Errors never echo the URL or a part of it that may
hold a password: they name the part that is wrong and how to write it.
"""

from __future__ import annotations

import re
from urllib.parse import quote, quote_plus

from lakeloader.errors import ConfigError
from lakeloader.secrets.redact import redact, register

REFERENCE = re.compile(r"\{\{\s*secrets/[^{}]+\}\}")
# libpq parameters that carry a secret: registered for redaction the moment they are seen
SECRET_PARAMETERS = ("password", "sslpassword", "oauth_client_secret")
# parameters lakeloader cannot honour: Arrow strings are UTF-8, and a replication session cannot run queries
_REFUSED = {
    "client_encoding": "Arrow strings are UTF-8, so every session uses client_encoding UTF8; remove it",
    "replication": "a replication connection cannot run the source's queries; remove it",
}
_HOW = (
    "write postgresql://user@host:5432/db?param=value, with @ : / ? # % and spaces in the password "
    "percent-encoded, or pass the password with --password"
)
_IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_]{0,62}")


def _scrub(message: str) -> str:
    """A libpq parse error without any quoted part of the URL, unless it is a parameter name."""

    def keep(match: re.Match[str]) -> str:
        inner = match.group(1)
        return match.group(0) if _IDENTIFIER.fullmatch(inner) or inner in ("]", "=") else '"…"'

    first = message.strip().splitlines()[0] if message.strip() else "parse error"
    return redact(re.sub(r'"([^"]*)"', keep, first))


def register_password(value: str) -> None:
    """Register a secret and the forms it takes in a URL (percent-encoded, '+' for spaces) for redaction."""
    for form in {value, quote(value, safe=""), quote(value), quote_plus(value), quote(value, safe="").lower()}:
        register(form)


def parse(url: str, *, what: str, secrets: bool = True, uri_only: bool = True) -> dict[str, str]:
    """The libpq parameters of `url` (password decoded and, with `secrets`, registered); one-line ConfigError.

    `{{secrets/...}}` references must be resolved (and percent-encoded) before; to check the shape of an
    unresolved URL, pass `with_placeholders(url)` and `secrets=False`. Without `uri_only`, libpq's keyword form
    (`host=db port=5432`) is taken too.
    """
    import psycopg
    from psycopg.conninfo import conninfo_to_dict

    if uri_only and not url.startswith(("postgresql://", "postgres://")):
        raise ConfigError(f"{what}: the URL must start with postgresql://; write postgresql://user@host:5432/db")
    try:
        params = {k: str(v) for k, v in conninfo_to_dict(url).items() if v is not None}
    except psycopg.Error as exc:
        raise ConfigError(f"{what}: the URL is not a valid libpq URL ({_scrub(str(exc))}); {_HOW}") from None
    for key in SECRET_PARAMETERS:
        if secrets and params.get(key):
            register_password(params[key])
    check(params, what=what)
    return params


def with_placeholders(url: str) -> str:
    """`url` with each `{{secrets/...}}` reference replaced by a plain stand-in (to check the URL's shape)."""
    return REFERENCE.sub("secret", url)


def check(params: dict[str, str], *, what: str) -> None:
    """Refuse what libpq would only trip on later, or what lakeloader cannot honour, naming the part."""
    for key, why in _REFUSED.items():
        if key in params and not (key == "client_encoding" and params[key].upper().replace("-", "") == "UTF8"):
            raise ConfigError(f"{what}: URL parameter {key} is not supported: {why}")
    for port in params.get("port", "").split(","):
        port = port.strip()
        if port and not (port.isdigit() and 1 <= int(port) <= 65535):
            raise ConfigError(f"{what}: the URL's port is not a number from 1 to 65535; {_HOW}")
    for host in params.get("host", "").split(","):
        if "@" in host or any(c.isspace() for c in host):
            raise ConfigError(f"{what}: the URL's host holds '@' or a space (an unencoded password?); {_HOW}")


def address(params: dict[str, str]) -> str:
    """host:port (each of several hosts), never the user or the password: what messages and checkpoints name."""
    hosts = params.get("host", "localhost").split(",")
    ports = params.get("port", "5432").split(",")
    if len(ports) == 1:
        ports = ports * len(hosts)
    pairs = []
    for host, port in zip(hosts, ports, strict=False):
        host = host or "localhost"
        pairs.append(f"[{host}]:{port or 5432}" if ":" in host else f"{host}:{port or 5432}")
    return ",".join(pairs)
