"""`pyspark.sql.types` (SQLFrame's)."""

from sqlframe.standalone.types import *  # noqa: F403
