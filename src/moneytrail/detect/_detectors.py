"""Rule detectors: set-based SQL over the ledger, the graph features and employer flags.

Each detector takes the connection and one typology's parameter values and
returns `Hit`s: a subject (an account, or an employer), the transactions that
show it, the accounts it ties the subject to, and a sentence with the figures.
The catalogue (typologies/catalogue.yaml) names a detector per typology; several
typologies share one detector with different parameters. No per-row Python:
every detector is one query, so it scales with DuckDB.

The flow detectors (bursts, chains, hubs) are in `_flows`, with thresholds relative
to each account's own dealings; `Hit` and the shared helpers in `_hits`.
"""

from __future__ import annotations

import json
import re

import duckdb

from moneytrail.detect._catalogue import Value
from moneytrail.detect._flows import (
    chain,
    fan_burst,
    gather_passed,
    gather_relayed,
    stranger_hub,
)
from moneytrail.detect._hits import (
    MAX_EVIDENCE,
    PAIRS,
    Detector,
    Hit,
    first_ids,
    float_param,
    int_param,
    money_text,
    query_rows,
    span_text,
    strength,
)
from moneytrail.detect._hops import hop_pairs
from moneytrail.detect._scored import model_score
from moneytrail.errors import CatalogueError
from moneytrail.model._graph import TXN_FEATURES

_FEATURES = set(TXN_FEATURES.column_names()) - {"txn_key", "window_s", "run_id"}
_PHRASE = {
    "pass_through": "passed on money it had just received",
    "temporal_cycle": "took part in payments that closed a cycle",
    "simple_cycle": "sat on a cycle of payments",
    "scatter_gather": "was a leg of a scatter-gather pattern",
    "gather_scatter": "was a leg of a gather-scatter pattern",
    "structuring": "received cash deposits just under the reporting threshold",
    "fan_in": "received from many distinct accounts",
    "fan_out": "paid many distinct accounts",
    "deg_in": "received many payments",
    "deg_out": "made many payments",
}


def txn_feature(con: duckdb.DuckDBPyConnection, p: dict[str, Value]) -> list[Hit]:
    """Accounts on transactions whose mined graph feature reaches a minimum."""
    feature, role = str(p["feature"]), str(p["role"])
    if feature not in _FEATURES:
        raise CatalogueError(
            "parameters", [f"feature {feature!r} is not one of {sorted(_FEATURES)}"]
        )
    if role not in ("payer", "payee", "both"):
        raise CatalogueError("parameters", [f"role {role!r} must be payer, payee or both"])
    sides = {
        "payer": ["from_account"],
        "payee": ["to_account"],
        "both": ["from_account", "to_account"],
    }
    union = " UNION ALL ".join(f"SELECT {side} AS acct, txn_id, v FROM hit" for side in sides[role])
    also = str(p["and_feature"])
    if also and also not in _FEATURES:
        raise CatalogueError(
            "parameters", [f"and_feature {also!r} is not one of {sorted(_FEATURES)}"]
        )
    window, minimum = int_param(p, "window"), int_param(p, "minimum")
    # and_feature: a second feature the same transaction must show (e.g. a cycle
    # whose closing payment also passes money on); max_payees: leave out hubs
    # (payroll, merchants' processors) that pay more accounts than that.
    also_sql = f"AND f.{also} >= {int_param(p, 'and_minimum')}" if also else ""
    hubs = int_param(p, "max_payees")
    hub_sql = f"AND coalesce(af.payees, 0) <= {hubs}" if hubs else ""
    # max_repeat: count only payments between accounts that deal with each other at most
    # that often: a merchant's regulars and a payroll's workers recur, layering's
    # counterparties are new to each other (0 = every payment counts).
    repeat = int_param(p, "max_repeat")
    once_sql = (
        f""", pair AS (
            SELECT r.from_account, r.to_account, r.n FROM {PAIRS} r
            JOIN (SELECT DISTINCT from_account, to_account FROM hit0) h
              USING (from_account, to_account)
        ), hit AS (
            SELECT hit0.* FROM hit0 JOIN pair USING (from_account, to_account)
            WHERE pair.n <= {repeat}
        )"""
        if repeat
        else ", hit AS (SELECT * FROM hit0)"
    )
    sql = f"""
        WITH hit0 AS (
            SELECT t.txn_id, t.from_account, t.to_account, f.{feature} AS v
            FROM txn_features f JOIN transactions t USING (txn_key)
            WHERE f.window_s = ? AND f.{feature} >= ? {also_sql}
        ){once_sql}, s AS ({union})
        SELECT s.acct, a.masked, count(DISTINCT s.txn_id), max(s.v),
               {first_ids("list(DISTINCT s.txn_id)")}
        FROM s JOIN accounts_once a ON a.account_key = s.acct
        LEFT JOIN account_features af ON af.account_key = s.acct
        WHERE true {hub_sql}
        GROUP BY ALL HAVING count(DISTINCT s.txn_id) >= ?
    """
    min_txns = int_param(p, "min_txns")
    return [
        Hit(
            acct,
            f"account:{masked}",
            strength(n, min_txns),
            ids,
            f"Account {masked} {_PHRASE.get(feature, feature)} in {n} transaction(s) "
            f"within {span_text(window)} (feature {feature} up to {peak}).",
        )
        for acct, masked, n, peak, ids in query_rows(con, sql, [window, minimum, min_txns])
    ]


def funnel(con: duckdb.DuckDBPyConnection, p: dict[str, Value]) -> list[Hit]:
    """Cash deposited in many places into one account that pays few accounts."""
    sql = f"""
        WITH dep AS (
            SELECT t.to_account AS acct, t.txn_id, t.amount, t.from_account
            FROM transactions t WHERE t.channel = 'cash' AND t.to_account IS NOT NULL
        )
        SELECT f.account_key, a.masked, f.cash_places_in, f.payees, count(*), sum(d.amount),
               {first_ids("list(d.txn_id)")}
        FROM account_features f JOIN dep d ON d.acct = f.account_key
        JOIN accounts_once a ON a.account_key = f.account_key
        WHERE f.cash_places_in >= ? AND (f.payees <= ? OR ? = 0) AND f.payees >= 1
          AND f.near_threshold_deposits >= ?
        GROUP BY ALL HAVING count(*) >= ?
    """
    places, deposits = int_param(p, "min_places"), int_param(p, "min_deposits")
    return [
        Hit(
            acct,
            f"account:{masked}",
            strength(n, deposits),
            ids,
            f"Account {masked} received {n} cash deposits totalling {money_text(total)} in "
            f"{places_n} different places and paid only {payees} account(s).",
        )
        for acct, masked, places_n, payees, n, total, ids in query_rows(
            con,
            sql,
            [
                places,
                int_param(p, "max_payees"),
                int_param(p, "max_payees"),
                int_param(p, "min_near"),
                deposits,
            ],
        )
    ]


def sweep(con: duckdb.DuckDBPyConnection, p: dict[str, Value]) -> list[Hit]:
    """Several accounts that pass a share of each incoming payment to one account within hours."""
    lo, hi, hours = (
        float_param(p, "ratio_min"),
        float_param(p, "ratio_max"),
        float_param(p, "max_hours"),
    )
    sql = f"""
        WITH pair AS (
            SELECT i.to_account AS swept, o.to_account AS collector, i.txn_id AS in_id,
                   o.txn_id AS out_id, o.amount
            FROM sweep_hops h JOIN transactions i ON i.txn_key = h.in_key
            JOIN transactions o ON o.txn_key = h.out_key
            WHERE o.to_account IS NOT NULL AND o.to_account <> i.to_account
              AND o.to_account IS DISTINCT FROM i.from_account
              AND coalesce(o.channel, '') <> 'cash'
        ), per AS (
            SELECT collector, swept, count(DISTINCT out_id) AS n
            FROM pair GROUP BY ALL HAVING count(DISTINCT out_id) >= 2
        ), payers AS (
            SELECT to_account AS collector, count(DISTINCT from_account) AS n FROM transactions
            WHERE to_account IN (SELECT collector FROM per) GROUP BY 1
        ), coll AS (
            -- min_payer_share: a trafficker lives on his victims' earnings; a payroll
            -- processor or a landlord is paid by many clients, a few of whom happen to pass
            -- money on soon after they receive it
            SELECT per.collector, list(swept) AS swept, sum(per.n) AS n
            FROM per JOIN payers USING (collector) GROUP BY per.collector, payers.n
            HAVING count(*) >= ? AND sum(per.n) >= ? AND count(*) >= ? * payers.n
        )
        SELECT c.collector, a.masked, len(c.swept), c.n, c.swept,
               (SELECT sum(amount) FROM (SELECT DISTINCT out_id, amount FROM pair q
                 WHERE q.collector = c.collector AND list_contains(c.swept, q.swept))),
               (SELECT {first_ids("list_distinct(flatten(list([in_id, out_id])))")} FROM pair q
                 WHERE q.collector = c.collector AND list_contains(c.swept, q.swept))
        FROM coll c JOIN accounts_once a ON a.account_key = c.collector
    """
    min_count = int_param(p, "min_count")
    share = float_param(p, "min_payer_share")
    if not 0 <= share <= 1:
        raise CatalogueError("parameters", [f"min_payer_share {share} must be in [0, 1]"])
    # the payments within max_hours after each receipt, of ratio_min to ratio_max of it
    hops = hop_pairs(
        con,
        hours * 3600,
        (lo, hi),
        strict=True,
        payments="to_account IS NOT NULL AND coalesce(channel, '') <> 'cash'",
    )
    con.register("sweep_hops", hops)
    try:
        rows = query_rows(con, sql, [int_param(p, "min_sources"), min_count, share])
    finally:
        con.unregister("sweep_hops")
    return [
        Hit(
            acct,
            f"account:{masked}",
            strength(n, min_count),
            ids,
            f"{sources} accounts passed {lo:.0%}-{hi:.0%} of incoming payments to account "
            f"{masked} within {hours:g} hours, {n} times, {money_text(total)} in all.",
            linked=swept,
        )
        for acct, masked, sources, n, swept, total, ids in rows
    ]


def night_cash(con: duckdb.DuckDBPyConnection, p: dict[str, Value]) -> list[Hit]:
    """Repeated cash withdrawals at night."""
    sql = f"""
        SELECT t.from_account, a.masked, count(*), sum(t.amount), {first_ids("list(t.txn_id)")}
        FROM transactions t JOIN accounts_once a ON a.account_key = t.from_account
        WHERE t.channel = 'cash' AND hour(t.ts) < ? AND t.to_account IS DISTINCT FROM t.from_account
        GROUP BY ALL HAVING count(*) >= ?
    """
    end, n_min = int_param(p, "night_end"), int_param(p, "min_count")
    return [
        Hit(
            acct,
            f"account:{masked}",
            strength(n, n_min),
            ids,
            f"Account {masked} withdrew cash {n} times between 00:00 and {end:02d}:00, "
            f"{money_text(total)} in all.",
        )
        for acct, masked, n, total, ids in query_rows(con, sql, [end, n_min])
    ]


def counterparty_keyword(con: duckdb.DuckDBPyConnection, p: dict[str, Value]) -> list[Hit]:
    """Frequent payments to counterparties whose name or payment text holds a keyword.

    Keywords match whole words (a plural 's' allowed): 'inn' must not find 'Pinnacle',
    nor 'ads' 'roads'. Only payments whose source names the counterparty or carries
    text (camt.053, FtM) can match; run_detect says so when there are none."""
    words = [w.strip().lower() for w in str(p["keywords"]).split(",") if w.strip()]
    if not words:
        raise CatalogueError("parameters", ["keywords: give at least one keyword"])
    pattern = r"\b(?:" + "|".join(re.escape(w) for w in words) + r")s?\b"
    sql = f"""
        WITH t AS (
            SELECT t.txn_id, t.from_account, t.amount,
                   lower(concat_ws(' ', t.to_party, t.description, pt.name)) AS text
            FROM transactions t LEFT JOIN parties pt ON pt.party_id = t.to_party
            WHERE t.from_account IS NOT NULL AND coalesce(t.to_party, t.description) IS NOT NULL
        )
        SELECT t.from_account, a.masked, count(*), sum(t.amount), {first_ids("list(t.txn_id)")}
        FROM t JOIN accounts_once a ON a.account_key = t.from_account
        WHERE regexp_matches(t.text, ?)
        GROUP BY ALL HAVING count(*) >= ?
    """
    n_min = int_param(p, "min_count")
    return [
        Hit(
            acct,
            f"account:{masked}",
            strength(n, n_min),
            ids,
            f"Account {masked} made {n} payments ({money_text(total)}) to counterparties matching "
            f"{', '.join(words[:4])}.",
        )
        for acct, masked, n, total, ids in query_rows(con, sql, [pattern, n_min])
    ]


def employer_check(con: duckdb.DuckDBPyConnection, p: dict[str, Value]) -> list[Hit]:
    """Flags of one code raised by the employer checks (moneytrail.employers), as hits."""
    rows = query_rows(
        con,
        "SELECT employer_key, employer, count, evidence, reason FROM employer_flags WHERE code = ?",
        [str(p["code"])],
    )
    return [
        Hit(
            None,
            f"employer:{masked}",
            strength(count, 2),
            [e.removeprefix("txn:") for e in evidence if e.startswith("txn:")][:MAX_EVIDENCE],
            reason,
            filings=[e for e in evidence if not e.startswith("txn:")][:MAX_EVIDENCE],
        )
        for _key, masked, count, evidence, reason in rows
    ]


def contract_finding(con: duckdb.DuckDBPyConnection, p: dict[str, Value]) -> list[Hit]:
    """Findings of one code from the procurement stage (moneytrail.contracts), as hits.

    The subject is the supplier, buyer or process the finding names (organisations
    and contracting processes are public records); the evidence is the OCDS
    processes, listed as filings `ocds:<ocid>`."""
    rows = query_rows(
        con,
        "SELECT subject_kind, coalesce(subject_name, subject_id), ocids, reason "
        "FROM contract_findings WHERE code = ? ORDER BY finding_id",
        [str(p["code"])],
    )
    return [
        Hit(
            None,
            f"{kind}:{name}",
            1.0,
            [],
            reason,
            filings=[f"ocds:{o}" for o in json.loads(ocids or "[]")][:MAX_EVIDENCE],
        )
        for kind, name, ocids, reason in rows
    ]


def pass_through_account(con: duckdb.DuckDBPyConnection, p: dict[str, Value]) -> list[Hit]:
    """Quiet accounts most of whose payments pass on money just received."""
    sql = f"""
        WITH o AS (
            SELECT t.from_account AS acct, t.txn_id, f.pass_through > 0 AS passed
            FROM transactions t JOIN txn_features f USING (txn_key)
            WHERE f.window_s = ? AND t.from_account IS DISTINCT FROM t.to_account
        )
        SELECT o.acct, a.masked, count(*) FILTER (WHERE passed), count(*), af.txn_in + af.txn_out,
               {first_ids("(list(o.txn_id) FILTER (WHERE passed))")}
        FROM o JOIN account_features af ON af.account_key = o.acct
        JOIN accounts_once a ON a.account_key = o.acct
        WHERE af.txn_in + af.txn_out <= ?
        GROUP BY ALL
        HAVING count(*) FILTER (WHERE passed) >= ? AND count(*) FILTER (WHERE passed) >= ? * count(*)
    """
    window, n_min = int_param(p, "window"), int_param(p, "min_txns")
    return [
        Hit(
            acct,
            f"account:{masked}",
            strength(n, n_min),
            ids,
            f"Account {masked}, with only {activity} transactions, passed on money within "
            f"{span_text(window)} of receiving it in {n} of its {total} payments.",
        )
        for acct, masked, n, total, activity, ids in query_rows(
            con, sql, [window, int_param(p, "max_activity"), n_min, float_param(p, "min_share")]
        )
    ]


def repeated_cash(con: duckdb.DuckDBPyConnection, p: dict[str, Value]) -> list[Hit]:
    """The same large cash amount deposited again and again into one account."""
    sql = f"""
        SELECT t.to_account, a.masked, t.amount, count(*), {first_ids("list(t.txn_id)")}
        FROM transactions t JOIN accounts_once a ON a.account_key = t.to_account
        WHERE t.channel = 'cash' AND t.amount >= ? AND t.from_account IS DISTINCT FROM t.to_account
        GROUP BY ALL HAVING count(*) >= ?
    """
    n_min = int_param(p, "min_count")
    return [
        Hit(
            acct,
            f"account:{masked}",
            strength(n, n_min),
            ids,
            f"Account {masked} received {n} cash deposits of exactly {money_text(amount)}.",
        )
        for acct, masked, amount, n, ids in query_rows(
            con, sql, [float_param(p, "min_amount"), n_min]
        )
    ]


def asset_purchase(con: duckdb.DuckDBPyConnection, p: dict[str, Value]) -> list[Hit]:
    """A large whole-amount purchase paid for by recent large cash and wire receipts."""
    repeat = int_param(p, "max_repeat")
    sql = f"""
        WITH buy0 AS (
            SELECT txn_id, from_account AS acct, to_account, ts, amount, currency FROM transactions
            WHERE amount >= ? AND amount = round(amount) AND from_account IS NOT NULL
              AND from_account IS DISTINCT FROM to_account
        ), buy AS (
            -- max_repeat: a purchase is a one-off payment to a seller; rent, payroll and
            -- suppliers are paid again and again (0 = any payee)
            SELECT b.* FROM buy0 b WHERE {repeat} = 0 OR coalesce((
                SELECT max(r.n) FROM {PAIRS} r
                WHERE r.from_account = b.acct AND r.to_account = b.to_account), 0) <= {repeat}
        ), fund AS (
            SELECT b.txn_id AS buy_id, b.acct, b.amount, count(DISTINCT i.from_account) AS sources,
                   sum(i.amount) AS funded, list(i.txn_id) AS ids
            FROM buy b JOIN transactions i
              ON i.to_account = b.acct AND i.currency = b.currency AND i.ts < b.ts
             AND i.ts >= b.ts - to_seconds(?) AND i.channel IN ('cash', 'wire')
             AND i.amount >= ? AND i.from_account IS DISTINCT FROM b.acct
            GROUP BY ALL HAVING count(DISTINCT i.from_account) >= ? AND sum(i.amount) >= ? * b.amount
        )
        SELECT f.acct, a.masked, count(*), sum(f.amount), max(f.sources),
               {first_ids("list_distinct(flatten(list(list_prepend(buy_id, ids))))")}
        FROM fund f JOIN accounts_once a ON a.account_key = f.acct GROUP BY ALL
    """
    days = int_param(p, "days")
    args = [
        float_param(p, "min_amount"),
        days * 86400,
        float_param(p, "min_inflow"),
        int_param(p, "min_sources"),
        float_param(p, "min_cover"),
    ]
    return [
        Hit(
            acct,
            f"account:{masked}",
            strength(n, 1),
            ids,
            f"Account {masked} made {n} whole-amount payment(s) of {money_text(total)} in all, "
            f"funded within {days} days by large cash and wire receipts from up to {sources} "
            "sources.",
        )
        for acct, masked, n, total, sources, ids in query_rows(con, sql, args)
    ]


DETECTORS: dict[str, Detector] = {
    "stranger_hub": stranger_hub,
    "gather_passed": gather_passed,
    "gather_relayed": gather_relayed,
    "repeated_cash": repeated_cash,
    "asset_purchase": asset_purchase,
    "txn_feature": txn_feature,
    "fan_burst": fan_burst,
    "chain": chain,
    "funnel": funnel,
    "sweep": sweep,
    "night_cash": night_cash,
    "counterparty_keyword": counterparty_keyword,
    "employer_check": employer_check,
    "contract_finding": contract_finding,
    "pass_through_account": pass_through_account,
    "model_score": model_score,
}
"""Detector name (as the catalogue writes it) -> implementation."""

NEEDS = {
    "txn_feature": "txn_features",
    "pass_through_account": "txn_features",
    "gather_passed": "txn_features",
    "funnel": "account_features",
    "employer_check": "employer_flags",
    "contract_finding": "contract_findings",
    "counterparty_keyword": "counterparty_text",
    "model_score": "txn_scores",
}
"""Detectors that read input another stage or source fills (moneytrail.detect._run._INPUTS);
they are skipped, with a warning that says so, when there is none."""

PARAMS: dict[str, frozenset[str]] = {
    "txn_feature": frozenset(
        {
            "feature",
            "window",
            "minimum",
            "role",
            "min_txns",
            "and_feature",
            "and_minimum",
            "max_payees",
            "max_repeat",
            "max_strangers_monthly",
        }
    ),
    "fan_burst": frozenset(
        {
            "direction",
            "min_parties",
            "window",
            "min_cover",
            "max_repeat",
            "max_spread",
            "min_part",
            "max_strangers_monthly",
        }
    ),
    "chain": frozenset({"max_hours", "ratio_min", "ratio_max", "min_hops", "max_repeat"}),
    "funnel": frozenset({"min_places", "max_payees", "min_deposits", "min_near"}),
    "sweep": frozenset(
        {"ratio_min", "ratio_max", "max_hours", "min_count", "min_sources", "min_payer_share"}
    ),
    "night_cash": frozenset({"night_end", "min_count"}),
    "counterparty_keyword": frozenset({"keywords", "min_count"}),
    "employer_check": frozenset({"code"}),
    "contract_finding": frozenset({"code"}),
    "pass_through_account": frozenset({"window", "min_share", "min_txns", "max_activity"}),
    "model_score": frozenset({"min_txns", "role", "max_strangers_monthly"}),
    "repeated_cash": frozenset({"min_amount", "min_count"}),
    "gather_passed": frozenset({"window", "min_payers", "max_spread", "max_repeat"}),
    "gather_relayed": frozenset(
        {"window", "relay_span", "min_payers", "max_spread", "max_repeat", "min_share"}
    ),
    "stranger_hub": frozenset(
        {"window", "min_parties", "min_cover", "max_repeat", "max_spread", "min_part"}
    ),
    "asset_purchase": frozenset(
        {
            "min_amount",
            "days",
            "min_inflow",
            "min_sources",
            "min_cover",
            "max_repeat",
            "max_strangers_monthly",
        }
    ),
}
"""The parameters each detector reads; the catalogue lint checks every entry gives exactly these."""
