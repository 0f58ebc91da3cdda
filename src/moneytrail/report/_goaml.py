"""A goAML 5.0.1 STR/SAR report of a case: subjects' accounts and the movements behind it.

Each movement is a `transaction` from the paying account (`t_from`) to the
receiving one (`t_to`), with the holders as signatories (people) or the
account's entity (organisations). Codes that goAML leaves to each FIU's lookup
tables (transmission modes, funds types, report indicators) come from the
profile; "-" (unknown) where it says nothing. The narrative is the `reason`.

The report is checked against the schema (XSD 1.1) and against the profile's
own rules, which the schema cannot express:

    goaml.required      an element the FIU requires is missing or empty
    goaml.max_length    an element is longer than the FIU allows
    goaml.transactions  an STR/SAR must report at least one transaction
    goaml.amount        a transaction amount must be above zero
    goaml.date          a transaction cannot be dated after the report
    goaml.unique        transaction numbers must be unique in a report
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from lxml import etree

from moneytrail.errors import FilingRuleError
from moneytrail.report._dossier import Account, CaseDossier, Movement, Party
from moneytrail.report._narrative import draft_narrative
from moneytrail.report._profiles import Profile
from moneytrail.report._xmlutil import clip, split_address, split_name, sub

FORMAT = "goaml"
DEFAULT_REQUIRED = ("report/reason",)
REASON_LIMIT = 8000  # comments_type in the schema


def _when(ts: datetime) -> str:
    return ts.replace(tzinfo=None, microsecond=0).isoformat()


def build_goaml(d: CaseDossier, profile: Profile, today: datetime) -> etree._Element:
    v = profile.values
    root = etree.Element("report")
    sub(root, "rentity_id", int(v["rentity_id"]))
    sub(root, "rentity_branch", v["rentity_branch"])
    sub(root, "submission_code", v.get("submission_code", "E"))
    sub(root, "report_code", v.get("report_code", "STR"))
    sub(root, "entity_reference", f"moneytrail case {d.case_id}")
    sub(root, "report_date", _when(today))
    sub(root, "currency_code_local", v["currency_code_local"])
    person = sub(root, "reporting_person")
    rp = profile.section("reporting_person")
    sub(person, "first_name", rp["first_name"])
    sub(person, "last_name", rp["last_name"])
    loc = profile.section("location")
    _address(
        sub(root, "location"),
        str(loc.get("address_type", "2")),
        str(loc["address"]),
        str(loc["city"]),
        loc.get("zip"),
        str(loc["country_code"]),
        loc.get("state"),
    )
    reason = draft_narrative(d, with_sources=True)
    limit = min(REASON_LIMIT, profile.max_lengths.get("report/reason", REASON_LIMIT))
    if len(reason) > limit:  # the list of sources goes first, then holders past LISTED
        reason = draft_narrative(d, with_sources=False)
    if len(reason) > limit:
        reason = draft_narrative(d, with_sources=False, compact=True)
    sub(root, "reason", reason)
    if v.get("action"):
        sub(root, "action", v["action"])
    for m in d.movements:
        _transaction(root, d, profile, m)
    indicators = sub(root, "report_indicators")
    codes = profile.section("indicators")
    wanted = sorted(
        {str(codes.get(t, codes.get("default", "-"))) for a in d.alerts for t in a.typologies}
    )
    for code in wanted or [str(codes.get("default", "-"))]:
        sub(indicators, "indicator", code)
    return root


def _address(
    parent: etree._Element,
    kind: str,
    street: str,
    city: str,
    zip_code: object | None,
    country: str,
    state: object | None,
) -> None:
    sub(parent, "address_type", kind)
    sub(parent, "address", clip(street, 100))
    sub(parent, "city", clip(city, 255))
    if zip_code:
        sub(parent, "zip", str(zip_code)[:10])
    sub(parent, "country_code", country)
    if state:
        sub(parent, "state", str(state))


def _transaction(root: etree._Element, d: CaseDossier, profile: Profile, m: Movement) -> None:
    t = sub(root, "transaction")
    sub(t, "transactionnumber", m.txn_id)
    sub(t, "internal_ref_number", f"{m.source.file}:{m.source.row}"[:100])
    payer = d.account(m.from_account)
    sub(
        t,
        "transaction_location",
        clip(
            (payer.bank if payer and payer.bank else None)
            or str(profile.values.get("transaction_location", "unknown")),
            255,
        ),
    )
    text = "; ".join(x for x in (m.reference, m.description) if x) or f"{m.channel or 'payment'}"
    sub(t, "transaction_description", clip(text, 4000))
    sub(t, "date_transaction", _when(m.ts))
    modes = profile.section("transmode")
    sub(t, "transmode_code", str(modes.get(m.channel or "", modes.get("default", "-"))))
    sub(t, "amount_local", f"{m.amount:.2f}")
    funds = str(
        profile.section("funds").get(m.channel or "", profile.section("funds").get("default", "-"))
    )
    country = str(profile.values.get("country_code", profile.section("location")["country_code"]))
    side = sub(t, "t_from")
    sub(side, "from_funds_code", funds)
    _account(sub(side, "from_account"), d, d.account(m.from_account), m.from_account, m.currency)
    sub(side, "from_country", country)
    side = sub(t, "t_to")
    sub(side, "to_funds_code", funds)
    _account(sub(side, "to_account"), d, d.account(m.to_account), m.to_account, m.currency)
    sub(side, "to_country", country)


def _account(
    el: etree._Element, d: CaseDossier, acct: Account | None, key: int | None, currency: str
) -> None:
    sub(
        el,
        "institution_name",
        clip((acct.bank if acct and acct.bank else None) or "not recorded", 255),
    )
    sub(el, "institution_code", ((acct.bank if acct and acct.bank else None) or "-")[:50])
    # Raw account numbers leave moneytrail only by an audited reveal; the masked
    # number and the stable key let the FIU ask the reporting entity for it.
    sub(
        el,
        "account",
        f"{acct.masked if acct else 'unknown'} (key {key})" if key is not None else "unknown",
    )
    if currency:
        sub(el, "currency_code", currency)
    holders = [p for h in (acct.holders if acct else ()) if (p := d.party(h)) is not None]
    if holders:
        sub(el, "account_name", clip(" / ".join(p.name for p in holders), 255))
    entity = next((p for p in holders if p.kind != "person"), None)
    if entity is not None:
        ent = sub(el, "t_entity")
        sub(ent, "name", clip(entity.name, 255))
        _party_address(ent, entity)
    people = [p for p in holders if p.kind == "person"]
    for p in people:
        sig = sub(el, "signatory")
        _person(sub(sig, "t_person"), p)


def _person(el: etree._Element, p: Party) -> None:
    first, last = split_name(p.name)
    sub(el, "first_name", clip(first or "-", 100))
    sub(el, "last_name", clip(last, 100))
    if p.birth_date and len(p.birth_date) == 10:
        sub(el, "birthdate", f"{p.birth_date}T00:00:00")
    _party_address(el, p)


def _party_address(el: etree._Element, p: Party) -> None:
    if not p.address:
        return
    a = split_address(p.address)
    addresses = sub(el, "addresses")
    _address(
        sub(addresses, "address"), "1", a.street, a.city or "-", a.zip, a.country or "-", a.state
    )


def check_goaml(root: etree._Element, profile: Profile) -> list[str]:
    """Broken business rules, each as 'rule: what is wrong' (empty when the report passes)."""
    problems: list[str] = []
    for path in (*DEFAULT_REQUIRED, *profile.required):
        rel = path.removeprefix("report/")
        found = root.findall(rel) if rel != "report" else [root]
        if not found or any(not "".join(str(x) for x in f.itertext()).strip() for f in found):
            problems.append(
                f"goaml.required: {path} is required by {profile.recipient} and is missing or empty"
            )
    limits = dict(profile.max_lengths)
    limits["report/reason"] = min(limits.get("report/reason", REASON_LIMIT), REASON_LIMIT)
    for path, limit in limits.items():
        rel = path.removeprefix("report/")
        for el in root.findall(rel):
            size = len("".join(str(x) for x in el.itertext()))
            if size > limit:
                problems.append(
                    f"goaml.max_length: {path} is {size:,} characters; {profile.recipient} allows {limit:,}"
                )
    txns = root.findall("transaction")
    if not txns and root.findtext("report_code") in ("STR", "SAR"):
        problems.append("goaml.transactions: an STR/SAR must report at least one transaction")
    report_date = root.findtext("report_date") or ""
    seen: set[str] = set()
    for t in txns:
        number = t.findtext("transactionnumber") or ""
        if number in seen:
            problems.append(f"goaml.unique: transaction number {number} appears twice")
        seen.add(number)
        amount = Decimal(t.findtext("amount_local") or "0")
        if amount <= 0:
            problems.append(f"goaml.amount: transaction {number} has amount {amount}")
        when = t.findtext("date_transaction") or ""
        if report_date and when > report_date:
            problems.append(
                f"goaml.date: transaction {number} is dated {when}, after the report ({report_date})"
            )
    return problems


def goaml_bytes(root: etree._Element, profile: Profile) -> bytes:
    problems = check_goaml(root, profile)
    if problems:
        raise FilingRuleError(FORMAT, problems)
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8", pretty_print=True)
