"""A finished trace as a tracing schedule: rounded figures, account labels, chains.

Every figure is computed exactly and rounded half-up (away from zero) to the
cent only here. Accounts appear by their display (bank, masked number and tag,
`moneytrail.privacy.account_display`) and numeric key, never in clear; a court
schedule made under a case's reveal (`_schedule.write_schedule(revealed=...)`)
adds the real numbers, and is never stored.
"""

from __future__ import annotations

from bisect import bisect_left
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from fractions import Fraction

import numpy as np

from moneytrail.trace._assets import Purchase
from moneytrail.trace._engine import Trace
from moneytrail.trace._ledger import SCALE, Ledger

_UNITS_PER_CENT = SCALE // 100
ZERO = Fraction(0)


def cents(units: Fraction | int) -> Decimal:
    """Ledger units as currency, rounded half-up (away from zero) to the cent."""
    if isinstance(units, int):
        num, den = units, _UNITS_PER_CENT
    else:
        num, den = units.numerator, units.denominator * _UNITS_PER_CENT
    whole = (2 * abs(num) + den) // (2 * den)
    return Decimal(-whole if num < 0 else whole).scaleb(-2)


@dataclass(frozen=True)
class Step:
    txn_id: str
    ts: datetime
    amount: Decimal  # signed: in (+) or out (-) of the account
    balance: Decimal
    tainted_balance: Decimal


@dataclass(frozen=True)
class AccountLine:
    account_key: int
    display: str  # BANK ****1234 #tag: tells apart accounts with the same last digits
    opening_known: bool
    hop: int
    balance_at_entry: Decimal  # when the taint first arrived
    balance: Decimal
    tainted_balance: Decimal
    dissipated: Decimal
    steps: list[Step]

    def as_json(self, *, steps: bool) -> dict[str, object]:
        doc: dict[str, object] = {
            "display": self.display,
            "opening_known": self.opening_known,
            "hop": self.hop,
            "balance_at_entry": str(self.balance_at_entry),
            "balance": str(self.balance),
            "tainted_balance": str(self.tainted_balance),
            "dissipated": str(self.dissipated),
        }
        if steps:
            doc["steps"] = [
                {
                    "txn_id": s.txn_id,
                    "ts": s.ts.isoformat(),
                    "amount": str(s.amount),
                    "balance": str(s.balance),
                    "tainted_balance": str(s.tainted_balance),
                }
                for s in self.steps
            ]
        return doc


@dataclass(frozen=True)
class TransferLine:
    txn_id: str
    ts: datetime
    from_account: str | None  # "display (key)"
    to_account: str | None
    amount: Decimal
    tainted_amount: Decimal  # what the payment took from the payer (the named amount if named)
    named: bool
    left_trace: bool
    from_key: int | None = None
    to_key: int | None = None


@dataclass(frozen=True)
class AssetLine:
    asset_id: str
    kind: str
    description: str | None
    value: Decimal | None
    txn_id: str
    how: str
    amount: Decimal
    tainted_amount: Decimal
    chain: list[str]  # the movements that carried its taint, oldest first


@dataclass(frozen=True)
class TraceReport:
    rule: str
    max_hops: int | None
    accounts: list[AccountLine]
    transfers: list[TransferLine]
    assets: list[AssetLine]
    totals: dict[str, Decimal] = field(default_factory=dict)

    def as_json(self, *, steps: bool = True) -> dict[str, object]:
        """The report as JSON-ready data; `steps=False` leaves out each account's movements."""
        return {
            "rule": self.rule,
            "max_hops": self.max_hops,
            "totals": {k: str(v) for k, v in self.totals.items()},
            "accounts": {str(a.account_key): a.as_json(steps=steps) for a in self.accounts},
            "transfers": [
                {
                    "txn_id": t.txn_id,
                    "ts": t.ts.isoformat(),
                    "from_account": t.from_account,
                    "to_account": t.to_account,
                    "amount": str(t.amount),
                    "tainted_amount": str(t.tainted_amount),
                    "named": t.named,
                    "left_trace": t.left_trace,
                }
                for t in self.transfers
            ],
            "assets": [
                {
                    "asset_id": x.asset_id,
                    "kind": x.kind,
                    "description": x.description,
                    "value": None if x.value is None else str(x.value),
                    "txn_id": x.txn_id,
                    "how": x.how,
                    "amount": str(x.amount),
                    "tainted_amount": str(x.tainted_amount),
                    "chain": x.chain,
                }
                for x in self.assets
            ],
        }


def _times(ledger: Ledger, ks: list[int]) -> dict[int, datetime]:
    """Booking time (naive UTC) of each movement, converted in one go."""
    stamps = ledger.ts[np.array(ks, np.int64)].astype("datetime64[us]").tolist()
    return dict(zip(ks, stamps, strict=True))


def chain_of(trace: Trace, ledger: Ledger, k: int) -> list[int]:
    """Movements that brought taint to the payer of k, back to the named ones.

    From the payment, walk back through the payer's movements to the last moment
    its tainted balance was zero; every tainted credit in between contributed,
    and each is followed back through its own payer the same way.
    """
    found: set[int] = set()
    payer = int(ledger.src[k])
    if payer not in trace.accounts:
        return []
    stack = [(payer, k)]
    seen: set[tuple[int, int]] = set()
    keys: dict[int, list[int]] = {}
    while stack:
        account, cut = stack.pop()
        if (account, cut) in seen:
            continue
        seen.add((account, cut))
        timeline = trace.accounts[account].timeline
        ks = keys.setdefault(account, [e[0] for e in timeline])
        for entry in reversed(timeline[: bisect_left(ks, cut)]):
            if not entry[2]:
                break
            moved = trace.transfers.get(entry[0])
            if moved is None or int(ledger.dst[entry[0]]) != account or not moved.tainted_in:
                continue
            found.add(entry[0])
            source = int(ledger.src[entry[0]])
            if not moved.named and source in trace.accounts:
                stack.append((source, entry[0]))
    return sorted(found)


def build_report(
    trace: Trace,
    ledger: Ledger,
    ids: dict[int, str],
    displays: dict[int, str],
    purchases: list[tuple[Purchase, int]],
    *,
    steps: bool = True,
) -> TraceReport:
    """The schedule of a trace. `ids` must name every movement `touched` lists,
    `displays` every account key; purchases pair an asset with its payment's ledger
    index. Without `steps`, accounts carry no movement-by-movement history."""
    when = _times(ledger, sorted(ids))

    def label(index: int) -> str | None:
        if index < 0:
            return None
        key = int(ledger.account_keys[index])
        return f"{displays.get(key, '****')} ({key})"

    def key_of(index: int) -> int | None:
        return None if index < 0 else int(ledger.account_keys[index])

    accounts = []
    for a in sorted(trace.accounts.values(), key=lambda x: (x.hop, x.timeline[0][0])):
        history = []
        for k, balance, tainted in a.timeline if steps else ():
            sign = 1 if int(ledger.dst[k]) == a.index else -1
            amount = ledger.in_units[k] if sign > 0 else ledger.out_units[k]
            history.append(
                Step(
                    ids[k],
                    when[k],
                    cents(sign * int(amount)),
                    cents(balance),
                    cents(tainted),
                )
            )
        key = int(ledger.account_keys[a.index])
        accounts.append(
            AccountLine(
                key,
                displays.get(key, "****"),
                bool(ledger.opening_known[a.index]),
                a.hop,
                cents(a.start_balance),
                cents(ledger.balance_before(a.index, len(ledger))[0]),
                cents(a.state.tainted if a.active else 0),
                cents(a.state.dissipated),
                history,
            )
        )
    transfers = [
        TransferLine(
            ids[k],
            when[k],
            label(int(ledger.src[k])),
            label(int(ledger.dst[k])),
            cents(int(ledger.out_units[k])),
            cents(int(ledger.out_units[k]) if t.named else t.tainted_out),
            t.named,
            t.left,
            key_of(int(ledger.src[k])),
            key_of(int(ledger.dst[k])),
        )
        for k, t in sorted(trace.transfers.items())
    ]
    assets = []
    for purchase, k in purchases:
        moved = trace.transfers.get(k)
        tainted = ZERO if moved is None else moved.tainted_out
        if moved is not None and moved.named:
            tainted = Fraction(int(ledger.out_units[k]))
        assets.append(
            AssetLine(
                purchase.asset_id,
                purchase.kind,
                purchase.description,
                purchase.value,
                purchase.txn_id,
                purchase.how,
                cents(int(ledger.out_units[k])),
                cents(tainted),
                [ids[c] for c in chain_of(trace, ledger, k)]
                + ([purchase.txn_id] if tainted else []),
            )
        )
    named_total = sum((int(ledger.in_units[k]) for k in trace.named), 0)
    totals = {
        "named": cents(named_total),
        "absorbed": cents(trace.absorbed),
        "held": cents(trace.tainted_held()),
        "dissipated": cents(trace.dissipated()),
        "left": cents(trace.left),
    }
    return TraceReport(trace.rule, trace.max_hops, accounts, transfers, assets, totals)


def touched(trace: Trace, purchases: list[int], *, steps: bool = True) -> set[int]:
    """Every movement index a report of this trace names."""
    ks: set[int] = set(trace.transfers) | set(trace.named) | set(purchases)
    if steps:
        for a in trace.accounts.values():
            ks.update(e[0] for e in a.timeline)
    return ks
