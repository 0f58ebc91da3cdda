"""The Spark session the stages run on, configured from the workspace.

Settings, each from $MONEYTRAIL_SPARK_<NAME> else the `[spark]` table of the
workspace's config.toml else the default:

    master              local[2]   where Spark runs; under spark-submit, the one it was given
    shuffle_partitions  8          partitions after a shuffle (joins, aggregations): about
                                   2-3 per core of the cluster; 8 suits local[2]
    driver_memory       2g         the driver JVM's heap (only when this process starts it)
    graph_block_edges   250000     transactions per time block of `graph features` (each block
                                   is one task, which also reads the widest window before it)

Always: the session time zone is UTC and timestamps are TIMESTAMP_NTZ (stored without zone,
as DuckDB stores them, they read back unchanged on every node), ANSI SQL is on (a bad cast raises; the
stage SQL uses try_ forms where a value may not parse), and the UI is off
outside a cluster.
"""

from __future__ import annotations

import os
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from moneytrail.engine import require_spark
from moneytrail.errors import EngineError
from moneytrail.workspace import Workspace

if TYPE_CHECKING:
    from pyspark.sql import SparkSession

ENV_PREFIX = "MONEYTRAIL_SPARK_"
_DEFAULTS = {
    "master": "local[2]",
    "shuffle_partitions": "8",
    "driver_memory": "2g",
    "graph_block_edges": "250000",
}


@dataclass(frozen=True)
class SparkSettings:
    master: str | None
    """None under spark-submit: the master it was given stays."""
    shuffle_partitions: int | None
    """None under spark-submit unless set: the value it was given stays."""
    driver_memory: str
    graph_block_edges: int = 250_000
    """Transactions per time block when mining graph features (moneytrail.spark._graph)."""

    @classmethod
    def of_env(cls) -> SparkSettings:
        """The settings from the environment and the defaults alone."""
        return cls._from({}, "the defaults")

    @classmethod
    def of(cls, workspace: Workspace) -> SparkSettings:
        table = workspace.config().get("spark", {}) if workspace.exists() else {}
        return cls._from(table, str(workspace.config_path))

    @classmethod
    def _from(cls, table: object, where: str) -> SparkSettings:
        if not isinstance(table, dict):
            raise EngineError(f"{where}: [spark] must be a table of settings")
        unknown = sorted(set(table) - set(_DEFAULTS))
        if unknown:
            raise EngineError(
                f"{where}: unknown [spark] setting(s) {', '.join(unknown)}; "
                f"known: {', '.join(_DEFAULTS)}"
            )

        def get(name: str) -> str:
            env = os.environ.get(ENV_PREFIX + name.upper())
            return env if env else str(table.get(name, _DEFAULTS[name]))

        partitions = get("shuffle_partitions")
        block = get("graph_block_edges")
        for name, value in (("shuffle_partitions", partitions), ("graph_block_edges", block)):
            if not value.isdigit() or int(value) < 1:
                raise EngineError(f"spark {name} must be a positive integer, not {value!r}")
        # spark-submit starts the JVM and hands this process its gateway: what it was
        # given (master, shuffle partitions) stays unless moneytrail's settings name it
        under_submit = "PYSPARK_GATEWAY_PORT" in os.environ
        explicit = os.environ.get(ENV_PREFIX + "MASTER") or table.get("master")
        master = str(explicit) if explicit else (None if under_submit else _DEFAULTS["master"])
        named = os.environ.get(ENV_PREFIX + "SHUFFLE_PARTITIONS") or "shuffle_partitions" in table
        shuffle = None if under_submit and not named else int(partitions)
        return cls(master, shuffle, get("driver_memory"), int(block))


def spark_session(workspace: Workspace | None = None) -> SparkSession:
    """The process's Spark session, started with the workspace's settings when there is none.

    Without a workspace (entity resolution's Splink backend, asked for on its own)
    the settings come from the environment and the defaults.
    """
    require_spark()
    from pyspark.sql import SparkSession  # noqa: PLC0415 - pyspark is an optional extra
    from splink.backends.spark import similarity_jar_location  # noqa: PLC0415

    if workspace is not None:
        workspace.ensure()  # before Spark writes its checkpoint directory into it
    settings = SparkSettings.of(workspace) if workspace is not None else SparkSettings.of_env()
    scratch = (
        workspace.root / "spark-warehouse"
        if workspace is not None
        else Path(tempfile.gettempdir()) / "moneytrail-spark"
    )
    # Splink's string comparisons (Jaro-Winkler, Levenshtein...) are Scala UDFs in its jar
    builder = SparkSession.builder.appName("moneytrail").config(
        "spark.jars", similarity_jar_location()
    )
    if settings.master is not None:
        builder = builder.master(settings.master)
    local = (settings.master or "").startswith("local")
    if local and "PYSPARK_PYTHON" not in os.environ:
        # Python workers (the vault's encryption) run this interpreter, with moneytrail
        # and its packages; on a cluster the executors' Python must have them installed.
        # (pyspark reads PYSPARK_PYTHON when it starts the context; its conf is not read)
        os.environ["PYSPARK_PYTHON"] = sys.executable
    session = (
        builder.config("spark.sql.session.timeZone", "UTC")
        .config("spark.sql.ansi.enabled", "true")
        .config("spark.sql.timestampType", "TIMESTAMP_NTZ")
        .config("spark.driver.memory", settings.driver_memory)
        .config("spark.sql.warehouse.dir", str(scratch))
        .config("spark.ui.enabled", "false" if local else "true")
        .config("spark.ui.showConsoleProgress", "false")
        .getOrCreate()
    )
    # a session that already ran (tests, notebooks) keeps its JVM; the SQL settings apply now
    if settings.shuffle_partitions is not None:
        session.conf.set("spark.sql.shuffle.partitions", str(settings.shuffle_partitions))
    session.conf.set("spark.sql.session.timeZone", "UTC")
    session.sparkContext.setLogLevel("ERROR")
    if session.sparkContext._jsc.sc().getCheckpointDir().isEmpty():
        # where Splink writes the intermediate tables it breaks lineage with
        session.sparkContext.setCheckpointDir(str(scratch / "_checkpoints"))
    return session
