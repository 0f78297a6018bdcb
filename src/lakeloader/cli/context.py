"""Shared CLI state: the lakehouse root chosen by --root / $LAKELOADER_ROOT, opened on first use."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from lakeloader.lakehouse.root import Lakehouse


@dataclass
class State:
    root: str | None = None  # a folder or an object store URL, as given
    debug: bool = False
    _lakehouse: Lakehouse | None = field(default=None, repr=False)

    def lakehouse(self) -> Lakehouse:
        if self._lakehouse is None:
            from lakeloader.lakehouse.root import Lakehouse

            self._lakehouse = Lakehouse(self.root)
        return self._lakehouse


state = State()
