"""Every option of every command says what it is for in `--help` (`ingest postgres --help` had four bare ones)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from typer.main import get_command

from lakeloader.cli.main import app


def _commands(command: Any, path: list[str]) -> Iterator[tuple[str, Any]]:
    if hasattr(command, "commands"):
        for name, sub in command.commands.items():
            yield from _commands(sub, [*path, name])
    else:
        yield " ".join(path), command


def test_every_option_has_help_text() -> None:
    bare = [
        f"lakeloader {path} {'/'.join(param.opts)}"
        for path, command in _commands(get_command(app), [])
        for param in command.params
        if param.param_type_name == "option" and param.name != "help" and not (param.help or "").strip()
    ]
    assert bare == []


def test_target_says_the_three_part_name() -> None:
    command = dict(_commands(get_command(app), []))["ingest postgres"]
    target = next(p for p in command.params if p.name == "target")
    assert "catalog.schema.table" in target.help
