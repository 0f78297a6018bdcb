"""The `lakeloader` command: global options, sub-command registry, and the one error handler."""

from __future__ import annotations

import importlib
import os
import sys
from pathlib import Path
from typing import Annotated

import typer

from lakeloader.cli.context import state

app = typer.Typer(
    name="lakeloader",
    help="Open, local-first lakehouse ingestion: PostgreSQL and files into Delta Lake, exactly once.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)

# (name, "module:attribute") — sub-apps are typer apps; modules import heavy libraries inside commands only.
_SUBAPPS: list[tuple[str, str]] = [
    ("catalogs", "lakeloader.cli.objects:catalogs_app"),
    ("schemas", "lakeloader.cli.objects:schemas_app"),
    ("volumes", "lakeloader.cli.objects:volumes_app"),
    ("tables", "lakeloader.cli.tables:tables_app"),
    ("samples", "lakeloader.cli.samples:samples_app"),
    ("secrets", "lakeloader.cli.secrets:secrets_app"),
    ("connections", "lakeloader.cli.connections:connections_app"),
    ("foreign-catalogs", "lakeloader.cli.foreign_catalogs:foreign_catalogs_app"),
    ("postgres", "lakeloader.cli.postgres:postgres_app"),
    ("bootstrap", "lakeloader.cli.bootstrap:bootstrap_app"),
    ("ingest", "lakeloader.cli.ingest:ingest_app"),
    ("files", "lakeloader.cli.files:files_app"),
    ("pipelines", "lakeloader.cli.pipelines:pipelines_app"),
]
# (name, "module:function") — single commands.
_COMMANDS: list[tuple[str, str]] = [
    ("sql", "lakeloader.cli.sql:sql"),
    ("demo", "lakeloader.cli.demo:demo"),
]


def _load(target: str) -> object:
    module, attr = target.split(":")
    return getattr(importlib.import_module(module), attr)


for _name, _target in _SUBAPPS:
    app.add_typer(_load(_target), name=_name)  # type: ignore[arg-type]
for _name, _target in _COMMANDS:
    app.command(name=_name)(_load(_target))  # type: ignore[type-var]


@app.callback()
def main(
    root: Annotated[
        Path | None,
        typer.Option("--root", help="Lakehouse root folder [env: LAKELOADER_ROOT; default: ./lakehouse]"),
    ] = None,
    debug: Annotated[bool, typer.Option("--debug", help="Show tracebacks (secrets still redacted).")] = False,
) -> None:
    """Open, local-first lakehouse ingestion into Delta Lake."""
    state.root = root
    state.debug = debug or os.environ.get("LAKELOADER_DEBUG") == "1"


def run() -> None:
    """Console-script entry: run the app, turning lakeloader errors into one red line and exit code 1."""
    import logging

    from lakeloader.errors import LakeloaderError
    from lakeloader.secrets.redact import install_logging_filter, redact

    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    install_logging_filter()
    try:
        code = app(standalone_mode=False)
        if isinstance(code, int) and code:
            sys.exit(code)
    except LakeloaderError as exc:
        from lakeloader.cli.output import error_line

        if state.debug:
            import traceback

            sys.stderr.write(redact(traceback.format_exc()))
        error_line(str(exc))
        sys.exit(1)
    except KeyboardInterrupt:
        sys.stderr.write("interrupted\n")
        sys.exit(130)
    except SystemExit:
        raise
    except Exception as exc:  # a bug, not a user mistake: say so, traceback only with --debug
        if isinstance(exc, typer.TyperException) and hasattr(exc, "show"):  # usage errors: click's own text
            exc.show()
            sys.exit(int(getattr(exc, "exit_code", 2)))
        if isinstance(exc, typer.Abort):
            sys.stderr.write("aborted\n")
            sys.exit(1)
        if state.debug:
            import traceback

            sys.stderr.write(redact(traceback.format_exc()))
        from lakeloader.cli.output import error_line

        error_line(f"internal error {type(exc).__name__}: {exc} (rerun with --debug and report it)")
        sys.exit(2)
