"""The pipeline fixtures (a lakehouse with main.raw, a pipeline folder writer) for PySpark pipelines too."""

from tests.pipelines.conftest import lh, pipeline  # noqa: F401
