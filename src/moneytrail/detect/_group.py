"""Group typology hits into alerts: one per subject or network of workable size.

Hits are nodes (an account, or an employer). Two nodes are linked when a
transaction of one's evidence touches the other, when a hit ties them (a sweep's
swept accounts, a chain's next hop), or when entity resolution put them in one
entity (the same account in two sources, or accounts of one holder). Linked
nodes become one alert, so an investigator works a network once, not each row.

Two limits (`Grouping`, set like typology parameters: `-p grouping.hub_links=20`
or a `grouping:` entry in the workspace typologies.yaml) keep networks workable.
Without them one busy account (a processor that pays thousands, a shared
counterparty) chains every hit in a large ledger into a few giant alerts:

- a node linked to more than `hub_links` other flagged nodes is a hub: nothing
  is merged through it, and its own hits stay one alert whose reason says how
  many flagged accounts it touches;
- a network grows by its strongest links first (most shared transactions;
  same-entity links before all), and a link that would take it past
  `max_accounts` accounts is not followed, so an oversized component splits
  where its ties are weakest.

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
import pyarrow as pa

from moneytrail.detect._catalogue import SEVERITIES, Parameter, Typology, Value
from moneytrail.detect._hits import MAX_EVIDENCE, Hit
from moneytrail.errors import CatalogueError

MAX_ALERT_EVIDENCE = 2_000
REVIEW_SCORE = 0.6
MODEL_DETECTOR = "model_score"
"""The detector of the scorer's typology (moneytrail.detect._scored)."""
_SAME_ENTITY = 1 << 40
"""Link weight of two accounts resolution put in one entity: followed before any other."""


@dataclass(frozen=True)
class Grouping:
    """Limits on how far alerts merge (see the module docstring)."""

    hub_links: int = 12
    max_accounts: int = 60

    @classmethod
    def from_params(cls, values: dict[str, Value]) -> Grouping:
        limits = cls(int(values["hub_links"]), int(values["max_accounts"]))
        problems = [
            f"grouping.{name} must be at least 1, not {value}"
            for name, value in limits.__dict__.items()
            if value < 1
        ]
        if problems:
            raise CatalogueError("parameters", problems)
        return limits


GROUPING = Typology(
    "grouping",
    "Alert grouping",
    "Not a typology: how far hits merge into one alert (hub_links: a node linked to more "
    "flagged nodes is a hub and is not merged through; max_accounts: largest network).",
    "moneytrail.detect._group",
    "low",
    "",
    (
        Parameter("hub_links", "int", Grouping.hub_links),
        Parameter("max_accounts", "int", Grouping.max_accounts),
    ),
)
"""The grouping limits, resolved with the typology parameters (id `grouping`)."""


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
    hub: int = 0  # flagged nodes a hub of this alert is linked to (0: no hub)

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
    """Union-find that knows each set's account count."""

    def __init__(self) -> None:
        self.parent: dict[str, str] = {}
        self.size: dict[str, int] = {}

    def add(self, x: str) -> None:
        if x not in self.parent:
            self.parent[x] = x
            self.size[x] = 1 if x.startswith("a:") else 0

    def find(self, x: str) -> str:
        self.add(x)
        while self.parent[x] != x:
            self.parent[x] = self.parent[self.parent[x]]
            x = self.parent[x]
        return x

    def union(self, a: str, b: str, limit: int) -> None:
        """Merge the sets of a and b unless the result would exceed `limit` accounts."""
        ra, rb = self.find(a), self.find(b)
        if ra == rb or self.size[ra] + self.size[rb] > limit:
            return
        keep, gone = min(ra, rb), max(ra, rb)
        self.parent[gone] = keep
        self.size[keep] += self.size.pop(gone)


def _node(hit: Hit) -> str:
    return f"a:{hit.account_key}" if hit.account_key is not None else f"e:{hit.subject}"


def group_hits(
    con: duckdb.DuckDBPyConnection,
    hits: list[Hit],
    catalogue: dict[str, Typology],
    grouping: Grouping | None = None,
) -> list[Alert]:
    """Alerts, highest score first."""
    limits = grouping or Grouping()
    flagged = {_node(h) for h in hits}
    links = _links(con, hits, flagged)
    for members in _entity_groups(con, [h.account_key for h in hits if h.account_key is not None]):
        for acct in members[1:]:
            pair = _pair(f"a:{members[0]}", f"a:{acct}")
            links[pair] = links.get(pair, 0) + _SAME_ENTITY
    # degree among flagged nodes: a node that ties many of them together is a hub. Nodes
    # only the model flags (MT-M001) do not count: it labels every leg of a network, and a
    # trafficker's collector tied to the victims it labels is the network, not a busy hub
    ruled = {_node(h) for h in hits if catalogue[h.typology].detector != MODEL_DETECTOR}
    ties: dict[str, set[str]] = defaultdict(set)
    for a, b in links:
        if b in ruled:
            ties[a].add(b)
        if a in ruled:
            ties[b].add(a)
    hubs = {n: len(t) for n, t in ties.items() if len(t) > limits.hub_links}
    sets = _Sets()
    for node in sorted(flagged):
        sets.add(node)
    for (a, b), weight in sorted(links.items(), key=lambda kv: (-kv[1], kv[0])):
        if weight < _SAME_ENTITY and not _mergeable(a, b, hubs, ties, ruled):
            continue
        sets.union(a, b, limits.max_accounts)
    groups: dict[str, list[Hit]] = defaultdict(list)
    for h in hits:
        groups[sets.find(_node(h))].append(h)
    members_of: dict[str, set[int]] = defaultdict(set)
    for node in list(sets.parent):
        root = sets.find(node)
        if node.startswith("a:") and root in groups:
            members_of[root].add(int(node[2:]))
    masked = _masked(con, sorted({a for m in members_of.values() for a in m}))
    alerts = [
        _alert(group, sorted(members_of[root]), masked, catalogue, hubs)
        for root, group in groups.items()
    ]
    alerts.sort(key=lambda a: (-a.score, a.alert_id))
    return alerts


def _mergeable(
    a: str, b: str, hubs: dict[str, int], ties: dict[str, set[str]], flagged: set[str]
) -> bool:
    """Whether a link may merge: not through a hub, except to an account only that hub ties."""
    if a not in hubs and b not in hubs:
        return True
    hub, other = (a, b) if a in hubs else (b, a)
    return other not in hubs and other not in flagged and ties.get(other, set()) <= {hub}


def _pair(a: str, b: str) -> tuple[str, str]:
    return (a, b) if a < b else (b, a)


def _links(
    con: duckdb.DuckDBPyConnection, hits: list[Hit], flagged: set[str]
) -> dict[tuple[str, str], int]:
    """Link weight of node pairs: evidence transactions one's hits share with the other,
    plus the accounts a hit ties to its subject."""
    links: dict[tuple[str, str], int] = defaultdict(int)
    for h in hits:
        for other in h.linked:
            if f"a:{other}" != _node(h):
                links[_pair(_node(h), f"a:{other}")] += 1
    nodes = [_node(h) for h in hits for _ in h.evidence]
    if not nodes:
        return links
    evidence = pa.table(
        {"node": pa.array(nodes, pa.string()), "txn_id": [e for h in hits for e in h.evidence]}
    )
    flagged_accounts = pa.table(
        {"acct": pa.array([int(n[2:]) for n in flagged if n.startswith("a:")], pa.int64())}
    )
    con.register("group_evidence", evidence)
    con.register("group_flagged", flagged_accounts)
    try:
        # one row per (hit node, flagged account) a distinct evidence transaction joins
        rows = con.execute(
            """
            WITH ev AS (SELECT DISTINCT node, txn_id FROM group_evidence),
            ends AS (
                SELECT ev.node, t.from_account AS acct, ev.txn_id FROM ev
                JOIN transactions t USING (txn_id)
                UNION ALL
                SELECT ev.node, t.to_account, ev.txn_id FROM ev JOIN transactions t USING (txn_id)
            )
            SELECT node, 'a:' || acct AS other, count(DISTINCT txn_id) FROM ends
            WHERE acct IN (SELECT acct FROM group_flagged) AND 'a:' || acct <> node
            GROUP BY ALL
            """
        ).fetchall()
    finally:
        con.unregister("group_evidence")
        con.unregister("group_flagged")
    for node, other, n in rows:
        links[_pair(node, other)] += int(n)
    return links


def _alert(
    hits: list[Hit],
    accounts: list[int],
    masked: dict[int, str],
    catalogue: dict[str, Typology],
    hubs: dict[str, int],
) -> Alert:
    scores = {id(h): hit_score(h, catalogue[h.typology]) for h in hits}
    best: dict[str, float] = {}
    for h in hits:
        best[h.typology] = max(best.get(h.typology, 0.0), scores[id(h)])
    score = 1.0 - math.prod(1.0 - s for s in best.values())
    top = max(hits, key=lambda h: (scores[id(h)], h.typology))
    typologies = sorted(best, key=lambda t: (-best[t], t))
    subject = subject_of(hits, top, accounts, masked)
    evidence = sorted({e for h in hits for e in h.evidence}, key=txn_order)[:MAX_ALERT_EVIDENCE]
    reason = top.reason
    others = [catalogue[t].name.lower() for t in typologies if t != top.typology]
    if others:
        reason = reason.rstrip(".") + f"; also {', '.join(others)}."
    hub = max((hubs[n] for n in {_node(h) for h in hits} if n in hubs), default=0)
    if hub:
        reason += (
            f" A hub: it is linked to {hub} flagged accounts or employers, whose alerts are kept "
            "apart from this one."
        )
    key = hashlib.sha256(",".join(sorted({_node(h) for h in hits})).encode()).hexdigest()
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
        hub,
    )


def subject_of(hits: list[Hit], top: Hit, accounts: list[int], masked: dict[int, str]) -> str:
    """An alert's subject: its one account or employer, or the network it spans."""
    employers = sorted({h.subject for h in hits if h.account_key is None})
    if len(accounts) <= 1 and len(employers) <= 1:
        return employers[0] if employers else top.subject
    # by what a reader sees, not by key: keys hash the workspace's secret, so a key order
    # would change between two workspaces built from the same files
    shown = sorted(accounts, key=lambda a: (masked.get(a, str(a)), a))
    head = ", ".join(masked.get(a, str(a)) for a in shown[:3])
    more = "" if len(accounts) <= 3 else f" and {len(accounts) - 3} more"
    subject = f"network:{len(accounts)} accounts ({head}{more})"
    if employers:
        subject += " with " + ", ".join(employers)
    return subject


def txn_order(txn_id: str) -> tuple[int, str]:
    return (int(txn_id), "") if txn_id.isdigit() else (0, txn_id)


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
        "SELECT account_key, min(masked) FROM accounts "
        "WHERE account_key IN (SELECT unnest(?::BIGINT[])) GROUP BY account_key",
        [accounts],
    ).fetchall()
    return dict(rows)
