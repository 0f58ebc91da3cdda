"""What every export of a case is made from: one typed, access-checked snapshot.

`collect_case` (in `_collect`) fills a `CaseDossier`; the writers (goAML,
FinCEN SAR, narrative, FtM, charts, PDF, schedules) read nothing else. Every
figure keeps the warehouse rows it came from (`Source`), so a sentence of the
narrative or a line of a schedule can be traced back to its file and row.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal

from moneytrail.access import Label, Principal


@dataclass(frozen=True, order=True)
class Source:
    """Where a fact was loaded from: the file (sources.name) and its 1-based row."""

    file: str
    row: int

    def __str__(self) -> str:
        return f"{self.file} row {self.row}"


@dataclass(frozen=True)
class Party:
    """A person or organisation as the warehouse records it (one resolved entity)."""

    entity_id: str  # resolved entity id, else the party record id
    kind: str  # person, company, organization, legal_entity
    name: str
    party_ids: tuple[str, ...]  # the source records that make it up
    birth_date: str | None = None
    incorporation_date: str | None = None
    jurisdiction: str | None = None
    address: str | None = None
    accounts: tuple[int, ...] = ()  # account keys it holds
    sources: tuple[Source, ...] = ()


@dataclass(frozen=True)
class Account:
    account_key: int
    masked: str  # e.g. ****1234; raw numbers leave only by an audited reveal
    bank: str | None
    currency: str | None
    record_id: str | None  # source record id (FtM id) when a source names the account
    holders: tuple[str, ...] = ()  # Party.entity_id of each holder
    sources: tuple[Source, ...] = ()
    in_case: bool = True  # False: only a counterparty of a movement behind the case
    protected: bool = False  # a worker's or victim's account: no number, bank or holder


@dataclass(frozen=True)
class Movement:
    """One transaction behind the case, with its provenance."""

    txn_id: str
    ts: datetime
    from_account: int | None
    to_account: int | None
    amount: Decimal
    currency: str
    channel: str | None
    reference: str | None
    description: str | None
    source: Source


@dataclass(frozen=True)
class Hit:
    typology: str
    typology_name: str
    subject: str
    account_key: int | None
    score: float
    evidence: tuple[str, ...]
    reason: str


@dataclass(frozen=True)
class Alert:
    alert_id: str
    typology: str
    typology_name: str
    typologies: tuple[str, ...]
    subject: str
    accounts: tuple[int, ...]
    score: float
    evidence: tuple[str, ...]  # txn ids
    filings: tuple[str, ...]  # w2:/941: references (FTI)
    reason: str
    disposition: str | None
    labels: frozenset[Label]
    hits: tuple[Hit, ...] = ()


@dataclass(frozen=True)
class TraceLine:
    line: int
    section: str
    txn_id: str | None
    ts: datetime | None
    account: str | None
    counterparty: str | None
    amount: Decimal | None
    tainted_amount: Decimal | None
    balance: Decimal | None
    tainted_balance: Decimal | None
    asset_id: str | None
    note: str | None


@dataclass(frozen=True)
class Trace:
    """A saved fund trace (trace_runs) that the case points at as evidence."""

    run_id: int
    rule: str
    saved_at: datetime
    tainted: tuple[str, ...]
    totals: dict[str, Decimal]
    lines: tuple[TraceLine, ...]


@dataclass(frozen=True)
class IncomeLine:
    """A line of the bank-deposits or net-worth schedule of one subject."""

    subject: str  # Party.entity_id
    period: str
    method: str
    label: str
    amount: Decimal
    sources: tuple[str, ...]


@dataclass(frozen=True)
class EmployerFinding:
    employer: str  # masked EIN
    employer_name: str | None
    tax_year: int
    code: str
    severity: str
    count: int
    evidence: tuple[str, ...]
    reason: str
    fti: bool


@dataclass(frozen=True)
class AuditLine:
    seq: int
    at: str
    actor: str
    action: str
    object_type: str
    object_id: str
    outcome: str


@dataclass(frozen=True)
class Withheld:
    """A part of the case left out of the dossier, and the policy's reason."""

    part: str
    reason: str


@dataclass(frozen=True)
class CaseDossier:
    """Everything the exports of one case need, as `principal` may see it."""

    case_id: int
    title: str
    status: str
    owner_agency: str
    summary: str | None
    created_at: str | None
    principal: Principal
    collected_at: datetime
    labels: frozenset[Label]  # of what the dossier holds (derive of its parts)
    legal_bases: tuple[dict[str, object], ...]
    subjects: tuple[dict[str, object], ...]  # as the case store renders them (masked)
    parties: tuple[Party, ...]
    accounts: tuple[Account, ...]
    alerts: tuple[Alert, ...]
    movements: tuple[Movement, ...]
    traces: tuple[Trace, ...]
    income: tuple[IncomeLine, ...]
    employer_findings: tuple[EmployerFinding, ...]
    audit: tuple[AuditLine, ...]
    withheld: tuple[Withheld, ...] = ()
    notes: tuple[str, ...] = field(default=())

    def account(self, key: int | None) -> Account | None:
        return next((a for a in self.accounts if a.account_key == key), None)

    def party(self, entity_id: str) -> Party | None:
        return next((p for p in self.parties if p.entity_id == entity_id), None)

    def holder_names(self, key: int | None) -> str:
        acct = self.account(key)
        if acct is None:
            return "an account outside the case"
        if acct.protected:
            return "a protected person, not named"
        names = list(
            dict.fromkeys(p.name for h in acct.holders if (p := self.party(h)) is not None)
        )
        return " / ".join(names) if names else "holder not recorded"

    def period(self) -> tuple[date, date] | None:
        if not self.movements:
            return None
        days = sorted(m.ts.date() for m in self.movements)
        return days[0], days[-1]
