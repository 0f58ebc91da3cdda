"""`moneytrail --engine spark detect`: the typology catalogue on the Spark warehouse.

The detectors, the grouping and the growth of alerts are moneytrail.detect's own, run
unchanged over a `SparkConnection` (moneytrail.spark._connection): their DuckDB SQL is
rendered for Spark statement by statement, and what they compute in Python (the hop
pairs' numba kernel, the grouping) gets the same rows as on DuckDB. The run then
writes `alerts` and `alert_hits` whole (staged, then swapped in) and appends its
`detect_runs` row last, the run's done mark, with the rows DuckDB's run stores.

Inputs only other stages make (resolution's entity tables, employer flags, contract
findings, transaction scores) are empty views when a Spark warehouse lacks them, so
a typology that needs them is skipped with the warning DuckDB gives.
"""

from __future__ import annotations

import time
from collections.abc import Iterable
from typing import TYPE_CHECKING, cast

from moneytrail.detect._run import DetectReport, Found, alert_rows, find_alerts, hit_rows, run_row
from moneytrail.model.tables import TABLES
from moneytrail.spark._connection import SparkConnection
from moneytrail.spark._session import spark_session
from moneytrail.spark._tables import spark_schema
from moneytrail.spark._warehouse import SparkWarehouse
from moneytrail.workspace import Workspace

if TYPE_CHECKING:
    import duckdb

OUTPUTS = ("alerts", "alert_hits")


def detect_on_spark(
    workspace: Workspace, overrides: Iterable[str] = (), only: Iterable[str] = ()
) -> DetectReport:
    """Run the catalogue on the workspace's Spark warehouse and store the alerts."""
    return run_detect_on_spark(SparkWarehouse(workspace, spark_session(workspace)), overrides, only)


def run_detect_on_spark(
    wh: SparkWarehouse, overrides: Iterable[str] = (), only: Iterable[str] = ()
) -> DetectReport:
    started = time.perf_counter()
    con = SparkConnection(wh, [t.name for t in TABLES])
    try:
        # the detectors are typed for DuckDB's connection; SparkConnection offers the part
        # of it they use (see its module), and refuses by name whatever else is asked of it
        found = find_alerts(
            cast("duckdb.DuckDBPyConnection", con), wh.workspace.root, overrides, only
        )
    finally:
        con.close()
    seconds = time.perf_counter() - started
    run_id = _store(wh, found, seconds)
    return DetectReport(
        run_id, len(found.hits), found.alerts, found.per_typology, seconds, found.warnings
    )


def _store(wh: SparkWarehouse, found: Found, seconds: float) -> int:
    from pyspark.sql import functions as f  # noqa: PLC0415 - pyspark is an optional extra

    spark = wh.spark
    last = wh.table("detect_runs").agg(f.max("run_id")).collect()[0][0]
    run_id = int(last or 0) + 1
    key = f"detect{run_id}"
    wh.discard_staged(key)
    for name, rows in (("alerts", alert_rows(run_id, found)), ("alert_hits", hit_rows(found))):
        frame = spark.createDataFrame(rows, spark_schema(name))
        wh.stage(key, name, frame.coalesce(1))
    wh.replace(key, list(OUTPUTS))
    run = spark.createDataFrame([run_row(run_id, found, seconds)], spark_schema("detect_runs"))
    wh.stage(key, "detect_runs", run.coalesce(1))
    wh.append_staged(key, "detect_runs", f"run{run_id}")
    wh.discard_staged(key)
    return run_id
