"""Planted trafficking footprints.

Sex-trafficking rings follow the financial red flags of FinCEN advisories
FIN-2014-A008 and FIN-2020-A008; exploitative employers follow the
labour-trafficking flags. The subjects are the controllers' and employers'
accounts; victims and workers appear only as the accounts their money is taken
from, and the truth marks them as people to protect.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from moneytrail.synth._calendar import SECONDS_PER_DAY
from moneytrail.synth._ledger import ACH, CARD, CASH, DAYTIME, NIGHT, OFFICE, WIRE, Ledger, hours
from moneytrail.synth._names import FIRST_NAMES, LAST_NAMES
from moneytrail.synth._truth import Truth
from moneytrail.synth._world import (
    BUSINESS,
    COMPANY,
    EXTERNAL,
    PERSON,
    PERSONAL,
    Ints,
    Population,
    add_account,
    add_party,
)

REPORTING_THRESHOLD_CENTS = 1_000_000  # $10,000 currency transaction report threshold


def _ts(rng: np.random.Generator, days: Ints, profile: list[int]) -> Ints:
    return days * SECONDS_PER_DAY + hours(rng, len(days), profile)


def _ssn(rng: np.random.Generator) -> str:
    """A valid-looking SSN (area 100-664, never 000, 666 or 9xx)."""
    return f"{int(rng.integers(100, 665)):03d}-{int(rng.integers(10, 99))}-{int(rng.integers(1000, 9999))}"


def _new_person(
    rng: np.random.Generator,
    pop: Population,
    max_age: int,
    street: str,
    city: int,
    employer: int = -1,
) -> int:
    """A person the planted case adds (victim or worker): adult, with a name and an SSN."""
    first, last = str(rng.choice(FIRST_NAMES)), str(rng.choice(LAST_NAMES))
    return add_party(
        pop,
        kind=PERSON,
        name=f"{first} {last}",
        first=first,
        last=last,
        birth=int(pop.calendar.days[0]) - int(rng.integers(18 * 365, max_age * 365)),
        street=street,
        city=city,
        tax_id=_ssn(rng),
        employer=employer,
    )


def _dollars(rng: np.random.Generator, n: int, lo: float, hi: float) -> Ints:
    return np.round(rng.uniform(lo, hi, n) * 100).astype(np.int64)


def plant_sex_trafficking(
    rng: np.random.Generator,
    pop: Population,
    ledger: Ledger,
    truth: Truth,
    rings: int,
    mules: list[int],
) -> None:
    """`mules`: ordinary accounts that become controllers' (two per ring)."""
    cal = pop.calendar
    customers = np.flatnonzero(pop.accounts.kind == EXTERNAL)
    n_people = int(np.sum(pop.parties.kind == 0))
    for r in range(rings):
        controller_acct, funnel_acct = mules[2 * r], mules[2 * r + 1]
        n_victims = int(rng.integers(3, 7))
        case = truth.new_case(
            "sex_trafficking",
            f"ring of a controller and {n_victims} victims: structured cash into a funnel account "
            "across cities, ads and web hosting, hotel nights, travel for others, night ATM, victim sweeps",
            victims=n_victims,
            advisories=["FIN-2014-A008", "FIN-2020-A008"],
        )
        truth.account(case, controller_acct, "controller")
        truth.account(case, funnel_acct, "funnel")
        truth.party(case, int(pop.accounts.holder[controller_acct]), "controller")
        # active for three to six months of the period
        length = min(cal.n_days - 2, int(rng.integers(90, 180)))
        first = int(rng.integers(0, cal.n_days - length))
        days = cal.days[first : first + length]

        def event_days(per_week: float, subset: Ints = days) -> Ints:
            return np.sort(rng.choice(subset, rng.poisson(per_week * len(subset) / 7)))

        # structuring: cash just under $10k into the funnel, at branches in several cities
        d = event_days(3.5, days[cal.weekday[first : first + length] < 6])
        branches = rng.choice(len(pop.branch_city), max(3, len(d)))[: len(d)]
        ledger.add(_ts(rng, d, DAYTIME), pop.branch_cash[branches], np.full(len(d), funnel_acct),
                   _dollars(rng, len(d), 8_000, 9_900), CASH, typology="sex_trafficking", case=case)  # fmt: skip
        # the funnel feeds the controller
        d = event_days(1.0)
        ledger.add(_ts(rng, d, OFFICE), np.full(len(d), funnel_acct), np.full(len(d), controller_acct),
                   _dollars(rng, len(d), 9_000, 22_000), WIRE, typology="sex_trafficking", case=case)  # fmt: skip
        controller_spend = [
            ("online_ads", 3.0, 40, 400, DAYTIME),
            ("web_hosting", 0.3, 25, 150, DAYTIME),
            ("hotel", 4.0, 110, 340, NIGHT),
            ("short_term_rental", 1.5, 140, 420, DAYTIME),
            ("ride_share", 6.0, 12, 70, NIGHT),
            ("airline", 0.8, 140, 650, DAYTIME),
        ]
        for category, per_week, lo, hi, profile in controller_spend:
            d = event_days(per_week)
            merchants = pop.merchants[category]
            ledger.add(_ts(rng, d, profile), np.full(len(d), controller_acct), rng.choice(merchants, len(d)),
                       _dollars(rng, len(d), lo, hi), CARD, typology="sex_trafficking", case=case)  # fmt: skip
        # rent for several units each month
        landlords = rng.choice(pop.merchants["landlord"], int(rng.integers(2, 5)), replace=False)
        months = cal.month_starts()
        months = months[(months >= days[0]) & (months <= days[-1])]
        if len(months):
            m = np.repeat(months, len(landlords))
            ledger.add(_ts(rng, m, OFFICE), np.full(len(m), controller_acct), np.tile(landlords, len(months)),
                       _dollars(rng, len(m), 900, 1_900), ACH, typology="sex_trafficking", case=case)  # fmt: skip
        # victims: paid by "customers", swept to the controller within hours; night ATM use
        for _ in range(n_victims):
            home = int(pop.accounts.holder[controller_acct])
            victim = _new_person(
                rng, pop, 30, str(pop.parties.street[home]), int(pop.parties.city[home])
            )
            va = add_account(pop, victim, PERSONAL, int(rng.integers(0, len(pop.branch_city))), rng)
            truth.party(case, victim, "victim")
            truth.account(case, va, "victim")
            d = event_days(5.0)
            pay = _dollars(rng, len(d), 100, 600)
            t_in = _ts(rng, d, NIGHT)
            ledger.add(t_in, rng.choice(customers, len(d)), np.full(len(d), va), pay, ACH,
                       typology="sex_trafficking", case=case)  # fmt: skip
            ledger.add(t_in + rng.integers(1_800, 6 * 3600, len(d)), np.full(len(d), va), np.full(len(d), controller_acct),
                       np.maximum((pay * rng.uniform(0.85, 0.97, len(d))).astype(np.int64), 1), ACH,
                       typology="sex_trafficking", case=case)  # fmt: skip
            d = event_days(1.0)
            ledger.add(_ts(rng, d, [9, 9, 9, 9, 9, 0] + [0] * 18), np.full(len(d), va),
                       pop.branch_cash[rng.choice(len(pop.branch_city), len(d))],
                       rng.choice([4_000, 6_000, 10_000], len(d)).astype(np.int64), CASH,
                       typology="sex_trafficking", case=case)  # fmt: skip
    del n_people


@dataclass
class WageFiling:
    """One W-2: what an employer reported paying one worker in the year."""

    employer: int  # party index
    worker: int  # party index
    ssn: str  # as reported (may be shared or an ITIN on planted employers)
    wages_cents: int
    withheld_cents: int
    address: str  # as reported


@dataclass
class Filings:
    w2: list[WageFiling] = field(default_factory=list)
    # employer party -> four quarterly wage totals reported on Form 941, in cents
    form941: dict[int, list[int]] = field(default_factory=dict)


def plant_labour_exploitation(
    rng: np.random.Generator,
    pop: Population,
    ledger: Ledger,
    truth: Truth,
    employers: int,
    filings: Filings,
) -> None:
    cal = pop.calendar
    start = int(cal.days[0])
    fridays = cal.previous_business_day(cal.days[cal.weekday == 4][1::2])
    for e in range(employers):
        n_workers = int(rng.integers(8, 21))
        branch = int(rng.integers(0, len(pop.branch_city)))
        city = int(pop.branch_city[branch])
        owner = int(rng.integers(0, int(np.sum(pop.parties.kind == 0))))
        industry = ["agriculture", "construction", "cleaning", "restaurant"][e % 4]
        employer = add_party(
            pop,
            kind=COMPANY,
            name=f"{['Green Valley', 'Sunrise', 'Prime', 'Golden Field'][e % 4]} "
            f"{['Farms', 'Builders', 'Cleaning', 'Kitchen'][e % 4]} {e + 1} LLC",
            registered=start - int(rng.integers(400, 4_000)),
            street=f"{int(rng.integers(10, 9_999))} Industrial Pkwy",
            city=city,
            tax_id=f"{int(rng.integers(10, 99))}-{int(rng.integers(1_000_000, 9_999_999))}",
            industry=industry,
            director=owner,
        )
        emp_acct = add_account(pop, employer, BUSINESS, branch, rng)
        collector = pop.person_account[owner]
        case = truth.new_case(
            "labour_exploitation",
            f"employer of {n_workers} workers paying below minimum wage, taking wages back after payday, "
            "housing many workers at one address and paying in cash",
            workers=n_workers,
        )
        truth.party(case, employer, "employer")
        truth.party(case, owner, "controller")
        truth.account(case, emp_acct, "employer")
        truth.account(case, int(collector), "collector")
        bunkhouse = f"{int(rng.integers(10, 999))} Orchard Rd"
        shared_ssn = _ssn(rng)
        # revenue from customers so the employer can pay
        revenue_days = rng.choice(cal.days[cal.business], 6 * len(cal.month_starts()))
        ledger.add(_ts(rng, revenue_days, OFFICE), rng.choice(np.flatnonzero(pop.accounts.kind == EXTERNAL), len(revenue_days)),
                   np.full(len(revenue_days), emp_acct), _dollars(rng, len(revenue_days), 6_000, 14_000), ACH,
                   typology="labour_exploitation", case=case)  # fmt: skip
        paid_total = np.zeros(4, np.int64)
        for w in range(n_workers):
            worker = _new_person(rng, pop, 50, bunkhouse, city, employer=employer)
            wa = add_account(pop, worker, PERSONAL, branch, rng)
            truth.party(case, worker, "worker")
            truth.account(case, wa, "worker")
            # full-time work paid $280-$420 a fortnight: far below 7.25 x 80 hours
            pay = _dollars(rng, len(fridays), 280, 420)
            t_pay = _ts(rng, fridays, [0, 0, 0, 2, 3, 2] + [0] * 18)
            ledger.add(t_pay, np.full(len(fridays), emp_acct), np.full(len(fridays), wa), pay, ACH,
                       typology="labour_exploitation", case=case)  # fmt: skip
            # "housing and transport" taken back the same day, to the owner's account
            ledger.add(t_pay + rng.integers(3_600, 8 * 3600, len(fridays)), np.full(len(fridays), wa),
                       np.full(len(fridays), collector), (pay * rng.uniform(0.45, 0.6, len(fridays))).astype(np.int64),
                       ACH, typology="labour_exploitation", case=case)  # fmt: skip
            quarter = np.minimum((fridays - start) * 4 // cal.n_days, 3)
            paid = np.bincount(quarter, weights=pay, minlength=4).astype(np.int64)
            paid_total += paid
            ssn = pop.parties.tax_id[worker]
            if w in (1, 2, 3):  # one SSN reported for several workers
                ssn = shared_ssn
            elif w == 4:  # an ITIN reported as an SSN: 9XX-7X-XXXX
                ssn = f"9{int(rng.integers(0, 99)):02d}-{int(rng.integers(70, 89))}-{int(rng.integers(1000, 9999))}"
            filings.w2.append(WageFiling(employer, worker, ssn, int(paid.sum()), 0, f"{bunkhouse}"))
        # cash that replaces payroll: weekly withdrawals the size of a payroll
        weeks = cal.previous_business_day(cal.days[cal.weekday == 2])
        ledger.add(_ts(rng, weeks, DAYTIME), np.full(len(weeks), emp_acct), np.full(len(weeks), pop.branch_cash[branch]),
                   _dollars(rng, len(weeks), 3_000, 9_000), CASH, typology="labour_exploitation", case=case)  # fmt: skip
        # Form 941 reports less than the W-2s add up to
        filings.form941[employer] = [int(q * rng.uniform(0.55, 0.8)) for q in paid_total]
        truth.employer_flags.append(
            {
                "employer_party": employer,
                "case": case,
                "expected_codes": [
                    "WAGE_BELOW_MINIMUM",
                    "SHARED_ADDRESS",
                    "SSN_SHARED",
                    "ITIN_AS_SSN",
                    "W2_941_MISMATCH",
                    "CASH_PAYROLL",
                    "WAGE_SWEEP",
                ],
            }
        )


def honest_filings(pop: Population, filings: Filings) -> None:
    """W-2s and matching 941s for every ordinary employer, from the salaries paid."""
    parties = pop.parties
    n_people = int(np.sum(parties.kind == 0))
    for person in np.flatnonzero(parties.employer[:n_people] >= 0).tolist():
        wages = int(pop.salary_cents[person])
        filings.w2.append(
            WageFiling(
                int(parties.employer[person]),
                person,
                str(parties.tax_id[person]),
                wages,
                int(wages * 0.14),
                pop.parties.address(person),
            )
        )
    totals: dict[int, int] = {}
    for f in filings.w2:
        if f.employer not in filings.form941:
            totals[f.employer] = totals.get(f.employer, 0) + f.wages_cents
    for employer, total in totals.items():
        quarter = total // 4
        filings.form941[employer] = [quarter, quarter, quarter, total - 3 * quarter]
