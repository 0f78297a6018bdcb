"""`lakeloader storage-credentials create|list|describe|drop`: the keys of an object store, as secret references
(Unity Catalog's storage credential and external location in one; docs/object_storage.md)."""

from __future__ import annotations

from typing import Annotated, Any

import typer

from lakeloader.cli.context import state
from lakeloader.cli.output import emit, say

JsonOpt = Annotated[bool, typer.Option("--json", help="Print JSON for scripts.")]
storage_credentials_app = typer.Typer(
    help="Keys of object stores (S3), kept as {{secrets/...}} references and used for the URLs they cover.",
    no_args_is_help=True,
)
_COLUMNS = ["name", "url", "access_key_id", "secret_access_key", "session_token", "region", "endpoint_url"]
Ref = "A {{secrets/scope/key}} reference (a plain value is refused)."


@storage_credentials_app.command("create")
def create(
    name: Annotated[str, typer.Argument(help="Credential name (letters, digits, '_', '-').")],
    url: Annotated[str, typer.Option("--url", help="The URLs it covers: s3://bucket or s3://bucket/prefix.")] = "",
    access_key_id: Annotated[str | None, typer.Option("--access-key-id", help=Ref)] = None,
    secret_access_key: Annotated[str | None, typer.Option("--secret-access-key", help=Ref)] = None,
    session_token: Annotated[str | None, typer.Option("--session-token", help=Ref)] = None,
    region: Annotated[str | None, typer.Option("--region", help="The bucket's region.")] = None,
    endpoint_url: Annotated[
        str | None, typer.Option("--endpoint-url", help="An S3-compatible endpoint (MinIO, SeaweedFS, R2...).")
    ] = None,
    allow_http: Annotated[
        bool, typer.Option("--allow-http", help="Allow plain HTTP to the endpoint (a test server on loopback).")
    ] = False,
    comment: Annotated[str | None, typer.Option("--comment", help="A comment stored with it.")] = None,
    if_not_exists: Annotated[bool, typer.Option("--if-not-exists", help="Succeed if it already exists.")] = False,
    as_json: JsonOpt = False,
) -> None:
    """Store a storage credential: its keys as secret references, never the values."""
    from lakeloader.lakehouse import credentials

    made = credentials.create(
        state.lakehouse(), name, if_not_exists=if_not_exists, url=url, access_key_id=access_key_id,
        secret_access_key=secret_access_key, session_token=session_token, region=region,
        endpoint_url=endpoint_url, allow_http=allow_http, comment=comment,
    )  # fmt: skip
    _show([made], as_json=as_json, done=f"storage credential {made['name']} ready for {made['url']}")


@storage_credentials_app.command("list")
def list_(as_json: JsonOpt = False) -> None:
    """Every storage credential, with the references it holds."""
    from lakeloader.lakehouse import credentials

    _show(credentials.list_all(state.lakehouse()), as_json=as_json)


@storage_credentials_app.command("describe")
def describe(name: Annotated[str, typer.Argument(help="Credential name.")], as_json: JsonOpt = False) -> None:
    """One storage credential."""
    from lakeloader.lakehouse import credentials

    _show([credentials.describe(state.lakehouse(), name)], as_json=as_json)


@storage_credentials_app.command("drop")
def drop(name: Annotated[str, typer.Argument(help="Credential name.")]) -> None:
    """Forget a storage credential (its secrets stay in their scope)."""
    from lakeloader.lakehouse import credentials

    credentials.drop(state.lakehouse(), name)
    say(f"storage credential {name} dropped")


def _show(rows: list[dict[str, Any]], *, as_json: bool, done: str | None = None) -> None:
    if done and not as_json:
        say(done)
        return
    emit(rows, as_json=as_json, columns=_COLUMNS)
