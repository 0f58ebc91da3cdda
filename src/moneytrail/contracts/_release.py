"""Reading a compiled OCDS release the way Cardinal's indicators read it.

Every accessor tolerates missing or mistyped fields by returning nothing, as
Cardinal does: a field of the wrong JSON type is treated as absent, so one bad
release never stops a run.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

Release = dict[str, Any]
Obj = dict[str, Any]


# These accessors run dozens of times per release: a failed attribute lookup on a
# non-object and an exact class check cost less than isinstance() chains.
def obj(parent: Any, key: str) -> Obj | None:
    try:
        value = parent.get(key)
    except AttributeError:
        return None
    return value if value.__class__ is dict else None


def arr(parent: Any, key: str) -> list[Any]:
    try:
        value = parent.get(key)
    except AttributeError:
        return []
    return value if value.__class__ is list else []


def text(parent: Any, key: str) -> str | None:
    try:
        value = parent.get(key)
    except AttributeError:
        return None
    return value if value.__class__ is str else None


def number(parent: object, key: str) -> float | None:
    """A JSON number as f64; booleans are not numbers in JSON."""
    value = parent.get(key) if isinstance(parent, dict) else None
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return float(value)


def bid_details(release: Release) -> list[Any] | None:
    bids = obj(release, "bids")
    if bids is None:
        return None
    details = bids.get("details")
    return details if isinstance(details, list) else None


def submitted_bids(release: Release) -> list[Obj]:
    """Bids with a status other than invited or withdrawn (pending, valid, disqualified)."""
    return [
        bid
        for bid in bid_details(release) or []
        if (status := text(bid, "status")) is not None and status not in ("invited", "withdrawn")
    ]


def complete_awards_if_all_final(release: Release) -> tuple[list[Obj], list[Any]] | None:
    """Active awards and bid details, if every award with a status is final.

    A pending award (any status but active, cancelled or unsuccessful) makes
    the process unfinished, and the indicators that need final awards skip it.
    """
    awards = release.get("awards")
    details = bid_details(release)
    if not isinstance(awards, list) or details is None:
        return None
    complete: list[Obj] = []
    for award in awards:
        status = text(award, "status")
        if status is None:
            continue
        if status == "active":
            complete.append(award)
        elif status not in ("cancelled", "unsuccessful"):
            return None
    return complete, details


def sole_supplier_id(award: Obj) -> str | None:
    suppliers = arr(award, "suppliers")
    if len(suppliers) != 1:
        return None
    return text(suppliers[0], "id")


def ids_of(parties: list[Any]) -> Iterator[str]:
    for party in parties:
        ident = text(party, "id")
        if ident is not None:
            yield ident


def valid_bid_prices(details: list[Any]) -> Iterator[tuple[str, float, str]]:
    """(tenderer id, amount, currency) of valid bids with exactly one tenderer."""
    for bid in details:
        value = obj(bid, "value")
        tenderers = arr(bid, "tenderers")
        if value is None or len(tenderers) != 1 or text(bid, "status") != "valid":
            continue
        amount, currency = number(value, "amount"), text(value, "currency")
        tenderer = text(tenderers[0], "id")
        if amount is not None and currency is not None and tenderer is not None:
            yield tenderer, amount, currency


def is_cancelled(release: Release) -> bool:
    return text(obj(release, "tender"), "status") == "cancelled"


def matches_method(tender: Obj, methods: frozenset[str]) -> bool:
    """An empty set matches every process; otherwise procurementMethod must be in it."""
    if not methods:
        return True
    method = text(tender, "procurementMethod")
    return method is not None and method in methods


def matches_method_details(
    release: Release, include: frozenset[str], exclude: frozenset[str]
) -> bool:
    """An allow list (when not empty) or else a deny list on procurementMethodDetails."""
    details = text(obj(release, "tender"), "procurementMethodDetails")
    if details is None:
        return not include
    if include:
        return details in include
    return details not in exclude
