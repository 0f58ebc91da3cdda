"""How often an account takes money from strangers: the yardstick of pass-through detectors.

Passing on money received from someone new is a layer's whole business and a
merchant's everyday one: a shop, a tradesman or a small firm is paid once by
walk-in customers week in, week out, and pays its suppliers soon after. The rate
below tells them apart relative to each account's own dealings: payments into the
account from payers that pay it exactly once, per 30 days of its activity (from
its first to its last transaction). Only an account with `MIN_HISTORY` of
activity is judged: over a shorter ledger nearly every counterparty is seen once
(a one-month world made a tainted account's four deposits "four strangers a
month"), and a mule opened for a few weeks must not escape by its youth.

On the synthetic worlds the accounts that planted layering runs through take at
most about two such payments a month (they live on a few regular sources); the
merchants the pass-through detectors flagged in error take 3.5 to 12 (5 M
transactions, seed 7).

A typology opts in with the parameter `max_strangers_monthly` (0 = off); the
runner drops its hits on accounts above that rate.
"""

from __future__ import annotations

import duckdb

PARAM = "max_strangers_monthly"
MONTH_S = 30 * 86_400
MIN_HISTORY = 90 * 86_400


def strangers_monthly(con: duckdb.DuckDBPyConnection, above: float) -> dict[int, float]:
    """Accounts taking more than `above` one-off payments a month, with their rate."""
    rows = con.execute(
        f"""
        WITH pc AS (
            SELECT to_account AS acct, from_account, count(*) AS n FROM transactions
            WHERE to_account IS NOT NULL AND from_account IS NOT NULL
              AND from_account <> to_account
            GROUP BY ALL
        ), once AS (
            SELECT acct, count(*) AS k FROM pc WHERE n = 1 GROUP BY acct
        ), span AS (
            SELECT acct, (max(e) - min(e)) / {MONTH_S}.0 AS months FROM (
                SELECT from_account AS acct, epoch(ts) AS e FROM transactions
                UNION ALL SELECT to_account, epoch(ts) FROM transactions
            ) WHERE acct IN (SELECT acct FROM once WHERE k > ?) GROUP BY acct
            HAVING max(e) - min(e) >= {MIN_HISTORY}
        )
        SELECT acct, k / months FROM once JOIN span USING (acct) WHERE k / months > ?
        """,
        [above, above],
    ).fetchall()
    return {int(a): float(r) for a, r in rows}
