"""The rules, one module per family of Spark functions; importing this package registers them all."""

from lakeloader.sql.functions import aggregates, casts, operators

__all__ = ["aggregates", "casts", "operators"]
