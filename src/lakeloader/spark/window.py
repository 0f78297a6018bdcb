"""`pyspark.sql.window` (SQLFrame's)."""

from sqlframe.standalone.window import *  # noqa: F403
