"""The Spark warehouse for the commands that only read it: listings and tracing.

The gateway (moneytrail.gateway) and tracing (moneytrail.trace) read the warehouse
in DuckDB SQL through a connection. On Spark they are handed a SparkConnection over
every canonical table (each a temp view of its Parquet files), which renders their
statements one by one as it does detect's; so what a user may see, what is audited
and how money is traced stay those modules' own code on either engine.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING, cast

from moneytrail.model.tables import TABLES
from moneytrail.spark._connection import SparkConnection
from moneytrail.spark._session import spark_session
from moneytrail.spark._warehouse import SparkWarehouse
from moneytrail.workspace import Workspace

if TYPE_CHECKING:
    import duckdb


@dataclass(frozen=True)
class SparkView:
    """The Spark warehouse read through a connection: what moneytrail.trace and the
    gateway read through (`con`); a stage that also writes uses `warehouse`."""

    warehouse: SparkWarehouse
    spark_con: SparkConnection

    @property
    def con(self) -> duckdb.DuckDBPyConnection:
        # Readers use only the part of DuckDB's API SparkConnection offers.
        return cast("duckdb.DuckDBPyConnection", self.spark_con)


@contextmanager
def spark_reader(workspace: Workspace) -> Iterator[SparkView]:
    """The workspace's Spark warehouse, every canonical table a view, to read."""
    wh = SparkWarehouse(workspace, spark_session(workspace))
    con = SparkConnection(wh, [t.name for t in TABLES])
    try:
        yield SparkView(wh, con)
    finally:
        con.close()
