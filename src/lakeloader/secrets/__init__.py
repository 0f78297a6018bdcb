"""Secret scopes: an encrypted store per lakehouse root (or AWS Secrets Manager per scope), {{secrets/scope/key}}
references, redaction."""

from __future__ import annotations

import os

from lakeloader.secrets.references import (
    SecretReference,
    child_env,
    find_references,
    is_reference,
    require_reference,
    resolve_in,
    resolve_references,
)
from lakeloader.secrets.scopes import ScopeInfo, SecretInfo, SecretNotFoundError
from lakeloader.secrets.store import SecretStore
from lakeloader.secrets.storefile import SecretStoreError

__all__ = [
    "ScopeInfo",
    "SecretInfo",
    "SecretNotFoundError",
    "SecretReference",
    "SecretStore",
    "SecretStoreError",
    "child_env",
    "find_references",
    "get",
    "is_reference",
    "require_reference",
    "resolve_in",
    "resolve_references",
]


def get(scope: str, key: str, *, root: str | os.PathLike[str] | None = None) -> str:
    """The value of secret `scope/key` in the lakehouse at `root` (default: $LAKELOADER_ROOT or ./lakehouse).

    The value is registered with the redactor, so it is masked in logs, errors and CLI output from now on.
    Like `dbutils.secrets.get(scope=..., key=...)` on Databricks.
    """
    return SecretStore(root).get_secret(scope, key)
