"""`--executor`, `--ray-address` and `--max-bytes-per-task`: the same three options on every command that runs work
units (execution/executor.py)."""

from __future__ import annotations

from typing import Annotated

import typer

ExecutorOption = Annotated[
    str | None,
    typer.Option(
        "--executor",
        help="Who reads and writes the rows: local (this process, the default) or ray (a Ray cluster); "
        "default: LAKELOADER_EXECUTOR.",
    ),
]
RayAddressOption = Annotated[
    str | None,
    typer.Option("--ray-address", help="With --executor ray: auto (the cluster on this machine) or HOST:PORT."),
]
MaxBytesOption = Annotated[
    str | None,
    typer.Option(
        "--max-bytes-per-task",
        help="With --executor ray: the most input one work unit decodes (256MB by default; a bigger file is a unit "
        "alone).",
    ),
]
