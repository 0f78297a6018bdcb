"""`lakeloader secrets ...`: secret scopes as in `databricks secrets`, stored encrypted beside the metastore or, per
scope, in AWS Secrets Manager."""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING, Annotated

import typer

from lakeloader.cli.context import state
from lakeloader.cli.output import emit, say

if TYPE_CHECKING:
    from lakeloader.secrets.store import SecretStore

JsonOpt = Annotated[bool, typer.Option("--json", help="Print JSON for scripts.")]
Scope = Annotated[str, typer.Argument(help="Scope name: letters, digits, '_', '-', '.' (max 128).")]
Key = Annotated[str, typer.Argument(help="Secret key: letters, digits, '_', '-', '.' (max 128).")]

secrets_app = typer.Typer(
    help="Secret scopes: values encrypted at rest (or in AWS Secrets Manager), referenced as {{secrets/scope/key}}.",
    no_args_is_help=True,
)


def _store() -> SecretStore:
    from lakeloader.secrets.store import SecretStore

    return SecretStore(state.root)


@secrets_app.command("create-scope")
def create_scope(
    scope: Scope,
    if_not_exists: Annotated[bool, typer.Option("--if-not-exists", help="Succeed if it already exists.")] = False,
    backend: Annotated[
        str,
        typer.Option(
            "--backend",
            help="Where the secrets live: local (the encrypted store) or aws-secrets-manager (needs boto3: "
            "the aws extra). azure-keyvault and gcp-secret-manager are not built.",
        ),
    ] = "local",
    prefix: Annotated[
        str | None,
        typer.Option(
            "--prefix", help="aws-secrets-manager: key K is the secret <prefix>K (default lakeloader/<scope>/)."
        ),
    ] = None,
    region: Annotated[
        str | None,
        typer.Option(
            "--region", help="aws-secrets-manager: the AWS region (default: boto3's, e.g. AWS_DEFAULT_REGION)."
        ),
    ] = None,
    endpoint_url: Annotated[
        str | None,
        typer.Option("--endpoint-url", help="aws-secrets-manager: another endpoint (VPC endpoint, a local emulator)."),
    ] = None,
) -> None:
    """Create a secret scope, its secrets in the local encrypted store or in AWS Secrets Manager."""
    from lakeloader.secrets.backends import configure, describe

    config = configure(scope, backend, prefix=prefix, region=region, endpoint_url=endpoint_url)
    store = _store()
    store.create_scope(scope, if_not_exists=if_not_exists, backend=config)
    say(
        f"scope {scope} ready: its secrets are {describe(scope, config)}"
        if config
        else f"scope {scope} ready in {store.path}"
    )


@secrets_app.command("list-scopes")
def list_scopes(as_json: JsonOpt = False) -> None:
    """List secret scopes and where their secrets live."""
    rows = [s.to_dict() for s in _store().list_scopes()]
    emit(rows, as_json=as_json, columns=["name", "backend", "secrets", "created_at"], title="secret scopes")


@secrets_app.command("delete-scope")
def delete_scope(scope: Scope) -> None:
    """Delete a secret scope and every secret in it (for an AWS-backed scope: its settings; the secrets stay in AWS)."""
    from lakeloader.secrets.backends import describe

    config = _store().delete_scope(scope)
    say(f"scope {scope} deleted" + (f"; its secrets stay {describe(scope, config)}" if config else ""))


@secrets_app.command("put-secret")
def put_secret(
    scope: Scope,
    key: Key,
    string_value: Annotated[
        str | None,
        typer.Option(
            "--string-value",
            help="The value. Omit it to type the value without echo, or pipe it on stdin, so that it stays "
            "out of your shell history.",
        ),
    ] = None,
) -> None:
    """Create or overwrite a secret."""
    value = string_value if string_value is not None else _read_value(scope, key)
    _store().put_secret(scope, key, value)
    say(f"secret {scope}/{key} stored")


def _read_value(scope: str, key: str) -> str:
    if sys.stdin is not None and sys.stdin.isatty():
        import getpass

        return getpass.getpass(f"Value for {scope}/{key} (not echoed): ")
    text = sys.stdin.read() if sys.stdin is not None else ""
    # `echo pw | lakeloader ...` adds a newline that is not part of the password: drop exactly one.
    if text.endswith("\r\n"):
        return text[:-2]
    return text[:-1] if text.endswith("\n") else text


@secrets_app.command("list-secrets")
def list_secrets(scope: Scope, as_json: JsonOpt = False) -> None:
    """List the keys of a scope and when they were last updated (never the values)."""
    rows = [s.to_dict() for s in _store().list_secrets(scope)]
    emit(rows, as_json=as_json, columns=["key", "updated_at"], title=f"secrets in {scope}")


@secrets_app.command("get-secret")
def get_secret(
    scope: Scope,
    key: Key,
    reveal: Annotated[bool, typer.Option("--reveal", help="Really print the value on stdout.")] = False,
) -> None:
    """Print a secret's value; refused unless --reveal, since it lands in your terminal and its scrollback."""
    from lakeloader.errors import TerminalError

    value = _store().get_secret(scope, key)  # checks that it exists first, so the error below is accurate
    if not reveal:
        raise TerminalError(
            f"secret {scope}/{key} exists but is not printed without --reveal; pass --reveal to print it, "
            f"or reference it as {{{{secrets/{scope}/{key}}}}}"
        )
    # The one deliberate exception to redaction: straight to stdout, not through output.say.
    sys.stdout.write(value + "\n")
    sys.stdout.flush()


@secrets_app.command("delete-secret")
def delete_secret(scope: Scope, key: Key) -> None:
    """Delete a secret."""
    _store().delete_secret(scope, key)
    say(f"secret {scope}/{key} deleted")


@secrets_app.command("rotate-key")
def rotate_key() -> None:
    """Re-encrypt the store under a new master key (the key file is replaced; the old key stops working)."""
    store = _store()
    where = store.rotate_key()
    say(f"secret store {store.path} re-encrypted; the new master key is in {where}")
