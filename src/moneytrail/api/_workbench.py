"""Routes the web workbench needs beyond the others: the alert queue, link charts,
timelines, sources and uses, and an entity's profile.

Every read goes through the read gateway (`moneytrail.gateway`), which checks
the asker, withholds FTI-derived data without a covering case and audits; here
each route shapes the answer.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from enum import StrEnum
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request

from moneytrail.api._auth import Actor
from moneytrail.api._entities import EntityId
from moneytrail.api._errors import ERROR_RESPONSES
from moneytrail.api._fields import AlertId
from moneytrail.api._flows import AccountKey
from moneytrail.api._guard import CaseParam, gateway_of
from moneytrail.api._pagination import Paging
from moneytrail.errors import CaseInputError, NotFoundError
from moneytrail.gateway import Gateway
from moneytrail.gateway import _charts as reads

router = APIRouter(responses=ERROR_RESPONSES)

MAX_NODES = 5000


class SubjectKind(StrEnum):
    NETWORK = "network"
    ACCOUNT = "account"
    EMPLOYER = "employer"
    SUPPLIER = "supplier"
    PROCESS = "process"
    BUYER = "buyer"


class Bucket(StrEnum):
    DAY = "day"
    WEEK = "week"
    MONTH = "month"


Since = Annotated[datetime | None, Query(description="Only money that moved at or after this.")]
Until = Annotated[datetime | None, Query(description="Only money that moved at or before this.")]
MinAmount = Annotated[
    Decimal | None,
    Query(ge=0, le=10**15, max_digits=24, decimal_places=8, description="Smallest flow shown."),
]
MaxNodes = Annotated[int, Query(ge=1, le=MAX_NODES, description="At most this many accounts.")]
Hops = Annotated[int, Query(ge=0, le=3, description="Counterparty hops from the focus.")]
Banks = Annotated[bool, Query(description="Add each account's bank as a node.")]
Typology = Annotated[str | None, Query(max_length=40, pattern=r"^[A-Za-z0-9_-]*$")]


@router.get("/alert-queue", tags=["workbench"])
def alert_queue(
    request: Request,
    actor: Actor,
    paging: Paging,
    typology: Typology = None,
    min_score: Annotated[float, Query(ge=0, le=1)] = 0.0,
    subject_kind: SubjectKind | None = None,
    since: Since = None,
    until: Until = None,
    case_id: CaseParam = None,
) -> dict[str, Any]:
    """The alert queue: networks first, then strongest first, filtered; with the
    typologies and subject kinds present (for the filters) and each alert's time span."""
    gateway = gateway_of(request, actor, case_id)
    rows, notices, kinds = gateway.queue()
    lo = since.isoformat() if since else None
    hi = until.isoformat() if until else None
    chosen = [
        r
        for r in rows
        if (typology is None or typology == r["typology"] or typology in r["typologies"])
        and r["score"] >= min_score
        and (subject_kind is None or r["subject_kind"] == subject_kind)
        and (lo is None or (r["last"] is not None and r["last"] >= lo))
        and (hi is None or (r["first"] is not None and r["first"] <= hi))
    ]
    # Filters ran over what the asker may see; withheld alerts follow, as one notice.
    every = chosen + notices
    items = every[paging.offset : paging.offset + paging.limit]
    following = paging.offset + paging.limit
    return {
        "items": items,
        "total": len(every),
        "limit": paging.limit,
        "offset": paging.offset,
        "next": str(request.url.include_query_params(offset=following))
        if following < len(every)
        else None,
        "typologies": gateway.typology_names(),
        "subject_kinds": kinds,
    }


def _filter(since: datetime | None, until: datetime | None, amount: Decimal | None) -> Any:
    if since and until and since > until:
        raise CaseInputError(["since: the time range is empty (since is after until)"])
    return reads.ChartFilter(since=since, until=until, min_amount=amount)


@router.get("/charts/alert/{alert_id}", tags=["workbench"])
def alert_chart(
    request: Request,
    actor: Actor,
    alert_id: AlertId,
    hops: Hops = 1,
    since: Since = None,
    until: Until = None,
    min_amount: MinAmount = None,
    max_nodes: MaxNodes = 300,
    banks: Banks = False,
    case_id: CaseParam = None,
) -> dict[str, Any]:
    """The link chart of an alert: its accounts, their counterparties `hops` out, holders,
    banks and assets; flows summed per payer and payee, the alert's evidence marked."""
    flt = _filter(since, until, min_amount)
    gateway = gateway_of(request, actor, case_id)
    gateway.gate.require_view()
    head, keys, evidence = gateway.alert_material(alert_id, "alert_chart")
    if "withheld" in head:
        return {**head, "nodes": [], "edges": [], "truncated": False}
    doc: dict[str, Any] = {"focus": f"alert:{alert_id}", **head}
    body = gateway.chart(
        keys,
        hops=hops,
        flt=flt,
        max_nodes=max(max_nodes, len(keys)),
        evidence=evidence,
        banks=banks,
    )
    return {**doc, **body}


@router.get("/charts/account/{account_key}", tags=["workbench"])
def account_chart(
    request: Request,
    actor: Actor,
    account_key: AccountKey,
    hops: Hops = 1,
    since: Since = None,
    until: Until = None,
    min_amount: MinAmount = None,
    max_nodes: MaxNodes = 300,
    banks: Banks = False,
) -> dict[str, Any]:
    """The link chart around one account (hops=1 is what 'expand' adds to a chart)."""
    flt = _filter(since, until, min_amount)
    gateway = gateway_of(request, actor)
    gateway.gate.require_view()
    with gateway.cursor() as cur:
        if not reads.account_exists(cur, account_key):
            raise NotFoundError(f"no account with account_key {account_key}")
    body = gateway.chart([account_key], hops=hops, flt=flt, max_nodes=max_nodes, banks=banks)
    return {"focus": f"account:{account_key}", "labels": [], **body}


@router.get("/charts/entity/{entity_id}", tags=["workbench"])
def entity_chart(
    request: Request,
    actor: Actor,
    entity_id: EntityId,
    hops: Hops = 1,
    since: Since = None,
    until: Until = None,
    min_amount: MinAmount = None,
    max_nodes: MaxNodes = 300,
    banks: Banks = False,
) -> dict[str, Any]:
    """The link chart of the accounts an entity holds (a bank: the accounts it keeps)."""
    flt = _filter(since, until, min_amount)
    gateway = gateway_of(request, actor)
    got = gateway.entity_accounts(entity_id)
    if got is None:
        raise NotFoundError(f"no entity {entity_id!r}; entity ids come from GET /entities")
    _, keys = got
    body = gateway.chart(keys[:max_nodes], hops=hops, flt=flt, max_nodes=max_nodes, banks=banks)
    return {"focus": f"entity:{entity_id}", "labels": [], **body}


def _keys_of(
    gateway: Gateway, alert_id: str | None, account_key: int | None
) -> tuple[list[int], dict[str, Any]]:
    """The accounts named by ?alert_id or ?account_key, and the document's head."""
    if (alert_id is None) == (account_key is None):
        raise CaseInputError(["alert_id, account_key: name exactly one of them"])
    gateway.gate.require_view()
    if alert_id is not None:
        head, keys, _ = gateway.alert_material(alert_id, "alert_flows")
        if "withheld" in head:
            return [], head
        return keys, {"focus": f"alert:{alert_id}", **head}
    assert account_key is not None
    with gateway.cursor() as cur:
        if not reads.account_exists(cur, account_key):
            raise NotFoundError(f"no account with account_key {account_key}")
    return [account_key], {"focus": f"account:{account_key}", "labels": []}


AlertQuery = Annotated[str | None, Query(min_length=1, max_length=200, pattern=r"^[^\x00]*$")]
AccountQuery = Annotated[int | None, Query(ge=-(2**63), le=2**63 - 1)]


@router.get("/flows/timeline", tags=["workbench"])
def flow_timeline(
    request: Request,
    actor: Actor,
    alert_id: AlertQuery = None,
    account_key: AccountQuery = None,
    bucket: Bucket = Bucket.DAY,
    case_id: CaseParam = None,
) -> dict[str, Any]:
    """Money in, out and within an account or an alert's network, per day, week or month."""
    gateway = gateway_of(request, actor, case_id)
    keys, doc = _keys_of(gateway, alert_id, account_key)
    if "withheld" in doc:
        return {**doc, "bucket": str(bucket), "periods": []}
    with gateway.cursor() as cur:
        periods = reads.timeline(cur, keys, str(bucket))
    return {**doc, "bucket": str(bucket), "accounts": len(keys), "periods": periods}


@router.get("/flows/sources-uses", tags=["workbench"])
def flow_sources_uses(
    request: Request,
    actor: Actor,
    alert_id: AlertQuery = None,
    account_key: AccountQuery = None,
    top: Annotated[int, Query(ge=1, le=50)] = 8,
    case_id: CaseParam = None,
) -> dict[str, Any]:
    """Sources and uses of funds of an account or an alert's network (bank-deposits data)."""
    gateway = gateway_of(request, actor, case_id)
    keys, doc = _keys_of(gateway, alert_id, account_key)
    if "withheld" in doc:
        return doc
    with gateway.cursor() as cur:
        body = reads.sources_and_uses(cur, keys, top)
    return {**doc, **body}


TxnIds = Annotated[
    list[str],
    Query(min_length=1, max_length=200, description="transactions.txn_id, repeated."),
]


@router.get("/transactions", tags=["workbench"])
def get_transactions(request: Request, actor: Actor, txn_id: TxnIds) -> dict[str, Any]:
    """Movements by id (at most 200): time, accounts (keys and masked numbers), amount."""
    if any(not t or len(t) > 200 or "\x00" in t for t in txn_id):
        raise CaseInputError(["txn_id: each id is 1 to 200 characters, without NUL"])
    gateway = gateway_of(request, actor)
    gateway.gate.require_view()
    with gateway.cursor() as cur:
        items = reads.transactions(cur, txn_id)
    return {"items": items}


@router.get("/entities/{entity_id}/profile", tags=["entities"])
def entity_profile(
    request: Request, actor: Actor, entity_id: EntityId, case_id: CaseParam = None
) -> dict[str, Any]:
    """An entity's accounts with money in and out, each link's match weights per field
    (what `moneytrail link explain` shows), and its ownerships, directorships and jobs."""
    return gateway_of(request, actor, case_id).entity_profile(entity_id)
