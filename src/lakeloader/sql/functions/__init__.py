"""The rules, one module per family of Spark functions; importing this package registers them all."""

from lakeloader.sql.functions import aggregates, casts, conditions, operators

__all__ = ["aggregates", "casts", "conditions", "operators"]
