"""The world's registry and asset records as FollowTheMoney JSON lines.

`write(world, outdir)` writes OUTDIR/entities.ftm.json, one entity per line in
a fixed order, and OUTDIR/truth/entities.csv, the true entity behind every
Person and Company record.

What is written, bounded by the number of companies rather than of people:

* every company (Company), its director (Directorship), its business account
  (BankAccount) and who holds it (an Ownership whose asset is the account, as
  FtM 4 has no account holder);
* the accounts of planted cases and their holders;
* people only where they are directors, case parties, asset buyers or holders
  of a written account, and an Employment for case parties with an employer and a
  sample of the others;
* the planted purchases (RealEstate, Vehicle) and their buyers' Ownership;
* an Address entity for every address that more than one written party shares.

Entity resolution: about 30% of the people and 15% of the companies also
appear as one or two records from other sources (a property register, the
motor vehicle registry, the state business filings), with typos, nicknames,
day and month transposed, other address formats and missing fields. The truth
file says which records are one entity.

A person's SSN appears (as idNumber) on a subset of records only. Nothing about
nationality, ethnicity, religion, citizenship, birth place or a person's
country is written.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from moneytrail.synth._calendar import SECONDS_PER_DAY
from moneytrail.synth._generate import World
from moneytrail.synth._ids import account_record_id, asset_record_id, party_record_id
from moneytrail.synth._names import CITIES, NICKNAMES
from moneytrail.synth._world import BANKS, BUSINESS, COMPANY, FOREIGN_BANKS, PERSON, Ints
from moneytrail.synth._write_aml import write_rows

FILE = "entities.ftm.json"
TRUTH_FILE = "entities.csv"
_SEED_OFFSET = 0x46544D  # "FTM": variants draw from their own stream
PERSON_VARIANT_SHARE = 0.30
COMPANY_VARIANT_SHARE = 0.15
SSN_SHARE = 0.40
EMPLOYMENT_SHARE = 0.30  # of written people outside the cases, whose employment is written
PERSON_SOURCES = ("property", "dmv")
COMPANY_SOURCE = "filings"

# Schemas in file order: parties and things first, then the edges between them.
_ORDER = ("Address", "Company", "Person", "BankAccount", "RealEstate", "Vehicle",
          "Directorship", "Employment", "Ownership")  # fmt: skip
_STREET_WORDS = {"St": "Street", "Ave": "Avenue", "Dr": "Drive", "Ln": "Lane", "Rd": "Road",
                 "Blvd": "Boulevard", "Way": "Way", "Pkwy": "Parkway"}  # fmt: skip
_SUFFIX_VARIANTS = {"LLC": ("L.L.C.", "Llc"), "Inc": ("Incorporated", "Inc."),
                    "Corp": ("Corporation", "Corp."), "Co": ("Company", "Co."),
                    "Ltd": ("Limited", "Ltd.")}  # fmt: skip

Props = dict[str, list[str]]


@dataclass(frozen=True)
class _Entity:
    schema: str
    id: str
    properties: Props

    def line(self) -> str:
        obj = {"id": self.id, "schema": self.schema, "properties": self.properties}
        return json.dumps(obj, ensure_ascii=False, sort_keys=True, separators=(",", ":"))

    def key(self) -> tuple[int, int, str]:
        """Schema, then the number at the end of the id, then the id: variants beside their original."""
        number = re.search(r"\d+$", self.id)
        return (_ORDER.index(self.schema), int(number.group()) if number else -1, self.id)


def write(world: World, outdir: Path) -> list[Path]:
    outdir.mkdir(parents=True, exist_ok=True)
    (outdir / "truth").mkdir(exist_ok=True)
    entities, truth = _entities(world)
    entities.sort(key=_Entity.key)
    path = outdir / FILE
    with path.open("w", encoding="utf-8", newline="\n") as fh:
        for entity in entities:
            fh.write(entity.line() + "\n")
    truth_path = outdir / "truth" / TRUTH_FILE
    truth.sort(key=lambda r: (r[1], r[0]))
    write_rows(truth_path, ["record_id", "entity_id", "kind"], [list(r) for r in truth])
    return [path, truth_path]


def _day(day: int) -> str:
    return str(np.datetime64(int(day), "D"))


def _dollars(cents: int) -> str:
    return f"{cents // 100}.{cents % 100:02d}"


def _entities(world: World) -> tuple[list[_Entity], list[tuple[str, str, str]]]:
    b = _Builder(world)
    parties, accounts = b.parties, world.population.accounts
    companies = np.flatnonzero(parties.kind == COMPANY)
    case_accounts = np.unique(np.array([a for _, a, _ in world.truth.accounts], np.int64))
    acct_list = np.union1d(np.flatnonzero(accounts.kind == BUSINESS), case_accounts)
    holders = accounts.holder[acct_list]
    case_parties = np.array([p for _, p, _ in world.truth.parties], np.int64)
    directors = parties.director[companies]
    people = np.unique(
        np.r_[directors[directors >= 0], case_parties, world.assets.buyer, holders[holders >= 0]]
    ).astype(np.int64)
    people = people[parties.kind[people] == PERSON]
    b.addresses(np.union1d(companies, people))
    b.companies(companies)
    b.people(people)
    b.accounts(acct_list)
    b.assets()
    return b.out, b.truth


class _Builder:
    """The entities of one world, added kind by kind."""

    def __init__(self, world: World) -> None:
        self.world = world
        self.parties = world.population.parties
        self.rng = np.random.default_rng(world.seed + _SEED_OFFSET)
        self.out: list[_Entity] = []
        self.truth: list[tuple[str, str, str]] = []
        self.address_id: dict[tuple[str, int], str] = {}
        self.employer = self.parties.employer

    def add(self, schema: str, entity_id: str, props: Props) -> None:
        self.out.append(_Entity(schema, entity_id, props))

    def party(self, schema: str, record_id: str, party: int, props: Props) -> None:
        self.add(schema, record_id, props)
        self.truth.append((record_id, f"entity-p{party}", schema.lower()))

    def addresses(self, written: Ints) -> None:
        """An Address entity for each address more than one written party shares."""
        parties = self.parties
        by_place: dict[tuple[str, int], list[int]] = {}
        for i in written.tolist():
            by_place.setdefault((str(parties.street[i]), int(parties.city[i])), []).append(i)
        shared = sorted((min(v), k) for k, v in by_place.items() if len(v) > 1)
        for k, (first, (street, city)) in enumerate(shared):
            aid = f"synth-address-{k}"
            self.address_id[(street, city)] = aid
            name, state, _ = CITIES[city]
            full = parties.address(first)
            self.add("Address", aid, {
                "full": [full], "street": [street], "city": [name], "state": [state],
                "postalCode": [full.rsplit(" ", 1)[1]],
            })  # fmt: skip

    def place(self, i: int) -> Props:
        props: Props = {"address": [self.parties.address(i)]}
        aid = self.address_id.get((str(self.parties.street[i]), int(self.parties.city[i])))
        if aid is not None:
            props["addressEntity"] = [aid]
        return props

    def companies(self, companies: Ints) -> None:
        parties, rng = self.parties, self.rng
        for i in companies.tolist():
            rid, ein = party_record_id(i), str(parties.tax_id[i])
            props: Props = {"name": [str(parties.name[i])], **self.place(i)}
            if parties.registered[i]:
                props["incorporationDate"] = [_day(int(parties.registered[i]))]
            if ein:
                props["registrationNumber"] = [ein]
                props["taxNumber"] = [ein]
            self.party("Company", rid, i, props)
            if rng.random() < COMPANY_VARIANT_SHARE:
                variant = _company_variant(rng, props)
                self.party("Company", party_record_id(i, COMPANY_SOURCE), i, variant)
            d = int(parties.director[i])
            if d >= 0:
                self.add("Directorship", f"synth-directorship-p{i}", {
                    "director": [party_record_id(d)], "organization": [rid], "role": ["director"],
                })  # fmt: skip

    def people(self, people: Ints) -> None:
        parties, rng = self.parties, self.rng
        with_ssn = rng.random(len(people)) < SSN_SHARE
        in_case = np.isin(people, [p for _, p, _ in self.world.truth.parties])
        employed = in_case | (rng.random(len(people)) < EMPLOYMENT_SHARE)
        for n, i in enumerate(people.tolist()):
            rid = party_record_id(i)
            first, last = str(parties.first[i]), str(parties.last[i])
            props: Props = {"name": [f"{first} {last}".strip()], "firstName": [first],
                            "lastName": [last], **self.place(i)}  # fmt: skip
            if parties.birth[i]:
                props["birthDate"] = [_day(int(parties.birth[i]))]
            if with_ssn[n] and parties.tax_id[i]:
                props["idNumber"] = [str(parties.tax_id[i])]
            props = {k: vs for k, vs in props.items() if all(vs)}
            self.party("Person", rid, i, props)
            if rng.random() < PERSON_VARIANT_SHARE:
                for source in PERSON_SOURCES[: 1 + int(rng.random() < 0.4)]:
                    variant = _person_variant(rng, props)
                    self.party("Person", party_record_id(i, source), i, variant)
            employer = int(self.employer[i])
            if employer >= 0 and employed[n]:
                self.add("Employment", f"synth-employment-p{i}", {
                    "employee": [rid], "employer": [party_record_id(employer)],
                })  # fmt: skip

    def accounts(self, accounts_written: Ints) -> None:
        accounts = self.world.population.accounts
        for j in accounts_written.tolist():
            aid = account_record_id(j)
            props: Props = {"accountNumber": [str(accounts.number[j])]}
            bank = int(accounts.bank[j])
            if bank < len(BANKS):
                props["bic"], props["bankName"] = [BANKS[bank][1]], [BANKS[bank][2]]
                props["currency"] = ["USD"]
            else:
                code, currency = FOREIGN_BANKS[bank - len(BANKS)]
                props["bankName"] = [f"{currency} correspondent bank {code}"]
            self.add("BankAccount", aid, props)
            holder = int(accounts.holder[j])
            if holder >= 0:
                self.add("Ownership", f"synth-holder-a{j}", {
                    "owner": [party_record_id(holder)], "asset": [aid], "role": ["account holder"],
                })  # fmt: skip

    def assets(self) -> None:
        assets = self.world.assets
        ts = self.world.ledger.column("ts")
        for k in range(len(assets.kind)):
            kid = asset_record_id(k)
            description = str(assets.description[k])
            props: Props = {"name": [description], "currency": ["USD"],
                            "amount": [_dollars(int(assets.price_cents[k]))]}  # fmt: skip
            buyer = int(assets.buyer[k])
            if str(assets.kind[k]) == "vehicle":
                self.add("Vehicle", kid, {**props, "model": [description]})
            else:
                self.add("RealEstate", kid, {**props, "address": [self.parties.address(buyer)]})
            owned: Props = {"owner": [party_record_id(buyer)], "asset": [kid], "role": ["buyer"]}
            txn = int(assets.purchase_txn[k])
            if 0 <= txn < len(ts):
                owned["startDate"] = [_day(int(ts[txn]) // SECONDS_PER_DAY)]
            self.add("Ownership", f"synth-ownership-asset-{k}", owned)


# ---- record variants ---------------------------------------------------------------


def _typo(rng: np.random.Generator, text: str) -> str:
    """One adjacent swap or one dropped letter; short words are left alone."""
    if len(text) < 4:
        return text
    k = int(rng.integers(1, len(text) - 1))
    if rng.random() < 0.5 and text[k] != text[k + 1]:
        return text[:k] + text[k + 1] + text[k] + text[k + 2 :]
    return text[:k] + text[k + 1 :]


def _address_variant(rng: np.random.Generator, address: str) -> str:
    how = int(rng.integers(0, 4))
    if how == 0:  # abbreviations spelled out
        street, _, rest = address.partition(", ")
        words = street.split(" ")
        street = " ".join(_STREET_WORDS.get(w, w) for w in words)
        return f"{street}, {rest}"
    if how == 1:
        return address.upper()
    if how == 2:  # no unit, no ZIP
        address = re.sub(r" Suite \d+", "", address)
        return address.rsplit(" ", 1)[0]
    return address.replace(", ", " ")


def _person_variant(rng: np.random.Generator, props: Props) -> Props:
    first, last = props["firstName"][0], props["lastName"][0]
    out: Props = {k: list(v) for k, v in props.items() if k != "addressEntity"}
    if rng.random() < 0.5:
        out.pop("idNumber", None)
    changes = rng.permutation(5)[: int(rng.integers(1, 3))].tolist()
    for change in changes:
        if change == 0:
            first = NICKNAMES.get(first, first[0] + ".")
        elif change == 1:
            last = _typo(rng, last)
        elif change == 2 and "birthDate" in out:
            year, month, day = out["birthDate"][0].split("-")
            if int(day) <= 12 and day != month:
                out["birthDate"] = [f"{year}-{day}-{month}"]
            else:
                del out["birthDate"]
        elif change == 3 and "address" in out:
            out["address"] = [_address_variant(rng, out["address"][0])]
        elif change == 4:
            out.pop("address" if rng.random() < 0.5 else "birthDate", None)
    if (first, last) == (props["firstName"][0], props["lastName"][0]) and out == {
        k: v for k, v in props.items() if k != "addressEntity"
    }:  # nothing changed: another source writes the first name differently
        first = NICKNAMES.get(first, first[0] + ".")
    out["firstName"], out["lastName"] = [first], [last]
    out["name"] = [f"{first} {last}"]
    return out


def _company_variant(rng: np.random.Generator, props: Props) -> Props:
    out: Props = {k: list(v) for k, v in props.items() if k != "addressEntity"}
    name = props["name"][0]
    head, _, suffix = name.rpartition(" ")
    if suffix in _SUFFIX_VARIANTS:
        name = f"{head} {_SUFFIX_VARIANTS[suffix][int(rng.integers(0, 2))]}"
    else:
        name = _typo(rng, name)
    if rng.random() < 0.3:
        name = name.upper()
    out["name"] = [name]
    if "address" in out and rng.random() < 0.5:
        out["address"] = [_address_variant(rng, out["address"][0])]
    if rng.random() < 0.4:
        out.pop("incorporationDate", None)
    if rng.random() < 0.5:
        out.pop("registrationNumber", None)
    return out


__all__ = ["FILE", "TRUTH_FILE", "write"]
