"""Secret scopes: an encrypted store per lakehouse root, {{secrets/scope/key}} references, redaction."""
