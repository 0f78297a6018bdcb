"""`lakeloader postgres start|stop|status|url`: the embedded PostgreSQL of the lakehouse (the seed's init script)."""

from __future__ import annotations

import sys
from typing import Annotated, Any

import typer

from lakeloader.cli.context import state
from lakeloader.cli.output import print_json, say

postgres_app = typer.Typer(
    help="The embedded PostgreSQL server of this lakehouse root (like a Databricks init script).",
    no_args_is_help=True,
)

JsonOpt = Annotated[bool, typer.Option("--json", help="Print JSON for scripts.")]
PasswordOpt = Annotated[
    str | None,
    typer.Option(
        "--password",
        help="The superuser's password: a {{secrets/scope/key}} reference (recommended) or a plain value.",
        show_default=False,
    ),
]
_PLAIN_WARNING = (
    "warning: a plain --password lands in your shell history; store it with "
    "'lakeloader secrets put-secret <scope> <key>' and pass '{{secrets/<scope>/<key>}}'"
)


def _warn_if_plain(password: str) -> None:
    from lakeloader.embedded.server import check_password
    from lakeloader.secrets import is_reference

    if not is_reference(password):
        check_password(password, where="postgres start")  # a refused password needs no warning first
        typer.secho(_PLAIN_WARNING, fg=typer.colors.YELLOW, err=True)


@postgres_app.command("start")
def start(
    password: PasswordOpt = None,
    ephemeral: Annotated[
        bool, typer.Option("--ephemeral", help="Keep data in RAM (/dev/shm) and wipe it at stop.")
    ] = False,
    port: Annotated[int, typer.Option("--port", help="TCP port on 127.0.0.1 (default: a free one).")] = 0,
    tls: Annotated[
        bool, typer.Option("--tls", help="TCP only over TLS (verify-full with the generated CA); no plaintext.")
    ] = False,
    timeout: Annotated[float, typer.Option("--timeout", help="Seconds to wait for the server.")] = 60,
    as_json: JsonOpt = False,
) -> None:
    """Start the server in the background; it keeps running after this command exits."""
    from lakeloader.embedded import instance
    from lakeloader.errors import ConfigError

    if password is None:
        raise ConfigError(
            "postgres start: no password; pass --password '{{secrets/<scope>/<key>}}' "
            "(create it with 'lakeloader secrets put-secret <scope> <key>')"
        )
    _warn_if_plain(password)
    started = instance.start(
        root=state.root, password=password, ephemeral=ephemeral, port=port, tls=tls, timeout=timeout
    )
    info = instance.status(root=state.root)
    if as_json:
        print_json(info | {"already_running": started.already_running})
        return
    verb = "already running" if started.already_running else "started"
    mode = "ephemeral (data wiped at stop)" if started.state.ephemeral else f"persistent data in {info['data_dir']}"
    say(f"postgres {verb} on {info['host']}:{info['port']}, {mode}")
    if started.state.tls:
        say(f"TLS only: clients use sslmode=verify-full sslrootcert={info['ca_file']}")
    say(f"url: {info['url']}  (lakeloader postgres url --reveal shows the password)")


@postgres_app.command("stop")
def stop(as_json: JsonOpt = False) -> None:
    """Stop the server and its TLS proxy; an ephemeral server's data is deleted."""
    from lakeloader.embedded import instance

    stopped = instance.stop(root=state.root)
    if as_json:
        print_json({"stopped": stopped is not None, "data_wiped": bool(stopped and stopped.ephemeral)})
    elif stopped is None:
        say("postgres is not running")
    else:
        wiped = " and its data wiped (ephemeral)" if stopped.ephemeral else ""
        say(f"postgres on {stopped.host}:{stopped.port} stopped{wiped}")


@postgres_app.command("status")
def status(as_json: JsonOpt = False) -> None:
    """Show whether the server runs, where, and how to connect (password redacted)."""
    from lakeloader.embedded import instance

    info: dict[str, Any] = instance.status(root=state.root)
    if as_json:
        print_json(info)
        return
    if not info["running"]:
        say("postgres: not running" + (" (stale state: run 'lakeloader postgres stop')" if "port" in info else ""))
        return
    say(f"postgres: running on {info['host']}:{info['port']} (pid {info['server_pid']})")
    say(f"  mode: {'ephemeral' if info['ephemeral'] else 'persistent'}, data in {info['data_dir']}")
    if info["tls"]:
        say(f"  tls: proxy pid {info['proxy_pid']}, CA {info['ca_file']}")
    say(f"  password: {info['password_ref'] or 'given in plain text at start (not stored)'}")
    say(f"  url: {info['url']}")


@postgres_app.command("url")
def url(
    database: Annotated[str, typer.Option("--database", "-d", help="Database name.")] = "postgres",
    reveal: Annotated[bool, typer.Option("--reveal", help="Include the password (for scripts).")] = False,
    password: PasswordOpt = None,
) -> None:
    """Print the running server's libpq URL; the password is redacted unless --reveal."""
    from lakeloader.embedded import instance

    text = instance.connection_url(root=state.root, database=database, reveal=reveal, password=password)
    if reveal:
        sys.stdout.write(text + "\n")  # not through say(): the redactor would mask what was asked for
    else:
        say(text)
