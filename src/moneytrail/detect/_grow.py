"""Grow each alert from its flagged core to the accounts that carried its money.

An investigator freezes accounts, not cases. The typologies flag the accounts
whose own pattern stands out (a fan-out's source, a gathering hub); the mules
that only received a share and passed it on often show nothing alone. Around
each review alert's core, within the span of its evidence (widened by `slack`
on both sides), an account joins the alert when it

- took a large share of a core account's outflow in the span (or sent a large
  share of its inflow: `min_core_share`), over movements between accounts that
  had dealt with each other at most `max_repeat` times in the whole ledger,
- that money was most of what the account itself received (or sent) in the
  span (`min_own_share`), and
- the movements are in the alert's evidence, or the trained scorer labels one
  of them suspicious (moneytrail.detect._scorer, `txn_scores`), or the account
  passed the money on in the span (a sender: had received it there first).

The second test is relative to both ends: a shop, a landlord, an employer or an
asset seller takes a large share of a subject's money too, but it is a small
part of its own takings, and rent, wages and regular custom recur. Accounts
grown in one round are the core of the next (`rounds`), so a chain is followed
hop by hop; hub alerts (linked to more flagged accounts than grouping allows)
are not grown. Each grown account is stored as a `growth` row of the alert's
hits: the movements that tie it to the core and a sentence saying why.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

import duckdb
import pyarrow as pa

from moneytrail._sql import scalar
from moneytrail.detect._catalogue import Parameter, Typology, Value
from moneytrail.detect._group import MAX_ALERT_EVIDENCE, REVIEW_SCORE, Alert, subject_of, txn_order
from moneytrail.detect._hits import MAX_EVIDENCE, Hit, money_text
from moneytrail.detect._strangers import strangers_monthly
from moneytrail.errors import CatalogueError


@dataclass(frozen=True)
class Growth:
    """How far alerts grow around their core (see the module docstring)."""

    # a fan-out's mules take a fifth to a half of its outflow each at 1 M (seeds 7, 13);
    # at 0.05 a launderer's many one-off payees and a shell's foreign beneficiaries joined
    # in 20 k worlds (account precision 0.71-0.88 there, 0.83-0.94 at 0.15, same recall)
    min_core_share: float = 0.15
    min_own_share: float = 0.5
    max_repeat: int = 2
    slack: int = 2 * 86400
    rounds: int = 2
    max_grown: int = 40
    max_strangers_monthly: float = 3.0

    @classmethod
    def from_params(cls, values: dict[str, Value]) -> Growth:
        g = cls(
            float(values["min_core_share"]),
            float(values["min_own_share"]),
            int(values["max_repeat"]),
            int(values["slack"]),
            int(values["rounds"]),
            int(values["max_grown"]),
            float(values["max_strangers_monthly"]),
        )
        problems = [
            f"growth.{name} must be between 0 and 1, not {value}"
            for name, value in (
                ("min_core_share", g.min_core_share),
                ("min_own_share", g.min_own_share),
            )
            if not 0 <= value <= 1
        ] + [
            f"growth.{name} must be 0 or more, not {value}"
            for name, value in (
                ("max_repeat", g.max_repeat),
                ("slack", g.slack),
                ("rounds", g.rounds),
                ("max_grown", g.max_grown),
                ("max_strangers_monthly", g.max_strangers_monthly),
            )
            if value < 0
        ]
        if problems:
            raise CatalogueError("parameters", problems)
        return g


GROWTH = Typology(
    "growth",
    "Alert growth",
    "Not a typology: the accounts an alert grows to around its flagged core (rounds 0 = off).",
    "moneytrail.detect._grow",
    "low",
    "",
    tuple(
        Parameter(name, kind, getattr(Growth, name))
        for name, kind in (
            ("min_core_share", "float"),
            ("min_own_share", "float"),
            ("max_repeat", "int"),
            ("slack", "int"),
            ("rounds", "int"),
            ("max_grown", "int"),
            ("max_strangers_monthly", "float"),
        )
    ),
)
"""The growth limits, resolved with the typology parameters (id `growth`)."""


SINK_SHARE = 0.9
"""Share of all it ever received that an account which never pays in the ledger must have
received from the network: a seller paid once by a subject joins, the foreign account at the
end of many unrelated chains (most of its takings from others) does not."""


@dataclass(frozen=True)
class Core:
    """What an alert grows from: its accounts, its evidence, and each account's span (from
    the first to the last evidence movement of its own hits; the alert's for an account
    without hits of its own)."""

    accounts: list[int]
    evidence: list[str]
    spans: dict[int, tuple[datetime, datetime]]


@dataclass
class Grown:
    """An account an alert grew to, and why."""

    alert_id: str
    account_key: int
    core: int  # the core account it dealt with most
    share: float  # the smaller of its two shares (0-1)
    hit: Hit


_CANDIDATES = """
WITH moves AS (
    -- cash is left out: its other end is a branch's till, not an account that carried money
    SELECT c.alert_id, c.acct AS core, t.to_account AS other, 'out' AS dir, t.amount, t.txn_id,
           c.lo, c.hi
    FROM grow_core c JOIN transactions t ON t.from_account = c.acct AND t.ts BETWEEN c.lo AND c.hi
    WHERE t.to_account IS NOT NULL AND t.to_account <> c.acct AND t.channel IS DISTINCT FROM 'cash'
    UNION ALL
    SELECT c.alert_id, c.acct, t.from_account, 'in', t.amount, t.txn_id, c.lo, c.hi
    FROM grow_core c JOIN transactions t ON t.to_account = c.acct AND t.ts BETWEEN c.lo AND c.hi
    WHERE t.from_account IS NOT NULL AND t.from_account <> c.acct AND t.channel IS DISTINCT FROM 'cash'
), legs AS (
    SELECT m.*, {hot} AS hot FROM moves m {scores}
), core_total AS (
    SELECT alert_id, core, dir, sum(amount) AS total FROM legs GROUP BY ALL
), pair AS (
    SELECT l.alert_id, l.core, l.other, l.dir, l.lo, l.hi, sum(l.amount) AS amount, count(*) AS n,
           list(l.txn_id ORDER BY l.txn_id) AS ids, sum(l.hot) AS hot
    FROM legs l ANTI JOIN grow_taken g ON g.alert_id = l.alert_id AND g.acct = l.other
    GROUP BY ALL
), repeat AS (
    SELECT p.alert_id, p.core, p.other, p.dir, count(*) AS n
    FROM pair p JOIN transactions t
      ON t.from_account = CASE WHEN p.dir = 'out' THEN p.core ELSE p.other END
     AND t.to_account = CASE WHEN p.dir = 'out' THEN p.other ELSE p.core END
    GROUP BY ALL
), fresh AS (
    -- movements between accounts that rarely deal: rent, wages and custom recur
    SELECT p.*, p.amount / nullif(ct.total, 0) AS core_share
    FROM pair p JOIN core_total ct USING (alert_id, core, dir)
    JOIN repeat r USING (alert_id, core, other, dir)
    WHERE r.n <= {max_repeat}
), cand AS (
    SELECT f.alert_id, f.other, f.dir, sum(f.amount) AS amount, sum(f.n) AS n,
           list_sort(flatten(list(f.ids))) AS ids, sum(f.hot) AS hot,
           max(f.core_share) AS core_share,
           -- of equal shares the lowest key: not the order the threads deliver
           arg_max(f.core, {{'share': f.core_share, 'key': -f.core}}) AS core,
           min(f.lo) AS lo, max(f.hi) AS hi
    FROM fresh f GROUP BY ALL
), own AS (
    -- what each candidate itself received (side 'out': what the core paid it) and sent
    SELECT c.alert_id, c.other, 'out' AS dir, sum(t.amount) AS total
    FROM (SELECT DISTINCT alert_id, other, lo, hi FROM cand) c
    JOIN transactions t ON t.to_account = c.other AND t.ts BETWEEN c.lo AND c.hi
    WHERE t.from_account IS DISTINCT FROM c.other GROUP BY ALL
    UNION ALL
    SELECT c.alert_id, c.other, 'in', sum(t.amount)
    FROM (SELECT DISTINCT alert_id, other, lo, hi FROM cand) c
    JOIN transactions t ON t.from_account = c.other AND t.ts BETWEEN c.lo AND c.hi
    WHERE t.to_account IS DISTINCT FROM c.other GROUP BY ALL
), life AS (
    -- an account that never pays in the ledger (another bank's, or a sink) shows nothing of
    -- what it did with the money: it is judged by all it ever received
    SELECT c.other, sum(t.amount) AS received,
           NOT EXISTS (SELECT 1 FROM transactions s WHERE s.from_account = c.other) AS sink
    FROM (SELECT DISTINCT other FROM cand) c JOIN transactions t ON t.to_account = c.other
    GROUP BY ALL
), ev AS (
    SELECT DISTINCT l.alert_id, l.other, l.dir
    FROM legs l JOIN grow_evidence e USING (alert_id, txn_id)
)
SELECT c.alert_id, c.core, c.other, c.dir, c.amount, c.n, c.ids, c.core_share,
       c.amount / nullif(o.total, 0) AS own_share,
       -- what it did with the money: sent on (side 'out') or had received (side 'in')
       coalesce(x.total, 0) / c.amount AS carried,
       c.hot, ev.alert_id IS NOT NULL AS in_evidence,
       CASE WHEN c.dir = 'out' AND lf.sink THEN c.amount / lf.received ELSE 1 END AS ever
FROM cand c
LEFT JOIN life lf ON lf.other = c.other
LEFT JOIN own o ON o.alert_id = c.alert_id AND o.other = c.other AND o.dir = c.dir
LEFT JOIN own x ON x.alert_id = c.alert_id AND x.other = c.other AND x.dir <> c.dir
LEFT JOIN ev ON ev.alert_id = c.alert_id AND ev.other = c.other AND ev.dir = c.dir
-- _round keeps the first of two equally strong sides: an order of its own, not the threads'
ORDER BY c.alert_id, c.other, c.dir
"""
"""Per alert and counterparty of its core in the span: what it exchanged with the core over
movements between accounts that rarely deal (`dir` is the core's side: 'out' = the core paid
it), the largest share of one core account's flow that was, what share of its own flow, what
it did with the money, and whether the alert's evidence holds one of those movements."""


def _candidates(
    con: duckdb.DuckDBPyConnection, scored: bool, max_repeat: int
) -> list[tuple[Any, ...]]:
    sql = _CANDIDATES.format(
        hot="coalesce(s.label, 0)" if scored else "0",
        scores="LEFT JOIN txn_scores s USING (txn_id)" if scored else "",
        max_repeat=int(max_repeat),
    )
    return con.execute(sql).fetchall()


def grow(
    con: duckdb.DuckDBPyConnection,
    cores: dict[str, Core],
    growth: Growth | None = None,
) -> dict[str, list[Grown]]:
    """Alert id -> the accounts it grows to, strongest first."""
    g = growth or Growth()
    out: dict[str, list[Grown]] = defaultdict(list)
    if not cores or g.rounds == 0 or g.max_grown == 0:
        return out
    scored = bool(scalar(con, "SELECT count(*) > 0 FROM txn_scores WHERE label = 1"))
    busy = strangers_monthly(con, g.max_strangers_monthly) if g.max_strangers_monthly > 0 else {}
    slack = timedelta(seconds=g.slack)
    taken = {a: set(c.accounts) for a, c in cores.items()}
    frontier: dict[str, list[tuple[int, datetime, datetime]]] = {
        a: [(x, c.spans[x][0] - slack, c.spans[x][1] + slack) for x in c.accounts]
        for a, c in cores.items()
    }
    evidence = pa.table(
        {
            "alert_id": pa.array([a for a, c in cores.items() for _ in c.evidence], pa.string()),
            "txn_id": pa.array([e for c in cores.values() for e in c.evidence], pa.string()),
        }
    )
    con.register("grow_evidence", evidence)
    try:
        for _ in range(g.rounds):
            spans = {(a, x): (lo, hi) for a, row in frontier.items() for x, lo, hi in row}
            found = _round(con, g, frontier, taken, scored, busy)
            frontier = defaultdict(list)
            for grown in sorted(found, key=lambda x: (-x.share, x.account_key)):
                alert_id = grown.alert_id
                if len(out[alert_id]) >= g.max_grown or grown.account_key in taken[alert_id]:
                    continue
                out[alert_id].append(grown)
                taken[alert_id].add(grown.account_key)
                # a grown account is followed over the span of the account it dealt with
                frontier[alert_id].append((grown.account_key, *spans[(alert_id, grown.core)]))
            if not frontier:
                break
    finally:
        con.unregister("grow_evidence")
    return out


def _round(
    con: duckdb.DuckDBPyConnection,
    g: Growth,
    frontier: dict[str, list[tuple[int, datetime, datetime]]],
    taken: dict[str, set[int]],
    scored: bool,
    busy: dict[int, float],
) -> list[Grown]:
    """The accounts that join their alert in this round (one per alert and account)."""
    rows_in = [(a, x, lo, hi) for a, row in frontier.items() for x, lo, hi in row]
    core = pa.table(
        {
            "alert_id": pa.array([r[0] for r in rows_in], pa.string()),
            "acct": pa.array([r[1] for r in rows_in], pa.int64()),
            "lo": pa.array([r[2] for r in rows_in], pa.timestamp("us")),
            "hi": pa.array([r[3] for r in rows_in], pa.timestamp("us")),
        }
    )
    held = pa.table(
        {
            "alert_id": pa.array([a for a, s in taken.items() for _ in s], pa.string()),
            "acct": pa.array([x for s in taken.values() for x in s], pa.int64()),
        }
    )
    con.register("grow_core", core)
    con.register("grow_taken", held)
    try:
        rows = _candidates(con, scored, g.max_repeat)
    finally:
        con.unregister("grow_core")
        con.unregister("grow_taken")
    masked = _masked(con, {int(r[1]) for r in rows} | {int(r[2]) for r in rows})
    found: list[Grown] = []
    for row in rows:
        alert_id, core_acct, other, side, amount, n, txns, core_share, own, carried = row[:10]
        hot, in_ev, ever = int(row[10]), bool(row[11]), row[12]
        if int(other) in busy or float(ever) < SINK_SHARE:
            continue
        why = _why(g, side, core_share, own, carried, hot, in_ev)
        if why is None:
            continue
        share = min(float(core_share), float(own))
        reason = _sentence(
            masked[int(other)] if int(other) in masked else str(other),
            masked[int(core_acct)] if int(core_acct) in masked else str(core_acct),
            str(side),
            Decimal(amount),
            int(n),
            why,
            (float(core_share or 0), float(own or 0), int(hot)),
        )
        hit = Hit(
            int(other),
            f"account:{masked.get(int(other), other)}",
            share,
            list(txns)[:MAX_EVIDENCE],
            reason,
            linked=[int(core_acct)],
            typology=GROWTH.id,
        )
        found.append(Grown(str(alert_id), int(other), int(core_acct), share, hit))
    # an account the core both paid and was paid by joins once, by its stronger side
    best: dict[tuple[str, int], Grown] = {}
    for grown in found:
        key = (grown.alert_id, grown.account_key)
        if key not in best or grown.share > best[key].share:
            if key in best:
                grown.hit.evidence = sorted({*grown.hit.evidence, *best[key].hit.evidence})
            best[key] = grown
        else:
            best[key].hit.evidence = sorted({*best[key].hit.evidence, *grown.hit.evidence})
    return list(best.values())


def _why(
    g: Growth,
    side: str,
    core_share: Any,
    own: Any,
    carried: Any,
    hot: int,
    in_evidence: bool,
) -> str | None:
    """Why a counterparty joins the alert ('evidence', 'scored', 'carried'), or None.

    The money it exchanged with the core is a large share of both ends' flows in the
    span. A sender must have received in the span at least min_own_share of what it
    sent the core: a carrier passes money on, while the outside source of the funds
    (an external wire's originator) shows no such receipt. A receiver must have passed
    on that share of it in the span, unless the movements are in the alert's evidence
    or the trained scorer labels one of them: a labelled movement is evidence too, not
    proof that its other end carried the money (laundered money is also paid to
    people who merely receive it).
    """
    if core_share is None or own is None or carried is None:
        return None
    if float(core_share) < g.min_core_share or float(own) < g.min_own_share:
        return None
    passed = float(carried) >= g.min_own_share
    if side == "in" and not passed:
        return None
    if in_evidence:
        return "evidence"
    if hot:
        return "scored"
    return "carried" if passed else None


def _sentence(
    me: str,
    them: str,
    side: str,
    amount: Decimal,
    n: int,
    why: str,
    figures: tuple[float, float, int],
) -> str:
    core_share, own, hot = figures
    moves = "payment" if n == 1 else "payments"
    if side == "out":
        head = f"Account {me} received {n} {moves} of {money_text(amount)} in all from the network"
        flow = f"{core_share:.0%} of what {them} paid out then, {own:.0%} of what {me} received"
    else:
        head = f"Account {me} sent {n} {moves} of {money_text(amount)} in all to the network"
        flow = f"{core_share:.0%} of what {them} received then, {own:.0%} of what {me} sent"
    tail = {
        "evidence": "the movements are in the alert's evidence",
        "scored": f"the trained scorer labels {hot} of them suspicious",
        "carried": "it passed the money on within the alert's span",
    }[why]
    return f"{head} within the alert's span ({flow}), between accounts that rarely deal; {tail}."


def _masked(con: duckdb.DuckDBPyConnection, accounts: set[int]) -> dict[int, str]:
    if not accounts:
        return {}
    rows = con.execute(
        "SELECT account_key, min(masked) FROM accounts "
        "WHERE account_key IN (SELECT unnest(?::BIGINT[])) GROUP BY account_key",
        [sorted(accounts)],
    ).fetchall()
    return {int(k): str(m) for k, m in rows}


def grow_alerts(
    con: duckdb.DuckDBPyConnection, alerts: list[Alert], growth: Growth | None = None
) -> int:
    """Grow the review alerts (not hubs) in place; the number of accounts added."""
    chosen = [a for a in alerts if a.score >= REVIEW_SCORE and not a.hub and a.evidence]
    if not chosen:
        return 0
    spans = _spans(con, chosen)
    cores = {
        a.alert_id: Core(
            a.accounts,
            a.evidence,
            {x: spans.get((a.alert_id, x), spans[(a.alert_id, None)]) for x in a.accounts},
        )
        for a in chosen
        if (a.alert_id, None) in spans
    }
    grown = grow(con, cores, growth)
    masked = _masked(con, {g.account_key for found in grown.values() for g in found})
    added = 0
    for a in chosen:
        found = grown.get(a.alert_id, [])
        if not found:
            continue
        a.accounts = sorted({*a.accounts, *(g.account_key for g in found)})
        a.hits = [*a.hits, *(g.hit for g in found)]
        ids = {*a.evidence, *(e for g in found for e in g.hit.evidence)}
        a.evidence = sorted(ids, key=txn_order)[:MAX_ALERT_EVIDENCE]
        typed = [h for h in a.hits if h.typology != GROWTH.id]
        top = next((h for h in typed if h.typology == a.typology), typed[0])
        a.subject = subject_of(typed, top, a.accounts, {**masked, **_masked(con, set(a.accounts))})
        n = len(found)
        a.reason = a.reason.rstrip() + (
            f" Grown to {n} account{'s' if n > 1 else ''} that carried its money "
            f"({', '.join(masked.get(g.account_key, str(g.account_key)) for g in found[:5])}"
            f"{'' if n <= 5 else f' and {n - 5} more'}): each one's entry says why."
        )
        added += n
    return added


def _spans(
    con: duckdb.DuckDBPyConnection, alerts: list[Alert]
) -> dict[tuple[str, int | None], tuple[datetime, datetime]]:
    """(alert id, account) -> first and last time of the evidence of that account's hits;
    (alert id, None) -> the same over all the alert's evidence."""
    rows: list[tuple[str, int | None, str]] = [
        (a.alert_id, h.account_key, e) for a in alerts for h in a.hits for e in h.evidence
    ] + [(a.alert_id, None, e) for a in alerts for e in a.evidence]
    table = pa.table(
        {
            "alert_id": pa.array([r[0] for r in rows], pa.string()),
            "acct": pa.array([r[1] for r in rows], pa.int64()),
            "txn_id": pa.array([r[2] for r in rows], pa.string()),
        }
    )
    con.register("grow_spans", table)
    try:
        found = con.execute(
            "SELECT e.alert_id, e.acct, min(t.ts), max(t.ts) FROM grow_spans e "
            "JOIN transactions t USING (txn_id) GROUP BY ALL"
        ).fetchall()
    finally:
        con.unregister("grow_spans")
    return {(str(a), None if x is None else int(x)): (lo, hi) for a, x, lo, hi in found}
