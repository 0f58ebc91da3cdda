"""Tracing against a warehouse: load the ledger once, trace under any rule."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Generic, TypeVar

from moneytrail.errors import TraceError
from moneytrail.privacy import displays
from moneytrail.trace._assets import asset_purchases
from moneytrail.trace._engine import run_trace
from moneytrail.trace._ledger import (
    WarehouseView,
    account_aliases,
    indices_of,
    load_ledger,
    txn_ids_of,
)
from moneytrail.trace._report import TraceReport, build_report, touched
from moneytrail.trace._rules import RULES

W = TypeVar("W", bound=WarehouseView)


class Tracer(Generic[W]):
    """The warehouse's ledger, loaded once, and the asset purchases found in it."""

    def __init__(self, wh: W, purchases: Mapping[str, str] | None = None) -> None:
        self.wh = wh
        aliases = account_aliases(wh)
        self.ledger = load_ledger(wh, aliases)
        self.purchases = asset_purchases(wh, aliases, purchases)
        paid = indices_of(wh, self.ledger, [p.txn_id for p in self.purchases])
        by_id = txn_ids_of(wh, self.ledger, paid)
        index = {txn: k for k, txn in by_id.items()}
        self._purchase_index = [(p, index[p.txn_id]) for p in self.purchases]

    def run(
        self,
        tainted: Sequence[str],
        rule: str = "libr",
        *,
        max_hops: int | None = None,
        steps: bool = True,
    ) -> TraceReport:
        """Trace the named tainted transactions under `rule` (one of RULES).

        `steps=False` leaves out each account's movement-by-movement history,
        which is most of the cost when taint reaches busy accounts."""
        if rule not in RULES:
            raise TraceError(f"unknown tracing rule {rule!r}; choose one of {', '.join(RULES)}")
        if not tainted:
            raise TraceError("name at least one tainted transaction")
        named = indices_of(self.wh, self.ledger, list(tainted))
        trace = run_trace(self.ledger, named, rule, max_hops=max_hops)
        ks = touched(trace, [k for _, k in self._purchase_index], steps=steps)
        ids = txn_ids_of(self.wh, self.ledger, sorted(ks))
        keys = {int(self.ledger.account_keys[a]) for a in trace.accounts}
        for k in trace.transfers:
            for side in (self.ledger.src[k], self.ledger.dst[k]):
                if side >= 0:
                    keys.add(int(self.ledger.account_keys[side]))
        shown = displays(self.wh.con, sorted(keys))
        return build_report(trace, self.ledger, ids, shown, self._purchase_index, steps=steps)


def trace_funds(
    wh: WarehouseView,
    tainted: Sequence[str],
    rule: str = "libr",
    *,
    max_hops: int | None = None,
    purchases: Mapping[str, str] | None = None,
) -> TraceReport:
    """Follow the named tainted transactions through the warehouse under one rule."""
    return Tracer(wh, purchases).run(tainted, rule, max_hops=max_hops)
