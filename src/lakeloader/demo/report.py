"""What the demo shows at the end: every table of both pipelines with its row count, and the expectations' pass
rates summed over the demo's updates."""

from __future__ import annotations

from typing import Any

from lakeloader.lakehouse import delta
from lakeloader.lakehouse.root import Lakehouse


def tables(lh: Lakehouse, catalogs: tuple[str, ...] = ("kardia", "telematics")) -> list[dict[str, Any]]:
    """(table_name, rows) of every Delta table in the demo's catalogs, by schema then name."""
    out = []
    for table in lh.list_tables():
        info = table.info
        if info.full_name.split(".")[0] not in catalogs or not info.location:
            continue
        if not delta.is_delta_table(info.location):
            continue
        rows = delta.describe(info.location, table_name=info.full_name).get("rows")
        out.append({"table_name": info.full_name, "rows": rows})
    return sorted(out, key=lambda t: str(t["table_name"]))


def pass_rates(updates: list[Any]) -> list[dict[str, Any]]:
    """Per dataset and expectation: passed and failed records over all `updates`, and the share that passed."""
    totals: dict[tuple[str, str], list[int]] = {}
    for result in updates:
        for outcome in result.outcomes:
            for e in outcome.expectations:
                entry = totals.setdefault((e["dataset"], e["name"]), [0, 0])
                entry[0] += int(e["passed_records"])
                entry[1] += int(e["failed_records"])
    rows = []
    for (dataset, name), (passed, failed) in sorted(totals.items()):
        seen = passed + failed
        rate = f"{100 * passed / seen:.2f}%" if seen else "-"
        rows.append({"dataset": dataset, "expectation": name, "passed": passed, "failed": failed, "pass_rate": rate})
    return rows
