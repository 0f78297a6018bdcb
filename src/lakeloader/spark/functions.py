"""`pyspark.sql.functions` (SQLFrame's): each function builds Spark SQL that the translator runs."""

from sqlframe.standalone.functions import *  # noqa: F403
