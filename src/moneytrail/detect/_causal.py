"""Time-causal features relative to each account's own dealings, for the supervised scorer.

Each value of a transaction e (payer u, payee v, time t) is computed only from
transactions at or before t (ties at t included; among them file and row order
for 'before e'); never from later transactions and never from labels, so adding
later transactions leaves it unchanged. They carry the signal the rule
detectors found generalises across laundering patterns: a counterparty new to
the account (layering) against repeat dealings (shops, payroll, remittances),
amounts relative to the account's own earlier payments and recent receipts
(pass-through), how much of what came in went out again, and how many strangers
an account has dealt with recently. CAUSAL is every feature computed; SCORED the
subset the scorer is trained on (see its note for how it was chosen).

All are DuckDB window functions and as-of joins over the whole transactions
table, so scoring from a time on still sees the history before it. Transactions
with an unknown counterparty or paying the same account get NULL (LightGBM's
missing value).
"""

from __future__ import annotations

import duckdb

from moneytrail.graph import DAY, HOUR, WEEK

WINDOWS = {"1h": HOUR, "1d": DAY, "1w": WEEK}
TABLE = "scorer_causal"

CAUSAL = [
    "pair_prior",  # earlier transactions u -> v (0 = first contact)
    "pair_gap",  # seconds since the last u -> v
    "reverse_prior",  # transactions v -> u at or before t (money coming back)
    "payer_age",  # seconds since u was first seen in any transaction
    "payee_age",
    "amount_vs_payer_prev",  # amount / u's previous payment
    "amount_vs_payee_prev",  # amount / v's previous receipt
    "amount_vs_payer_1w",  # amount / mean of u's payments in the last week
    "amount_vs_payer_mean",  # amount / mean of all u's earlier payments
    *[f"amount_vs_payer_in_{w}" for w in ("1d", "1w")],  # amount / u's receipts (pass-through)
    *[f"payer_new_{w}" for w in WINDOWS],  # u's first-contact payments in the window
    *[f"payee_new_{w}" for w in WINDOWS],  # v's first-contact receipts in the window
    *[f"payer_new_share_{w}" for w in ("1d", "1w")],
    *[f"payee_new_share_{w}" for w in ("1d", "1w")],
    "payee_spread_1d",  # max / min of v's receipts in the last day
    "payer_spread_1d",  # max / min of u's payments in the last day
    *[f"payer_in_new_{w}" for w in ("1d", "1w")],  # u's first-contact receipts (pass-through)
    *[f"payer_in_{w}" for w in ("1d", "1w")],  # u's receipts
    *[f"payee_out_new_{w}" for w in ("1d", "1w")],  # v's first-contact payments
    *[f"payee_out_{w}" for w in ("1d", "1w")],  # v's payments
    "payer_out_vs_in_1w",  # u's payments / u's receipts in the last week, in money
    "payee_out_vs_in_1w",
]
SCORED = [
    "amount_vs_payer_mean",
    "amount_vs_payer_in_1d",
    "amount_vs_payer_in_1w",
    *[f"payer_in_{w}" for w in ("1d", "1w")],
    *[f"payer_in_new_{w}" for w in ("1d", "1w")],
    *[f"payee_out_{w}" for w in ("1d", "1w")],
    *[f"payee_out_new_{w}" for w in ("1d", "1w")],
    "payer_out_vs_in_1w",
    "payee_out_vs_in_1w",
]
"""The ones the scorer uses when trained with causal=True. Chosen on held-out synthetic
worlds (seeds 13, 29, 41, 53 at 200 k, 60/20/20 time split: mean test F1 0.931 without any,
0.954 with all of CAUSAL, 0.967 with these) and confirmed on the validation slice of seed 7;
the rest (pair history, account age, first-contact shares, amount spreads) made the trees
less stable across worlds. At 1 M they did not help (seed 13) or hurt (seed 7: test
precision fell while validation F1 rose), so the scorer leaves them off by default."""


def _sql() -> str:
    order = "ORDER BY e, source_id, source_row"
    ranged = {
        w: f"ORDER BY e RANGE BETWEEN {s - 1} PRECEDING AND CURRENT ROW" for w, s in WINDOWS.items()
    }
    per_window = ",\n".join(
        f"sum(first) OVER (PARTITION BY u {ranged[w]}) AS payer_new_{w},\n"
        f"count(*) OVER (PARTITION BY u {ranged[w]}) AS payer_n_{w},\n"
        f"sum(first) OVER (PARTITION BY v {ranged[w]}) AS payee_new_{w},\n"
        f"count(*) OVER (PARTITION BY v {ranged[w]}) AS payee_n_{w}"
        for w in WINDOWS
    )
    # Running totals per account as payee (acc_in) and as payer (acc_out), all peers at one
    # time included, so as-of joins at t and at t - window give the count in between.
    asof = "\n".join(
        f"ASOF LEFT JOIN {table} {alias}_{w} ON {alias}_{w}.acct = w.{col} "
        f"AND {alias}_{w}.e <= w.e - {shift}"
        for alias, col, table in (
            ("ui", "u", "acc_in"),
            ("uo", "u", "acc_out"),
            ("vi", "v", "acc_in"),
            ("vo", "v", "acc_out"),
        )
        for w, shift in (("now", 0), ("1d", DAY), ("1w", WEEK))
    )
    feats = [
        "pair_prior",
        "pair_gap",
        "coalesce(rev.n, 0) AS reverse_prior",
        "w.e - fu.first_e AS payer_age",
        "w.e - fv.first_e AS payee_age",
        "amount_vs_payer_prev",
        "amount_vs_payee_prev",
        "a / nullif(payer_mean_1w, 0) AS amount_vs_payer_1w",
        "a / nullif(payer_mean_before, 0) AS amount_vs_payer_mean",
        *[
            f"a / nullif(coalesce(ui_now.amt, 0) - coalesce(ui_{w}.amt, 0), 0) "
            f"AS amount_vs_payer_in_{w}"
            for w in ("1d", "1w")
        ],
        *[f"payer_new_{w}" for w in WINDOWS],
        *[f"payee_new_{w}" for w in WINDOWS],
        *[f"payer_new_{w} / payer_n_{w} AS payer_new_share_{w}" for w in ("1d", "1w")],
        *[f"payee_new_{w} / payee_n_{w} AS payee_new_share_{w}" for w in ("1d", "1w")],
        "payee_max_1d / nullif(payee_min_1d, 0) AS payee_spread_1d",
        "payer_max_1d / nullif(payer_min_1d, 0) AS payer_spread_1d",
        *[
            f"coalesce(ui_now.new, 0) - coalesce(ui_{w}.new, 0) AS payer_in_new_{w}"
            for w in ("1d", "1w")
        ],
        *[f"coalesce(ui_now.n, 0) - coalesce(ui_{w}.n, 0) AS payer_in_{w}" for w in ("1d", "1w")],
        *[
            f"coalesce(vo_now.new, 0) - coalesce(vo_{w}.new, 0) AS payee_out_new_{w}"
            for w in ("1d", "1w")
        ],
        *[f"coalesce(vo_now.n, 0) - coalesce(vo_{w}.n, 0) AS payee_out_{w}" for w in ("1d", "1w")],
        *[
            f"(coalesce({x}o_now.amt, 0) - coalesce({x}o_1w.amt, 0)) "
            f"/ nullif(coalesce({x}i_now.amt, 0) - coalesce({x}i_1w.amt, 0), 0) "
            f"AS {who}_out_vs_in_1w"
            for x, who in (("u", "payer"), ("v", "payee"))
        ],
    ]
    select = ",\n".join(f"({f.rsplit(' AS ', 1)[0]})::FLOAT AS {_name(f)}" for f in feats)
    return f"""
    CREATE OR REPLACE TEMP TABLE {TABLE} AS
    WITH t AS (
        SELECT txn_id, epoch(ts)::BIGINT AS e, from_account AS u, to_account AS v,
               amount::DOUBLE AS a, source_id, source_row
        FROM transactions
        WHERE from_account IS NOT NULL AND to_account IS NOT NULL AND from_account <> to_account
    ),
    p AS (
        SELECT *,
            row_number() OVER (PARTITION BY u, v {order}) - 1 AS pair_prior,
            e - lag(e) OVER (PARTITION BY u, v {order}) AS pair_gap,
            a / nullif(lag(a) OVER (PARTITION BY u {order}), 0) AS amount_vs_payer_prev,
            a / nullif(lag(a) OVER (PARTITION BY v {order}), 0) AS amount_vs_payee_prev,
            avg(a) OVER (PARTITION BY u {order} ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING)
                AS payer_mean_before
        FROM t
    ),
    q AS (
        SELECT *, (pair_prior = 0)::INTEGER AS first FROM p
    ),
    w AS (
        SELECT *,
            {per_window},
            avg(a) OVER (PARTITION BY u {ranged["1w"]}) AS payer_mean_1w,
            max(a) OVER (PARTITION BY v {ranged["1d"]}) AS payee_max_1d,
            min(a) OVER (PARTITION BY v {ranged["1d"]}) AS payee_min_1d,
            max(a) OVER (PARTITION BY u {ranged["1d"]}) AS payer_max_1d,
            min(a) OVER (PARTITION BY u {ranged["1d"]}) AS payer_min_1d
        FROM q
    ),
    acc_in AS (
        SELECT DISTINCT v AS acct, e,
            count(*) OVER (PARTITION BY v ORDER BY e) AS n,
            sum(first) OVER (PARTITION BY v ORDER BY e) AS new,
            sum(a) OVER (PARTITION BY v ORDER BY e) AS amt
        FROM q
    ),
    acc_out AS (
        SELECT DISTINCT u AS acct, e,
            count(*) OVER (PARTITION BY u ORDER BY e) AS n,
            sum(first) OVER (PARTITION BY u ORDER BY e) AS new,
            sum(a) OVER (PARTITION BY u ORDER BY e) AS amt
        FROM q
    ),
    seen AS (
        SELECT acct, min(e) AS first_e FROM (
            SELECT from_account AS acct, epoch(ts)::BIGINT AS e FROM transactions
            UNION ALL SELECT to_account, epoch(ts)::BIGINT FROM transactions
        ) WHERE acct IS NOT NULL GROUP BY acct
    ),
    pairs AS (
        SELECT DISTINCT u, v, e, count(*) OVER (PARTITION BY u, v ORDER BY e) AS n FROM t
    )
    SELECT w.txn_id, {select}
    FROM w
    JOIN seen fu ON fu.acct = w.u
    JOIN seen fv ON fv.acct = w.v
    ASOF LEFT JOIN pairs rev ON rev.u = w.v AND rev.v = w.u AND rev.e <= w.e
    {asof}
    """


def _name(feature: str) -> str:
    return feature.rsplit(" AS ", 1)[1] if " AS " in feature else feature


def build_causal(con: duckdb.DuckDBPyConnection) -> str:
    """Compute the features of every transaction into a temp table; returns its name."""
    con.execute(_sql())
    return TABLE
