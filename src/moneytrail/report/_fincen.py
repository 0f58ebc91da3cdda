"""A FinCEN SAR XML batch (SAR XML Schema 2.0) of one case, and the user guide's rules.

One `Activity` per case: the transmitter (35), its contact (37), the filing
institution (30), its contact office (8), the institution where the activity
occurred (34; the filer unless the profile says otherwise), one subject (33)
per recorded holder of the case's accounts, the suspicious activity (dates,
amount in whole dollars, classifications) and the narrative in up to five
parts of 4,000 characters. Identifiers come from the profile; subjects'
account numbers are not sent (they leave moneytrail only by an audited reveal)
and the narrative names the accounts masked.

Rules of the user guide the schema cannot check, verified on every batch:

    sar.counts        root attributes: ActivityCount = <Activity> elements, PartyCount =
                      <Party> elements whose type is 33 (subject), TotalAmount = the sum
                      of <TotalSuspiciousAmountText>, attachment counts 0 without attachments
    sar.seqnum        SeqNum values are unique, positive and increase through the file
    sar.parties       each activity has exactly one transmitter (35), transmitter contact
                      (37), filing institution (30) and contact office (8), 1-99
                      institutions where the activity occurred (34), 1-999 subjects (33)
    sar.transmitter   the transmitter has a name, address, phone, TCC (28) and TIN (4)
    sar.filer         the filer has a regulator, name, address, TIN (2) and a classification
    sar.subject       a subject has a legal name (last or entity name) or says that all
                      critical information is unavailable
    sar.amount        amounts are whole dollars
    sar.narrative     narrative parts are numbered 1.. in order; at least one
    sar.association   exactly one of initial, correcting or continuing report
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from datetime import datetime
from decimal import Decimal

from lxml import etree

from moneytrail.errors import FilingRuleError
from moneytrail.report._dossier import CaseDossier, Party
from moneytrail.report._narrative import draft_narrative
from moneytrail.report._profiles import Profile
from moneytrail.report._xmlutil import clip, split_address, split_name

FORMAT = "fincen-sar"
NS = "www.fincen.gov/base"
_Q = f"{{{NS}}}"
NARRATIVE_PART = 4000
NARRATIVE_PARTS = 5

# Catalogue typology -> (SuspiciousActivityTypeID, SubtypeID), from the codes the
# schema documents; a profile's [sar_codes] section overrides any of them.
DEFAULT_CODES: dict[str, tuple[int, int]] = {
    "MT-S": (1, 114),  # structuring: transaction(s) below CTR threshold
    "MT-T001": (8, 824),  # funnel account
    "MT-T": (9, 927),  # human trafficking red flags
    "MT-E": (9, 925),  # employer checks: no apparent lawful purpose (other 9999 would need text)
    "MT-C": (9, 925),  # shell pass-through
    "MT-L008": (8, 821),  # source of funds
    "MT-L": (8, 807),  # layering across accounts: suspicious use of multiple accounts
}


def _codes_for(typology: str, profile: Profile) -> tuple[int, int]:
    own = profile.section("sar_codes").get(typology)
    if isinstance(own, list) and len(own) == 2:
        return int(own[0]), int(own[1])
    for prefix in sorted(DEFAULT_CODES, key=len, reverse=True):
        if typology.startswith(prefix):
            return DEFAULT_CODES[prefix]
    return (9, 925)


class _Seq:
    def __init__(self) -> None:
        self.n = 0

    def __call__(self) -> str:
        self.n += 1
        return str(self.n)


def _el(
    parent: etree._Element, tag: str, text: object | None = None, seq: _Seq | None = None
) -> etree._Element:
    el = etree.SubElement(parent, _Q + tag)
    if seq is not None:
        el.set("SeqNum", seq())
    if text is not None:
        el.text = str(text)
    return el


def build_sar(d: CaseDossier, profile: Profile, today: datetime) -> etree._Element:
    seq = _Seq()
    root = etree.Element(_Q + "EFilingBatchXML", nsmap={"fc2": NS})
    _el(root, "FormTypeCode", "SARX")
    act = _el(root, "Activity", seq=seq)
    _el(act, "FilingDateText", f"{today:%Y%m%d}")
    assoc = _el(act, "ActivityAssociation", seq=seq)
    _el(assoc, "InitialReportIndicator", "Y")
    tx = profile.section("transmitter")
    p = _party(act, "35", seq)
    _name(p, seq, full=tx["name"])
    _addr(p, seq, tx["street"], tx["city"], tx["state"], tx["zip"], tx.get("country", "US"))
    _phone(p, seq, tx["phone"])
    _ident(p, seq, tx["tcc"], "28")
    _ident(p, seq, tx["tin"], "4")
    p = _party(act, "37", seq)
    _name(p, seq, full=profile.text("transmitter_contact", "name"))
    filer = profile.section("filer")
    _institution(act, "30", filer, seq)
    office = profile.section("contact_office")
    p = _party(act, "8", seq)
    _name(p, seq, full=office["name"])
    _phone(p, seq, office["phone"])
    _institution(act, "34", profile.section("institution") or filer, seq)
    subjects = list(d.parties)
    if subjects:
        for s in subjects:
            _subject(act, s, seq)
    else:
        p = _party(act, "33", seq)
        _el(p, "AllCriticalSubjectInformationUnavailableIndicator", "Y")
    _activity(act, d, profile, seq)
    text = draft_narrative(d, with_sources=True)
    if len(text) > NARRATIVE_PART * NARRATIVE_PARTS:
        text = draft_narrative(d, with_sources=False)
    if len(text) > NARRATIVE_PART * NARRATIVE_PARTS:
        raise FilingRuleError(
            FORMAT,
            [
                f"sar.narrative: the narrative is {len(text):,} characters; a SAR takes at most "
                f"{NARRATIVE_PARTS} parts of {NARRATIVE_PART:,}: split the case or shorten it"
            ],
        )
    for i, part in enumerate(_parts(text), 1):
        n = _el(act, "ActivityNarrativeInformation", seq=seq)
        _el(n, "ActivityNarrativeSequenceNumber", i)
        _el(n, "ActivityNarrativeText", part)
    _set_counts(root)
    return root


def _parts(text: str) -> Iterator[str]:
    """Narrative in parts of at most 4,000 characters, cut at a space where one is near."""
    while text:
        if len(text) <= NARRATIVE_PART:
            yield text
            return
        cut = text.rfind(" ", NARRATIVE_PART - 200, NARRATIVE_PART)
        cut = cut if cut > 0 else NARRATIVE_PART
        yield text[:cut].strip()
        text = text[cut:].strip()


def _party(act: etree._Element, code: str, seq: _Seq) -> etree._Element:
    p = _el(act, "Party", seq=seq)
    _el(p, "ActivityPartyTypeCode", code)
    return p


def _name(
    p: etree._Element,
    seq: _Seq,
    *,
    full: str | None = None,
    last: str | None = None,
    first: str | None = None,
    code: str = "L",
) -> None:
    n = _el(p, "PartyName", seq=seq)
    _el(n, "PartyNameTypeCode", code)
    if last is not None:
        _el(n, "RawEntityIndividualLastName", clip(last, 150))
        if first:
            _el(n, "RawIndividualFirstName", clip(first, 35))
    if full is not None:
        _el(n, "RawPartyFullName", clip(str(full), 150))


def _addr(
    p: etree._Element,
    seq: _Seq,
    street: object,
    city: object,
    state: object,
    zip_code: object,
    country: object,
) -> None:
    a = _el(p, "Address", seq=seq)
    _el(a, "RawCityText", clip(str(city), 50))
    _el(a, "RawCountryCodeText", str(country)[:2])
    _el(a, "RawStateCodeText", str(state)[:3])
    _el(a, "RawStreetAddress1Text", clip(str(street), 100))
    _el(a, "RawZIPCode", str(zip_code).replace("-", "")[:9])


def _phone(p: etree._Element, seq: _Seq, number: object) -> None:
    ph = _el(p, "PhoneNumber", seq=seq)
    _el(ph, "PhoneNumberText", "".join(c for c in str(number) if c.isdigit())[:16])


def _ident(p: etree._Element, seq: _Seq, number: object, code: str) -> None:
    i = _el(p, "PartyIdentification", seq=seq)
    _el(i, "PartyIdentificationNumberText", "".join(c for c in str(number) if c.isalnum())[:25])
    _el(i, "PartyIdentificationTypeCode", code)


def _institution(act: etree._Element, code: str, inst: dict[str, object], seq: _Seq) -> None:
    p = _party(act, code, seq)
    _el(p, "PrimaryRegulatorTypeCode", inst["regulator"])
    _name(p, seq, full=str(inst["name"]))
    _addr(
        p, seq, inst["street"], inst["city"], inst["state"], inst["zip"], inst.get("country", "US")
    )
    _ident(p, seq, inst["tin"], "2")
    c = _el(p, "OrganizationClassificationTypeSubtype", seq=seq)
    _el(c, "OrganizationTypeID", inst["organization_type"])


def _subject(act: etree._Element, s: Party, seq: _Seq) -> None:
    p = _party(act, "33", seq)
    person = s.kind == "person"
    if person and s.birth_date and len(s.birth_date) == 10:
        _el(p, "IndividualBirthDateText", s.birth_date.replace("-", ""))
    if not person:
        _el(p, "PartyAsEntityOrganizationIndicator", "Y")
    if person:
        first, last = split_name(s.name)
        _name(p, seq, last=last, first=first or None)
    else:
        _name(p, seq, last=s.name)
    if s.address:
        a = split_address(s.address)
        if a.city:
            _addr(p, seq, a.street, a.city, a.state, a.zip, a.country)
        else:
            el = _el(p, "Address", seq=seq)
            _el(el, "CityUnknownIndicator", "Y")
            _el(el, "CountryCodeUnknownIndicator", "Y")
            _el(el, "RawStreetAddress1Text", clip(a.street, 100))
            _el(el, "StateCodeUnknownIndicator", "Y")
            _el(el, "ZIPCodeUnknownIndicator", "Y")
    else:
        el = _el(p, "Address", seq=seq)
        for tag in (
            "CityUnknownIndicator",
            "CountryCodeUnknownIndicator",
            "StateCodeUnknownIndicator",
            "StreetAddressUnknownIndicator",
            "ZIPCodeUnknownIndicator",
        ):
            _el(el, tag, "Y")
    ident = _el(p, "PartyIdentification", seq=seq)
    _el(ident, "TINUnknownIndicator", "Y")


def _activity(act: etree._Element, d: CaseDossier, profile: Profile, seq: _Seq) -> None:
    sa = _el(act, "SuspiciousActivity", seq=seq)
    usd = [m for m in d.movements if m.currency == "USD"]
    span = d.period()
    if not usd:
        _el(sa, "AmountUnknownIndicator", "Y")
    if span is not None:
        _el(sa, "SuspiciousActivityFromDateText", f"{span[0]:%Y%m%d}")
        _el(sa, "SuspiciousActivityToDateText", f"{span[1]:%Y%m%d}")
    else:
        _el(sa, "SuspiciousActivityFromDateText", f"{d.collected_at:%Y%m%d}")
    if usd:
        total = sum((m.amount for m in usd), Decimal(0))
        _el(sa, "TotalSuspiciousAmountText", math.ceil(total))  # whole dollars, rounded up
    codes: dict[int, int] = {}
    typologies = sorted({t for a in d.alerts for t in a.typologies})
    typologies += sorted({f"MT-E:{f.code}" for f in d.employer_findings})
    for t in typologies:
        kind, subtype = _codes_for(t, profile)
        codes.setdefault(subtype, kind)
    if not codes:
        codes[925] = 9  # transaction with no apparent economic, business, or lawful purpose
    for subtype, kind in sorted(codes.items()):
        c = _el(sa, "SuspiciousActivityClassification", seq=seq)
        _el(c, "SuspiciousActivitySubtypeID", subtype)
        _el(c, "SuspiciousActivityTypeID", kind)


def _local(el: etree._Element) -> str:
    return etree.QName(el).localname


def _parties(root: etree._Element, code: str | None = None) -> list[etree._Element]:
    out = []
    for act in root.findall(_Q + "Activity"):
        for p in act.findall(_Q + "Party"):
            if code is None or p.findtext(_Q + "ActivityPartyTypeCode") == code:
                out.append(p)
    return out


def _set_counts(root: etree._Element) -> None:
    amounts = [Decimal(x.text or "0") for x in root.iter(_Q + "TotalSuspiciousAmountText")]
    root.set("TotalAmount", str(sum(amounts, Decimal(0))))
    root.set("PartyCount", str(len(_parties(root, "33"))))
    root.set("ActivityCount", str(len(root.findall(_Q + "Activity"))))
    root.set("ActivityAttachmentCount", "0")
    root.set("AttachmentCount", "0")


def check_sar(root: etree._Element) -> list[str]:
    """Broken user-guide rules, each as 'rule: what is wrong' (empty when the batch passes)."""
    problems: list[str] = []
    acts = root.findall(_Q + "Activity")
    amounts = [x.text or "" for x in root.iter(_Q + "TotalSuspiciousAmountText")]
    for a in amounts:
        if not a.isdigit():
            problems.append(f"sar.amount: TotalSuspiciousAmountText {a!r} is not whole dollars")
    total = sum((Decimal(a) for a in amounts if a.isdigit()), Decimal(0))
    expect = {
        "ActivityCount": Decimal(len(acts)),
        "PartyCount": Decimal(len(_parties(root, "33"))),
        "TotalAmount": total,
        "ActivityAttachmentCount": Decimal(0),
        "AttachmentCount": Decimal(0),
    }
    for attr, want in expect.items():
        got = root.get(attr)
        try:
            ok = got is not None and Decimal(got) == want
        except ArithmeticError:
            ok = False
        if not ok:
            problems.append(f"sar.counts: {attr} is {got!r}; the batch holds {want}")
    last = 0
    seen: set[int] = set()
    for el in root.iter():
        raw = el.get("SeqNum")
        if raw is None:
            continue
        n = int(raw) if raw.isdigit() else -1
        if n < 1 or n in seen or n <= last:
            problems.append(
                f"sar.seqnum: {_local(el)} SeqNum {raw} is not unique, positive and above the one before ({last})"
            )
        seen.add(n)
        last = max(last, n)
    for i, act in enumerate(acts, 1):
        problems += [f"{p} (activity {i})" for p in _check_activity(act)]
    return problems


def _check_activity(act: etree._Element) -> list[str]:
    problems: list[str] = []
    parties = act.findall(_Q + "Party")
    count: dict[str, int] = {}
    for p in parties:
        code = p.findtext(_Q + "ActivityPartyTypeCode") or ""
        count[code] = count.get(code, 0) + 1
    for code, what in (
        ("35", "transmitter"),
        ("37", "transmitter contact"),
        ("30", "filing institution"),
        ("8", "contact office"),
    ):
        if count.get(code, 0) != 1:
            problems.append(
                f"sar.parties: {count.get(code, 0)} {what} parties ({code}); exactly one is required"
            )
    if not 1 <= count.get("34", 0) <= 99:
        problems.append(
            f"sar.parties: {count.get('34', 0)} institutions where the activity occurred (34); 1-99 required"
        )
    if not 1 <= count.get("33", 0) <= 999:
        problems.append(f"sar.parties: {count.get('33', 0)} subjects (33); 1-999 required")
    for p in parties:
        problems += _check_party(p)
    numbers = [
        n.findtext(_Q + "ActivityNarrativeSequenceNumber")
        for n in act.findall(_Q + "ActivityNarrativeInformation")
    ]
    if not numbers or numbers != [str(i) for i in range(1, len(numbers) + 1)]:
        problems.append(
            f"sar.narrative: narrative parts are numbered {numbers}; expected 1..n in order"
        )
    assoc = act.find(_Q + "ActivityAssociation")
    flags = (
        []
        if assoc is None
        else [
            t
            for t in (
                "InitialReportIndicator",
                "CorrectsAmendsPriorReportIndicator",
                "ContinuingActivityReportIndicator",
            )
            if assoc.findtext(_Q + t) == "Y"
        ]
    )
    if len(flags) != 1 and (
        set(flags) != {"CorrectsAmendsPriorReportIndicator", "ContinuingActivityReportIndicator"}
    ):
        problems.append(
            f"sar.association: report type flags {flags}; exactly one of initial, correcting or continuing"
        )
    return problems


def _check_party(p: etree._Element) -> list[str]:
    problems: list[str] = []
    code = p.findtext(_Q + "ActivityPartyTypeCode")
    ids = {
        x.findtext(_Q + "PartyIdentificationTypeCode")
        for x in p.findall(_Q + "PartyIdentification")
    }
    if code == "35":
        if (
            not p.findall(_Q + "PartyName")
            or not p.findall(_Q + "Address")
            or not p.findall(_Q + "PhoneNumber")
        ):
            problems.append(
                "sar.transmitter: the transmitter needs a name, an address and a phone number"
            )
        if not {"28", "4"} <= ids:
            problems.append("sar.transmitter: the transmitter needs its TCC (28) and TIN (4)")
    elif code == "30":
        if (
            p.find(_Q + "PrimaryRegulatorTypeCode") is None
            or "2" not in ids
            or not p.findall(_Q + "Address")
            or not p.findall(_Q + "OrganizationClassificationTypeSubtype")
        ):
            problems.append(
                "sar.filer: the filing institution needs a regulator, address, TIN (2) and classification"
            )
    elif code == "33":
        names = [
            n for n in p.findall(_Q + "PartyName") if n.findtext(_Q + "PartyNameTypeCode") == "L"
        ]
        named = any(
            (n.findtext(_Q + "RawEntityIndividualLastName") or "").strip()
            or n.find(_Q + "EntityLastNameUnknownIndicator") is not None
            for n in names
        )
        if not named and p.find(_Q + "AllCriticalSubjectInformationUnavailableIndicator") is None:
            problems.append(
                "sar.subject: a subject needs a legal name or AllCriticalSubjectInformationUnavailableIndicator"
            )
    return problems


def sar_bytes(root: etree._Element) -> bytes:
    problems = check_sar(root)
    if problems:
        raise FilingRuleError(FORMAT, problems)
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8", pretty_print=True)
