"""The demo's stages on the Spark warehouse (moneytrail._demo.DemoStages).

Each stage is the one `moneytrail --engine spark <command>` runs, with the
command's defaults. A stage that reads the warehouse through a connection gets a
new one over the tables as the stages before it left them (a SparkConnection's
views list a table's files when they are made).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from moneytrail.contracts._stage import configured
from moneytrail.graph import FeatureParams
from moneytrail.model.tables import TABLES
from moneytrail.spark._connection import SparkConnection
from moneytrail.spark._contracts import find_on_spark
from moneytrail.spark._detect import run_detect_on_spark
from moneytrail.spark._employers import employers_on_spark
from moneytrail.spark._graph import mine_on_spark
from moneytrail.spark._reading import SparkView
from moneytrail.spark._resolve import run_resolve_on_spark
from moneytrail.spark._session import SparkSettings
from moneytrail.spark._warehouse import SparkWarehouse
from moneytrail.trace import Tracer

if TYPE_CHECKING:
    import duckdb

    from moneytrail._demo import DemoStages
    from moneytrail.contracts import Finding
    from moneytrail.detect import DetectReport
    from moneytrail.employers import EmployerReport
    from moneytrail.graph import MiningReport
    from moneytrail.resolve import ResolveReport


class _OnSpark:
    def __init__(self, wh: SparkWarehouse) -> None:
        self.wh = wh
        self._view: SparkView | None = None

    def _fresh(self) -> SparkView:
        self.close()
        self._view = SparkView(self.wh, SparkConnection(self.wh, [t.name for t in TABLES]))
        return self._view

    def close(self) -> None:
        if self._view is not None:
            self._view.spark_con.close()
            self._view = None

    def connection(self) -> duckdb.DuckDBPyConnection:
        return self._fresh().con

    def resolve(self) -> ResolveReport:
        return run_resolve_on_spark(self.wh)[0]

    def mine(self) -> MiningReport:
        block_edges = SparkSettings.of(self.wh.workspace).graph_block_edges
        return mine_on_spark(self.wh, FeatureParams(), block_edges=block_edges)

    def employers(self) -> list[EmployerReport]:
        return employers_on_spark(self._fresh(), None, {})

    def contracts(self) -> list[Finding]:
        return find_on_spark(self._fresh(), configured(None))

    def detect(self) -> DetectReport:
        return run_detect_on_spark(self.wh)

    def tracer(self) -> Tracer[Any]:
        return Tracer(self._fresh())


def spark_stages(wh: SparkWarehouse) -> DemoStages:
    """The demo's stages on `wh`; close() them when done."""
    return _OnSpark(wh)


__all__ = ["spark_stages"]
