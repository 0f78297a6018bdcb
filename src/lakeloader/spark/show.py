"""`df.show()`: Spark's text table, each value as Spark casts it to a string (through the translator)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from lakeloader.spark import engine

if TYPE_CHECKING:
    from lakeloader.spark.dataframe import DataFrame


def _cell(text: str | None, truncate: int) -> str:
    value = "NULL" if text is None else text
    if 0 < truncate < len(value):
        return value[: truncate - 3] + "..." if truncate > 3 else value[:truncate]
    return value


def show_string(df: DataFrame, n: int = 20, truncate: bool | int | None = True, vertical: bool = False) -> str:
    """What Spark's `Dataset.showString` prints for the first `n` rows."""
    width = 20 if truncate is True else int(truncate) if truncate else 0
    sql = df.spark_sql()
    names = df._arrow_schema().names
    casts = ", ".join(f"CAST(`{c.replace('`', '``')}` AS STRING) AS `c{i}`" for i, c in enumerate(names))
    table = engine.current().run(f"SELECT {casts} FROM ({sql}) LIMIT {n + 1}")
    rows = [[_cell(table.column(i)[r].as_py(), width) for i in range(len(names))] for r in range(table.num_rows)]
    more = len(rows) > n
    rows = rows[:n]
    if vertical:
        key_width = max((len(c) for c in names), default=0)
        out = []
        for index, row in enumerate(rows):
            out.append(f"-RECORD {index}" + "-" * max(0, key_width + 2))
            out += [f" {name.ljust(key_width)} | {value}" for name, value in zip(names, row, strict=True)]
        text = "\n".join(out) + "\n" if out else "(0 rows)\n"
    else:
        header = [_cell(c, width) for c in names]
        widths = [max(3, len(h), *(len(r[i]) for r in rows)) for i, h in enumerate(header)]
        line = "+" + "+".join("-" * w for w in widths) + "+"

        def render(cells: list[str]) -> str:
            if width:
                return "|" + "|".join(c.rjust(w) for c, w in zip(cells, widths, strict=True)) + "|"
            return "|" + "|".join(c.ljust(w) for c, w in zip(cells, widths, strict=True)) + "|"

        text = "\n".join([line, render(header), line, *(render(r) for r in rows), line]) + "\n"
    if more:
        text += f"only showing top {n} row{'s' if n != 1 else ''}\n"
    return text
