"""Tainted funds commingled with clean ones, then spent on property and vehicles.

The truth records, for every purchase, the tainted part under each tracing rule
(LIBR, FIFO, LIFO, pro rata), computed exactly in cents by `trace_account` on
the one commingled account: tainted deposits are the case's named sources,
everything else entering the account is clean.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass
from fractions import Fraction

import numpy as np

from moneytrail.synth._calendar import SECONDS_PER_DAY
from moneytrail.synth._ledger import ACH, CASH, OFFICE, WIRE, Ledger, hours
from moneytrail.synth._truth import Truth
from moneytrail.synth._world import Assets, Population

RULES = ("libr", "fifo", "lifo", "pro-rata")


@dataclass(frozen=True)
class Movement:
    ts: int
    cents: int  # positive in, negative out
    tainted: bool  # for deposits: named as tainted
    position: int  # ledger position


def _half_up(numerator: int, denominator: int) -> int:
    """numerator / denominator rounded half-up, for non-negative integers."""
    return (2 * numerator + denominator) // (2 * denominator)


def trace_account(opening_cents: int, movements: list[Movement]) -> dict[str, dict[int, int]]:
    """Tainted cents carried by each debit, per rule; opening balance is clean."""
    out: dict[str, dict[int, int]] = {rule: {} for rule in RULES}
    ordered = sorted(movements, key=lambda m: (m.ts, m.position))
    # LIBR: tainted leaves last; capped by the lowest balance since, never restored
    balance, tainted = opening_cents, 0
    for m in ordered:
        balance += m.cents
        if m.cents > 0 and m.tainted:
            tainted += m.cents
        elif m.cents < 0:
            before = tainted
            tainted = min(tainted, balance)
            out["libr"][m.position] = before - tainted
    # FIFO / LIFO: lots leave oldest first / newest first
    for rule in ("fifo", "lifo"):
        lots: deque[list[int]] = deque([[opening_cents, 0]] if opening_cents else [])
        for m in ordered:
            if m.cents > 0:
                lots.append([m.cents, 1 if m.tainted else 0])
                continue
            need, carried = -m.cents, 0
            while need > 0 and lots:
                lot = lots[0] if rule == "fifo" else lots[-1]
                take = min(need, lot[0])
                carried += take * lot[1]
                lot[0] -= take
                need -= take
                if lot[0] == 0:
                    lots.popleft() if rule == "fifo" else lots.pop()
            out[rule][m.position] = carried
    # pro rata: each debit carries the account's current tainted share, kept
    # exact (fractions of a cent) and rounded half-up only when reported
    balance, exact = opening_cents, Fraction(0)
    for m in ordered:
        if m.cents > 0:
            balance += m.cents
            exact += m.cents if m.tainted else 0
            continue
        share = exact * -m.cents / balance if balance > 0 else Fraction(0)
        share = min(share, exact)
        out["pro-rata"][m.position] = _half_up(share.numerator, share.denominator)
        exact -= share
        balance += m.cents
    return out


def plant_tainted_purchases(
    rng: np.random.Generator, pop: Population, ledger: Ledger, truth: Truth, subjects: list[int]
) -> Assets:
    """Each subject account mixes salary with dirty deposits and buys a house and a car."""
    cal = pop.calendar
    days = cal.days
    kinds: list[str] = []
    descriptions: list[str] = []
    prices: list[int] = []
    buyers: list[int] = []
    sellers: list[int] = []
    purchases: list[int] = []
    external = np.flatnonzero(pop.accounts.kind == 3)
    for n, acct in enumerate(subjects):
        holder = int(pop.accounts.holder[acct])
        case = truth.new_case(
            "tainted_commingling",
            "proceeds deposited into an account that also receives clean income, then used to buy "
            "real estate and a vehicle",
        )
        truth.account(case, acct, "subject")
        truth.party(case, holder, "subject")
        mid = len(days) // 2
        dirty_days = np.sort(rng.choice(days[: mid - 5], int(rng.integers(3, 7)), replace=False))
        dirty_ts = dirty_days * SECONDS_PER_DAY + hours(rng, len(dirty_days), OFFICE)
        dirty_cents = np.round(rng.uniform(15_000, 60_000, len(dirty_days)) * 100).astype(np.int64)
        sources = np.where(rng.random(len(dirty_days)) < 0.5, rng.choice(external, len(dirty_days)),
                           pop.branch_cash[rng.choice(len(pop.branch_city), len(dirty_days))])  # fmt: skip
        channel = np.where(np.isin(sources, pop.branch_cash), CASH, WIRE)
        dirty_pos = ledger.add(dirty_ts, sources, np.full(len(dirty_ts), acct), dirty_cents, channel,
                               typology="tainted_commingling", case=case)  # fmt: skip
        total_dirty = int(dirty_cents.sum())
        # a house down payment and a car, after the deposits
        house_day = int(rng.choice(days[mid : mid + 30]))
        car_day = (
            int(rng.choice(days[mid + 35 : mid + 90])) if len(days) > mid + 90 else house_day + 1
        )
        house = int(round(total_dirty * rng.uniform(0.7, 1.1), -2))
        car = int(round(rng.uniform(18_000, 45_000) * 100, -2))
        escrow = int(rng.choice(pop.merchants["title_escrow"]))
        dealer = int(rng.choice(pop.merchants["car_dealer"]))
        pos = ledger.add(
            np.array(
                [house_day * SECONDS_PER_DAY + 11 * 3600, car_day * SECONDS_PER_DAY + 15 * 3600]
            ),
            np.array([acct, acct]),
            np.array([escrow, dealer]),
            np.array([house, car]),
            np.array([WIRE, ACH]),
            typology="tainted_commingling",
            case=case,
        )
        truth.account(case, escrow, "asset_seller")
        truth.account(case, dealer, "asset_seller")
        kinds += ["real_estate", "vehicle"]
        descriptions += [f"{int(rng.integers(3, 5))}-bedroom house, {pop.parties.street[holder]}",
                         ["Toyota Camry", "Ford F-150", "Honda Accord", "BMW X5"][n % 4]]  # fmt: skip
        prices += [house, car]
        buyers += [holder, holder]
        sellers += [escrow, dealer]
        purchases += pos.tolist()
        truth.tracing.append({"case": case, "account": acct, "tainted_positions": dirty_pos.tolist(),
                              "purchase_positions": pos.tolist()})  # fmt: skip
    return Assets(
        np.array(kinds, dtype=str),
        np.array(descriptions, dtype=str),
        np.array(prices, dtype=np.int64),
        np.array(buyers, dtype=np.int64),
        np.array(sellers, dtype=np.int64),
        np.array(purchases, dtype=np.int64),
    )


def tracing_truth(
    truth: Truth, ledger_cols: dict[str, np.ndarray], opening: np.ndarray, row_of: np.ndarray
) -> list[dict[str, object]]:
    """Tainted cents of each planted purchase under each rule, from the finished ledger."""
    rows: list[dict[str, object]] = []
    src, dst, cents, ts = (
        ledger_cols["src"],
        ledger_cols["dst"],
        ledger_cols["cents"],
        ledger_cols["ts"],
    )
    for t in truth.tracing:
        acct = t["account"]
        tainted = set(t["tainted_positions"])
        touching = np.flatnonzero((src == acct) | (dst == acct))
        movements = [
            Movement(
                int(ts[p]),
                int(cents[p]) if dst[p] == acct else -int(cents[p]),
                int(p) in tainted,
                int(p),
            )
            for p in touching
            if src[p] != dst[p]
        ]
        traced = trace_account(int(opening[acct]), movements)
        for p in t["purchase_positions"]:
            rows.append(
                {
                    "case": t["case"],
                    "account_index": acct,
                    "txn_id": int(row_of[p]),
                    "amount_cents": int(cents[p]),
                    **{
                        f"tainted_{rule.replace('-', '_')}_cents": traced[rule][p] for rule in RULES
                    },
                }
            )
    return rows
