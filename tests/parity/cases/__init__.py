"""The parity corpus: one module per family of Spark functions and operators, each a `CASES` list (data only)."""
