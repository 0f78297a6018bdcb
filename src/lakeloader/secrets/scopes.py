"""What every backend shares: scope and key names, values' limits, scopes and secrets as listed, not-found errors."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from lakeloader.errors import ConfigError, NameError_, NotFoundError

MAX_VALUE_BYTES = 128 * 1024  # the Databricks limit for one secret
NAME_MAX = 128
NAME_PATTERN = r"[A-Za-z0-9_.\-]{1,128}"
_NAME_RE = re.compile(NAME_PATTERN)


def check_scope_name(name: str) -> str:
    return _check(name, "scope")


def check_key_name(name: str) -> str:
    return _check(name, "key")


def _check(name: str, kind: str) -> str:
    if not _NAME_RE.fullmatch(name):
        shown = name if len(name) <= 40 else name[:40] + "..."
        if len(name) > NAME_MAX:
            cause = f"it has {len(name)} characters, the limit is {NAME_MAX}"
        elif not name:
            cause = "it is empty"
        else:
            cause = "it may only contain letters, digits, '_', '-' and '.'"
        raise NameError_(f"secret {kind} name {shown!r} is invalid: {cause}; choose another name")
    return name


def check_value(scope: str, key: str, value: str, *, limit: int = MAX_VALUE_BYTES, where: str = "") -> None:
    """Refuse an empty value or one over `limit` bytes (`where` names the backend whose limit it is)."""
    size = len(value.encode("utf-8", "surrogatepass"))
    if size == 0:
        raise ConfigError(f"secret {scope}/{key}: the value is empty; pass --string-value or pipe it on stdin")
    if size > limit:
        raise ConfigError(
            f"secret {scope}/{key}: the value has {size} bytes, the limit{where} is {limit}; store a smaller one"
        )


def now() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds")


@dataclass(frozen=True)
class ScopeInfo:
    """A scope as listed: never any value. `backend` is the scope's stored configuration (None: the local store);
    `secret_count` is None for a scope whose secrets live elsewhere (counting them would call out)."""

    name: str
    created_at: str
    secret_count: int | None
    backend: Mapping[str, str] | None = field(default=None, hash=False)

    def to_dict(self) -> dict[str, Any]:
        from lakeloader.secrets.backends import KINDS

        kind = KINDS[self.backend["type"] if self.backend else "local"]
        out: dict[str, Any] = {
            "name": self.name,
            "backend_type": kind.backend_type,
            "backend": kind.name,
            "secrets": self.secret_count,
            "created_at": self.created_at,
        }
        if self.backend:
            out["backend_options"] = {k: v for k, v in self.backend.items() if k != "type"}
        return out


@dataclass(frozen=True)
class SecretInfo:
    """A secret as listed: its key and last update, never its value."""

    scope: str
    key: str
    updated_at: str

    def to_dict(self) -> dict[str, Any]:
        stamp = datetime.fromisoformat(self.updated_at)
        return {
            "scope": self.scope,
            "key": self.key,
            "updated_at": self.updated_at,
            "last_updated_timestamp": int(stamp.timestamp() * 1000),  # Databricks' field, epoch milliseconds
        }


class SecretNotFoundError(NotFoundError):
    """A scope or key that was asked for does not exist; `scope` and `key` say which was asked for."""

    def __init__(self, message: str, *, scope: str, key: str | None) -> None:
        super().__init__(message)
        self.scope, self.key = scope, key

    def __reduce__(self) -> tuple[Any, ...]:  # picklable across processes (executors, Ray)
        return (_rebuild_not_found, (str(self), self.scope, self.key))


def _rebuild_not_found(message: str, scope: str, key: str | None) -> SecretNotFoundError:
    return SecretNotFoundError(message, scope=scope, key=key)


def missing_scope(scope: str, key: str | None = None) -> SecretNotFoundError:
    return SecretNotFoundError(
        f"scope {scope} does not exist; create it with 'lakeloader secrets create-scope {scope}'",
        scope=scope,
        key=key,
    )


def missing_key(scope: str, key: str, *, where: str = "") -> SecretNotFoundError:
    """`where` says where it was looked for, when that is not the local store."""
    return SecretNotFoundError(
        f"secret {scope}/{key} does not exist{where}; add it with 'lakeloader secrets put-secret {scope} {key}'",
        scope=scope,
        key=key,
    )
