"""`python -m lakeloader.cli`: the same as the `lakeloader` command."""

from lakeloader.cli.launch import run

if __name__ == "__main__":
    run()
