"""`moneytrail --engine spark trace --save`: a traced run stored in the Spark warehouse.

The rows are those DuckDB's save stores (moneytrail.trace._schedule.saved_tables): one
trace_runs row and the schedule's lines, under run_id = the Spark table's max(run_id)
+ 1. Both are staged, then appended: the schedule's file first, the trace_runs row
last, the run's done mark. A save cut off between the two leaves schedule lines under
a run id that trace_runs does not hold, which no reader asks for (a run's lines are
read by its trace_runs row) and which the next save, taking that id, deletes first.
"""

from __future__ import annotations

from datetime import UTC, datetime

from moneytrail.spark._reading import SparkView
from moneytrail.trace._report import TraceReport
from moneytrail.trace._schedule import saved_tables

# in the order they are appended: the done mark last
_APPENDED = ("trace_schedule", "trace_runs")


def save_on_spark(view: SparkView, report: TraceReport, tainted: list[str]) -> int:
    """Store the run and its schedule (tables trace_runs, trace_schedule); return its id."""
    from pyspark.sql import functions as f  # noqa: PLC0415 - pyspark is an optional extra

    wh = view.warehouse
    last = wh.table("trace_runs").agg(f.max("run_id")).collect()[0][0]
    run_id = int(last or 0) + 1
    key, prefix = f"trace{run_id}", f"run{run_id}"
    wh.discard_staged(key)
    wh.discard_appended("trace_schedule", prefix)  # a save of this id that was cut off
    run, lines = saved_tables(report, tainted, run_id, datetime.now(UTC).replace(tzinfo=None))
    for name, rows in zip(_APPENDED, (lines, run), strict=True):
        wh.stage(key, name, wh.spark.createDataFrame(rows).coalesce(1))
    for name in _APPENDED:
        wh.append_staged(key, name, prefix)
        view.spark_con.refresh(name)
    wh.discard_staged(key)
    return run_id
