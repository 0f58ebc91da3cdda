"""`moneytrail --engine spark link confirm|reject`: a person's decision on the Spark warehouse.

Checked by moneytrail.resolve's own rules over the SparkConnection of a `SparkView`,
then stored as DuckDB's INSERT OR REPLACE stores it: the pair's earlier decision
replaced. `link_decisions` holds one row per decided pair (people write them by hand),
so the table is rewritten whole, staged, then swapped in; `resolve` on Spark reads it.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from moneytrail.resolve._query import checked_decision
from moneytrail.spark._reading import SparkView
from moneytrail.spark._tables import spark_schema

TABLE = "link_decisions"


def decide_on_spark(
    view: SparkView, a: str, b: str, decision: str, *, actor: str, reason: str | None = None
) -> dict[str, Any]:
    """Record that records `a` and `b` are (confirm) or are not (reject) one entity."""
    from pyspark.sql import functions as F  # noqa: PLC0415, N812 - pyspark's own idiom

    doc = checked_decision(view.con, a, b, decision)
    wh = view.warehouse
    left, right = doc["member_l"], doc["member_r"]
    # the tables' TIMESTAMPs hold UTC's wall clock, without a zone
    row = (left, right, decision, actor, reason, datetime.now(UTC).replace(tzinfo=None))
    kept = wh.table(TABLE).where(~((F.col("member_l") == left) & (F.col("member_r") == right)))
    frame = kept.unionByName(wh.spark.createDataFrame([row], spark_schema(TABLE)))
    wh.rewrite("link-decisions", TABLE, frame)
    view.spark_con.refresh(TABLE)
    return doc
