"""Normal economic life: payroll, rent, bills, groceries, card spend, cash, B2B, remittances.

Each generator is vectorised over people or businesses and their dates; no loop
runs per transaction. Amounts are integer cents.
"""

from __future__ import annotations

import numpy as np

from moneytrail.synth._calendar import SECONDS_PER_DAY
from moneytrail.synth._ledger import (
    ACH,
    BATCH,
    CARD,
    CASH,
    CHEQUE,
    CURRENCIES,
    DAYTIME,
    OFFICE,
    WIRE,
    Ledger,
    hours,
)
from moneytrail.synth._names import INDUSTRIES
from moneytrail.synth._world import BANKS, EXTERNAL, FOREIGN, Ints, Population

PAYROLL_PROCESSOR_SHARE = 0.3


def _stamp(rng: np.random.Generator, days: Ints, profile: list[int]) -> Ints:
    return days * SECONDS_PER_DAY + hours(rng, len(days), profile)


def _cents(
    rng: np.random.Generator, n: int, median: float, sigma: float, lo: float, hi: float
) -> Ints:
    dollars = np.clip(rng.lognormal(np.log(median), sigma, n), lo, hi)
    return np.maximum(np.round(dollars * 100), 1).astype(np.int64)


def payroll(rng: np.random.Generator, pop: Population, ledger: Ledger, exclude: Ints) -> None:
    """Wages from each employer (or its payroll processor) to its employees.

    Employers in `exclude` run their own (planted) payroll.
    """
    cal = pop.calendar
    parties = pop.parties
    n_people = int(np.sum(parties.kind == 0))
    people = np.flatnonzero(
        (parties.employer[:n_people] >= 0) & ~np.isin(parties.employer[:n_people], exclude)
    )
    employer = parties.employer[people]
    biweekly_employer = rng.random(len(parties)) < 0.6
    via_processor = rng.random(len(parties)) < PAYROLL_PROCESSOR_SHARE
    fridays = cal.days[cal.weekday == 4][1::2]
    month_ends = np.r_[cal.month_starts()[1:] - 1, cal.days[-1]]
    schedules = {
        True: cal.previous_business_day(fridays),
        False: cal.previous_business_day(month_ends),
    }
    processors = pop.merchants["payroll_processor"]
    for biweekly, paydays in schedules.items():
        who = people[biweekly_employer[employer] == biweekly]
        if len(who) == 0 or len(paydays) == 0:
            continue
        per_period = pop.salary_cents[who] // (26 if biweekly else 12)
        k = len(paydays)
        person = np.repeat(who, k)
        day = np.tile(paydays, len(who))
        net = np.repeat(per_period * 0.76, k) * rng.uniform(0.985, 1.015, len(person))
        net_cents = np.maximum(np.round(net), 100).astype(np.int64)
        emp = parties.employer[person]
        src = np.where(
            via_processor[emp],
            processors[emp % len(processors)],
            pop.person_account[emp],
        )
        ledger.add(_stamp(rng, day, BATCH), src, pop.person_account[person], net_cents, ACH)
        # the employer funds its processor the business day before, in one sum
        funded = via_processor[emp]
        if funded.any():
            keys = emp[funded] * 100_000 + (day[funded] - cal.days[0])
            uniq, inverse = np.unique(keys, return_inverse=True)
            totals = np.bincount(inverse, weights=net_cents[funded]).astype(np.int64)
            u_emp = uniq // 100_000
            u_day = cal.previous_business_day(uniq % 100_000 + cal.days[0] - 1)
            ledger.add(
                _stamp(rng, u_day, OFFICE),
                pop.person_account[u_emp],
                processors[u_emp % len(processors)],
                totals,
                ACH,
            )


def business_revenue(rng: np.random.Generator, pop: Population, ledger: Ledger) -> None:
    """Customers outside the data pay employers' invoices: revenue ~ 1.5x payroll."""
    cal = pop.calendar
    parties = pop.parties
    payroll_cost = np.bincount(
        np.maximum(parties.employer, 0),
        weights=pop.salary_cents * (parties.employer >= 0),
        minlength=len(parties),
    )
    employers = pop.employers
    monthly = payroll_cost[employers] * 1.5 / 12 + 500_000
    invoices = rng.integers(3, 12, len(employers))
    emp = np.repeat(employers, invoices * len(cal.month_starts()))
    n = len(emp)
    amount = (np.repeat(monthly / invoices, invoices * len(cal.month_starts()))) * rng.uniform(
        0.7, 1.3, n
    )
    business_days = cal.days[cal.business]
    day = rng.choice(business_days, n)
    customers = np.flatnonzero(pop.accounts.kind == EXTERNAL)
    channel = np.where(rng.random(n) < 0.7, ACH, np.where(rng.random(n) < 0.5, WIRE, CHEQUE))
    ledger.add(
        _stamp(rng, day, OFFICE),
        rng.choice(customers, n),
        pop.person_account[emp],
        np.maximum(np.round(amount), 100).astype(np.int64),
        channel,
    )


def supplier_payments(rng: np.random.Generator, pop: Population, ledger: Ledger) -> None:
    """Employers pay suppliers (other businesses and outside vendors) monthly."""
    cal = pop.calendar
    employers = pop.employers
    months = cal.month_starts()
    per = rng.integers(1, 6, len(employers))
    emp = np.repeat(employers, per * len(months))
    n = len(emp)
    day = cal.next_business_day(
        np.repeat(np.tile(months, len(employers)), np.repeat(per, len(months)))
        + rng.integers(0, 27, n)
    )
    vendors = np.r_[pop.person_account[employers], np.flatnonzero(pop.accounts.kind == EXTERNAL)]
    dst = rng.choice(vendors, n)
    same = dst == pop.person_account[emp]
    dst[same] = vendors[(np.searchsorted(vendors, dst[same]) + 1) % len(vendors)]
    channel = np.where(rng.random(n) < 0.6, ACH, WIRE)
    ledger.add(
        _stamp(rng, day, OFFICE),
        pop.person_account[emp],
        dst,
        _cents(rng, n, 2_800, 1.0, 50, 250_000),
        channel,
    )


def household(
    rng: np.random.Generator, pop: Population, ledger: Ledger, people: Ints, target_total: int
) -> None:
    """Rent, utilities, groceries, card spend, ATM cash and remittances of `people`.

    Card spend comes last and fills the ledger up to `target_total` movements.
    """
    cal = pop.calendar
    acct = pop.person_account[people]
    months = cal.month_starts()
    n_months = len(months)
    income = np.maximum(pop.salary_cents[people], 1_800_000) * 0.76 / 12  # monthly net, cents

    # rent on the 1st (next business day), to a landlord; ~60% rent
    renters = np.flatnonzero(rng.random(len(people)) < 0.6)
    rent = np.round(
        np.clip(income[renters] * rng.uniform(0.22, 0.34, len(renters)), 60_000, 600_000), -2
    )
    landlords = pop.merchants["landlord"]
    r_person = np.repeat(renters, n_months)
    r_day = cal.next_business_day(np.tile(months, len(renters)))
    ledger.add(
        _stamp(rng, r_day, OFFICE),
        acct[r_person],
        landlords[renters % len(landlords)][np.repeat(np.arange(len(renters)), n_months)],
        np.repeat(rent, n_months).astype(np.int64),
        ACH,
    )

    # utilities and phone: two to three bills a month
    for category, median in (("utility", 95.0), ("telecom", 70.0)):
        payees = pop.merchants[category]
        u_person = np.repeat(np.arange(len(people)), n_months)
        u_day = cal.next_business_day(
            np.tile(months, len(people)) + rng.integers(3, 26, len(u_person))
        )
        ledger.add(
            _stamp(rng, u_day, OFFICE),
            acct[u_person],
            payees[u_person % len(payees)],
            _cents(rng, len(u_person), median, 0.35, 15, 600),
            ACH,
        )

    # ATM cash: about two withdrawals a month at a branch of the person's city
    n_cash = rng.poisson(2.0 * n_months, len(people))
    c_person = np.repeat(np.arange(len(people)), n_cash)
    c_day = rng.choice(cal.days, len(c_person))
    city = pop.parties.city[people[c_person]]
    ledger.add(
        _stamp(rng, c_day, DAYTIME),
        acct[c_person],
        _branch_cash_in(rng, pop, city),
        rng.choice([4_000, 6_000, 8_000, 10_000, 20_000, 30_000], len(c_person)).astype(np.int64),
        CASH,
    )

    # remittances: ~10% send a fixed sum monthly to family abroad
    senders = np.flatnonzero(rng.random(len(people)) < 0.1)
    if len(senders):
        foreign = np.flatnonzero(pop.accounts.kind == FOREIGN)
        s_person = np.repeat(senders, n_months)
        usd = np.repeat(_cents(rng, len(senders), 300, 0.4, 50, 2_000), n_months)
        dst = foreign[s_person % len(foreign)]
        cur = 1 + pop.accounts.bank[dst] - len(BANKS)  # FOREIGN_BANKS line up with CURRENCIES[1:5]
        rate = np.array([c[2] for c in CURRENCIES])
        received = np.round(usd * rate[0] / rate[cur]).astype(np.int64)
        ledger.add(
            _stamp(rng, cal.next_business_day(np.tile(months, len(senders)) + 14), OFFICE),
            acct[s_person],
            dst,
            usd,
            WIRE,
            received_cents=received,
            received_currency=cur,
        )

    # groceries (weekly) and other card spend fill the rest; weekends busier
    weekday_weight = np.where(cal.weekday >= 5, 1.6, 1.0) * np.where(cal.holiday, 0.5, 1.0)
    p_day = weekday_weight / weekday_weight.sum()
    n_groc = rng.poisson(4.3 * n_months, len(people))
    g_person = np.repeat(np.arange(len(people)), n_groc)
    _card(
        rng,
        pop,
        ledger,
        acct[g_person],
        "grocery",
        rng.choice(cal.days, len(g_person), p=p_day),
        65,
        0.5,
    )
    # spend in proportion to income, at restaurants, shops, fuel and pharmacies, and now
    # and then on travel (hotels, rentals, flights) and online ads (small sellers boosting
    # a post): the red-flag merchants of trafficking have honest customers too
    share = income / income.sum()
    s_person = rng.choice(len(people), max(target_total - len(ledger), 0), p=share)
    spend = (
        ("restaurant_chain", 0.44, 24),
        ("retail_store", 0.29, 45),
        ("fuel", 0.165, 48),
        ("pharmacy", 0.08, 22),
        ("hotel", 0.01, 140),
        ("short_term_rental", 0.005, 180),
        ("airline", 0.005, 260),
        ("online_ads", 0.005, 40),
    )
    cat = rng.choice(len(spend), len(s_person), p=[w for _c, w, _m in spend])
    day = rng.choice(cal.days, len(s_person), p=p_day)
    for k, (category, _weight, median) in enumerate(spend):
        sel = cat == k
        _card(rng, pop, ledger, acct[s_person[sel]], category, day[sel], median, 0.8)


def _card(
    rng: np.random.Generator,
    pop: Population,
    ledger: Ledger,
    src: Ints,
    category: str,
    day: Ints,
    median: float,
    sigma: float,
) -> None:
    merchants = pop.merchants[category]
    ledger.add(
        _stamp(rng, day, DAYTIME),
        src,
        rng.choice(merchants, len(src)),
        _cents(rng, len(src), median, sigma, 1, 5_000),
        CARD,
    )


def _branch_cash_in(rng: np.random.Generator, pop: Population, city: Ints) -> Ints:
    """The cash account of a random branch in each given city."""
    out = np.empty(len(city), np.int64)
    for c in np.unique(city):
        sel = city == c
        options = np.flatnonzero(pop.branch_city == c)
        if len(options) == 0:  # no bank has a branch in that city: people travel
            options = np.arange(len(pop.branch_city))
        out[sel] = pop.branch_cash[rng.choice(options, int(sel.sum()))]
    return out


def cash_businesses(rng: np.random.Generator, pop: Population, ledger: Ledger) -> Ints:
    """Honest cash-heavy businesses bank their takings most days, sometimes over $10k."""
    cal = pop.calendar
    industries = pop.parties.industry[pop.employers]
    heavy = pop.employers[np.isin(industries, [k for k, v in INDUSTRIES.items() if v[2]])]
    if len(heavy) == 0:
        return heavy
    open_days = cal.days[cal.weekday < 6]
    per = rng.binomial(len(open_days), 0.8, len(heavy))
    biz = np.repeat(heavy, per)
    day = np.concatenate([rng.choice(open_days, k, replace=False) for k in per])
    home = pop.accounts.branch[pop.person_account[biz]]
    ledger.add(
        _stamp(rng, day, [0] * 16 + [2, 4, 6, 6, 4, 2, 1, 0]),
        pop.branch_cash[home],
        pop.person_account[biz],
        _cents(rng, len(biz), 2_200, 0.7, 100, 40_000),
        CASH,
    )
    return heavy
