"""The engine seam: DuckDB (embedded, the default) or Apache Spark (scale-out).

`resolve_engine` decides which engine a command runs on; `check_command` refuses
a command that does not run on it yet. The Spark session, the Parquet warehouse
and the SQL rendering live in private modules that import pyspark only when Spark
is used (`moneytrail.engine.spark`).
"""

from moneytrail.engine._available import require_spark
from moneytrail.engine._select import (
    DEFAULT_ENGINE,
    ENGINES,
    ENV_ENGINE,
    EngineChoice,
    EngineName,
    resolve_engine,
)
from moneytrail.engine._support import SPARK_COMMANDS, check_command, runs_on_spark

__all__ = [
    "DEFAULT_ENGINE",
    "ENGINES",
    "ENV_ENGINE",
    "SPARK_COMMANDS",
    "EngineChoice",
    "EngineName",
    "check_command",
    "require_spark",
    "resolve_engine",
    "runs_on_spark",
]
