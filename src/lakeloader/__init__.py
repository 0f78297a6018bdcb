"""lakeloader: open, local-first lakehouse ingestion into Delta Lake."""

__version__ = "0.1.0"
