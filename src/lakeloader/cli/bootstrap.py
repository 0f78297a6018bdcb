"""`lakeloader bootstrap providers-claims`: the seed's bootstrap notebooks as one idempotent command."""

from __future__ import annotations

from typing import Annotated

import typer

from lakeloader.cli.context import state
from lakeloader.cli.output import print_json, printable

bootstrap_app = typer.Typer(
    help="Set up the example systems (folders, sample files, source databases).", no_args_is_help=True
)


@bootstrap_app.command("providers-claims")
def providers_claims(
    generate: Annotated[
        bool, typer.Option("--generate", help="Write providers_10.csv / claims_10.avro when they are missing.")
    ] = False,
    timeout: Annotated[float, typer.Option("--timeout", help="Seconds to wait for Postgres.")] = 60,
    source_url: Annotated[
        str | None,
        typer.Option(
            "--source-url",
            help="Postgres URL (may hold {{secrets/...}}); default: the running 'lakeloader postgres' server.",
            show_default=False,
        ),
    ] = None,
    use_catalog: Annotated[
        bool, typer.Option("--use-catalog/--no-use-catalog", help="Make kardia the current catalog.")
    ] = True,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON for scripts.")] = False,
) -> None:
    """Create kardia.landing.raw and kardia.kardia_bronze, place the raw files, seed public.providers."""
    from rich.console import Console

    from lakeloader.embedded.bootstrap import bootstrap_providers_claims
    from lakeloader.secrets.redact import redact

    console = Console(stderr=as_json, highlight=False, soft_wrap=True)

    def on_step(message: str) -> None:
        from rich.text import Text

        line = Text("✓", style="green")
        line.append(" " + printable(redact(message)))
        console.print(line)

    with console.status("bootstrapping providers & claims…"):
        result = bootstrap_providers_claims(
            root=state.root,
            generate=generate,
            source_url=source_url,
            timeout=timeout,
            use_catalog=use_catalog,
            on_step=on_step,
        )
    if as_json:
        print_json(result.to_dict())
    else:
        console.print("bootstrap providers-claims: done")


@bootstrap_app.command("telematics")
def telematics(
    password: Annotated[
        str,
        typer.Option("--reader-password", help="The fleet reader's password, as a secret reference."),
    ] = "{{secrets/telematics/fleet_pw}}",
    vehicles: Annotated[int, typer.Option("--vehicles", min=1, help="Fleet size (VH-0001 ...).")] = 5,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON for scripts.")] = False,
) -> None:
    """Create telematics.00_landing.landing and, on the running embedded server, the fleet's database `supabase`
    (read-only role fleet_reader, public.vehicles) as connection `supabase` and foreign catalog `supabase_data`;
    print the reader's password-free URL."""
    from lakeloader.demo import setup
    from lakeloader.errors import ConfigError

    if "{{" not in password:
        raise ConfigError("--reader-password: pass a secret reference like {{secrets/telematics/fleet_pw}}")
    lh = state.lakehouse()
    setup.setup_telematics(lh)
    said: list[str] = []
    url = setup.setup_fleet(lh, said.append, vehicles=vehicles, password=password)
    if as_json:
        print_json({"url": url, "volume": "telematics.00_landing.landing", "connection": setup.FLEET_CONNECTION,
                    "foreign_catalog": setup.FLEET_CATALOG, "steps": said})  # fmt: skip
    else:
        typer.echo(url)
