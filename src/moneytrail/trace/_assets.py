"""Which payment bought which asset.

The rule, for a seizable asset recorded in `assets` (real estate, vehicles):
a payment is its purchase when

1. the asset's recorded owner (an `ownership` relationship whose object is the
   asset) holds the paying account (`account_holders`); an account known only
   from records that name its bank differently is the ledger account its
   statements reconcile with (see `account_aliases`);
2. the payment's amount equals the asset's recorded value, in the same
   currency; and
3. it was booked within `WINDOW_DAYS` days of the ownership's start date, when
   one is recorded.

Where several payments qualify, the one booked closest to the start date wins,
then the earliest. A purchase established from other evidence (a closing
statement, a bill of sale) can be stated explicitly and then overrides the rule.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal

import duckdb
import pyarrow as pa

from moneytrail.errors import TraceError
from moneytrail.trace._ledger import WarehouseView

WINDOW_DAYS = 7


@dataclass(frozen=True)
class Purchase:
    asset_id: str
    kind: str
    description: str | None
    value: Decimal | None
    currency: str | None
    txn_id: str
    how: str  # "matched" (by the rule above) or "stated"


_MATCH = f"""
WITH holders AS (
  SELECT coalesce(al.lkey, h.account_key) AS account_key, h.party_id
  FROM account_holders h LEFT JOIN _trace_aliases al ON al.bkey = h.account_key),
owned AS (
  SELECT a.asset_id, a.kind, a.description, a.value, a.currency, r.subject_id,
         try_cast(r.start_date AS DATE) AS since
  FROM assets a JOIN relationships r ON r.object_id = a.asset_id AND r.kind = 'ownership'
  WHERE a.value IS NOT NULL),
hits AS (
  SELECT o.asset_id, o.kind, o.description, o.value, o.currency, t.txn_id, t.ts,
         abs(date_diff('day', coalesce(o.since, CAST(t.ts AS DATE)), CAST(t.ts AS DATE))) AS off
  FROM owned o JOIN holders h ON h.party_id = o.subject_id
  JOIN transactions t ON t.from_account = h.account_key AND t.amount = o.value
   AND t.currency = coalesce(o.currency, t.currency)
  WHERE o.since IS NULL
     OR CAST(t.ts AS DATE) BETWEEN o.since - INTERVAL {WINDOW_DAYS} DAY
                                AND o.since + INTERVAL {WINDOW_DAYS} DAY)
SELECT asset_id, any_value(kind), any_value(description), any_value(value), any_value(currency),
       arg_min(txn_id, (off, ts, txn_id))
FROM hits GROUP BY asset_id ORDER BY asset_id
"""


def asset_purchases(
    wh: WarehouseView, aliases: Mapping[int, int], stated: Mapping[str, str] | None = None
) -> list[Purchase]:
    """The purchase payment of every asset the rule (or `stated`: asset -> txn) finds."""
    table = pa.table(
        {
            "bkey": pa.array(list(aliases), pa.int64()),
            "lkey": pa.array(list(aliases.values()), pa.int64()),
        }
    )
    wh.con.register("_trace_aliases", table)
    try:
        rows = wh.con.execute(_MATCH).fetchall()
        found = {
            str(r[0]): Purchase(str(r[0]), str(r[1]), r[2], r[3], r[4], str(r[5]), "matched")
            for r in rows
        }
        for asset_id, txn_id in (stated or {}).items():
            info = wh.con.execute(
                "SELECT kind, description, value, currency FROM assets WHERE asset_id = ?",
                [asset_id],
            ).fetchall()
            if not info:
                raise TraceError(f"no asset with id {asset_id!r} in the warehouse")
            kind, description, value, currency = info[0]
            found[asset_id] = Purchase(
                asset_id, str(kind), description, value, currency, txn_id, "stated"
            )
    except duckdb.Error as exc:
        raise TraceError(f"cannot match asset purchases: {exc}") from exc
    finally:
        wh.con.unregister("_trace_aliases")
    return sorted(found.values(), key=lambda p: p.asset_id)
