"""The trained scorer's findings as a typology: accounts party to transactions it labels.

`moneytrail model score` stores, per transaction, the calibrated score, the label
(score at or above the threshold chosen on the validation slice) and, for the
labelled ones, the features that pushed the score most (LightGBM contributions;
moneytrail.detect._scorer). This detector turns those labels into hits on the
accounts that sent or received them, so they group into alerts with the rule
typologies, and its reason names the features that drove the scores, summed over
the account's labelled transactions.
"""

from __future__ import annotations

import json
import re
from collections import defaultdict

import duckdb

from moneytrail.detect._catalogue import Value
from moneytrail.detect._hits import MAX_EVIDENCE, Hit, int_param, query_rows, span_text, strength
from moneytrail.errors import CatalogueError

TOP_FEATURES = 3
_WINDOWED = re.compile(r"^(?P<name>.+)_(?P<window>[0-9]+)$")


def model_score(con: duckdb.DuckDBPyConnection, p: dict[str, Value]) -> list[Hit]:
    """Accounts party to at least min_txns transactions the scorer labels suspicious (as payer,
    payee, either, or `through`: both)."""
    role = str(p["role"])
    sides = {
        "payer": ["from_account"],
        "payee": ["to_account"],
        "both": ["from_account", "to_account"],
        "through": ["from_account", "to_account"],
    }
    if role not in sides:
        raise CatalogueError("parameters", [f"role {role!r} must be payer, payee, both or through"])
    union = " UNION ALL ".join(
        f"SELECT {side} AS acct, '{side}' AS side, txn_id, score, contributions FROM flagged"
        for side in sides[role]
    )
    # through: money the scorer labels went in and out of the account (a layer); the
    # originator of a dirty wire only pays, its final beneficiary only receives
    through = (
        "AND count(*) FILTER (WHERE x.side = 'from_account') > 0 "
        "AND count(*) FILTER (WHERE x.side = 'to_account') > 0"
        if role == "through"
        else ""
    )
    sql = f"""
        WITH flagged AS (
            SELECT s.txn_id, s.score, s.contributions, t.from_account, t.to_account
            FROM txn_scores s JOIN transactions t USING (txn_id)
            WHERE s.label = 1 AND t.from_account IS DISTINCT FROM t.to_account
        ), sides AS ({union})
        SELECT x.acct, a.masked, count(*), max(x.score),
               list(x.txn_id ORDER BY x.score DESC, x.txn_id)[1:{MAX_EVIDENCE}],
               list(x.contributions)
        FROM sides x JOIN accounts_once a ON a.account_key = x.acct
        WHERE x.acct IS NOT NULL GROUP BY ALL HAVING count(*) >= ? {through}
    """
    n_min = int_param(p, "min_txns")
    run = con.execute(
        "SELECT m.run_id, m.threshold FROM model_runs m "
        "WHERE m.run_id = (SELECT max(run_id) FROM txn_scores)"
    ).fetchone()
    model = (
        f"model run {run[0]}, threshold {run[1]:.3f} chosen on its validation slice"
        if run
        else "the latest model"
    )
    hits: list[Hit] = []
    for acct, masked, n, top, ids, contributions in query_rows(con, sql, [n_min]):
        drivers = _drivers(contributions)
        hits.append(
            Hit(
                int(acct),
                f"account:{masked}",
                strength(n, n_min),
                list(ids),
                f"Account {masked} is party to {n} transaction(s) the trained scorer ({model}) "
                f"labels suspicious, the highest scored {float(top):.2f}; "
                f"what drove the scores most: {drivers}.",
            )
        )
    return hits


def _drivers(contributions: list[str]) -> str:
    """The features that raised the scores most, summed over the transactions, in words."""
    total: dict[str, float] = defaultdict(float)
    for text in contributions:
        for name, value in (json.loads(text) if text else {}).items():
            total[name] += float(value)
    top = sorted((kv for kv in total.items() if kv[1] > 0), key=lambda kv: -kv[1])[:TOP_FEATURES]
    if not top:
        return "no single feature (see the per-transaction contributions in txn_scores)"
    return ", ".join(f"{_feature(name)} (+{value:.2f})" for name, value in top)


def _feature(name: str) -> str:
    """A mined feature's column name with its window in words: fan_in_604800 -> fan_in over 1 week."""
    m = _WINDOWED.match(name)
    if m is None:
        return name
    return f"{m['name']} over {span_text(int(m['window']))}"
