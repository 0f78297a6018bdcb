"""Delta source: a Delta table read as a stream of the rows its append commits added (`STREAM(t)` in pipelines)."""
