"""`moneytrail --engine spark employers`: the payroll checks on the Spark warehouse.

The checks are moneytrail.employers' own, run unchanged over the SparkConnection of
a `SparkView` (their DuckDB SQL rendered statement by statement, as detect's is); what
they find is stored as DuckDB's run stores it: `employer_flags` replaced whole
(staged, then swapped in), the same rows.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime

from moneytrail.employers._run import EmployerReport, flag_values, run_checks
from moneytrail.spark._reading import SparkView
from moneytrail.spark._tables import spark_schema

TABLE = "employer_flags"


def employers_on_spark(
    view: SparkView, codes: Iterable[str] | None, overrides: dict[str, str]
) -> list[EmployerReport]:
    """Run the checks (all, or `codes`) on the view's warehouse and store their flags."""
    reports = run_checks(view.con, codes=codes, overrides=overrides)
    store_flags_on_spark(view, reports)
    return reports


def store_flags_on_spark(view: SparkView, reports: list[EmployerReport]) -> int:
    """Replace employer_flags with these reports' flags; return how many were stored."""
    wh = view.warehouse
    now = datetime.now(UTC).replace(tzinfo=None)
    rows = [[r.employer_key, *flag_values(r, f), now] for r in reports for f in r.flags]
    wh.rewrite("employers", TABLE, wh.spark.createDataFrame(rows, spark_schema(TABLE)))
    return len(rows)
