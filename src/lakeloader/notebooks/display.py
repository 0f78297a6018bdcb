"""`display(x)` in a notebook: a DataFrame as Spark's text table (first 1,000 rows), anything else printed."""

from __future__ import annotations

from typing import Any

ROWS = 1000


def display(value: Any, *args: Any, **kwargs: Any) -> None:
    from lakeloader.spark.dataframe import DataFrame

    if isinstance(value, DataFrame):
        if value.isStreaming:
            print("(a streaming DataFrame: write it with .writeStream to see its rows)")
            return
        value.show(ROWS, truncate=False)
        return
    print(value)


def displayHTML(html: str) -> None:
    print(html)
