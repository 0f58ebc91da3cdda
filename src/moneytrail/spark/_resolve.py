"""`moneytrail --engine spark resolve`: entity resolution on the Spark warehouse.

Resolution is moneytrail.resolve's own code, run unchanged over a `SparkConnection`
(moneytrail.spark._connection): its DuckDB SQL (standardisation, the identifier
pre-pass, clustering's inputs, stable ids) is rendered for Spark statement by
statement, Splink links on its Spark backend, and its INSERTs and DELETEs rewrite
the session's views of the tables (moneytrail.spark._dml). When the run commits,
the tables it changed are written whole (staged, then swapped in) and
`resolve_runs` last, the run's done mark, with the rows DuckDB's run stores.

Tables resolution reads that a Spark warehouse lacks (parties, identifiers,
addresses, assets until a file of records is ingested there; link_decisions, which
`moneytrail link` writes on DuckDB only) are empty views with the model's schema,
as on a DuckDB warehouse that never loaded such a file.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any, cast

from moneytrail.model.tables import TABLES
from moneytrail.resolve._backend import register_duckdb_names
from moneytrail.resolve._engine import ResolveConfig
from moneytrail.resolve._query import generic_identifiers
from moneytrail.resolve._run import ModelStore, ResolveReport, resolve
from moneytrail.spark._connection import SparkConnection
from moneytrail.spark._session import spark_session
from moneytrail.spark._warehouse import SparkWarehouse
from moneytrail.workspace import Workspace

if TYPE_CHECKING:
    from moneytrail.warehouse import Warehouse

RUNS = "resolve_runs"
OUTPUTS = (
    "resolve_records",
    "entities",
    "entity_members",
    "entity_links",
    "entity_events",
    "generic_identifiers",
)
"""The tables a run may change besides resolve_runs (moneytrail.resolve._run's _write)."""


class _Committed:
    """The part of moneytrail.warehouse.Warehouse that resolve() uses, over Spark.

    `transaction()` writes what the statements in it changed when it ends without an
    error; an error leaves the warehouse's files as they were (the views are dropped).
    """

    def __init__(self, wh: SparkWarehouse, con: SparkConnection, key: str) -> None:
        self.workspace = wh.workspace
        self.con = con
        self._wh = wh
        self._key = key

    @contextmanager
    def transaction(self) -> Iterator[None]:
        yield
        self._commit()

    def _commit(self) -> None:
        wh, spark, key = self._wh, self.con.spark, self._key
        changed = [name for name in OUTPUTS if name in self.con.changed]
        wh.discard_staged(key)
        for name in (*changed, RUNS):
            wh.stage(key, name, spark.table(name))
        wh.replace(key, changed)
        wh.replace(key, [RUNS])  # the done mark, last
        wh.discard_staged(key)


def resolve_on_spark(
    workspace: Workspace,
    *,
    full: bool = False,
    retrain: bool = False,
    config: ResolveConfig | None = None,
) -> tuple[ResolveReport, list[dict[str, Any]]]:
    """Resolve the Spark warehouse's records; the report and the generic identifiers."""
    wh = SparkWarehouse(workspace, spark_session(workspace))
    return run_resolve_on_spark(wh, full=full, retrain=retrain, config=config)


def run_resolve_on_spark(
    wh: SparkWarehouse,
    *,
    full: bool = False,
    retrain: bool = False,
    config: ResolveConfig | None = None,
) -> tuple[ResolveReport, list[dict[str, Any]]]:
    cfg = config or dataclasses.replace(ResolveConfig(), backend="spark")
    # the pre-pass compares names with jaro_winkler_similarity, Splink's jar's on Spark
    register_duckdb_names(wh.spark)
    con = SparkConnection(wh, [t.name for t in TABLES])
    try:
        committed = _Committed(wh, con, "resolve")
        # resolve() is typed for DuckDB's warehouse; _Committed and SparkConnection offer
        # the part of it that it uses, and refuse by name whatever else is asked of them
        as_warehouse = cast("Warehouse", committed)
        report = resolve(
            as_warehouse,
            full=full,
            retrain=retrain,
            config=cfg,
            models=ModelStore(wh.workspace.root / "resolve"),
        )
        generic = generic_identifiers(as_warehouse)
    finally:
        con.close()
    return report, generic


__all__ = ["resolve_on_spark", "run_resolve_on_spark"]
