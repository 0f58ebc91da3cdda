"""Building a world: population, normal life, planted cases, opening balances."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from moneytrail.synth._calendar import Calendar
from moneytrail.synth._laundering import MulePool, plant_patterns, plant_shells, plant_unpatterned
from moneytrail.synth._ledger import Frame, Ledger
from moneytrail.synth._normal import (
    business_revenue,
    cash_businesses,
    household,
    payroll,
    supplier_payments,
)
from moneytrail.synth._tainted import plant_tainted_purchases, tracing_truth
from moneytrail.synth._trafficking import (
    Filings,
    honest_filings,
    plant_labour_exploitation,
    plant_sex_trafficking,
)
from moneytrail.synth._truth import Truth
from moneytrail.synth._world import BUSINESS, PERSONAL, Assets, Ints, Population, build_population

NORMAL_PER_PERSON_MONTH = 28
START = "2024-01-01"


@dataclass(frozen=True)
class Plan:
    """How big each part of a world is, derived from the transactions asked for."""

    transactions: int
    months: int
    people: int
    per_pattern: int
    unpatterned: int
    shell_groups: int
    sex_rings: int
    labour_employers: int
    tainted_subjects: int

    @classmethod
    def for_size(cls, transactions: int) -> Plan:
        if transactions < 1_000:
            raise ValueError("a world needs at least 1000 transactions")
        months = int(np.clip(transactions // 25_000, 1, 12))
        people = max(250, transactions // (NORMAL_PER_PERSON_MONTH * months))
        scale = transactions / 1_000_000
        return cls(
            transactions=transactions,
            months=months,
            people=people,
            per_pattern=max(1, round(2.5 * scale)),
            unpatterned=max(1, round(3 * scale)),
            shell_groups=max(1, round(2 * scale)),
            sex_rings=max(1, round(scale)),
            labour_employers=max(1, round(scale)),
            tainted_subjects=max(1, round(scale)),
        )


@dataclass
class World:
    seed: int
    plan: Plan
    population: Population
    ledger: Ledger
    frame: Frame  # the ledger in file order
    truth: Truth
    filings: Filings
    assets: Assets
    opening_cents: Ints  # per account; 0 where the account is outside the data
    tracing: list[dict[str, object]]


def build_world(seed: int, transactions: int) -> World:
    plan = Plan.for_size(transactions)
    rng = np.random.default_rng(seed)
    calendar = Calendar.build(START, plan.months)
    pop = build_population(rng, calendar, plan.people)
    ledger = Ledger()
    truth = Truth()
    filings = Filings()

    payroll(rng, pop, ledger, exclude=np.zeros(0, np.int64))
    business_revenue(rng, pop, ledger)
    supplier_payments(rng, pop, ledger)
    cash_businesses(rng, pop, ledger)

    mules = MulePool(rng, pop, avoid=np.zeros(0, np.int64))
    plant_patterns(rng, pop, ledger, truth, mules, plan.per_pattern)
    plant_unpatterned(rng, pop, ledger, truth, mules, plan.unpatterned)
    plant_shells(rng, pop, ledger, truth, plan.shell_groups)
    plant_sex_trafficking(rng, pop, ledger, truth, plan.sex_rings, mules.take(2 * plan.sex_rings))
    honest_filings(pop, filings)
    plant_labour_exploitation(rng, pop, ledger, truth, plan.labour_employers, filings)
    subjects = mules.take(plan.tainted_subjects)
    assets = plant_tainted_purchases(rng, pop, ledger, truth, subjects)

    n_people = int(np.sum(pop.parties.kind[: plan.people] == 0))
    everyone = np.arange(n_people)
    household(rng, pop, ledger, everyone, target_total=transactions)

    opening = opening_balances(rng, pop, ledger)
    pop.accounts.opening_cents = opening
    frame = ledger.finish()
    cols = {k: ledger.column(k) for k in ("src", "dst", "cents", "ts")}
    tracing = tracing_truth(truth, cols, opening, frame.row_of)
    return World(seed, plan, pop, ledger, frame, truth, filings, assets, opening, tracing)


def opening_balances(rng: np.random.Generator, pop: Population, ledger: Ledger) -> Ints:
    """Opening balances that keep every account the bank runs at or above zero.

    Debits at a moment count before credits at the same moment, so a balance
    never dips below zero even for an instant.
    """
    src, dst = ledger.column("src"), ledger.column("dst")
    ts = ledger.column("ts")
    acct = np.r_[src, dst]
    delta = np.r_[-ledger.column("cents"), ledger.column("received_cents")]
    when = np.r_[ts, ts]
    credit_last = np.r_[np.zeros(len(src), np.int64), np.ones(len(dst), np.int64)]
    order = np.lexsort((credit_last, when, acct))
    acct, delta = acct[order], delta[order]
    running = np.cumsum(delta)
    starts = np.flatnonzero(np.r_[True, acct[1:] != acct[:-1]])
    before = np.r_[0, running[starts[1:] - 1]]
    running -= np.repeat(before, np.diff(np.r_[starts, len(acct)]))
    lowest = np.minimum.reduceat(running, starts)
    opening = np.zeros(len(pop.accounts), np.int64)
    opening[acct[starts]] = np.maximum(0, -lowest)
    banked = np.isin(pop.accounts.kind, [PERSONAL, BUSINESS])
    cushion = np.round(rng.lognormal(np.log(1_500), 1.0, len(opening)) * 100).astype(np.int64)
    return np.where(banked, opening + cushion, 0)
