"""The `lakeloader` command: global options, sub-command registry, and the one error handler."""

from __future__ import annotations

import importlib
import os
import sys
from collections.abc import Sequence
from typing import Annotated, NoReturn

import typer

from lakeloader.cli.context import state

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
    ("storage-credentials", "lakeloader.cli.storage_credentials:storage_credentials_app"),
    ("postgres", "lakeloader.cli.postgres:postgres_app"),
    ("bootstrap", "lakeloader.cli.bootstrap:bootstrap_app"),
    ("ingest", "lakeloader.cli.ingest:ingest_app"),
    ("files", "lakeloader.cli.files:files_app"),
    ("streams", "lakeloader.cli.streams:streams_app"),
    ("pipelines", "lakeloader.cli.pipelines:pipelines_app"),
    ("notebooks", "lakeloader.cli.notebooks:notebooks_app"),
    ("daemon", "lakeloader.cli.daemon:daemon_app"),
]
# (name, "module:function") — single commands.
_COMMANDS: list[tuple[str, str]] = [
    ("sql", "lakeloader.cli.sql:sql"),
    ("demo", "lakeloader.cli.demo:demo"),
]
_GLOBAL_OPTIONS_WITH_VALUE = {"--root"}


def _load(target: str) -> object:
    module, attr = target.split(":")
    return getattr(importlib.import_module(module), attr)


def main(
    root: Annotated[
        str | None,
        typer.Option(
            "--root",
            help="Lakehouse root: a folder or an object store URL (s3://bucket/prefix) [env: LAKELOADER_ROOT; "
            "default: ./lakehouse]",
        ),
    ] = None,
    debug: Annotated[bool, typer.Option("--debug", help="Show tracebacks (secrets still redacted).")] = False,
) -> None:
    """Open, local-first lakehouse ingestion into Delta Lake."""
    state.root = root
    state.debug = debug or os.environ.get("LAKELOADER_DEBUG") == "1"


def make_app(only: str | None = None) -> typer.Typer:
    """The command tree; with `only`, just that command under the global options (a run builds what it runs)."""
    tree = typer.Typer(
        name="lakeloader",
        help="Open, local-first lakehouse ingestion: PostgreSQL and files into Delta Lake, exactly once.",
        no_args_is_help=True,
        pretty_exceptions_enable=False,
        add_completion=False,
    )
    for name, target in _SUBAPPS:
        if only in (None, name):
            tree.add_typer(_load(target), name=name)  # type: ignore[arg-type]
    for name, target in _COMMANDS:
        if only in (None, name):
            tree.command(name=name)(_load(target))  # type: ignore[type-var]
    tree.callback()(main)
    return tree


def command_named(argv: Sequence[str]) -> str | None:
    """The sub-command `argv` runs (after the global options), if it is one of ours; else None (help, a typo)."""
    names = {name for name, _ in (*_SUBAPPS, *_COMMANDS)}
    i = 0
    while i < len(argv) and argv[i].startswith("-"):
        if argv[i] in ("--help", "-h"):
            return None
        i += 2 if argv[i] in _GLOBAL_OPTIONS_WITH_VALUE else 1
    return argv[i] if i < len(argv) and argv[i] in names else None


def __getattr__(name: str) -> object:
    """`app`, the whole command tree, built on first use (tests, the docs generator)."""
    if name == "app":
        built = make_app()
        globals()["app"] = built
        return built
    raise AttributeError(name)


def denied_path(exc: OSError) -> str | None:
    """The path a write was refused on, if `exc` is one (Python's, pyarrow's or delta-rs' way of saying it)."""
    import re

    if isinstance(exc, PermissionError) and exc.filename:
        return str(exc.filename)
    text = re.sub(r"\x1b\[[0-9;]*m", "", str(exc))
    if not isinstance(exc, PermissionError) and "Permission denied" not in text:
        return None
    found = re.search(r"(?:file|directory|open|create)\s+'?(/[^'\n#]+?)'?(?:#\d+)?(?:\.\s|\s*$|\s*\n)", text)
    return found.group(1) if found else "a file of the lakehouse"


def permission_line(path: str) -> str:
    """One line for a write this user may not make: what was refused, who is asking, and the ways out."""
    import getpass

    return (
        f"permission denied: user {getpass.getuser()} may not write {path}; this command writes there: run it as "
        "the folder's owner or grant write permission (reading commands work on a read-only lakehouse)"
    )


def fail(message: str, code: int) -> NoReturn:
    """End the run with one red line on stderr (and, under --json, `{"error", "exit_code"}` on stdout)."""
    from lakeloader.cli.output import error_line, print_json

    if state.debug:
        import traceback

        from lakeloader.secrets.redact import redact

        sys.stderr.write(redact(traceback.format_exc()))
    error_line(message)
    if "--json" in sys.argv[1:]:  # a script parses stdout: it gets the error too, never a half result
        print_json({"error": message, "exit_code": code})
    sys.exit(code)


def run() -> None:
    """Console-script entry: run the app, turning lakeloader errors into one red line and exit code 1."""
    import logging

    from lakeloader.errors import LakeloaderError
    from lakeloader.secrets.redact import install_logging_filter

    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    install_logging_filter()
    try:
        code = make_app(command_named(sys.argv[1:]))(standalone_mode=False, prog_name="lakeloader")
        if isinstance(code, int) and code:
            sys.exit(code)
    except LakeloaderError as exc:
        fail(str(exc), 1)
    except KeyboardInterrupt:
        sys.stderr.write("interrupted\n")
        if "--json" in sys.argv[1:]:
            from lakeloader.cli.output import print_json

            print_json({"error": "interrupted", "exit_code": 130})
        sys.exit(130)
    except SystemExit:
        raise
    except Exception as exc:  # a bug, not a user mistake: say so, traceback only with --debug
        denied = denied_path(exc) if isinstance(exc, OSError) else None
        if denied is not None:  # a folder this user may not write (a shared lakehouse, a read-only volume)
            fail(permission_line(denied), 1)
        if isinstance(exc, typer.TyperException) and hasattr(exc, "show"):  # usage errors: click's own text
            if "--json" not in sys.argv[1:]:
                exc.show()
                sys.exit(int(getattr(exc, "exit_code", 2)))
            fail(exc.format_message(), int(getattr(exc, "exit_code", 2)))
        if isinstance(exc, typer.Abort):
            fail("aborted", 1)
        fail(f"internal error {type(exc).__name__}: {exc} (rerun with --debug and report it)", 2)
