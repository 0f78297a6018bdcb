"""The command-line interface: a thin typer app over the Python API."""
