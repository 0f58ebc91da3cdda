"""Public procurement of a synthetic world as OCDS 1.1 release packages, with planted red flags.

Writes OUTDIR/ocds/releases.jsonl: one release package per line, each holding one
compiled release (tender, bids extension `bids.details[]`, awards, contracts,
parties with roles), the shape Open Contracting's Cardinal reads. Buyers are
public bodies invented here; suppliers are companies of the population; each
buyer's contact point is an official drawn from the population's people.

Planted (each recorded in `world.truth` as a "procurement_fraud" case and in
OUTDIR/truth/procurement.csv):

- split_purchase: 4-6 direct awards by one buyer to one supplier, each just
  under the 25,000 threshold, all awarded within 30 days;
- single_bid: an open tender that received exactly one bid;
- bid_near_estimate: the winning bid within 1% of the tender's estimate;
- shared_address_account: the winning supplier has the address and the bank
  account of the buyer's official (its contact point).

Normal processes stay clear of all four: 2-6 bids, estimates of 50,000 or more,
the winning (lowest) bid at least 2.5% away from the estimate, and each supplier
with its own address and its own account. The same world gives byte-identical
files, and writing twice records the truth once.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from moneytrail.synth._generate import World
from moneytrail.synth._ids import party_record_id
from moneytrail.synth._names import CITIES
from moneytrail.synth._truth import Truth
from moneytrail.synth._world import COMPANY, PERSON, Parties
from moneytrail.synth._write_aml import write_rows

SEED_OFFSET = 0x0C_D5
OCID_PREFIX = "ocds-synth-"
BIDS_EXTENSION = (
    "https://raw.githubusercontent.com/open-contracting-extensions/ocds_bid_extension/"
    "v1.1.5/extension.json"
)
PUBLISHER = "MoneyTrail Synthetic Procurement Portal"
URI_BASE = "https://procurement.synth.invalid/ocds/"
CURRENCY = "USD"

THRESHOLD_CENTS = 2_500_000
"""Direct awards below 25,000 need no tender; split purchases stay just under it."""
SPLIT_FLOOR_CENTS = 2_250_000
"""Split awards lie in [22,500, 25,000): within 10% under the threshold."""
SPLIT_WINDOW_DAYS = 30
NEAR_ESTIMATE = 0.01
NORMAL_MIN_GAP = 0.025
NORMAL_MIN_ESTIMATE_CENTS = 5_000_000

SPLIT, SINGLE, NEAR, SHARED = (
    "split_purchase",
    "single_bid",
    "bid_near_estimate",
    "shared_address_account",
)
FLAGS = (SPLIT, SINGLE, NEAR, SHARED)
TYPOLOGY = "procurement_fraud"

BUYER_TEMPLATES = (
    "City of {} Public Works",
    "{} County Department of Health",
    "{} Unified School District",
    "{} Water Authority",
    "{} Parks and Recreation Department",
    "{} Regional Transit Authority",
    "{} County Sheriff's Office",
    "{} Housing Authority",
)
CATEGORIES = (
    ("goods", "Supply of office equipment"),
    ("goods", "Supply of vehicles"),
    ("goods", "Supply of medical supplies"),
    ("works", "Road resurfacing"),
    ("works", "Building renovation"),
    ("works", "Water main replacement"),
    ("services", "IT support services"),
    ("services", "Cleaning services"),
    ("services", "Consulting services"),
)


@dataclass
class _Process:
    """One contracting process before it gets its ocid."""

    start: int  # day number the process opens (tender start, or the direct award)
    buyer: int
    supplier: int  # party index of the winner
    category: int
    method: str  # open | direct
    estimate_cents: int
    bidders: list[int] = field(default_factory=list)  # party indices, winner first
    bid_cents: list[int] = field(default_factory=list)
    tender_days: int = 0
    award_after: int = 0
    sign_after: int = 0
    contract_days: int = 0
    flag: str = ""
    group: int = -1  # planted case this process belongs to (index into the plan's cases)
    official: int = -1  # shared_address_account: the official whose address/account is used
    tiebreak: int = 0  # random order among processes opening the same day


@dataclass(frozen=True)
class _Buyer:
    ident: str
    name: str
    city: int
    official: int  # party index of the contact point


def write(world: World, outdir: Path) -> list[Path]:
    buyers, processes, cases = _plan(world)
    parties = world.population.parties
    person_account = world.population.person_account
    account_number = world.population.accounts.number
    order = sorted(range(len(processes)), key=lambda i: (processes[i].start, processes[i].tiebreak))
    ocids = {i: f"{OCID_PREFIX}{n + 1:06d}" for n, i in enumerate(order)}
    case_ids = _register(world.truth, processes, ocids, cases, buyers, parties, person_account)

    lines: list[str] = []
    for i in order:
        release = _release(processes[i], ocids[i], buyers, parties, account_number, person_account)
        package = {
            "uri": f"{URI_BASE}{ocids[i]}.json",
            "publishedDate": release["date"],
            "publisher": {"name": PUBLISHER},
            "version": "1.1",
            "extensions": [BIDS_EXTENSION],
            "releases": [release],
        }
        lines.append(json.dumps(package, separators=(",", ":")) + "\n")
    path = outdir / "ocds" / "releases.jsonl"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("".join(lines), encoding="utf-8")

    truth_path = outdir / "truth" / "procurement.csv"
    planted = [i for i in order if processes[i].flag]
    write_rows(
        truth_path,
        ["ocid", "case_id", "flag", "buyer", "supplier"],
        [
            [
                ocids[i],
                case_ids[processes[i].group],
                processes[i].flag,
                buyers[processes[i].buyer].ident,
                _supplier_id(processes[i].supplier),
            ]
            for i in planted
        ],
    )
    return [path, truth_path]


def _plan(world: World) -> tuple[list[_Buyer], list[_Process], list[tuple[str, str]]]:  # noqa: PLR0915 - one recipe, read top to bottom
    """Buyers, contracting processes (normal, then planted) and the planted cases."""
    rng = np.random.default_rng(world.seed + SEED_OFFSET)
    parties = world.population.parties
    person_account = world.population.person_account
    days = world.population.calendar.days
    first_day, last_day = int(days[0]), int(days[-1])

    has_account = np.zeros(len(parties), bool)
    has_account[: len(person_account)] = person_account[: len(parties)] >= 0
    people = np.flatnonzero((parties.kind == PERSON) & has_account)
    companies = np.flatnonzero((parties.kind == COMPANY) & has_account)

    buyers = _buyers(rng, people)
    n_shared = 2
    reserved = rng.choice(companies, n_shared, replace=False)
    pool = np.setdiff1d(companies, reserved)

    def open_day(span: int) -> int:
        """A day of the calendar; `span` days after it stay inside when the calendar allows."""
        return int(rng.integers(first_day, max(first_day, last_day - span) + 1))

    processes: list[_Process] = []
    cases: list[tuple[str, str]] = []  # (flag, description) per planted case

    def tender(flag: str, n_bids: int, *, supplier: int = -1, buyer: int = -1) -> _Process:
        b = int(rng.integers(len(buyers))) if buyer < 0 else buyer
        bidders = rng.choice(pool, n_bids, replace=False).tolist()
        if supplier >= 0:
            bidders[0] = supplier
        estimate = int(np.clip(rng.lognormal(np.log(250_000), 0.9), 50_000, 5_000_000) * 100)
        if flag == NEAR:
            win = round(estimate * (1 - rng.uniform(0.0005, 0.009)))
        else:
            gap = rng.uniform(NORMAL_MIN_GAP, 0.2)
            win = round(estimate * (1 - gap if rng.random() < 0.7 else 1 + gap))
        others = [round(win * (1 + rng.uniform(0.02, 0.3))) for _ in range(n_bids - 1)]
        proc = _Process(
            start=open_day(0),
            buyer=b,
            supplier=int(bidders[0]),
            category=int(rng.integers(len(CATEGORIES))),
            method="open",
            estimate_cents=estimate,
            bidders=[int(x) for x in bidders],
            bid_cents=[win, *others],
            tender_days=int(rng.integers(14, 31)),
            award_after=int(rng.integers(5, 21)),
            sign_after=int(rng.integers(3, 11)),
            contract_days=int(rng.integers(90, 366)),
            flag=flag,
        )
        processes.append(proc)
        return proc

    n_normal = max(40, len(companies) // 2)
    for _ in range(n_normal):
        tender("", int(rng.integers(2, 7)))

    # (a) split purchases: one buyer, one supplier, 4-6 direct awards within 30 days
    for _ in range(2):
        b = int(rng.integers(len(buyers)))
        supplier = int(rng.choice(pool))
        k = int(rng.integers(4, 7))
        start = open_day(SPLIT_WINDOW_DAYS)
        offsets = np.sort(rng.choice(SPLIT_WINDOW_DAYS, k, replace=False))
        amounts = rng.integers(SPLIT_FLOOR_CENTS, THRESHOLD_CENTS, k)
        group = len(cases)
        cases.append(
            (
                SPLIT,
                f"{k} direct awards by {buyers[b].name} to {parties.name[supplier]}, "
                f"each just under {THRESHOLD_CENTS // 100:,} within {SPLIT_WINDOW_DAYS} days",
            )
        )
        for off, amount in zip(offsets.tolist(), amounts.tolist(), strict=True):
            processes.append(
                _Process(
                    start=start + int(off),
                    buyer=b,
                    supplier=supplier,
                    category=int(rng.integers(len(CATEGORIES))),
                    method="direct",
                    estimate_cents=int(amount),
                    bidders=[supplier],
                    bid_cents=[int(amount)],
                    sign_after=int(rng.integers(0, 3)),
                    contract_days=int(rng.integers(30, 181)),
                    flag=SPLIT,
                    group=group,
                )
            )
    # (b) single bidder tenders
    for _ in range(int(rng.integers(3, 6))):
        proc = tender(SINGLE, 1)
        proc.group = len(cases)
        cases.append((SINGLE, f"Open tender by {buyers[proc.buyer].name} with a single bid"))
    # (c) winning bid within 1% of the estimate
    for _ in range(int(rng.integers(3, 6))):
        proc = tender(NEAR, int(rng.integers(2, 6)))
        proc.group = len(cases)
        cases.append(
            (
                NEAR,
                f"Winning bid within 1% of the estimate in a tender by {buyers[proc.buyer].name}",
            )
        )
    # (d) the winner has the address and bank account of the buyer's official
    shared_buyers = rng.choice(len(buyers), n_shared, replace=False)
    for b, supplier in zip(shared_buyers.tolist(), reserved.tolist(), strict=True):
        proc = tender(SHARED, int(rng.integers(2, 5)), supplier=int(supplier), buyer=int(b))
        proc.official = buyers[b].official
        proc.group = len(cases)
        cases.append(
            (
                SHARED,
                f"{parties.name[supplier]} shares an address and a bank account with "
                f"{parties.name[proc.official]}, official of {buyers[b].name}",
            )
        )

    for proc, t in zip(processes, rng.permutation(len(processes)).tolist(), strict=True):
        proc.tiebreak = int(t)
    return buyers, processes, cases


def _buyers(rng: np.random.Generator, people: np.ndarray[Any, Any]) -> list[_Buyer]:
    n = int(rng.integers(4, 9))
    combos = [(t, c) for t in range(len(BUYER_TEMPLATES)) for c in range(len(CITIES))]
    picked = rng.choice(len(combos), n, replace=False)
    templates = rng.permutation(len(BUYER_TEMPLATES))[:n]  # a different kind of body each
    officials = rng.choice(people, n, replace=False)
    out = []
    for k in range(n):
        city = combos[int(picked[k])][1]
        name = BUYER_TEMPLATES[int(templates[k])].format(CITIES[city][0])
        out.append(_Buyer(f"synth-buyer-{k + 1}", name, city, int(officials[k])))
    return out


def _register(
    truth: Truth,
    processes: list[_Process],
    ocids: dict[int, str],
    cases: list[tuple[str, str]],
    buyers: list[_Buyer],
    parties: Parties,
    person_account: np.ndarray[Any, Any],
) -> list[int]:
    """Record the planted cases in the truth once; the case id of each planted case."""
    planted = [i for i in sorted(ocids, key=ocids.__getitem__) if processes[i].flag]
    known = {str(p["ocid"]): int(p["case_id"]) for p in truth.procurement}
    if planted and all(ocids[i] in known for i in planted):
        ids = [0] * len(cases)
        for i in planted:
            ids[processes[i].group] = known[ocids[i]]
        return ids
    ids = []
    for group, (flag, description) in enumerate(cases):
        members = [i for i in planted if processes[i].group == group]
        first = processes[members[0]]
        case = truth.new_case(
            TYPOLOGY,
            description,
            flag=flag,
            buyer=buyers[first.buyer].name,
            supplier=str(parties.name[first.supplier]),
            ocids=[ocids[i] for i in members],
        )
        truth.party(case, first.supplier, "supplier")
        if first.official >= 0:
            truth.party(case, first.official, "official")
            truth.account(case, int(person_account[first.official]), "shared_account")
        ids.append(case)
    for i in planted:
        proc = processes[i]
        entry: dict[str, Any] = {
            "ocid": ocids[i],
            "case_id": ids[proc.group],
            "flag": proc.flag,
            "buyer": buyers[proc.buyer].ident,
            "buyer_name": buyers[proc.buyer].name,
            "supplier": _supplier_id(proc.supplier),
            "supplier_party": proc.supplier,
        }
        if proc.official >= 0:
            entry["official_party"] = proc.official
            entry["official_name"] = str(parties.name[proc.official])
            entry["address"] = parties.address(proc.official)
            entry["account_index"] = int(person_account[proc.official])
        truth.procurement.append(entry)
    return ids


def _release(
    proc: _Process,
    ocid: str,
    buyers: list[_Buyer],
    parties: Parties,
    account_number: np.ndarray[Any, Any],
    person_account: np.ndarray[Any, Any],
) -> dict[str, Any]:
    buyer = buyers[proc.buyer]
    buyer_ref = {"id": buyer.ident, "name": buyer.name}
    kind, title = CATEGORIES[proc.category]
    tender_end = proc.start + proc.tender_days
    award_day = tender_end + proc.award_after
    signed = award_day + proc.sign_after
    award_cents = proc.bid_cents[0]

    party_list: list[dict[str, Any]] = [
        {
            **buyer_ref,
            "address": _city_address(buyer.city),
            "contactPoint": {"name": str(parties.name[buyer.official])},
            "roles": ["buyer", "procuringEntity"],
        }
    ]
    for k, p in enumerate(proc.bidders):
        address_of = proc.official if (k == 0 and proc.official >= 0) else p
        bank_of = address_of
        roles = ["tenderer", "supplier"] if k == 0 else ["tenderer"]
        if proc.method == "direct":
            roles = ["supplier"]
        party_list.append(
            {
                "id": _supplier_id(p),
                "name": str(parties.name[p]),
                "identifier": {"scheme": "US-EIN", "id": str(parties.tax_id[p])},
                "address": _address(parties, address_of),
                "roles": roles,
                "details": {"bankAccount": str(account_number[person_account[bank_of]])},
            }
        )
    winner = {"id": _supplier_id(proc.supplier), "name": str(parties.name[proc.supplier])}

    tender: dict[str, Any] = {
        "id": f"{ocid}-tender",
        "title": f"{title} for {buyer.name}",
        "status": "complete",
        "procuringEntity": buyer_ref,
        "value": _value(proc.estimate_cents),
        "procurementMethod": proc.method,
        "procurementMethodDetails": "Open tender" if proc.method == "open" else "Direct award",
        "mainProcurementCategory": kind,
    }
    release: dict[str, Any] = {
        "ocid": ocid,
        "id": f"{ocid}-{_date(signed)[:10]}",
        "date": _date(signed),
        "tag": ["compiled"],
        "initiationType": "tender",
        "language": "en",
        "parties": party_list,
        "buyer": buyer_ref,
        "tender": tender,
    }
    if proc.method == "open":
        tender["tenderPeriod"] = {"startDate": _date(proc.start), "endDate": _date(tender_end)}
        tender["numberOfTenderers"] = len(proc.bidders)
        tender["tenderers"] = [
            {"id": _supplier_id(p), "name": str(parties.name[p])} for p in proc.bidders
        ]
        # bids in a stable order unrelated to who won
        bid_order = sorted(range(len(proc.bidders)), key=lambda k: proc.bidders[k])
        release["bids"] = {
            "details": [
                {
                    "id": f"{ocid}-bid-{n + 1}",
                    "date": _date(tender_end - 1 - (k % 3)),
                    "status": "valid",
                    "tenderers": [
                        {
                            "id": _supplier_id(proc.bidders[k]),
                            "name": str(parties.name[proc.bidders[k]]),
                        }
                    ],
                    "value": _value(proc.bid_cents[k]),
                }
                for n, k in enumerate(bid_order)
            ]
        }
    release["awards"] = [
        {
            "id": f"{ocid}-award-1",
            "title": tender["title"],
            "status": "active",
            "date": _date(award_day),
            "value": _value(award_cents),
            "suppliers": [winner],
        }
    ]
    release["contracts"] = [
        {
            "id": f"{ocid}-contract-1",
            "awardID": f"{ocid}-award-1",
            "title": tender["title"],
            "status": "active",
            "value": _value(award_cents),
            "dateSigned": _date(signed),
            "period": {"startDate": _date(signed), "endDate": _date(signed + proc.contract_days)},
        }
    ]
    return release


def _supplier_id(party: int) -> str:
    return party_record_id(party, "ocds")


def _value(cents: int) -> dict[str, Any]:
    return {"amount": cents / 100, "currency": CURRENCY}


def _date(day: int) -> str:
    return f"{np.datetime64(day, 'D')}T00:00:00Z"


def _city_address(city: int) -> dict[str, str]:
    name, state, zip3 = CITIES[city]
    return {
        "streetAddress": "1 Civic Center Plaza",
        "locality": name,
        "region": state,
        "postalCode": f"{zip3}01",
        "countryName": "United States",
    }


def _address(parties: Parties, i: int) -> dict[str, str]:
    """The structured form of `Parties.address(i)`."""
    name, state, zip3 = CITIES[int(parties.city[i])]
    return {
        "streetAddress": str(parties.street[i]),
        "locality": name,
        "region": state,
        "postalCode": f"{zip3}{(i * 7919) % 100:02d}",
        "countryName": "United States",
    }
