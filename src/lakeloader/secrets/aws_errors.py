"""boto3's exceptions as lakeloader errors: one line naming the scope or secret, the cause and the fix, never a
traceback and never a value; and the one place that imports boto3, saying what to install when it is missing."""

from __future__ import annotations

import contextlib
import re
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from lakeloader.errors import ConfigError, LakeloaderError, RetryableError, TerminalError
from lakeloader.secrets.scopes import missing_key

if TYPE_CHECKING:
    from lakeloader.secrets.aws import AwsSecretsManager

_CREDENTIALS = "AWS_PROFILE, or AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or ~/.aws"
_DENIED = {"AccessDeniedException", "AccessDenied"}
_REJECTED = {"UnrecognizedClientException", "InvalidSignatureException", "ExpiredTokenException"}
_REJECTED |= {"InvalidClientTokenId", "SignatureDoesNotMatch", "ExpiredToken"}
_TRANSIENT = {"ThrottlingException", "InternalServiceError", "ServiceUnavailable", "RequestTimeout"}


def import_boto3(what: str) -> Any:
    """The boto3 module, or a one-line ConfigError about `what` saying to install the aws extra."""
    try:
        import boto3  # type: ignore[import-untyped,unused-ignore]
    except ImportError:
        raise ConfigError(
            f"{what}: AWS Secrets Manager needs boto3, which is not installed; run pip install 'lakeloader[aws]'"
        ) from None
    return boto3


class NothingToUpdate(LakeloaderError):
    """Internal: put-secret's first try found no secret to update (then it creates one)."""


@contextlib.contextmanager
def translated(what: str, action: str, backend: AwsSecretsManager | None, key: str | None = None) -> Iterator[None]:
    """Turn boto3's exceptions into one line naming `what`, the cause and the fix (never a traceback)."""
    import_boto3(what)
    from botocore.exceptions import BotoCoreError, ClientError  # type: ignore[import-untyped,unused-ignore]

    try:
        yield
    except ClientError as exc:
        raise _client_error(what, action, backend, key, exc) from None
    except BotoCoreError as exc:
        raise _botocore_error(what, action, backend, exc) from None


def _client_error(
    what: str, action: str, backend: AwsSecretsManager | None, key: str | None, exc: Any
) -> LakeloaderError:
    error, status = exc.response.get("Error", {}), exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode")
    code, message = str(error.get("Code", "")), str(error.get("Message", ""))
    if message.lstrip().startswith("<"):  # an XML error body where AWS sends JSON (a proxy, an emulator): read it
        code, message = _xml_field("Code", message) or code, _xml_field("Message", message) or message
    message = _one_line(message)
    name = backend.secret_name(key) if backend and key else (backend.prefix + "*" if backend else "")
    region = backend.region if backend else ""
    cause = f"({code}: {message})" if message else f"({code})"
    if code == "ResourceNotFoundException" and backend and key:
        if action == "PutSecretValue":
            return NothingToUpdate(cause)
        return missing_key(backend.scope, key, where=f": AWS Secrets Manager has no secret {name} in {region}")
    on = f"secretsmanager:{action} on {name} in {region}"
    if code in _DENIED or (status == 403 and code not in _REJECTED):
        return TerminalError(
            f"{what}: AWS Secrets Manager denied {on} {cause}; grant that permission to the identity boto3 uses "
            f"({_CREDENTIALS}), or use one that has it"
        )
    if code in _REJECTED:
        return TerminalError(f"{what}: AWS rejected the credentials {cause}; fix or refresh them ({_CREDENTIALS})")
    if code == "DecryptionFailure":
        return TerminalError(f"{what}: AWS Secrets Manager cannot decrypt {name} {cause}; grant kms:Decrypt on its key")
    if code in _TRANSIENT:
        return RetryableError(f"{what}: AWS Secrets Manager is busy or unavailable for {on} {cause}; try again")
    return TerminalError(
        f"{what}: AWS Secrets Manager refused {on} {cause}; fix that cause, or check the scope's settings with "
        "'lakeloader secrets list-scopes --json'"
    )


def _botocore_error(what: str, action: str, backend: AwsSecretsManager | None, exc: Exception) -> LakeloaderError:
    from botocore.exceptions import (  # type: ignore[import-untyped,unused-ignore]
        ConnectionClosedError,
        ConnectionError,
        CredentialRetrievalError,
        NoCredentialsError,
        PartialCredentialsError,
        ProfileNotFound,
        ReadTimeoutError,
    )

    cause = _one_line(str(exc))
    if isinstance(exc, NoCredentialsError | PartialCredentialsError | CredentialRetrievalError | ProfileNotFound):
        return TerminalError(
            f"{what}: no usable AWS credentials ({cause}); set {_CREDENTIALS} (lakeloader never stores them)"
        )
    if isinstance(exc, ConnectionError | ConnectionClosedError | ReadTimeoutError):
        where = (backend.endpoint_url or f"its {backend.region} endpoint") if backend else "its endpoint"
        return RetryableError(
            f"{what}: cannot reach AWS Secrets Manager at {where} ({cause}); check the network, or recreate the "
            "scope with the right --endpoint-url or --region"
        )
    return TerminalError(f"{what}: boto3 failed in secretsmanager:{action} ({type(exc).__name__}: {cause}); fix that")


def _xml_field(tag: str, text: str) -> str | None:
    found = re.search(f"<{tag}>([^<]*)</{tag}>", text)
    return found.group(1) if found else None


def _one_line(text: str, limit: int = 300) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 3] + "..."
