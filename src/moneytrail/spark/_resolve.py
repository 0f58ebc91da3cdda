"""`moneytrail --engine spark resolve`: entity resolution on the Spark warehouse.

Resolution is moneytrail.resolve's own code, run unchanged over a `SparkConnection`
(moneytrail.spark._connection): its DuckDB SQL (standardisation, the identifier
pre-pass, clustering's inputs, stable ids) is rendered for Spark statement by
statement, Splink links on its Spark backend, and its INSERTs and DELETEs rewrite
the session's views of the tables (moneytrail.spark._dml). When the run commits,
the tables it changed are written whole (staged, then swapped in) and
`resolve_runs` last, the run's done mark, with the rows DuckDB's run stores.

Tables resolution reads that a Spark warehouse lacks (parties, identifiers,
addresses, assets until a file of records is ingested there; link_decisions until
`moneytrail link confirm|reject` writes one) are empty views with the model's
schema, as on a DuckDB warehouse that never loaded such a file.
"""

from __future__ import annotations

import dataclasses
from typing import TYPE_CHECKING, Any, cast

from moneytrail.model.tables import TABLES
from moneytrail.resolve._backend import register_duckdb_names
from moneytrail.resolve._engine import ResolveConfig
from moneytrail.resolve._query import generic_identifiers
from moneytrail.resolve._run import ModelStore, ResolveReport, resolve
from moneytrail.spark._committed import Committed
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
        committed = Committed(wh, con, "resolve", OUTPUTS, done=RUNS)
        # resolve() is typed for DuckDB's warehouse; Committed and SparkConnection offer
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
