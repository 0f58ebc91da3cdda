"""`moneytrail --engine spark contracts`: procurement findings on the Spark warehouse.

The typologies are moneytrail.contracts' own, run unchanged over the SparkConnection
of a `SparkView` (their DuckDB SQL rendered statement by statement, as detect's is).
What they find is stored as DuckDB's run stores it: the findings of one kind (the
typologies' MT-..., or Cardinal's R...) replace the stored ones of that kind, the
others stay; `contract_findings` is small (one row per finding), so it is rewritten
whole, staged, then swapped in.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import UTC, datetime

from moneytrail.contracts._find import Finding, finding_rows
from moneytrail.contracts._stage import findings_of
from moneytrail.contracts._typologies import Typology
from moneytrail.spark._reading import SparkView
from moneytrail.spark._tables import spark_schema

TABLE = "contract_findings"


def find_on_spark(view: SparkView, typologies: Mapping[str, Typology]) -> list[Finding]:
    """Recompute the findings of `typologies` (as `configured` gives them, checked before
    Spark starts) on the view's warehouse and store them."""
    findings = findings_of(view.con, typologies)
    store_on_spark(view, findings)
    return findings


def store_on_spark(view: SparkView, findings: Iterable[Finding], *, prefix: str = "MT-") -> int:
    """Replace the stored findings whose code starts with `prefix` with these; return how
    many were stored."""
    from pyspark.sql import functions as F  # noqa: PLC0415, N812 - pyspark's own idiom

    wh = view.warehouse
    # the tables' TIMESTAMPs hold UTC's wall clock, without a zone
    rows = finding_rows(findings, datetime.now(UTC).replace(tzinfo=None))
    kept = wh.table(TABLE).where(~F.col("code").startswith(prefix))
    frame = kept.unionByName(wh.spark.createDataFrame(rows, spark_schema(TABLE)))
    wh.rewrite("contracts", TABLE, frame)
    view.spark_con.refresh(TABLE)
    return len(rows)
