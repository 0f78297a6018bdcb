"""Where a scope's secrets live: the local encrypted store (default), or an external secret manager behind one seam.

A scope backed by an external manager keeps only its configuration in the local store (`{"type": ..., options}`:
never a value, never a credential); `create_backend` turns that configuration into a `SecretBackend`. Built: AWS
Secrets Manager (aws.py). Room is left for Azure Key Vault and GCP Secret Manager: named here, refused as not built.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, ClassVar, Protocol

from lakeloader.errors import ConfigError

if TYPE_CHECKING:
    from lakeloader.secrets.scopes import SecretInfo

LOCAL = "local"


class SecretBackend(Protocol):
    """The secrets of one scope in an external manager. The store registers every value with the redactor."""

    TITLE: ClassVar[str]  # as users know it: "AWS Secrets Manager"
    MAX_VALUE_BYTES: ClassVar[int]  # the manager's own limit for one value

    def get(self, key: str) -> str:
        """The value; a missing key is a `SecretNotFoundError` saying where it was looked for."""
        ...

    def put(self, key: str, value: str) -> None:
        """Create or overwrite the value."""
        ...

    def list(self) -> list[SecretInfo]:
        """The scope's keys and their last update, never their values."""
        ...

    def delete(self, key: str) -> None: ...

    def describe(self) -> str:
        """Where the secrets are, in one phrase: 'in AWS Secrets Manager as lakeloader/kardia/<key> (region ...)'."""
        ...


@dataclass(frozen=True)
class BackendKind:
    name: str  # --backend NAME
    title: str
    backend_type: str  # list-scopes' backend_type, in the style of Databricks' DATABRICKS and AZURE_KEYVAULT
    built: bool


KINDS = {
    kind.name: kind
    for kind in (
        BackendKind(LOCAL, "the local encrypted store", "LAKELOADER", True),
        BackendKind("aws-secrets-manager", "AWS Secrets Manager", "AWS_SECRETS_MANAGER", True),
        BackendKind("azure-keyvault", "Azure Key Vault", "AZURE_KEYVAULT", False),
        BackendKind("gcp-secret-manager", "GCP Secret Manager", "GCP_SECRET_MANAGER", False),
    )
}
BUILT = [k.name for k in KINDS.values() if k.built]


def _aws(scope: str, config: Mapping[str, str]) -> SecretBackend:
    from lakeloader.secrets.aws import AwsSecretsManager

    return AwsSecretsManager(scope, config)


_FACTORIES: dict[str, Callable[[str, Mapping[str, str]], SecretBackend]] = {"aws-secrets-manager": _aws}


def configure(
    scope: str,
    backend: str = LOCAL,
    *,
    prefix: str | None = None,
    region: str | None = None,
    endpoint_url: str | None = None,
) -> dict[str, str] | None:
    """The configuration to store for a new scope (None for the local store), checked and with defaults filled in."""
    kind = KINDS.get(backend)
    if kind is None:
        raise ConfigError(f"scope {scope}: backend {backend!r} is unknown; choose --backend {' or '.join(BUILT)}")
    if not kind.built:
        raise ConfigError(
            f"scope {scope}: {kind.title}-backed scopes (--backend {backend}) are not built in lakeloader; "
            f"use --backend {' or '.join(BUILT)}"
        )
    if backend == LOCAL:
        given = [f for f, v in (("--prefix", prefix), ("--region", region), ("--endpoint-url", endpoint_url)) if v]
        if given:
            raise ConfigError(
                f"scope {scope}: {', '.join(given)} only apply to an external backend; "
                "add --backend aws-secrets-manager or drop them"
            )
        return None
    from lakeloader.secrets import aws

    return {"type": backend, **aws.configure(scope, prefix=prefix, region=region, endpoint_url=endpoint_url)}


def create_backend(scope: str, config: Mapping[str, str]) -> SecretBackend:
    """The backend a scope's stored configuration names."""
    factory = _FACTORIES.get(config.get("type", ""))
    if factory is None:
        raise ConfigError(
            f"scope {scope}: its backend {config.get('type')!r} is not supported by this lakeloader; use the release "
            f"that created it, or recreate the scope with --backend {' or '.join(BUILT)}"
        )
    return factory(scope, config)


def describe(scope: str, config: Mapping[str, str] | None) -> str:
    """Where a scope's secrets are, in one phrase (no call to the backend)."""
    if config is None:
        return "in the local encrypted store"
    try:
        return create_backend(scope, config).describe()
    except ConfigError:
        return f"in backend {config.get('type')!r} (not supported by this lakeloader)"
