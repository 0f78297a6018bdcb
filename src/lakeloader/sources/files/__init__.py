"""Files source, Auto Loader open: discovery, file ledger, formats, schema inference/evolution, rescue, bad records.

Entry points (import lazily): `runner.ingest_files` (a checkpointed stream into a Delta table) and
`api.read_files` (a one-off read into Arrow).
"""
