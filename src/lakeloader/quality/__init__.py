"""Data quality: expectations (warn, drop, fail) over the rows a flow writes, and the quarantine of dropped rows."""
