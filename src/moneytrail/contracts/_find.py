"""Detectors of the procurement typologies over the ocds_* tables, and their findings.

Each contracting process is read from its latest load (the highest source_id
for its ocid), so loading a newer publication replaces the older one's view
without deleting it. `find()` recomputes every finding and replaces the
contents of `contract_findings` in one transaction: the stage is idempotent.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import duckdb
import pyarrow as pa

from moneytrail.contracts._typologies import (
    NEAR_ESTIMATE,
    REPEATED_SINGLE_SOURCE,
    SPLIT_PURCHASE,
    Typology,
)
from moneytrail.model.tables import table


@dataclass(frozen=True)
class Finding:
    typology: Typology
    subject_kind: str
    subject_id: str
    subject_name: str | None
    ocids: tuple[str, ...]
    reason: str
    evidence: dict[str, Any] = field(default_factory=dict)
    amount: Decimal | None = None
    currency: str | None = None

    @property
    def finding_id(self) -> str:
        key = "|".join(
            (self.typology.code, self.subject_kind, self.subject_id, *sorted(self.ocids))
        )
        return hashlib.sha256(key.encode()).hexdigest()[:20]

    def as_json(self) -> dict[str, Any]:
        return {
            "finding_id": self.finding_id,
            "code": self.typology.code,
            "name": self.typology.name,
            "severity": self.typology.severity,
            "subject_kind": self.subject_kind,
            "subject_id": self.subject_id,
            "subject_name": self.subject_name,
            "ocids": list(self.ocids),
            "amount": None if self.amount is None else str(self.amount),
            "currency": self.currency,
            "reason": self.reason,
            "evidence": self.evidence,
            "params": self.typology.as_json()["params"],
        }


# The latest load of each contracting process.
LATEST = """
latest AS (SELECT ocid, max(source_id) AS sid FROM ocds_processes GROUP BY ocid),
procs AS (
    SELECT p.* FROM ocds_processes p JOIN latest l ON p.ocid = l.ocid AND p.source_id = l.sid
),
awards AS (
    SELECT a.*, p.buyer_id, p.buyer_name,
           TRY_CAST(coalesce(a.award_date, p.release_date) AS TIMESTAMPTZ) AS ts
    FROM ocds_awards a JOIN procs p ON a.ocid = p.ocid AND a.source_id = p.source_id
    WHERE a.status = 'active' AND a.supplier_id IS NOT NULL AND p.buyer_id IS NOT NULL
)
"""


def _rows(con: duckdb.DuckDBPyConnection, sql: str, params: Sequence[object] = ()) -> list[Any]:
    return con.execute(sql, list(params)).fetchall()


def _windows(
    items: list[tuple[datetime, Any]], window: timedelta, minimum: int
) -> Iterable[list[Any]]:
    """Runs of at least `minimum` items that all fall within `window` of the run's first."""
    items = sorted(items, key=lambda x: x[0])
    i = 0
    while i < len(items):
        j = i
        while j < len(items) and items[j][0] - items[i][0] <= window:
            j += 1
        if j - i >= minimum:
            yield [x[1] for x in items[i:j]]
            i = j
        else:
            i += 1


def _money(total: Decimal) -> str:
    return f"{total:,.2f}"


def split_purchases(con: duckdb.DuckDBPyConnection, t: Typology = SPLIT_PURCHASE) -> list[Finding]:
    threshold: Decimal = t.params["threshold"]
    low = threshold * (1 - t.params["band"])
    rows = _rows(
        con,
        f"WITH {LATEST} SELECT buyer_id, buyer_name, supplier_id, supplier_name, ocid, award_id, "
        "amount, currency, ts FROM awards WHERE amount >= ? AND amount < ? AND ts IS NOT NULL",
        [low, threshold],
    )
    return _grouped(rows, t, t.params["window_days"], t.params["min_awards"], _split_reason)


def _split_reason(t: Typology, buyer: str, supplier: str, awards: list[Any]) -> str:
    total = sum((a[6] for a in awards), Decimal(0))
    days = (max(a[8] for a in awards) - min(a[8] for a in awards)).days
    return (
        f"{buyer} made {len(awards)} awards to {supplier} within {days} days, each between "
        f"{_money(t.params['threshold'] * (1 - t.params['band']))} and "
        f"{_money(t.params['threshold'])} (just under the tender threshold); "
        f"together {_money(total)} {awards[0][7] or ''}".rstrip()
    )


def repeated_single_source(
    con: duckdb.DuckDBPyConnection, t: Typology = REPEATED_SINGLE_SOURCE
) -> list[Finding]:
    methods = [m for m in str(t.params["methods"]).split("|") if m]
    rows = _rows(
        con,
        f"""WITH {LATEST},
        bids AS (
            SELECT b.ocid, count(DISTINCT b.tenderer_id) AS n FROM ocds_bids b
            JOIN procs p ON b.ocid = p.ocid AND b.source_id = p.source_id
            WHERE b.status NOT IN ('invited', 'withdrawn') OR b.status IS NULL GROUP BY b.ocid
        )
        SELECT a.buyer_id, a.buyer_name, a.supplier_id, a.supplier_name, a.ocid, a.award_id,
               a.amount, a.currency, a.ts
        FROM awards a
        LEFT JOIN ocds_tenders t ON t.ocid = a.ocid AND t.source_id = a.source_id
        LEFT JOIN bids ON bids.ocid = a.ocid
        WHERE a.ts IS NOT NULL AND (list_contains(?, t.procurement_method)
              OR bids.n = 1 OR (bids.n IS NULL AND t.number_of_tenderers = 1))""",
        [methods],
    )
    return _grouped(rows, t, t.params["window_days"], t.params["min_awards"], _single_reason)


def _single_reason(t: Typology, buyer: str, supplier: str, awards: list[Any]) -> str:
    total = sum((a[6] for a in awards if a[6] is not None), Decimal(0))
    return (
        f"{buyer} gave {supplier} {len(awards)} awards without competition within "
        f"{t.params['window_days']} days (direct or limited procedures, or a single bid); "
        f"together {_money(total)} {awards[0][7] or ''}".rstrip()
    )


def _grouped(
    rows: list[Any], t: Typology, window_days: int, minimum: int, reason: Any
) -> list[Finding]:
    groups: dict[tuple[str, str], list[Any]] = {}
    for row in rows:
        # Spark's timestamps come without a zone (UTC's wall clock), DuckDB's with one
        ts = row[8].astimezone(UTC) if row[8].tzinfo else row[8].replace(tzinfo=UTC)
        groups.setdefault((row[0], row[2]), []).append((*row[:8], ts))
    findings = []
    for (_, supplier_id), awards in sorted(groups.items()):
        for run in _windows([(a[8], a) for a in awards], timedelta(days=window_days), minimum):
            buyer = run[0][1] or run[0][0]
            supplier = run[0][3] or supplier_id
            amounts = [a[6] for a in run if a[6] is not None]
            currencies = {a[7] for a in run}
            findings.append(
                Finding(
                    t,
                    "supplier",
                    supplier_id,
                    run[0][3],
                    tuple(a[4] for a in run),
                    reason(t, buyer, supplier, run),
                    {
                        "buyer_id": run[0][0],
                        "awards": [
                            {
                                "ocid": a[4],
                                "award_id": a[5],
                                "amount": None if a[6] is None else str(a[6]),
                                "currency": a[7],
                                "date": a[8].astimezone(UTC).date().isoformat(),
                            }
                            for a in run
                        ],
                    },
                    sum(amounts, Decimal(0)) if len(currencies) == 1 and amounts else None,
                    currencies.pop() if len(currencies) == 1 else None,
                )
            )
    return findings


def near_estimate(con: duckdb.DuckDBPyConnection, t: Typology = NEAR_ESTIMATE) -> list[Finding]:
    rows = _rows(
        con,
        f"""WITH {LATEST},
        valid AS (
            SELECT b.ocid, b.source_id, b.tenderer_id, min(b.amount) AS amount, any_value(b.currency) AS currency
            FROM ocds_bids b JOIN procs p ON b.ocid = p.ocid AND b.source_id = p.source_id
            WHERE b.status = 'valid' AND b.amount IS NOT NULL GROUP BY ALL
        ),
        counts AS (SELECT ocid, count(DISTINCT tenderer_id) AS n FROM valid GROUP BY ocid)
        SELECT a.ocid, a.buyer_name, a.supplier_id, a.supplier_name, w.amount, t.amount,
               t.currency, c.n
        FROM awards a
        JOIN ocds_tenders t ON t.ocid = a.ocid AND t.source_id = a.source_id
        JOIN valid w ON w.ocid = a.ocid AND w.tenderer_id = a.supplier_id
        JOIN counts c ON c.ocid = a.ocid
        WHERE t.amount > 0 AND w.currency = t.currency AND c.n >= ?
          AND abs(w.amount - t.amount) <= t.amount * ?
        ORDER BY a.ocid""",
        [t.params["min_bids"], t.params["margin"]],
    )
    out = []
    for ocid, buyer, supplier_id, supplier, bid, estimate, currency, n in rows:
        gap = abs(bid - estimate) / estimate
        out.append(
            Finding(
                t,
                "process",
                ocid,
                supplier,
                (ocid,),
                f"In {ocid} ({buyer}), {supplier} won with {_money(bid)} {currency}, "
                f"{gap:.2%} from the estimate of {_money(estimate)}; {n} valid bids",
                {
                    "supplier_id": supplier_id,
                    "winning_bid": str(bid),
                    "estimate": str(estimate),
                    "gap": f"{gap:.6f}",
                    "valid_bids": n,
                },
                bid,
                currency,
            )
        )
    return out


def store(
    con: duckdb.DuckDBPyConnection, findings: Iterable[Finding], *, prefix: str = "MT-"
) -> int:
    """Replace the stored findings whose code starts with `prefix` with these.

    Typologies (MT-...) and Cardinal's indicators (R...) are replaced separately,
    each by the run that computes them; the caller holds the transaction.
    """
    rows = finding_rows(findings, datetime.now(UTC))
    con.execute("DELETE FROM contract_findings WHERE starts_with(code, ?)", [prefix])
    if not rows:
        return 0
    names = table("contract_findings").column_names()
    columns = list(zip(*rows, strict=True))
    types = {"amount": pa.decimal128(38, 8), "found_at": pa.timestamp("us", tz="UTC")}
    batch = pa.table(
        {
            n: pa.array(list(v), types.get(n, pa.string()))
            for n, v in zip(names, columns, strict=True)
        }
    )
    con.register("_findings_batch", batch)
    try:
        con.execute(
            f"INSERT INTO contract_findings ({', '.join(names)}) SELECT {', '.join(names)} FROM _findings_batch"
        )
    finally:
        con.unregister("_findings_batch")
    return len(rows)


def finding_rows(findings: Iterable[Finding], found_at: datetime) -> list[tuple[Any, ...]]:
    """The rows of contract_findings for these findings (one per finding id), in the
    table's column order."""
    rows: dict[str, tuple[Any, ...]] = {}
    for f in findings:
        rows[f.finding_id] = (
            f.finding_id, f.typology.code, f.typology.severity, f.subject_kind, f.subject_id,
            f.subject_name, json.dumps(list(f.ocids)), f.amount, f.currency, f.reason,
            json.dumps(f.evidence, default=str), json.dumps(f.typology.as_json()["params"]),
            found_at,
        )  # fmt: skip
    return list(rows.values())
