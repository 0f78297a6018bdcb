"""Where data lives: catalogs, schemas, tables, volumes, and the one Delta writer."""
