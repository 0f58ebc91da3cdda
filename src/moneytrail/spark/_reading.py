"""The Spark warehouse read through the gateway: `alerts`, `entities`, `quarantine` on Spark.

The gateway (moneytrail.gateway) reads the warehouse in DuckDB SQL, a fresh cursor
per read, and applies access control, masking and the audit to what comes back.
On Spark it is handed a `SparkReader`: its cursors send the same SQL through one
SparkConnection (rendered statement by statement, as detect's is), so what a user
may see, and what is audited, stays the gateway's own code on either engine.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager

from moneytrail.model.tables import TABLES
from moneytrail.spark._connection import SparkConnection, SparkResult
from moneytrail.spark._session import spark_session
from moneytrail.spark._warehouse import SparkWarehouse
from moneytrail.workspace import Workspace


class SparkCursor:
    """A read on the reader's connection; closing it leaves the connection's views alone."""

    def __init__(self, con: SparkConnection) -> None:
        self._con = con

    def execute(
        self, sql: str, params: Sequence[object] | Mapping[str, object] | None = None
    ) -> SparkResult:
        return self._con.execute(sql, params)

    def close(self) -> None:
        """Nothing to release: the views belong to the reader's connection."""


class SparkReader:
    """What the gateway needs of a warehouse connection: `cursor()`, on Spark."""

    def __init__(self, con: SparkConnection) -> None:
        self._con = con

    def cursor(self) -> SparkCursor:
        return SparkCursor(self._con)


@contextmanager
def spark_reader(workspace: Workspace) -> Iterator[SparkReader]:
    """The workspace's Spark warehouse, every canonical table a view, for the gateway."""
    wh = SparkWarehouse(workspace, spark_session(workspace))
    con = SparkConnection(wh, [t.name for t in TABLES])
    try:
        yield SparkReader(con)
    finally:
        con.close()
