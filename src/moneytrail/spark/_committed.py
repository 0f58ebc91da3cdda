"""The part of moneytrail.warehouse.Warehouse that a stage writing through SQL uses, on Spark.

Resolution and the supervised scorer write with INSERT and DELETE inside
`wh.transaction()`. Over a `SparkConnection` those statements rewrite the session's
views of the tables (moneytrail.spark._dml); when the transaction ends without an
error, the tables it changed are written whole (staged, then swapped in), the
stage's done mark last. An error leaves the warehouse's files as they were.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import TYPE_CHECKING, cast

from moneytrail.spark._connection import SparkConnection
from moneytrail.spark._warehouse import SparkWarehouse

if TYPE_CHECKING:
    import duckdb

    from moneytrail.workspace import Workspace


class Committed:
    """`workspace`, `con` and `transaction()` over the Spark warehouse `wh`.

    `outputs` are the tables the stage may change, in the order they are swapped in;
    `done` (if given) is swapped in after them.
    """

    def __init__(
        self,
        wh: SparkWarehouse,
        con: SparkConnection,
        key: str,
        outputs: Sequence[str],
        done: str | None = None,
    ) -> None:
        self.workspace = wh.workspace
        self.spark_con = con
        self._wh = wh
        self._key = key
        self._outputs = [*outputs, *([done] if done else [])]

    @property
    def con(self) -> duckdb.DuckDBPyConnection:
        # the stages use only the part of DuckDB's API SparkConnection offers
        return cast("duckdb.DuckDBPyConnection", self.spark_con)

    @contextmanager
    def transaction(self) -> Iterator[duckdb.DuckDBPyConnection]:
        yield self.con
        self._commit()

    def _commit(self) -> None:
        wh, spark, key = self._wh, self.spark_con.spark, self._key
        changed = [name for name in self._outputs if name in self.spark_con.changed]
        if not changed:
            return
        wh.discard_staged(key)
        for name in changed:
            wh.stage(key, name, spark.table(name))
        for name in changed:  # one at a time, in order: the done mark last
            wh.replace(key, [name])
        wh.discard_staged(key)
        for name in changed:
            self.spark_con.refresh(name)
        self.spark_con.changed.difference_update(changed)


@contextmanager
def committed_warehouse(
    workspace: Workspace, key: str, outputs: Sequence[str], done: str | None = None
) -> Iterator[Committed]:
    """The workspace's Spark warehouse, every canonical table a view, to read and write
    `outputs` (and `done`) through SQL."""
    from moneytrail.model.tables import TABLES  # noqa: PLC0415
    from moneytrail.spark._session import spark_session  # noqa: PLC0415

    wh = SparkWarehouse(workspace, spark_session(workspace))
    con = SparkConnection(wh, [t.name for t in TABLES])
    try:
        yield Committed(wh, con, key, outputs, done)
    finally:
        con.close()
