"""Secret scopes backed by AWS Secrets Manager: key K of scope S is the secret named `<prefix>K` (default prefix
`lakeloader/S/`), its SecretString the value; credentials from boto3's chain, each value fetched once per process.

boto3 is the optional extra `lakeloader[aws]`, imported (by this module and aws_errors.py) only when a scope uses it.
"""

from __future__ import annotations

import contextlib
import logging
import re
import threading
from collections.abc import Iterator, Mapping
from datetime import UTC, datetime
from typing import Any, ClassVar
from urllib.parse import urlsplit

from lakeloader.errors import ConfigError
from lakeloader.secrets.aws_errors import NothingToUpdate, import_boto3, translated
from lakeloader.secrets.scopes import NAME_PATTERN, SecretInfo

_PREFIX_RE = re.compile(r"[A-Za-z0-9/_+=.@\-]{0,256}")  # the characters AWS allows in a secret name
_REGION_RE = re.compile(r"[a-z]{2}(-[a-z0-9]+)+")
_KEY_RE = re.compile(NAME_PATTERN)

_lock = threading.Lock()
_clients: dict[tuple[str, str], Any] = {}
_values: dict[tuple[str, str, str], str] = {}  # (region, endpoint, secret name) -> value, for this process
_fetching: dict[tuple[str, str, str], threading.Lock] = {}


def default_prefix(scope: str) -> str:
    return f"lakeloader/{scope}/"


def configure(
    scope: str, *, prefix: str | None = None, region: str | None = None, endpoint_url: str | None = None
) -> dict[str, str]:
    """A scope's stored options: prefix, region (boto3's configured one when not given, then pinned) and endpoint."""
    boto3 = import_boto3(f"scope {scope}")
    prefix = default_prefix(scope) if prefix is None else prefix
    if not _PREFIX_RE.fullmatch(prefix):
        raise ConfigError(
            f"scope {scope}: --prefix {prefix!r} is not a valid AWS secret name prefix; use letters, digits and "
            "/_+=.@- (at most 256 characters)"
        )
    if endpoint_url is not None:
        parts = urlsplit(endpoint_url)
        if parts.scheme not in ("http", "https") or not parts.hostname or "@" in parts.netloc:
            raise ConfigError(
                f"scope {scope}: --endpoint-url must be an http(s) URL without credentials, like "
                "https://secretsmanager.eu-west-1.amazonaws.com (boto3 finds the credentials itself)"
            )
    if region is None:
        with translated(f"scope {scope}", "configure", None):
            region = boto3.session.Session().region_name
        if not region:
            raise ConfigError(
                f"scope {scope}: no AWS region given and none configured; pass --region (e.g. --region eu-west-1) "
                "or set AWS_DEFAULT_REGION"
            )
    if not _REGION_RE.fullmatch(region):
        raise ConfigError(f"scope {scope}: --region {region!r} is not an AWS region name; write one like eu-west-1")
    options = {"prefix": prefix, "region": region}
    if endpoint_url:
        options["endpoint_url"] = endpoint_url
    return options


def clear_cache() -> None:
    """Forget every value fetched by this process (the next read asks AWS again), and the clients."""
    with _lock:
        _values.clear()
        _fetching.clear()
        _clients.clear()


def client(*, region: str, endpoint_url: str | None = None) -> Any:
    """This process's Secrets Manager client for a region and endpoint (made once; boto3 clients are thread-safe)."""
    boto3 = import_boto3("AWS Secrets Manager")
    from botocore.config import Config  # type: ignore[import-untyped,unused-ignore]

    with _lock:
        made = _clients.get((region, endpoint_url or ""))
        if made is None:
            _hide_secret_strings_in_botocore_logs()
            config = Config(connect_timeout=5, read_timeout=30, retries={"mode": "standard", "max_attempts": 3})
            session = boto3.session.Session()  # sessions are not thread-safe: one per client, made under the lock
            made = session.client("secretsmanager", region_name=region, endpoint_url=endpoint_url, config=config)
            _clients[(region, endpoint_url or "")] = made
        return made


class AwsSecretsManager:
    """One scope's secrets in AWS Secrets Manager."""

    TITLE: ClassVar[str] = "AWS Secrets Manager"
    MAX_VALUE_BYTES: ClassVar[int] = 65536  # AWS's limit for a SecretString

    def __init__(self, scope: str, config: Mapping[str, str]) -> None:
        self.scope = scope
        self.prefix = config.get("prefix", default_prefix(scope))
        self.region = config.get("region", "")
        self.endpoint_url = config.get("endpoint_url")

    def secret_name(self, key: str) -> str:
        return self.prefix + key

    def describe(self) -> str:
        at = f", endpoint {self.endpoint_url}" if self.endpoint_url else ""
        return f"in AWS Secrets Manager as {self.prefix}<key> (region {self.region}{at})"

    def get(self, key: str) -> str:
        cached = (self.region, self.endpoint_url or "", self.secret_name(key))
        with _lock:
            if cached in _values:
                return _values[cached]
            fetching = _fetching.setdefault(cached, threading.Lock())
        with fetching:  # one call per key, even when several threads resolve it at once
            with _lock:
                if cached in _values:
                    return _values[cached]
            with self._errors("GetSecretValue", key):
                response = self._client().get_secret_value(SecretId=self.secret_name(key))
            value = response.get("SecretString")
            if not isinstance(value, str):
                raise ConfigError(
                    f"secret {self.scope}/{key}: AWS Secrets Manager secret {self.secret_name(key)} holds binary data "
                    "(SecretBinary) and lakeloader reads text; store the value as a string (put-secret does)"
                )
            with _lock:
                _values[cached] = value
            return value

    def put(self, key: str, value: str) -> None:
        name = self.secret_name(key)
        try:
            with self._errors("PutSecretValue", key):
                self._client().put_secret_value(SecretId=name, SecretString=value)
        except NothingToUpdate:
            with self._errors("CreateSecret", key):
                self._client().create_secret(Name=name, SecretString=value)
        with _lock:
            _values[(self.region, self.endpoint_url or "", name)] = value

    def list(self) -> list[SecretInfo]:
        found = []
        filters = [{"Key": "name", "Values": [self.prefix]}] if self.prefix else []
        with self._errors("ListSecrets", None):
            for page in self._client().get_paginator("list_secrets").paginate(Filters=filters):
                for secret in page.get("SecretList", []):
                    name = secret.get("Name", "")
                    key = name[len(self.prefix) :]
                    # AWS's name filter ignores case and matches any prefix: keep exactly the scope's keys
                    if name.startswith(self.prefix) and _KEY_RE.fullmatch(key):
                        stamp = secret.get("LastChangedDate") or secret.get("CreatedDate") or datetime.now(UTC)
                        found.append(SecretInfo(self.scope, key, stamp.isoformat(timespec="milliseconds")))
        return found

    def delete(self, key: str) -> None:
        name = self.secret_name(key)
        with self._errors("DescribeSecret", key):  # a forced delete of a missing secret succeeds: say it is missing
            self._client().describe_secret(SecretId=name)
        with self._errors("DeleteSecret", key):
            self._client().delete_secret(SecretId=name, ForceDeleteWithoutRecovery=True)
        with _lock:
            _values.pop((self.region, self.endpoint_url or "", name), None)

    def _client(self) -> Any:
        return client(region=self.region, endpoint_url=self.endpoint_url)

    @contextlib.contextmanager
    def _errors(self, action: str, key: str | None) -> Iterator[None]:
        what = f"secret {self.scope}/{key}" if key else f"scope {self.scope}"
        with translated(what, action, self, key):
            yield


class _HideSecretStrings(logging.Filter):
    """botocore logs response bodies at DEBUG, before lakeloader can register the value they hold: drop those."""

    def filter(self, record: logging.LogRecord) -> bool:
        return "SecretString" not in record.getMessage()


def _hide_secret_strings_in_botocore_logs() -> None:
    for name in ("botocore.parsers", "botocore.endpoint", "botocore.hooks", "botocore.retryhandler"):
        logger = logging.getLogger(name)
        if not any(isinstance(f, _HideSecretStrings) for f in logger.filters):
            logger.addFilter(_HideSecretStrings())
