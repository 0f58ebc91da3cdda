"""Money flows: an account's neighbourhood in the transaction graph, and alert traces."""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated, Any

from fastapi import APIRouter, Path, Query, Request

from moneytrail.api._auth import Actor
from moneytrail.api._errors import ERROR_RESPONSES
from moneytrail.api._fields import AlertId
from moneytrail.api._guard import CaseParam, gateway_of
from moneytrail.api._state import reader_of
from moneytrail.errors import NotFoundError
from moneytrail.privacy import accounts_by_key

router = APIRouter(responses=ERROR_RESPONSES)

MAX_HOPS = 2
MAX_EDGES = 1000


class Direction(StrEnum):
    IN = "in"
    OUT = "out"
    BOTH = "both"


class Rule(StrEnum):
    LIBR = "libr"
    FIFO = "fifo"
    LIFO = "lifo"
    PRO_RATA = "pro-rata"


AccountKey = Annotated[int, Path(ge=-(2**63), le=2**63 - 1, description="accounts.account_key.")]

_EDGE_SQL = {
    Direction.OUT: "from_account IN (SELECT unnest($f))",
    Direction.IN: "to_account IN (SELECT unnest($f))",
    Direction.BOTH: "(from_account IN (SELECT unnest($f)) OR to_account IN (SELECT unnest($f)))",
}


@router.get("/accounts/{account_key}/neighbourhood", tags=["graph"])
def neighbourhood(
    request: Request,
    actor: Actor,
    account_key: AccountKey,
    hops: Annotated[int, Query(ge=1, le=MAX_HOPS)] = 1,
    direction: Direction = Direction.BOTH,
    limit: Annotated[int, Query(ge=1, le=MAX_EDGES, description="At most this many edges.")] = 200,
) -> dict[str, Any]:
    """Transactions in and out of an account within `hops` hops, as nodes and edges (capped)."""
    # Bank data (open): the gateway only checks that the asker may read warehouse views.
    gateway_of(request, actor).gate.require_view()
    edges: dict[str, dict[str, Any]] = {}
    seen = {account_key}
    frontier = [account_key]
    truncated = False
    with reader_of(request).cursor() as cur:
        known = cur.execute(
            "SELECT count(*) FROM accounts WHERE account_key = ?", [account_key]
        ).fetchone()
        if not known or not known[0]:
            raise NotFoundError(f"no account with account_key {account_key}")
        for _ in range(hops):
            room = limit - len(edges)
            rows = cur.execute(
                "SELECT txn_id, ts, from_account, to_account, amount, currency FROM transactions "
                f"WHERE {_EDGE_SQL[direction]} ORDER BY ts, txn_id LIMIT $n",
                {"f": frontier, "n": room + 1},
            ).fetchall()
            truncated = truncated or len(rows) > room
            nxt: list[int] = []
            for txn, ts, src, dst, amount, currency in rows[:room]:
                edges[txn] = {
                    "txn_id": txn,
                    "ts": ts.isoformat(),
                    "from_account": src,
                    "to_account": dst,
                    "amount": str(amount),
                    "currency": currency,
                }
                for side in (src, dst):
                    if side is not None and side not in seen:
                        seen.add(side)
                        nxt.append(side)
            frontier = nxt
            if truncated or not frontier:
                break
        nodes = accounts_by_key(cur, sorted(seen))
    return {
        "account_key": account_key,
        "hops": hops,
        "direction": str(direction),
        "nodes": [
            {"account_key": k, "masked": a.masked, "bank_id": a.bank, "display": a.display}
            for k, a in sorted(nodes.items())
        ],
        "edges": list(edges.values()),
        "truncated": truncated,
    }


@router.get("/alerts/{alert_id}/trace", tags=["trace"])
def trace_alert(
    request: Request,
    actor: Actor,
    alert_id: AlertId,
    rule: Rule = Rule.LIBR,
    max_hops: Annotated[int | None, Query(ge=1, le=50)] = None,
    case_id: CaseParam = None,
) -> dict[str, Any]:
    """Trace the alert's evidence transactions as tainted funds, under one rule."""
    gateway = gateway_of(request, actor, case_id)
    gateway.gate.require_view()
    head, _, evidence = gateway.alert_material(alert_id, "alert_trace")
    doc: dict[str, Any] = {"alert_id": alert_id, **head}
    if "withheld" in head:
        return head
    if not evidence:
        return {**doc, "trace": None, "note": "the alert names no transactions to trace"}
    reader = reader_of(request)
    with reader.trace_lock:
        report = reader.tracer().run(evidence, str(rule), max_hops=max_hops, steps=False)
    return {**doc, "trace": report.as_json(steps=False)}
