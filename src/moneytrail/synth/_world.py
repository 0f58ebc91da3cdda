"""The synthetic population: banks and branches, people, businesses, accounts, assets.

Everything is a set of numpy arrays indexed by position: party i, account j.
Nothing here records or implies a person's nationality, ethnicity, religion or
immigration status.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt

from moneytrail.synth._calendar import Calendar
from moneytrail.synth._names import (
    CITIES,
    COMPANY_WORDS,
    FIRST_NAMES,
    INDUSTRIES,
    LAST_NAMES,
    LEGAL_SUFFIXES,
    STREETS,
)

Ints = npt.NDArray[np.int64]
Strs = npt.NDArray[np.str_]

PERSON, COMPANY = 0, 1
# account kinds
PERSONAL, BUSINESS, CASH, EXTERNAL, FOREIGN = 0, 1, 2, 3, 4
# merchant categories that card spend, rent and bills go to
MERCHANTS = (
    "grocery",
    "restaurant_chain",
    "retail_store",
    "utility",
    "telecom",
    "landlord",
    "hotel",
    "short_term_rental",
    "ride_share",
    "airline",
    "online_ads",
    "web_hosting",
    "fuel",
    "pharmacy",
    "car_dealer",
    "title_escrow",
    "payroll_processor",
)

BANKS = (
    ("0021", "FSTBUS33", "First Springfield Bank"),
    ("0114", "RIVCUS44", "Riverton Credit Union"),
    ("0260", "LKSTUS4D", "Lakeside National"),
    ("0322", "FRVWUS3A", "Fairview Savings"),
    ("0432", "BRKHUS3N", "Brookhaven Trust"),
    ("0515", "CDRFUS6L", "Cedar Falls Bank"),
    ("0655", "HRBCUS3M", "Harbor City Bank"),
    ("0713", "MLCKUS6S", "Mill Creek Federal"),
)
FOREIGN_BANKS = (("9101", "Euro"), ("9202", "Mexican Peso"), ("9303", "Rupee"), ("9404", "Yuan"))


@dataclass
class Parties:
    kind: Ints
    name: Strs
    first: Strs
    last: Strs
    birth: Ints  # day number; people only (0 for companies)
    registered: Ints  # day number; companies only
    street: Strs
    city: Ints
    tax_id: Strs  # SSN (people) or EIN (companies), canonical digits with dashes
    industry: Strs  # companies: industry or merchant category; people: ''
    employer: Ints  # people: party index of employer, -1 if none
    director: Ints  # companies: party index of a director, -1 if none

    def __len__(self) -> int:
        return len(self.kind)

    def address(self, i: int) -> str:
        city, state, zip3 = CITIES[int(self.city[i])]
        return f"{self.street[i]}, {city}, {state} {zip3}{(i * 7919) % 100:02d}"


@dataclass
class Accounts:
    bank: Ints  # index into BANKS, or len(BANKS)+k for FOREIGN_BANKS[k]
    branch: Ints  # branch index (city of the branch)
    number: Strs
    holder: Ints  # party index, -1 for cash and external accounts
    kind: Ints
    opening_cents: Ints = field(default_factory=lambda: np.zeros(0, np.int64))

    def __len__(self) -> int:
        return len(self.kind)

    def bank_code(self, j: Ints) -> Strs:
        codes = np.array([b[0] for b in BANKS] + [b[0] for b in FOREIGN_BANKS])
        return codes[self.bank[j]]


@dataclass
class Assets:
    kind: Strs  # real_estate | vehicle
    description: Strs
    price_cents: Ints
    buyer: Ints  # party index
    seller_account: Ints  # account paid at purchase (title/escrow or dealer)
    purchase_txn: Ints  # ledger index of the purchase payment, -1 if bought outside the data


@dataclass
class Population:
    calendar: Calendar
    parties: Parties
    accounts: Accounts
    person_account: Ints  # party -> main account index (-1 if none)
    merchants: dict[str, Ints]  # category -> account indices
    employers: Ints  # party indices of employer companies
    branch_cash: Ints  # branch -> CASH account index
    branch_city: Ints  # branch -> city index
    branch_bank: Ints  # branch -> bank index
    salary_cents: Ints  # per person, annual gross (0 if not employed)


def _unique_numbers(rng: np.random.Generator, n: int, digits: int) -> Strs:
    """n distinct random digit strings of the given length."""
    low, high = 10 ** (digits - 1), 10**digits
    picked = np.unique(rng.integers(low, high, int(n * 1.1) + 16))
    while len(picked) < n:
        picked = np.unique(np.r_[picked, rng.integers(low, high, n)])
    return rng.permutation(picked)[:n].astype(str)


def _ssns(rng: np.random.Generator, n: int) -> Strs:
    """Valid-looking SSNs: area 001-665/667-899, group 01-99, serial 0001-9999, all distinct."""
    area = rng.integers(1, 899, n)
    area[area == 666] = 667
    group = rng.integers(1, 100, n)
    serial = rng.permutation(np.arange(1, 10_000))[np.arange(n) % 9_999]
    raw = area * 1_000_000 + group * 10_000 + serial
    _, first = np.unique(raw, return_index=True)
    dup = np.ones(n, bool)
    dup[first] = False
    raw[dup] = 899_990_000 + np.arange(dup.sum()) % 9_999 + 1  # rare; area 899 group 99
    s = np.char.zfill(raw.astype(str), 9)
    return np.char.add(
        np.char.add(np.char.add(np.char.add(_sl(s, 0, 3), "-"), _sl(s, 3, 5)), "-"), _sl(s, 5, 9)
    )


def _sl(a: Strs, lo: int, hi: int) -> Strs:
    return np.array([x[lo:hi] for x in a.tolist()]) if len(a) else a


def build_population(rng: np.random.Generator, calendar: Calendar, n_people: int) -> Population:  # noqa: PLR0915 - one recipe, read top to bottom
    n_people = max(n_people, 60)
    n_employers = max(12, n_people // 25)
    per_merchant = max(4, n_people // 1_500)
    n_merchants = per_merchant * len(MERCHANTS)
    n_companies = n_employers + n_merchants
    n = n_people + n_companies
    start = int(calendar.days[0])

    kind = np.r_[np.full(n_people, PERSON), np.full(n_companies, COMPANY)].astype(np.int64)
    first = np.r_[rng.choice(FIRST_NAMES, n_people), np.full(n_companies, "")]
    last = np.r_[rng.choice(LAST_NAMES, n_people), np.full(n_companies, "")]
    words = rng.choice(COMPANY_WORDS, n_companies)
    suffixes = rng.choice(LEGAL_SUFFIXES, n_companies)
    industry_keys = list(INDUSTRIES)
    shares = np.array([INDUSTRIES[k][1] for k in industry_keys])
    emp_industry = rng.choice(industry_keys, n_employers, p=shares / shares.sum())
    merchant_category = np.repeat(np.array(MERCHANTS), per_merchant)
    industry = np.r_[np.full(n_people, ""), emp_industry, merchant_category]
    labels = np.array(
        [
            INDUSTRIES[k][0] if k in INDUSTRIES else k.replace("_", " ").title()
            for k in industry[n_people:]
        ]
    )
    company_names = np.char.add(
        np.char.add(np.char.add(np.char.add(words, " "), labels), " "), suffixes
    )
    # a company name must name one company: add a number where two coincide
    _, first_seen, counts = np.unique(company_names, return_index=True, return_counts=True)
    seen: dict[str, int] = {}
    names_list = company_names.tolist()
    for i, nm in enumerate(names_list):
        seen[nm] = seen.get(nm, 0) + 1
        if seen[nm] > 1:
            names_list[i] = f"{nm.rsplit(' ', 1)[0]} {seen[nm]} {nm.rsplit(' ', 1)[1]}"
    del first_seen, counts
    name = np.r_[np.char.add(np.char.add(first, " "), last)[:n_people], np.array(names_list)]

    birth = np.r_[
        start - rng.integers(18 * 365, 80 * 365, n_people), np.zeros(n_companies, np.int64)
    ]
    registered = np.r_[
        np.zeros(n_people, np.int64), start - rng.integers(400, 30 * 365, n_companies)
    ]
    house = rng.integers(1, 9_999, n).astype(str)
    street = np.char.add(np.char.add(house, " "), rng.choice(STREETS, n))
    city = rng.integers(0, len(CITIES), n)
    eins = _unique_numbers(rng, n_companies, 9)
    tax_id = np.r_[
        _ssns(rng, n_people), np.char.add(np.char.add(_sl(eins, 0, 2), "-"), _sl(eins, 2, 9))
    ]

    employer_parties = np.arange(n_people, n_people + n_employers)
    employed = rng.random(n_people) < 0.86
    # employers differ in size: a few large, many small
    weights = rng.pareto(1.2, n_employers) + 1
    employer = np.where(
        employed, rng.choice(employer_parties, n_people, p=weights / weights.sum()), -1
    )
    employer = np.r_[employer, np.full(n_companies, -1)]  # one entry per party
    director = np.r_[np.full(n_people, -1), rng.integers(0, n_people, n_companies)]
    parties = Parties(
        kind,
        name,
        first,
        last,
        birth,
        registered,
        street,
        city,
        tax_id,
        industry,
        employer,
        director,
    )

    # branches: every bank has a branch in 3-6 cities
    branch_bank_l: list[int] = []
    branch_city_l: list[int] = []
    for b in range(len(BANKS)):
        for c in sorted(rng.choice(len(CITIES), int(rng.integers(3, 7)), replace=False).tolist()):
            branch_bank_l.append(b)
            branch_city_l.append(c)
    branch_bank = np.array(branch_bank_l)
    branch_city = np.array(branch_city_l)

    def branch_in(cities: Ints) -> Ints:
        """A branch in each given city (every city has at least one bank)."""
        out = np.empty(len(cities), np.int64)
        for c in range(len(CITIES)):
            idx = np.flatnonzero(cities == c)
            options = np.flatnonzero(branch_city == c)
            if len(options) == 0:
                options = np.arange(len(branch_city))
            out[idx] = rng.choice(options, len(idx))
        return out

    # accounts: a personal account per person (8% keep a second), business accounts,
    # cash accounts of branches, and external/foreign counterparties
    holders = [
        np.arange(n_people),
        np.flatnonzero(rng.random(n_people) < 0.08),
        np.arange(n_people, n),
    ]
    acct_holder = np.concatenate(holders)
    acct_kind = np.r_[
        np.full(len(holders[0]) + len(holders[1]), PERSONAL), np.full(n_companies, BUSINESS)
    ]
    acct_branch = branch_in(city[acct_holder])
    n_external = max(20, n_employers * 3)
    n_foreign = max(8, n_people // 200)
    acct_holder = np.r_[acct_holder, np.full(len(branch_bank) + n_external + n_foreign, -1)]
    acct_kind = np.r_[
        acct_kind,
        np.full(len(branch_bank), CASH),
        np.full(n_external, EXTERNAL),
        np.full(n_foreign, FOREIGN),
    ]
    acct_branch = np.r_[
        acct_branch, np.arange(len(branch_bank)), rng.integers(0, len(branch_bank), n_external)
    ]
    acct_branch = np.r_[acct_branch, np.full(n_foreign, -1)]
    acct_bank = np.where(acct_branch >= 0, branch_bank[np.maximum(acct_branch, 0)], 0)
    foreign = acct_kind == FOREIGN
    acct_bank[foreign] = len(BANKS) + rng.integers(0, len(FOREIGN_BANKS), int(foreign.sum()))
    number = _unique_numbers(rng, len(acct_kind), 10)
    number = np.where(
        acct_kind == CASH, np.char.add("CASH", np.char.zfill(acct_branch.astype(str), 6)), number
    )
    accounts = Accounts(acct_bank, acct_branch, number, acct_holder, acct_kind)

    person_account = np.full(n, -1, np.int64)
    first_acct = np.unique(acct_holder[acct_holder >= 0], return_index=True)
    person_account[first_acct[0]] = first_acct[1]
    merchants = {
        cat: person_account[n_people + n_employers + i * per_merchant + np.arange(per_merchant)]
        for i, cat in enumerate(MERCHANTS)
    }
    salary = np.where(
        employer[:n_people] >= 0,
        np.round(np.clip(rng.lognormal(np.log(52_000), 0.45, n_people), 24_000, 400_000), -2) * 100,
        0,
    ).astype(np.int64)
    salary = np.r_[salary, np.zeros(n_companies, np.int64)]  # one entry per party
    return Population(
        calendar,
        parties,
        accounts,
        person_account,
        merchants,
        employer_parties,
        np.flatnonzero(acct_kind == CASH),
        branch_city,
        branch_bank,
        salary,
    )


def add_party(pop: Population, **values: object) -> int:
    """Append one party (used by planted cases); returns its index."""
    p = pop.parties
    defaults: dict[str, object] = {
        "kind": PERSON, "name": "", "first": "", "last": "", "birth": 0, "registered": 0,
        "street": "", "city": 0, "tax_id": "", "industry": "", "employer": -1, "director": -1,
    }  # fmt: skip
    defaults.update(values)
    for key, value in defaults.items():
        arr = getattr(p, key)
        setattr(
            p,
            key,
            np.r_[arr, np.array([value], dtype=arr.dtype if arr.dtype.kind != "U" else None)],
        )
    pop.person_account = np.r_[pop.person_account, -1]
    pop.salary_cents = np.r_[pop.salary_cents, 0]
    return len(p) - 1


def add_account(
    pop: Population, holder: int, kind: int, branch: int, rng: np.random.Generator
) -> int:
    """Open a new account for a party at a branch; returns its index."""
    a = pop.accounts
    while True:
        number = str(rng.integers(1_000_000_000, 10_000_000_000))
        if number not in set(a.number[-2000:].tolist()) and number not in a.number:
            break
    a.bank = np.r_[a.bank, pop.branch_bank[branch]]
    a.branch = np.r_[a.branch, branch]
    a.number = np.r_[a.number, np.array([number])]
    a.holder = np.r_[a.holder, holder]
    a.kind = np.r_[a.kind, kind]
    if holder >= 0 and pop.person_account[holder] < 0:
        pop.person_account[holder] = len(a.kind) - 1
    return len(a.kind) - 1
