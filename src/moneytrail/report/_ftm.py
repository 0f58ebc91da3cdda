"""The case as FollowTheMoney entities, one JSON object per line (Aleph, `ingest --format ftm`).

Holders become Person, Company, Organization or LegalEntity entities; accounts
become BankAccount entities (bank and currency, the number masked in the
description: raw numbers leave only by an audited reveal); who holds an account
is an Ownership (FtM 4 has no holder property), and each movement a Payment
between the accounts and their first holders. Ids are the warehouse's own
(entity ids, account record ids, transaction ids), made FtM-safe, so the same
case exported twice gives the same ids and `moneytrail ingest` reads the file
back to the same parties, accounts and payments.
"""

from __future__ import annotations

import json
import re

from followthemoney import model

from moneytrail.report._dossier import Account, CaseDossier, Movement, Party

_SCHEMAS = {
    "person": "Person",
    "company": "Company",
    "organization": "Organization",
    "legal_entity": "LegalEntity",
}
_UNSAFE = re.compile(r"[^0-9A-Za-z.\-]+")


def ftm_id(raw: str) -> str:
    """An id FtM accepts (letters, digits, '.' and '-', no leading or trailing punctuation)."""
    safe = _UNSAFE.sub("-", raw).strip(".-")
    return safe or "mt-blank"


def account_id(acct: Account) -> str:
    return ftm_id(acct.record_id) if acct.record_id else f"mt-account-{acct.account_key}"


def ftm_entities(d: CaseDossier) -> list[dict[str, object]]:
    party_ids = {p.entity_id: ftm_id(p.entity_id) for p in d.parties}
    out = [_party(p, party_ids[p.entity_id]) for p in d.parties]
    first_holder: dict[int, str] = {}
    for a in d.accounts:
        out += _account(a, party_ids, first_holder)
    accounts = {a.account_key: account_id(a) for a in d.accounts}
    out += [_payment(m, accounts, first_holder) for m in d.movements]
    return out


def _party(p: Party, eid: str) -> dict[str, object]:
    e = model.make_entity(_SCHEMAS.get(p.kind, "LegalEntity"))
    e.id = eid
    e.add("name", p.name)
    if p.address:
        e.add("address", p.address)
    if p.kind == "person" and p.birth_date:
        e.add("birthDate", p.birth_date)
    if p.kind != "person" and p.incorporation_date:
        e.add("incorporationDate", p.incorporation_date)
    if p.kind != "person" and p.jurisdiction:
        e.add("jurisdiction", p.jurisdiction, quiet=True)
    return e.to_dict()


def _account(
    a: Account, party_ids: dict[str, str], first_holder: dict[int, str]
) -> list[dict[str, object]]:
    e = model.make_entity("BankAccount")
    e.id = account_id(a)
    if a.bank:
        e.add("bankName", a.bank)
    if a.currency:
        e.add("currency", a.currency, quiet=True)
    e.add("description", f"account {a.masked} (moneytrail key {a.account_key})")
    out = [e.to_dict()]
    for h in a.holders:
        if h not in party_ids:
            continue
        first_holder.setdefault(a.account_key, party_ids[h])
        own = model.make_entity("Ownership")
        own.id = ftm_id(f"mt-holder-{a.account_key}-{party_ids[h]}")
        own.add("owner", party_ids[h])
        own.add("asset", e.id)
        own.add("role", "holder")
        out.append(own.to_dict())
    return out


def _payment(
    m: Movement, accounts: dict[int, str], first_holder: dict[int, str]
) -> dict[str, object]:
    pay = model.make_entity("Payment")
    pay.id = ftm_id(m.txn_id)
    pay.add("date", m.ts.replace(microsecond=0).isoformat())
    pay.add("amount", str(m.amount))
    pay.add("currency", m.currency)
    if m.reference:
        pay.add("transactionNumber", m.reference)
    text = "; ".join(x for x in (m.description, m.channel) if x)
    if text:
        pay.add("purpose", text)
    for side, prop, holder in (
        (m.from_account, "payerAccount", "payer"),
        (m.to_account, "beneficiaryAccount", "beneficiary"),
    ):
        if side is not None and side in accounts:
            pay.add(prop, accounts[side])
            if side in first_holder:
                pay.add(holder, first_holder[side])
    return pay.to_dict()


def ftm_lines(d: CaseDossier) -> bytes:
    lines = [json.dumps(e, sort_keys=True, ensure_ascii=False) for e in ftm_entities(d)]
    return ("\n".join(lines) + "\n").encode("utf-8")
