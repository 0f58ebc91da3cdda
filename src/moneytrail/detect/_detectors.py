"""Rule detectors: set-based SQL over the ledger, the graph features and employer flags.

Each detector takes the connection and one typology's parameter values and
returns `Hit`s: a subject (an account, or an employer), the transactions that
show it, the accounts it ties the subject to, and a sentence with the figures.
The catalogue (typologies/catalogue.yaml) names a detector per typology; several
typologies share one detector with different parameters. No per-row Python:
every detector is one query, so it scales with DuckDB.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

import duckdb

from moneytrail.detect._catalogue import Value
from moneytrail.errors import CatalogueError
from moneytrail.model._graph import TXN_FEATURES

MAX_EVIDENCE = 500
"""Evidence ids kept per hit: enough to review, bounded for a hub that matches thousands."""


@dataclass
class Hit:
    """One typology matched on one subject."""

    account_key: int | None
    subject: str  # account:<masked> or employer:<masked EIN>
    strength: float  # 0-1: how far past the thresholds
    evidence: list[str]
    reason: str
    linked: list[int] = field(default_factory=list)  # accounts the hit ties to the subject
    filings: list[str] = field(default_factory=list)
    typology: str = ""


Detector = Callable[[duckdb.DuckDBPyConnection, dict[str, Value]], list[Hit]]

_FEATURES = {c.name for c in TXN_FEATURES.columns} - {"txn_id", "window_s", "run_id"}
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


def _int(params: dict[str, Value], name: str) -> int:
    return int(params[name])


def _float(params: dict[str, Value], name: str) -> float:
    return float(params[name])


def _span(seconds: int) -> str:
    if seconds % 86400 == 0:
        days = seconds // 86400
        return "1 day" if days == 1 else ("1 week" if days == 7 else f"{days} days")
    if seconds % 3600 == 0:
        return f"{seconds // 3600} hours"
    return f"{seconds} seconds"


def _money(value: Any) -> str:
    return f"{Decimal(value).quantize(Decimal('0.01')):,}"


def _strength(count: float, threshold: float) -> float:
    return min(1.0, count / max(2.0 * threshold, 1.0))


def _rows(
    con: duckdb.DuckDBPyConnection, sql: str, params: Sequence[object]
) -> list[tuple[Any, ...]]:
    return con.execute(sql, params).fetchall()


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
    window, minimum = _int(p, "window"), _int(p, "minimum")
    # and_feature: a second feature the same transaction must show (e.g. a cycle
    # whose closing payment also passes money on); max_payees: leave out hubs
    # (payroll, merchants' processors) that pay more accounts than that.
    also_sql = f"AND f.{also} >= {_int(p, 'and_minimum')}" if also else ""
    hubs = _int(p, "max_payees")
    hub_sql = f"AND coalesce(af.payees, 0) <= {hubs}" if hubs else ""
    sql = f"""
        WITH hit AS (
            SELECT f.txn_id, t.from_account, t.to_account, f.{feature} AS v
            FROM txn_features f JOIN transactions t USING (txn_id)
            WHERE f.window_s = ? AND f.{feature} >= ? {also_sql}
        ), s AS ({union})
        SELECT s.acct, a.masked, count(DISTINCT s.txn_id), max(s.v),
               list(DISTINCT s.txn_id)[1:{MAX_EVIDENCE}]
        FROM s JOIN accounts_once a ON a.account_key = s.acct
        LEFT JOIN account_features af ON af.account_key = s.acct
        WHERE true {hub_sql}
        GROUP BY ALL HAVING count(DISTINCT s.txn_id) >= ?
    """
    min_txns = _int(p, "min_txns")
    return [
        Hit(
            acct,
            f"account:{masked}",
            _strength(n, min_txns),
            ids,
            f"Account {masked} {_PHRASE.get(feature, feature)} in {n} transaction(s) "
            f"within {_span(window)} (feature {feature} up to {peak}).",
        )
        for acct, masked, n, peak, ids in _rows(con, sql, [window, minimum, min_txns])
    ]


def fan_burst(con: duckdb.DuckDBPyConnection, p: dict[str, Value]) -> list[Hit]:
    """Money received and at once paid to many (out), or gathered from many and paid on (in)."""
    direction = str(p["direction"])
    if direction not in ("in", "out"):
        raise CatalogueError("parameters", [f"direction {direction!r} must be in or out"])
    window, k, cover = _int(p, "window"), _int(p, "min_parties"), _float(p, "min_cover")
    # Counterparties the account deals with over and over (a payroll's workers, a
    # shop's regulars) do not make a burst: only pairs with few movements count.
    repeat = _int(p, "max_repeat")
    # For 'out' the anchor is one inflow and the burst the payments after it; for
    # 'in' the anchor is one outflow and the burst the receipts before it.
    anchor_side, burst_side, party = (
        ("to_account", "from_account", "to_account")
        if direction == "out"
        else ("from_account", "to_account", "from_account")
    )
    after = "b.ts >= x.ts AND b.ts <= x.ts + to_seconds(?)"
    before = "b.ts <= x.ts AND b.ts > x.ts - to_seconds(?)"
    feature = "fan_out" if direction == "out" else "fan_in"
    sql = f"""
        WITH cand AS (
            SELECT DISTINCT t.{burst_side} AS acct
            FROM txn_features f JOIN transactions t USING (txn_id)
            WHERE f.window_s = ? AND f.{feature} >= ?
        ), x AS (
            SELECT t.txn_id, t.{anchor_side} AS acct, t.ts, t.amount, t.currency
            FROM transactions t JOIN cand c ON c.acct = t.{anchor_side}
            WHERE t.from_account IS DISTINCT FROM t.to_account
        ), pairs AS (
            SELECT from_account, to_account, count(*) AS n FROM transactions
            WHERE {burst_side} IN (SELECT acct FROM cand) GROUP BY ALL
        ), burst AS (
            SELECT x.txn_id AS anchor, x.acct, x.amount AS anchor_amount,
                   count(DISTINCT b.{party}) AS parties, sum(b.amount) AS total,
                   list(b.txn_id) AS ids
            FROM x JOIN transactions b
              ON b.{burst_side} = x.acct AND b.currency = x.currency
            JOIN pairs pr ON pr.from_account = b.from_account AND pr.to_account = b.to_account
             AND pr.n <= {repeat}
             AND {after if direction == "out" else before}
             AND b.txn_id <> x.txn_id AND b.{party} IS DISTINCT FROM x.acct
            GROUP BY ALL
            HAVING count(DISTINCT b.{party}) >= ?
               AND sum(b.amount) BETWEEN ? * x.amount AND x.amount / ?
        )
        SELECT b.acct, a.masked, count(*), max(parties), sum(total),
               list_distinct(flatten(list(list_prepend(anchor, ids))))[1:{MAX_EVIDENCE}]
        FROM burst b JOIN accounts_once a ON a.account_key = b.acct
        GROUP BY ALL
    """
    hits = []
    for acct, masked, bursts, parties, total, ids in _rows(
        con, sql, [window, k, window, k, cover, cover]
    ):
        verb = (
            f"paid {parties} distinct accounts {_money(total)} within {_span(window)} of receiving it"
            if direction == "out"
            else f"gathered {_money(total)} from {parties} distinct accounts within {_span(window)} "
            "and paid it on"
        )
        hits.append(
            Hit(
                acct,
                f"account:{masked}",
                _strength(parties, k),
                ids,
                f"Account {masked} {verb} ({bursts} time(s)).",
            )
        )
    return hits


def chain(con: duckdb.DuckDBPyConnection, p: dict[str, Value]) -> list[Hit]:
    """Accounts that pass on money to an account that passes it on again, within hours."""
    hours, lo, hi = _float(p, "max_hours"), _float(p, "ratio_min"), _float(p, "ratio_max")
    sql = f"""
        WITH hop AS (
            SELECT i.txn_id AS in_id, o.txn_id AS out_id, i.from_account AS a,
                   o.from_account AS b, o.to_account AS c, o.ts
            FROM transactions i JOIN transactions o
              ON o.from_account = i.to_account AND o.currency = i.currency
             AND o.ts >= i.ts AND o.ts <= i.ts + to_seconds(?)
             AND o.amount BETWEEN ? * i.amount AND ? * i.amount
            WHERE i.from_account IS NOT NULL AND o.to_account IS NOT NULL
              AND o.to_account <> i.from_account AND i.from_account <> i.to_account
              AND o.from_account <> o.to_account
        ), link AS (
            -- hop h1 (a -> b -> c) followed by hop h2 (b -> c -> d): b and c both pass money on
            SELECT h1.b, h1.c, h1.in_id, h1.out_id, h2.out_id AS next_id
            FROM hop h1 JOIN hop h2 ON h2.in_id = h1.out_id
        ), s AS (
            SELECT b AS acct, c AS other, in_id, out_id, next_id FROM link
            UNION ALL SELECT c, b, in_id, out_id, next_id FROM link
        )
        SELECT s.acct, a.masked, count(DISTINCT s.out_id), list(DISTINCT s.other),
               list_distinct(flatten(list([s.in_id, s.out_id, s.next_id])))[1:{MAX_EVIDENCE}]
        FROM s JOIN accounts_once a ON a.account_key = s.acct
        GROUP BY ALL HAVING count(DISTINCT s.out_id) >= ?
    """
    min_hops = _int(p, "min_hops")
    return [
        Hit(
            acct,
            f"account:{masked}",
            _strength(n, min_hops),
            ids,
            f"Account {masked} passed on money within {hours:g} hours to accounts that passed it on "
            f"again ({n} hop(s), {len(others)} linked account(s)).",
            linked=others,
        )
        for acct, masked, n, others, ids in _rows(con, sql, [hours * 3600, lo, hi, min_hops])
    ]


def funnel(con: duckdb.DuckDBPyConnection, p: dict[str, Value]) -> list[Hit]:
    """Cash deposited in many places into one account that pays few accounts."""
    sql = f"""
        WITH dep AS (
            SELECT t.to_account AS acct, t.txn_id, t.amount, t.from_account
            FROM transactions t WHERE t.channel = 'cash' AND t.to_account IS NOT NULL
        )
        SELECT f.account_key, a.masked, f.cash_places_in, f.payees, count(*), sum(d.amount),
               list(d.txn_id)[1:{MAX_EVIDENCE}]
        FROM account_features f JOIN dep d ON d.acct = f.account_key
        JOIN accounts_once a ON a.account_key = f.account_key
        WHERE f.cash_places_in >= ? AND (f.payees <= ? OR ? = 0) AND f.payees >= 1
          AND f.near_threshold_deposits >= ?
        GROUP BY ALL HAVING count(*) >= ?
    """
    places, deposits = _int(p, "min_places"), _int(p, "min_deposits")
    return [
        Hit(
            acct,
            f"account:{masked}",
            _strength(n, deposits),
            ids,
            f"Account {masked} received {n} cash deposits totalling {_money(total)} in "
            f"{places_n} different places and paid only {payees} account(s).",
        )
        for acct, masked, places_n, payees, n, total, ids in _rows(
            con,
            sql,
            [places, _int(p, "max_payees"), _int(p, "max_payees"), _int(p, "min_near"), deposits],
        )
    ]


def sweep(con: duckdb.DuckDBPyConnection, p: dict[str, Value]) -> list[Hit]:
    """Several accounts that pass a share of each incoming payment to one account within hours."""
    sql = f"""
        WITH pair AS (
            SELECT i.to_account AS swept, o.to_account AS collector, i.txn_id AS in_id,
                   o.txn_id AS out_id, o.amount
            FROM transactions i JOIN transactions o
              ON o.from_account = i.to_account AND o.currency = i.currency
             AND o.ts > i.ts AND o.ts <= i.ts + to_seconds(?)
             AND o.amount BETWEEN ? * i.amount AND ? * i.amount
            WHERE o.to_account IS NOT NULL AND o.to_account <> i.to_account
              AND o.to_account IS DISTINCT FROM i.from_account
              AND coalesce(o.channel, '') <> 'cash'
        ), per AS (
            SELECT collector, swept, count(DISTINCT out_id) AS n
            FROM pair GROUP BY ALL HAVING count(DISTINCT out_id) >= 2
        ), coll AS (
            SELECT collector, list(swept) AS swept, sum(n) AS n FROM per GROUP BY ALL
            HAVING count(*) >= ? AND sum(n) >= ?
        )
        SELECT c.collector, a.masked, len(c.swept), c.n, c.swept,
               (SELECT sum(amount) FROM (SELECT DISTINCT out_id, amount FROM pair q
                 WHERE q.collector = c.collector AND list_contains(c.swept, q.swept))),
               (SELECT list_distinct(flatten(list([in_id, out_id])))[1:{MAX_EVIDENCE}] FROM pair q
                 WHERE q.collector = c.collector AND list_contains(c.swept, q.swept))
        FROM coll c JOIN accounts_once a ON a.account_key = c.collector
    """
    lo, hi, hours = _float(p, "ratio_min"), _float(p, "ratio_max"), _float(p, "max_hours")
    min_count = _int(p, "min_count")
    return [
        Hit(
            acct,
            f"account:{masked}",
            _strength(n, min_count),
            ids,
            f"{sources} accounts passed {lo:.0%}-{hi:.0%} of incoming payments to account "
            f"{masked} within {hours:g} hours, {n} times, {_money(total)} in all.",
            linked=swept,
        )
        for acct, masked, sources, n, swept, total, ids in _rows(
            con, sql, [hours * 3600, lo, hi, _int(p, "min_sources"), min_count]
        )
    ]


def night_cash(con: duckdb.DuckDBPyConnection, p: dict[str, Value]) -> list[Hit]:
    """Repeated cash withdrawals at night."""
    sql = f"""
        SELECT t.from_account, a.masked, count(*), sum(t.amount), list(t.txn_id)[1:{MAX_EVIDENCE}]
        FROM transactions t JOIN accounts_once a ON a.account_key = t.from_account
        WHERE t.channel = 'cash' AND hour(t.ts) < ? AND t.to_account IS DISTINCT FROM t.from_account
        GROUP BY ALL HAVING count(*) >= ?
    """
    end, n_min = _int(p, "night_end"), _int(p, "min_count")
    return [
        Hit(
            acct,
            f"account:{masked}",
            _strength(n, n_min),
            ids,
            f"Account {masked} withdrew cash {n} times between 00:00 and {end:02d}:00, "
            f"{_money(total)} in all.",
        )
        for acct, masked, n, total, ids in _rows(con, sql, [end, n_min])
    ]


def counterparty_keyword(con: duckdb.DuckDBPyConnection, p: dict[str, Value]) -> list[Hit]:
    """Frequent payments to counterparties whose name or description matches keywords."""
    words = [w.strip().lower() for w in str(p["keywords"]).split(",") if w.strip()]
    if not words:
        raise CatalogueError("parameters", ["keywords: give at least one keyword"])
    sql = f"""
        WITH t AS (
            SELECT t.txn_id, t.from_account, t.amount,
                   lower(concat_ws(' ', t.to_party, t.description, pt.name)) AS text
            FROM transactions t LEFT JOIN parties pt ON pt.party_id = t.to_party
            WHERE t.from_account IS NOT NULL
        )
        SELECT t.from_account, a.masked, count(*), sum(t.amount), list(t.txn_id)[1:{MAX_EVIDENCE}]
        FROM t JOIN accounts_once a ON a.account_key = t.from_account
        WHERE list_bool_or(list_transform(?::VARCHAR[], lambda w: contains(t.text, w)))
        GROUP BY ALL HAVING count(*) >= ?
    """
    n_min = _int(p, "min_count")
    return [
        Hit(
            acct,
            f"account:{masked}",
            _strength(n, n_min),
            ids,
            f"Account {masked} made {n} payments ({_money(total)}) to counterparties matching "
            f"{', '.join(words[:4])}.",
        )
        for acct, masked, n, total, ids in _rows(con, sql, [words, n_min])
    ]


def employer_check(con: duckdb.DuckDBPyConnection, p: dict[str, Value]) -> list[Hit]:
    """Flags of one code raised by the employer checks (moneytrail.employers), as hits."""
    rows = _rows(
        con,
        "SELECT employer_key, employer, count, evidence, reason FROM employer_flags WHERE code = ?",
        [str(p["code"])],
    )
    return [
        Hit(
            None,
            f"employer:{masked}",
            _strength(count, 2),
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
    rows = _rows(
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
            FROM transactions t JOIN txn_features f USING (txn_id)
            WHERE f.window_s = ? AND t.from_account IS DISTINCT FROM t.to_account
        )
        SELECT o.acct, a.masked, count(*) FILTER (WHERE passed), count(*), af.txn_in + af.txn_out,
               (list(o.txn_id) FILTER (WHERE passed))[1:{MAX_EVIDENCE}]
        FROM o JOIN account_features af ON af.account_key = o.acct
        JOIN accounts_once a ON a.account_key = o.acct
        WHERE af.txn_in + af.txn_out <= ?
        GROUP BY ALL
        HAVING count(*) FILTER (WHERE passed) >= ? AND count(*) FILTER (WHERE passed) >= ? * count(*)
    """
    window, n_min = _int(p, "window"), _int(p, "min_txns")
    return [
        Hit(
            acct,
            f"account:{masked}",
            _strength(n, n_min),
            ids,
            f"Account {masked}, with only {activity} transactions, passed on money within "
            f"{_span(window)} of receiving it in {n} of its {total} payments.",
        )
        for acct, masked, n, total, activity, ids in _rows(
            con, sql, [window, _int(p, "max_activity"), n_min, _float(p, "min_share")]
        )
    ]


def gather_passed(con: duckdb.DuckDBPyConnection, p: dict[str, Value]) -> list[Hit]:
    """An account that receives, within a window, money several accounts have just passed on."""
    sql = f"""
        WITH pt AS (
            SELECT t.txn_id, t.from_account AS payer, t.to_account AS acct, t.ts, t.amount
            FROM txn_features f JOIN transactions t USING (txn_id)
            WHERE f.window_s = ? AND f.pass_through >= 1 AND t.to_account IS NOT NULL
              AND t.from_account IS NOT NULL AND t.from_account <> t.to_account
        ), g AS (
            SELECT x.acct, x.txn_id AS anchor, count(DISTINCT y.payer) AS payers,
                   list(y.txn_id) AS ids, list(DISTINCT y.payer) AS linked, sum(y.amount) AS total
            FROM pt x JOIN pt y ON y.acct = x.acct AND y.ts <= x.ts AND y.ts > x.ts - to_seconds(?)
            GROUP BY ALL HAVING count(DISTINCT y.payer) >= ?
        )
        SELECT g.acct, a.masked, max(payers), max(total),
               list_distinct(flatten(list(linked))),
               list_distinct(flatten(list(ids)))[1:{MAX_EVIDENCE}]
        FROM g JOIN accounts_once a ON a.account_key = g.acct GROUP BY ALL
    """
    window, k = _int(p, "window"), _int(p, "min_payers")
    return [
        Hit(
            acct,
            f"account:{masked}",
            _strength(payers, k),
            ids,
            f"Account {masked} received {_money(total)} from {payers} accounts that had each just "
            f"received and passed on the money, within {_span(window)}.",
            linked=linked,
        )
        for acct, masked, payers, total, linked, ids in _rows(con, sql, [window, window, k])
    ]


def repeated_cash(con: duckdb.DuckDBPyConnection, p: dict[str, Value]) -> list[Hit]:
    """The same large cash amount deposited again and again into one account."""
    sql = f"""
        SELECT t.to_account, a.masked, t.amount, count(*), list(t.txn_id)[1:{MAX_EVIDENCE}]
        FROM transactions t JOIN accounts_once a ON a.account_key = t.to_account
        WHERE t.channel = 'cash' AND t.amount >= ? AND t.from_account IS DISTINCT FROM t.to_account
        GROUP BY ALL HAVING count(*) >= ?
    """
    n_min = _int(p, "min_count")
    return [
        Hit(
            acct,
            f"account:{masked}",
            _strength(n, n_min),
            ids,
            f"Account {masked} received {n} cash deposits of exactly {_money(amount)}.",
        )
        for acct, masked, amount, n, ids in _rows(con, sql, [_float(p, "min_amount"), n_min])
    ]


def asset_purchase(con: duckdb.DuckDBPyConnection, p: dict[str, Value]) -> list[Hit]:
    """A large whole-amount purchase paid for by recent large cash and wire receipts."""
    sql = f"""
        WITH buy AS (
            SELECT txn_id, from_account AS acct, ts, amount, currency FROM transactions
            WHERE amount >= ? AND amount = round(amount) AND from_account IS NOT NULL
              AND from_account IS DISTINCT FROM to_account
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
               list_distinct(flatten(list(list_prepend(buy_id, ids))))[1:{MAX_EVIDENCE}]
        FROM fund f JOIN accounts_once a ON a.account_key = f.acct GROUP BY ALL
    """
    days = _int(p, "days")
    args = [
        _float(p, "min_amount"),
        days * 86400,
        _float(p, "min_inflow"),
        _int(p, "min_sources"),
        _float(p, "min_cover"),
    ]
    return [
        Hit(
            acct,
            f"account:{masked}",
            _strength(n, 1),
            ids,
            f"Account {masked} made {n} whole-amount payment(s) of {_money(total)} in all, "
            f"funded within {days} days by large cash and wire receipts from up to {sources} "
            "sources.",
        )
        for acct, masked, n, total, sources, ids in _rows(con, sql, args)
    ]


DETECTORS: dict[str, Detector] = {
    "gather_passed": gather_passed,
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
}
"""Detector name (as the catalogue writes it) -> implementation."""

NEEDS = {
    "txn_feature": "txn_features",
    "fan_burst": "txn_features",
    "pass_through_account": "txn_features",
    "gather_passed": "txn_features",
    "funnel": "account_features",
    "employer_check": "employer_flags",
    "contract_finding": "contract_findings",
}
"""Detectors that read a table another stage fills; they are skipped, with a warning, when it is empty."""

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
        }
    ),
    "fan_burst": frozenset({"direction", "min_parties", "window", "min_cover", "max_repeat"}),
    "chain": frozenset({"max_hours", "ratio_min", "ratio_max", "min_hops"}),
    "funnel": frozenset({"min_places", "max_payees", "min_deposits", "min_near"}),
    "sweep": frozenset({"ratio_min", "ratio_max", "max_hours", "min_count", "min_sources"}),
    "night_cash": frozenset({"night_end", "min_count"}),
    "counterparty_keyword": frozenset({"keywords", "min_count"}),
    "employer_check": frozenset({"code"}),
    "contract_finding": frozenset({"code"}),
    "pass_through_account": frozenset({"window", "min_share", "min_txns", "max_activity"}),
    "repeated_cash": frozenset({"min_amount", "min_count"}),
    "gather_passed": frozenset({"window", "min_payers"}),
    "asset_purchase": frozenset({"min_amount", "days", "min_inflow", "min_sources", "min_cover"}),
}
"""The parameters each detector reads; the catalogue lint checks every entry gives exactly these."""
