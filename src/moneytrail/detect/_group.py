"""Group typology hits into alerts: one per subject or network.

Hits are nodes (an account, or an employer). Two nodes fall in one alert when a
transaction of one's evidence touches the other, when a hit links them (a sweep's
swept accounts, a chain's next hop), or when entity resolution put them in one
entity (the same account in two sources, or accounts of one holder). An
investigator then works a network once, not each of its rows.

Score of a hit: the typology's severity base (low 0.3, medium 0.5, high 0.8)
times 0.8-1.0 by its strength (how far past the thresholds it is). Score of an
alert: 1 - prod(1 - s) over the best hit of each typology it holds, so
independent red flags on one network add up, and one flag repeated does not.
An alert reaches REVIEW_SCORE with one high-severity finding or two medium ones;
below it, an alert is kept as a watch-list entry (one weak red flag alone).
"""

from __future__ import annotations

import hashlib
import math
from collections import defaultdict
from dataclasses import dataclass

import duckdb

from moneytrail.detect._catalogue import SEVERITIES, Typology
from moneytrail.detect._detectors import MAX_EVIDENCE, Hit

MAX_ALERT_EVIDENCE = 2_000
REVIEW_SCORE = 0.6


@dataclass
class Alert:
    alert_id: str
    typology: str
    typologies: list[str]
    subject: str
    accounts: list[int]
    score: float
    evidence: list[str]
    filings: list[str]
    reason: str
    hits: list[Hit]

    def as_json(self) -> dict[str, object]:
        return {
            "id": self.alert_id,
            "typology": self.typology,
            "typologies": self.typologies,
            "subject": self.subject,
            "score": round(self.score, 4),
            "evidence": self.evidence,
            "filings": self.filings,
            "reason": self.reason,
            "accounts": len(self.accounts),
        }


def hit_score(hit: Hit, typology: Typology) -> float:
    return SEVERITIES[typology.severity] * (0.8 + 0.2 * hit.strength)


class _Sets:
    def __init__(self) -> None:
        self.parent: dict[str, str] = {}

    def find(self, x: str) -> str:
        self.parent.setdefault(x, x)
        while self.parent[x] != x:
            self.parent[x] = self.parent[self.parent[x]]
            x = self.parent[x]
        return x

    def union(self, a: str, b: str) -> None:
        ra, rb = self.find(a), self.find(b)
        if ra != rb:
            self.parent[max(ra, rb)] = min(ra, rb)


def _node(hit: Hit) -> str:
    return f"a:{hit.account_key}" if hit.account_key is not None else f"e:{hit.subject}"


def group_hits(
    con: duckdb.DuckDBPyConnection, hits: list[Hit], catalogue: dict[str, Typology]
) -> list[Alert]:
    """Alerts, highest score first."""
    sets = _Sets()
    flagged = {_node(h) for h in hits}
    for node in flagged:
        sets.find(node)
    for h in hits:
        for other in h.linked:
            sets.union(_node(h), f"a:{other}")
    evidence = sorted({e for h in hits for e in h.evidence})
    ends = _endpoints(con, evidence)
    for h in hits:
        for txn in h.evidence:
            for acct in ends.get(txn, ()):
                if f"a:{acct}" in flagged:
                    sets.union(_node(h), f"a:{acct}")
    for members in _entity_groups(con, [h.account_key for h in hits if h.account_key is not None]):
        for acct in members[1:]:
            sets.union(f"a:{members[0]}", f"a:{acct}")
    groups: dict[str, list[Hit]] = defaultdict(list)
    for h in hits:
        groups[sets.find(_node(h))].append(h)
    members_of: dict[str, set[int]] = defaultdict(set)
    for node in list(sets.parent):
        if node.startswith("a:"):
            members_of[sets.find(node)].add(int(node[2:]))
    masked = _masked(con, sorted({a for m in members_of.values() for a in m}))
    alerts = [
        _alert(root, group, sorted(members_of[root]), masked, catalogue)
        for root, group in groups.items()
    ]
    alerts.sort(key=lambda a: (-a.score, a.alert_id))
    return alerts


def _alert(
    root: str,
    hits: list[Hit],
    accounts: list[int],
    masked: dict[int, str],
    catalogue: dict[str, Typology],
) -> Alert:
    scores = {id(h): hit_score(h, catalogue[h.typology]) for h in hits}
    best: dict[str, float] = {}
    for h in hits:
        best[h.typology] = max(best.get(h.typology, 0.0), scores[id(h)])
    score = 1.0 - math.prod(1.0 - s for s in best.values())
    top = max(hits, key=lambda h: (scores[id(h)], h.typology))
    typologies = sorted(best, key=lambda t: (-best[t], t))
    employers = sorted({h.subject for h in hits if h.account_key is None})
    if len(accounts) <= 1 and len(employers) <= 1:
        subject = employers[0] if employers else top.subject
    else:
        head = ", ".join(masked.get(a, str(a)) for a in accounts[:3])
        more = "" if len(accounts) <= 3 else f" and {len(accounts) - 3} more"
        subject = f"network:{len(accounts)} accounts ({head}{more})"
        if employers:
            subject += " with " + ", ".join(employers)
    evidence = sorted({e for h in hits for e in h.evidence}, key=_txn_order)[:MAX_ALERT_EVIDENCE]
    reason = top.reason
    others = [catalogue[t].name.lower() for t in typologies if t != top.typology]
    if others:
        reason = reason.rstrip(".") + f"; also {', '.join(others)}."
    key = hashlib.sha256(",".join(sorted({_node(h) for h in hits})).encode()).hexdigest()
    del root
    return Alert(
        f"A-{key[:12]}",
        top.typology,
        typologies,
        subject,
        accounts,
        score,
        evidence,
        sorted({f for h in hits for f in h.filings})[:MAX_EVIDENCE],
        reason,
        hits,
    )


def _txn_order(txn_id: str) -> tuple[int, str]:
    return (int(txn_id), "") if txn_id.isdigit() else (0, txn_id)


def _endpoints(con: duckdb.DuckDBPyConnection, txn_ids: list[str]) -> dict[str, list[int]]:
    if not txn_ids:
        return {}
    rows = con.execute(
        "SELECT t.txn_id, t.from_account, t.to_account FROM transactions t "
        "JOIN unnest(?::VARCHAR[]) AS e(id) ON e.id = t.txn_id",
        [txn_ids],
    ).fetchall()
    return {txn: [a for a in (f, t) if a is not None] for txn, f, t in rows}


def _entity_groups(con: duckdb.DuckDBPyConnection, accounts: list[int]) -> list[list[int]]:
    """Flagged accounts that resolution placed in one entity, or whose holders it did."""
    if not accounts:
        return []
    rows = con.execute(
        r"""
        WITH acct_entity AS (
            SELECT m.entity_id, a.account_key FROM entity_members m
            JOIN resolve_records r ON r.record_id = m.member_id AND r.kind = 'account'
            JOIN accounts a ON a.account_token = r.id_token WHERE m.kind = 'account'
            UNION
            SELECT m.entity_id, h.account_key FROM entity_members m
            JOIN account_holders h ON h.party_id = m.member_id
            WHERE m.kind IN ('person', 'company')
        )
        SELECT list(DISTINCT account_key ORDER BY account_key) FROM acct_entity
        WHERE account_key IN (SELECT unnest(?::BIGINT[]))
        GROUP BY entity_id HAVING count(DISTINCT account_key) > 1
        """,
        [accounts],
    ).fetchall()
    return [list(r[0]) for r in rows]


def _masked(con: duckdb.DuckDBPyConnection, accounts: list[int]) -> dict[int, str]:
    if not accounts:
        return {}
    rows = con.execute(
        "SELECT account_key, masked FROM accounts_once WHERE account_key IN (SELECT unnest(?::BIGINT[]))",
        [accounts],
    ).fetchall()
    return dict(rows)
