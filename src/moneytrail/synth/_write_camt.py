"""camt.053.001.08 bank statements of a few accounts of a synthetic world.

`write(world, outdir)` writes `OUTDIR/camt053/<bank>-<number>.xml` for every
tainted-commingling subject (truth.tracing), one account of each of the first
planted cases, every account of a role in STATEMENT_ROLES (the sex-trafficking
controllers, whose card and rent payments name the ad, hosting, hotel, rental,
ride-share and airline merchants that only a statement shows) and a handful of
ordinary personal and business accounts. Each
file holds one statement per calendar month of the world's period, with an
opening (OPBD) and closing (CLBD) balance in USD and one booked entry per USD
movement of the account: a debit where it pays (`cents`), a credit where it is
paid in USD (`received_cents`). AcctSvcrRef is the movement's aml-csv txn id
(its row number in file order), so entries line up with transactions.csv.

Accounts are identified by their number (Othr/Id) and their bank's BIC, never
an IBAN, the way the aml-csv file names them. The XML is built with lxml in a
fixed order and carries no wall-clock time, so the same world gives the same
bytes.
"""

from __future__ import annotations

from datetime import UTC, datetime
from itertools import pairwise
from pathlib import Path
from typing import Any

import numpy as np
from lxml import etree

from moneytrail.synth._generate import World
from moneytrail.synth._ledger import CARD as CARD_CHANNEL
from moneytrail.synth._ledger import CASH as CASH_CHANNEL
from moneytrail.synth._ledger import CHEQUE, USD
from moneytrail.synth._world import BANKS, BUSINESS, CASH, FOREIGN, FOREIGN_BANKS, PERSONAL, Ints

NS = "urn:iso:std:iso:20022:tech:xsd:camt.053.001.08"
PLANTED_ACCOUNTS = 8
"""How many planted-case accounts get statements (one per case, first cases first)."""
ORDINARY_ACCOUNTS = 10
"""How many ordinary personal and business accounts get statements."""
STATEMENT_ROLES = frozenset({("sex_trafficking", "controller")})
"""(case typology, account role) pairs whose accounts all get statements."""

# Bank transaction codes (domain PMNT): (family, sub-family) for a debit and for a credit.
_CODES: dict[str, tuple[tuple[str, str], tuple[str, str]]] = {
    "card": (("CCRD", "POSD"), ("MCRD", "POSD")),
    "cash": (("CNTR", "CWDL"), ("CNTR", "CDPT")),
    "cheque": (("ICHQ", "CCHQ"), ("RCHQ", "CCHQ")),
    "transfer": (("ICDT", "DMCT"), ("RCDT", "DMCT")),
}


def write(world: World, outdir: Path) -> list[Path]:
    """Write the statements; return the files written, in account order."""
    folder = outdir / "camt053"
    folder.mkdir(parents=True, exist_ok=True)
    frame = world.frame
    ts = frame["ts"]
    if len(ts) == 0:
        return []
    months = _months(int(ts[0]), int(ts[-1]))
    written: list[Path] = []
    for account in select_accounts(world).tolist():
        rows, credit = movements(world, account)
        root = _document(world, account, rows, credit, months)
        accounts = world.population.accounts
        path = folder / f"{_bank_code(int(accounts.bank[account]))}-{accounts.number[account]}.xml"
        path.write_bytes(
            etree.tostring(root, xml_declaration=True, encoding="UTF-8", pretty_print=True)
        )
        written.append(path)
    return written


def select_accounts(world: World) -> Ints:
    """The accounts that get statements, in a fixed order: tracing, planted, roles, ordinary.

    Only the ordinary picks are drawn at random, from their own stream, so the
    other choices never change which ordinary accounts are picked.
    """
    accounts = world.population.accounts
    banked = np.isin(accounts.kind, [PERSONAL, BUSINESS])
    chosen: list[int] = []
    for t in world.truth.tracing:
        a = int(t["account"])
        if a not in chosen:
            chosen.append(a)
    cases_seen: set[int] = set()
    planted: set[int] = set()
    for case, a, _role in world.truth.accounts:
        planted.add(a)
        wanted = len(cases_seen) < PLANTED_ACCOUNTS and case not in cases_seen
        if wanted and banked[a] and a not in chosen:
            chosen.append(a)
            cases_seen.add(case)
    typology = {c.case_id: c.typology for c in world.truth.cases}
    for case, a, role in world.truth.accounts:
        if (typology[case], role) in STATEMENT_ROLES and banked[a] and a not in chosen:
            chosen.append(a)
    frame = world.frame
    active = np.zeros(len(accounts), bool)
    active[frame["src"]] = True
    active[frame["dst"]] = True
    ordinary = np.flatnonzero(banked & active)
    ordinary = ordinary[~np.isin(ordinary, np.array(sorted(planted | set(chosen)), np.int64))]
    rng = np.random.default_rng([world.seed, 53])
    picked = rng.choice(ordinary, min(ORDINARY_ACCOUNTS, len(ordinary)), replace=False)
    return np.array(chosen + sorted(picked.tolist()), np.int64)


def movements(world: World, account: int) -> tuple[Ints, Ints]:
    """The account's USD movements: frame rows in file order and 1 for credits, 0 for debits.

    A movement from the account to itself is a debit then a credit.
    """
    f = world.frame
    debits = np.flatnonzero((f["src"] == account) & (f["currency"] == USD))
    credits = np.flatnonzero((f["dst"] == account) & (f["received_currency"] == USD))
    rows = np.r_[debits, credits]
    credit = np.r_[np.zeros(len(debits), np.int64), np.ones(len(credits), np.int64)]
    order = np.lexsort((credit, rows))
    return rows[order], credit[order]


def _months(first_ts: int, last_ts: int) -> list[tuple[int, int]]:
    """(start, end) unix seconds of each calendar month from first_ts to last_ts, end exclusive."""
    lo = np.datetime64(first_ts, "s").astype("datetime64[M]")
    hi = np.datetime64(last_ts, "s").astype("datetime64[M]")
    starts = np.arange(lo, hi + 2).astype("datetime64[s]").astype(np.int64).tolist()
    return list(pairwise(starts))


def _bank_code(bank: int) -> str:
    return BANKS[bank][0] if bank < len(BANKS) else FOREIGN_BANKS[bank - len(BANKS)][0]


def _day(seconds: int) -> str:
    return datetime.fromtimestamp(seconds, UTC).strftime("%Y-%m-%d")


def _moment(seconds: int) -> str:
    return datetime.fromtimestamp(seconds, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _amount(cents: int) -> str:
    return f"{cents // 100}.{cents % 100:02d}"


def _channel(code: int) -> str:
    if code == CHEQUE:
        return "cheque"
    if code == CASH_CHANNEL:
        return "cash"
    if code == CARD_CHANNEL:
        return "card"
    return "transfer"


def _sub(parent: Any, tag: str, text: str | None = None, **attrib: str) -> Any:
    elem = etree.SubElement(parent, f"{{{NS}}}{tag}", attrib)
    if text is not None:
        elem.text = text
    return elem


def _path(parent: Any, tags: str, text: str | None = None) -> Any:
    """Nested elements 'A/B/C' under parent; the last gets `text`."""
    names = tags.split("/")
    for name in names[:-1]:
        parent = _sub(parent, name)
    return _sub(parent, names[-1], text)


class _Labels:
    """Names and bank identifiers of accounts, as a statement shows them."""

    def __init__(self, world: World) -> None:
        self.pop = world.population

    def name(self, account: int) -> str:
        accounts = self.pop.accounts
        holder = int(accounts.holder[account])
        if holder >= 0:
            return str(self.pop.parties.name[holder])
        bank = int(accounts.bank[account])
        if bank >= len(BANKS):
            code, currency = FOREIGN_BANKS[bank - len(BANKS)]
            return f"{currency} correspondent bank {code}"
        if int(accounts.kind[account]) == CASH:
            return f"{BANKS[bank][2]} branch {int(accounts.branch[account])} cash"
        return f"{BANKS[bank][2]} customer"

    def bic(self, account: int) -> str | None:
        bank = int(self.pop.accounts.bank[account])
        return BANKS[bank][1] if bank < len(BANKS) else None


def _document(
    world: World, account: int, rows: Ints, credit: Ints, months: list[tuple[int, int]]
) -> Any:
    frame = world.frame
    accounts = world.population.accounts
    labels = _Labels(world)
    number = str(accounts.number[account])
    bic = labels.bic(account)
    if bic is None or int(accounts.kind[account]) == FOREIGN:
        raise ValueError(f"account {account} is not held by a domestic bank")
    ts = frame["ts"][rows]
    cents = np.where(credit == 1, frame["received_cents"][rows], frame["cents"][rows])
    signed = np.where(credit == 1, cents, -cents)
    counterparty = np.where(credit == 1, frame["src"][rows], frame["dst"][rows])
    channel = frame["channel"][rows]
    bounds = np.searchsorted(ts, [m[0] for m in months] + [months[-1][1]], side="left")
    balance = int(world.opening_cents[account])
    created = _moment(months[-1][1])

    nsmap: Any = {None: NS}  # the stubs want str keys; None makes NS the default namespace
    root = etree.Element(f"{{{NS}}}Document", nsmap=nsmap)
    report = _sub(root, "BkToCstmrStmt")
    header = _sub(report, "GrpHdr")
    _sub(header, "MsgId", f"SYNTH-{world.seed}-{number}")
    _sub(header, "CreDtTm", created)
    for m, (start, end) in enumerate(months):
        lo, hi = int(bounds[m]), int(bounds[m + 1])
        closing = balance + int(signed[lo:hi].sum())
        month = _day(start)[:7]
        stmt = _sub(report, "Stmt")
        _sub(stmt, "Id", f"{number}-{month}")
        _sub(stmt, "ElctrncSeqNb", str(m + 1))
        _sub(stmt, "CreDtTm", _moment(end))
        period = _sub(stmt, "FrToDt")
        _sub(period, "FrDtTm", _moment(start))
        _sub(period, "ToDtTm", _moment(end - 1))
        acct = _sub(stmt, "Acct")
        _path(acct, "Id/Othr/Id", number)
        _sub(acct, "Ccy", "USD")
        _path(acct, "Ownr/Nm", labels.name(account))
        _path(acct, "Svcr/FinInstnId/BICFI", bic)
        _balance(stmt, "OPBD", balance, _day(start))
        _balance(stmt, "CLBD", closing, _day(end - 1))
        summary = _sub(stmt, "TxsSummry")
        _path(summary, "TtlNtries/NbOfNtries", str(hi - lo))
        for k in range(lo, hi):
            is_credit = bool(credit[k])
            other = int(counterparty[k])
            _entry(
                stmt,
                txn_id=str(int(rows[k]) + 1),
                cents=int(cents[k]),
                credit=is_credit,
                when=int(ts[k]),
                channel=_channel(int(channel[k])),
                name=labels.name(other),
                number=str(accounts.number[other]),
                bic=labels.bic(other),
            )
        balance = closing
    return root


def _balance(stmt: Any, kind: str, cents: int, day: str) -> None:
    bal = _sub(stmt, "Bal")
    _path(bal, "Tp/CdOrPrtry/Cd", kind)
    _sub(bal, "Amt", _amount(abs(cents)), Ccy="USD")
    _sub(bal, "CdtDbtInd", "DBIT" if cents < 0 else "CRDT")
    _path(bal, "Dt/Dt", day)


def _entry(
    stmt: Any,
    *,
    txn_id: str,
    cents: int,
    credit: bool,
    when: int,
    channel: str,
    name: str,
    number: str,
    bic: str | None,
) -> None:
    ntry = _sub(stmt, "Ntry")
    _sub(ntry, "Amt", _amount(cents), Ccy="USD")
    _sub(ntry, "CdtDbtInd", "CRDT" if credit else "DBIT")
    _path(ntry, "Sts/Cd", "BOOK")
    _path(ntry, "BookgDt/DtTm", _moment(when))
    _path(ntry, "ValDt/Dt", _day(when))
    _sub(ntry, "AcctSvcrRef", txn_id)
    family, sub = _CODES[channel][int(credit)]
    domain = _path(ntry, "BkTxCd/Domn")
    _sub(domain, "Cd", "PMNT")
    fmly = _sub(domain, "Fmly")
    _sub(fmly, "Cd", family)
    _sub(fmly, "SubFmlyCd", sub)
    tx = _path(ntry, "NtryDtls/TxDtls")
    _path(tx, "Refs/AcctSvcrRef", txn_id)
    _sub(tx, "Amt", _amount(cents), Ccy="USD")
    _sub(tx, "CdtDbtInd", "CRDT" if credit else "DBIT")
    side = "Dbtr" if credit else "Cdtr"
    parties = _sub(tx, "RltdPties")
    _path(parties, f"{side}/Pty/Nm", name)
    _path(parties, f"{side}Acct/Id/Othr/Id", number)
    if bic is not None:
        _path(tx, f"RltdAgts/{side}Agt/FinInstnId/BICFI", bic)
