"""Honest evaluation of the stored alerts against a synthetic world's truth files.

Subject level: an alert is true when one of its accounts belongs to a planted
case, or its evidence holds a planted transaction; a case is found when a true
alert touches it. Precision = true alerts / alerts (so 1 - precision is the share
of flagged subjects that are innocent), recall = found cases / cases. Account
level: the accounts in alerts (what an investigator freezes: the hits' subjects,
the accounts hits tie to them and those the alert grew to, moneytrail.detect._grow)
against the planted cases' accounts; `hit_account` the same for the subjects of
single hits alone. Transaction
level: the alerts' evidence against the planted transactions. Per typology: per
catalogue entry (precision of its hits) and per planted typology (recall of its
cases). Cases without planted transactions (procurement, found by
moneytrail.contracts) are left out and counted in `not_evaluated`; so are the
alerts made only of procurement findings. Where the world lists its honest
look-alikes (truth/look_alikes.csv: payroll processors, restaurants, hotels,
landlords, ad buyers), how many of them are in an alert is reported per category.
"""

from __future__ import annotations

import csv
from collections import defaultdict
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa

from moneytrail.detect._group import REVIEW_SCORE
from moneytrail.detect._grow import GROWTH
from moneytrail.detect._run import catalogue
from moneytrail.errors import DetectError
from moneytrail.privacy import Tokeniser, account_key

TRUTH_FILES = ("cases.csv", "accounts.csv", "transactions.csv")


def _prf(tp: int, n_flagged: int, found: int, n_true: int) -> dict[str, Any]:
    p = tp / n_flagged if n_flagged else 0.0
    r = found / n_true if n_true else 0.0
    f1 = 2 * p * r / (p + r) if p + r else 0.0
    return {
        "precision": round(p, 4),
        "recall": round(r, 4),
        "f1": round(f1, 4),
        "flagged": n_flagged,
        "true_flagged": tp,
        "truth": n_true,
        "found": found,
    }


def _read(path: Path) -> list[dict[str, str]]:
    try:
        with path.open(newline="", encoding="utf-8") as fh:
            return list(csv.DictReader(fh))
    except OSError as exc:
        raise DetectError(f"{path}: cannot read the truth file: {exc}") from None


def evaluate(
    con: duckdb.DuckDBPyConnection,
    tokeniser: Tokeniser,
    truth_dir: Path,
    min_score: float = REVIEW_SCORE,
) -> dict[str, Any]:
    """Figures for the alerts scoring at least `min_score` (the review threshold by default).

    `con` reads the warehouse (DuckDB's, or Spark's through moneytrail.spark._connection);
    `tokeniser` is the workspace's, to find the truth's accounts by their keys."""
    require_truth(truth_dir)
    cases = {r["case_id"]: r["typology"] for r in _read(truth_dir / "cases.csv")}
    planted: dict[str, str] = {
        r["txn_id"]: r["case_id"] for r in _read(truth_dir / "transactions.csv")
    }
    stored = _stored(con, list(planted))
    planted = {t: c for t, c in planted.items() if t in stored}
    evaluated = sorted(set(planted.values()), key=int)
    case_of_account: dict[int, set[str]] = defaultdict(set)
    for r in _read(truth_dir / "accounts.csv"):
        if r["case_id"] in evaluated:
            key = account_key(tokeniser.account_token(r["bank"], r["account"]))
            case_of_account[key].add(r["case_id"])
    # procurement alerts answer to the contracts stage's truth, like their cases
    procurement = [t.id for t in catalogue() if t.detector == "contract_finding"]
    alerts = [
        (alert_id, accounts, evidence)
        for alert_id, accounts, evidence, typologies in con.execute(
            "SELECT alert_id, accounts, evidence, typologies FROM alerts WHERE score >= ?",
            [min_score],
        ).fetchall()
        if not set(typologies or ()) <= set(procurement)
    ]
    hits = con.execute(
        "SELECT h.typology, h.account_key, h.evidence FROM alert_hits h "
        "JOIN alerts a USING (alert_id) WHERE a.score >= ? AND NOT list_contains(?, h.typology)",
        [min_score, procurement],
    ).fetchall()

    def cases_of(accounts: list[int] | None, evidence: list[str]) -> set[str]:
        found = {c for a in accounts or [] for c in case_of_account.get(a, ())}
        return found | {planted[e] for e in evidence if e in planted}

    alert_cases = [cases_of(accts, ev) for _id, accts, ev in alerts]
    found = set().union(*alert_cases) if alert_cases else set()
    subject = _prf(sum(1 for c in alert_cases if c), len(alerts), len(found), len(evaluated))

    def account_prf(flagged: set[int]) -> dict[str, Any]:
        true = {a for a in flagged if a in case_of_account}
        return _prf(len(true), len(flagged), len(true), len(case_of_account))

    in_alerts = {a for _id, accts, _ev in alerts for a in accts or []}
    hit_subjects = {a for t, a, _e in hits if a is not None and t != GROWTH.id}
    evidence = {e for _id, _a, ev in alerts for e in ev}
    txn = _prf(
        len(evidence & planted.keys()), len(evidence), len(evidence & planted.keys()), len(planted)
    )
    by_truth: dict[str, dict[str, Any]] = {}
    for typ in sorted({cases[c] for c in evaluated}):
        ids = [c for c in evaluated if cases[c] == typ]
        txns = [t for t, c in planted.items() if cases[c] == typ]
        hit = sum(1 for t in txns if t in evidence)
        by_truth[typ] = {
            "cases": len(ids),
            "found": sum(1 for c in ids if c in found),
            "recall": round(sum(1 for c in ids if c in found) / len(ids), 4),
            "missed_cases": [c for c in ids if c not in found],
            "txn_recall": round(hit / len(txns), 4) if txns else 0.0,
        }
    by_catalogue: dict[str, dict[str, Any]] = {}
    for typ in sorted({t for t, _a, _e in hits}):
        mine = [(a, ev) for t, a, ev in hits if t == typ]
        hit_cases = [cases_of([a] if a is not None else [], ev) for a, ev in mine]
        true = sum(1 for c in hit_cases if c)
        by_catalogue[typ] = {
            "hits": len(mine),
            "true_hits": true,
            "precision": round(true / len(mine), 4),
            "caught": sorted({cases[c] for s in hit_cases for c in s}),
        }
    return {
        "truth": str(truth_dir),
        "min_score": min_score,
        "cases": len(evaluated),
        "not_evaluated": sorted(set(cases) - set(evaluated), key=int),
        "subject": subject,
        "innocent_share": round(1 - subject["precision"], 4) if alerts else 0.0,
        "account": account_prf(in_alerts),
        "hit_account": account_prf(hit_subjects),
        "transaction": txn,
        "by_truth_typology": by_truth,
        "by_catalogue_typology": by_catalogue,
        "look_alikes": _look_alikes(tokeniser, truth_dir / "look_alikes.csv", alerts),
    }


def require_truth(truth_dir: Path) -> None:
    """Refuse a directory that is not a synthetic world's truth, naming what it lacks."""
    missing = [f for f in TRUTH_FILES if not (truth_dir / f).is_file()]
    if missing:
        raise DetectError(f"{truth_dir}: not a truth directory, missing {', '.join(missing)}")


def _stored(con: duckdb.DuckDBPyConnection, txn_ids: list[str]) -> set[str]:
    """Which of these transaction ids the warehouse holds."""
    con.register("_planted", pa.table({"txn_id": pa.array(txn_ids, pa.string())}))
    try:
        rows = con.execute(
            "SELECT DISTINCT t.txn_id FROM transactions t JOIN _planted p ON p.txn_id = t.txn_id"
        ).fetchall()
    finally:
        con.unregister("_planted")
    return {r[0] for r in rows}


def _look_alikes(
    tokeniser: Tokeniser, path: Path, alerts: list[tuple[Any, ...]]
) -> dict[str, Any] | None:
    """Honest look-alike accounts and how many are in an alert, per category (None: no list)."""
    if not path.is_file():
        return None
    in_alerts = {a for _id, accts, _ev in alerts for a in accts or []}
    per: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    for r in _read(path):
        per[r["category"]][0] += 1
        per[r["category"]][1] += (
            account_key(tokeniser.account_token(r["bank"], r["account"])) in in_alerts
        )
    return {
        "accounts": sum(v[0] for v in per.values()),
        "flagged": sum(v[1] for v in per.values()),
        "by_category": {k: {"accounts": v[0], "flagged": v[1]} for k, v in sorted(per.items())},
    }
