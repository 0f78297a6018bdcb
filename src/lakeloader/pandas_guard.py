"""pandas is imported only by code that uses it.

pyarrow imports pandas the first time it converts Python objects (`pa.array(list)`, `Table.from_pylist`) if
pandas is installed, only to ask whether the objects are pandas ones: ~0.3 s of every command's start, for
nothing. The command line defers it (`defer`): pyarrow then sees no pandas. Code that uses pandas (a notebook
or pipeline file that names it, `toPandas`, `pandas_udf`) calls `allow` first; pyarrow imports pandas again
whenever a conversion needs it.
"""

from __future__ import annotations

import re
import sys

_USES = re.compile(r"\bpandas\b|toPandas|pandas_udf|\bpd\.")


class _Deferred:
    """A finder that says pandas is not there (importlib asks it first)."""

    @staticmethod
    def find_spec(name: str, path: object = None, target: object = None) -> None:
        if name == "pandas" or name.startswith("pandas."):
            raise ModuleNotFoundError(f"No module named {name!r} (deferred: lakeloader.pandas_guard)", name=name)


_DEFERRED = _Deferred()


def defer() -> None:
    """Let nothing import pandas implicitly in this process (until `allow`)."""
    if "pandas" not in sys.modules and _DEFERRED not in sys.meta_path:
        sys.meta_path.insert(0, _DEFERRED)


def allow() -> None:
    """pandas importable again (a no-op unless `defer` deferred it)."""
    if _DEFERRED in sys.meta_path:
        sys.meta_path.remove(_DEFERRED)


def allow_if_used(source: str) -> None:
    """`allow`, when code names pandas (a notebook's cells, a pipeline's Python file)."""
    if _USES.search(source):
        allow()
