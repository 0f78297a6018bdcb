"""The rules, one module per family of Spark functions; importing this package registers them all."""

from lakeloader.sql.functions import (
    aggregates,
    casts,
    collections,
    conditions,
    datetime,
    datetime_arithmetic,
    generators,
    json,
    lambdas,
    operators,
    windows,
)

__all__ = [
    "aggregates",
    "casts",
    "collections",
    "conditions",
    "datetime",
    "datetime_arithmetic",
    "generators",
    "json",
    "lambdas",
    "operators",
    "windows",
]
