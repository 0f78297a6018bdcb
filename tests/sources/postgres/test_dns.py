"""A host that DNS cannot find is named in one line that says what to check (not a generic driver error)."""

from __future__ import annotations

import pytest

from lakeloader.errors import TerminalError
from lakeloader.lakehouse.root import Lakehouse
from lakeloader.sources.postgres.ingest import ingest_postgres


def test_a_host_dns_cannot_find_is_named(lakehouse: Lakehouse) -> None:
    with pytest.raises(TerminalError) as err:  # .invalid never resolves (RFC 6761)
        ingest_postgres("default.t", source_url="postgresql://u@no-such-host.invalid:5432/db", table="t",
                        password="a-long-enough-password", lakehouse=lakehouse)  # fmt: skip
    message = str(err.value)
    assert "host no-such-host.invalid cannot be found by DNS" in message and "check the host name" in message
    assert "\n" not in message and "a-long-enough-password" not in message
    assert lakehouse.metastore.get("main.default.t") is None
