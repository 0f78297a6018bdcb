"""`lakeloader samples providers|claims|telematics`: write deterministic synthetic data for tests and demos."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Literal

import typer

from lakeloader.cli.output import print_json, say
from lakeloader.cli.paths import local_path

if TYPE_CHECKING:
    from lakeloader.samples.files import Faults, WriteSummary

samples_app = typer.Typer(
    help="Deterministic synthetic data: providers (CSV), claims (Avro), telematics (Parquet, JSON).",
    no_args_is_help=True,
)

JsonOpt = Annotated[bool, typer.Option("--json", help="Print a JSON summary (files, rows, bytes) for scripts.")]
SeedOpt = Annotated[int, typer.Option("--seed", help="Random seed: the same seed writes the same bytes.")]
FilesOpt = Annotated[int, typer.Option("--files", min=1, help="How many data files to write.")]
LateOpt = Annotated[
    int, typer.Option("--late-files", min=0, help="The last N files get older timestamps and an mtime in the past.")
]
NewColumnOpt = Annotated[
    int | None, typer.Option("--new-column-after", min=0, help="Files numbered above K gain an extra column.")
]
MalformedOpt = Annotated[
    int,
    typer.Option("--malformed", min=0, help="N malformed records: broken JSON lines, or extra truncated files."),
]
DuplicateOpt = Annotated[
    bool, typer.Option("--duplicate-file", help="Also write a byte-identical copy of the first file in reupload/.")
]
_PROGRESS_MIN_FILES = 5


def _faults(late_files: int, new_column_after: int | None, malformed: int, duplicate_file: bool) -> Faults:
    from lakeloader.samples.files import Faults

    return Faults(
        late_files=late_files, new_column_after=new_column_after, malformed=malformed, duplicate_file=duplicate_file
    )


@contextmanager
def _progress(total: int, label: str) -> Iterator[Callable[[Path], None] | None]:
    """A rich progress bar on stderr when many files are written to a terminal; otherwise nothing."""
    from rich.console import Console

    console = Console(stderr=True)
    if total < _PROGRESS_MIN_FILES or not console.is_terminal:
        yield None
        return
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

    with Progress(TextColumn(label), BarColumn(), MofNCompleteColumn(), console=console, transient=True) as bar:
        task = bar.add_task(label, total=total)
        yield lambda _path: bar.advance(task)


def _report(summary: WriteSummary, out: Path, as_json: bool) -> None:
    if as_json:
        print_json(summary.to_dict())
        return
    extras = []
    if summary.late_files:
        extras.append(f"{len(summary.late_files)} late")
    if summary.new_column_files:
        extras.append(f"{len(summary.new_column_files)} with a new column")
    if summary.malformed_records:
        extras.append(f"{summary.malformed_records} malformed records")
    if summary.duplicate_file is not None:
        extras.append(f"duplicate {summary.duplicate_file}")
    tail = f" ({', '.join(extras)})" if extras else ""
    say(f"wrote {len(summary.files)} files, {summary.rows} rows, {summary.bytes} bytes to {out}{tail}")


@samples_app.command("providers")
def providers(
    out: Annotated[
        Path, typer.Option("--out", help="The CSV file to write, e.g. providers_10.csv (a /Volumes/... path too).")
    ],
    rows: Annotated[int, typer.Option("--rows", min=0, help="How many providers.")] = 10,
    seed: SeedOpt = 42,
    as_json: JsonOpt = False,
) -> None:
    """Provider metadata as CSV: NPI (valid check digit), name, credential, NUCC taxonomy, address, dates."""
    from lakeloader.samples.providers import write_providers_csv

    out = local_path(out)
    path = write_providers_csv(out, rows=rows, seed=seed)
    if as_json:
        print_json({"files": [str(path)], "rows": rows, "bytes": path.stat().st_size})
    else:
        say(f"wrote {rows} providers, {path.stat().st_size} bytes to {path}")


@samples_app.command("claims")
def claims(
    out: Annotated[
        Path, typer.Option("--out", help="The folder (or /Volumes/... path) to write claims_0001.avro, ... into.")
    ],
    files: FilesOpt = 1,
    rows_per_file: Annotated[int, typer.Option("--rows-per-file", min=1, help="Claims per file.")] = 10,
    seed: SeedOpt = 42,
    providers_csv: Annotated[
        Path | None,
        typer.Option("--providers", help="Draw NPIs from this providers CSV [default: the seed's first 10]."),
    ] = None,
    name: Annotated[
        str | None, typer.Option("--name", help="File name when --files is 1, e.g. claims_10.avro.")
    ] = None,
    late_files: LateOpt = 0,
    new_column_after: NewColumnOpt = None,
    malformed: MalformedOpt = 0,
    duplicate_file: DuplicateOpt = False,
    as_json: JsonOpt = False,
) -> None:
    """Health claims as Avro container files (deflate), with decimal amounts and nested service lines."""
    from lakeloader.samples.claims import write_claims_avro
    from lakeloader.samples.providers import read_provider_npis

    out = local_path(out)
    npis = read_provider_npis(local_path(providers_csv)) if providers_csv is not None else None
    faults = _faults(late_files, new_column_after, malformed, duplicate_file)
    with _progress(files + malformed, "claims") as on_file:
        summary = write_claims_avro(
            out,
            files=files,
            rows_per_file=rows_per_file,
            seed=seed,
            provider_npis=npis,
            name=name,
            faults=faults,
            on_file=on_file,
        )
    _report(summary, out, as_json)


@samples_app.command("telematics")
def telematics(
    out: Annotated[
        Path,
        typer.Option("--out", help="The folder (or /Volumes/... path) to write telematics_0001.<format>, ... into."),
    ],
    files: FilesOpt = 1,
    rows_per_file: Annotated[int, typer.Option("--rows-per-file", min=1, help="Readings per file.")] = 100,
    file_format: Annotated[
        Literal["parquet", "json"], typer.Option("--format", help="parquet, or json (one object a line).")
    ] = "parquet",
    vehicles: Annotated[int, typer.Option("--vehicles", min=1, help="Fleet size.")] = 5,
    seed: SeedOpt = 42,
    late_files: LateOpt = 0,
    new_column_after: NewColumnOpt = None,
    malformed: MalformedOpt = 0,
    duplicate_file: DuplicateOpt = False,
    glitches: Annotated[
        int, typer.Option("--glitches", min=0, help="Readings a device got wrong: at (0, 0), or at 999.9 km/h.")
    ] = 0,
    as_json: JsonOpt = False,
) -> None:
    """Vehicle telematics: moving tracks with monotonic odometers, as Parquet or newline-delimited JSON."""
    import dataclasses

    from lakeloader.samples.telematics import write_telematics

    out = local_path(out)
    faults = dataclasses.replace(_faults(late_files, new_column_after, malformed, duplicate_file), glitches=glitches)
    total = files + (malformed if file_format == "parquet" else 0)
    with _progress(total, "telematics") as on_file:
        summary = write_telematics(
            out,
            files=files,
            rows_per_file=rows_per_file,
            file_format=file_format,
            seed=seed,
            vehicles=vehicles,
            faults=faults,
            on_file=on_file,
        )
    _report(summary, out, as_json)
