"""The rules, one module per family of Spark functions; importing this package registers them all."""

from lakeloader.sql.functions import (
    aggregates,
    arrays,
    casts,
    collections,
    conditions,
    generators,
    hashing,
    json,
    lambdas,
    math,
    operators,
    rounding,
    windows,
)

__all__ = [
    "aggregates",
    "arrays",
    "casts",
    "collections",
    "conditions",
    "generators",
    "hashing",
    "json",
    "lambdas",
    "math",
    "operators",
    "rounding",
    "windows",
]
