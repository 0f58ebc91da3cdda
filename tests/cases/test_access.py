"""Sharing, legal basis, FTI withheld/allowed/audited, masking and referral, on each backend."""

from __future__ import annotations

import json
from datetime import date, timedelta

import pytest
from sqlalchemy import text

from moneytrail.access import Label, LegalBasis
from moneytrail.cases import CaseStore
from moneytrail.errors import AccessDeniedError, CaseInputError, CaseStateError, NotFoundError

from .conftest import People


def _order(persons: set[str], agencies: set[str], days: int = 30) -> LegalBasis:
    return LegalBasis(
        kind="IRC 6103(i)(1) ex parte order",
        reference="22-MJ-0417",
        scope="payroll filings of Acme Staffing, 2021-2023",
        labels=frozenset({Label.FTI}),
        persons=frozenset(persons),
        agencies=frozenset(agencies),
        expires=date.today() + timedelta(days=days),
    )


def _fti_case(store: CaseStore, people: People) -> int:
    cid = int(store.create_case(people.tax_sup, "Acme Staffing payroll")["id"])
    store.add_member(people.tax_sup, cid, "tana")
    store.add_member(people.tax_sup, cid, "tana2")
    store.record_legal_basis(people.tax_sup, cid, _order({"tsup", "tana"}, {"Labor Standards"}))
    return cid


def test_sharing_with_another_agency(store: CaseStore, people: People) -> None:
    cid = store.create_case(people.tax_ana, "Shell network", labels=[Label.BSA])["id"]
    with pytest.raises(AccessDeniedError, match="analysts may not share bsa"):
        store.add_member(people.tax_ana, cid, "lana")
    store.add_member(people.tax_ana, cid, "tsup")
    shared = store.add_member(people.tax_sup, cid, "lana")
    assert shared["agency"] == "Labor Standards"
    assert store.get_case(people.labor_ana, cid)["title"] == "Shell network"
    with pytest.raises(NotFoundError):
        store.get_case(people.labor_sup, cid)
    with pytest.raises(CaseInputError, match="already a member"):
        store.add_member(people.tax_sup, cid, "lana")
    with pytest.raises(CaseInputError, match="only analysts and supervisors"):
        store.add_member(people.tax_sup, cid, "aud")


def test_le_sensitive_shared_only_by_owner_supervisor(store: CaseStore, people: People) -> None:
    cid = store.create_case(people.tax_sup, "Informant lead", labels=[Label.LE_SENSITIVE])["id"]
    store.add_member(people.tax_sup, cid, "lsup")
    with pytest.raises(AccessDeniedError, match="owning agency Tax Crimes"):
        store.add_member(people.labor_sup, cid, "bsup")


def test_fti_withheld_allowed_and_audited(store: CaseStore, people: People) -> None:
    cid = _fti_case(store, people)
    with pytest.raises(AccessDeniedError, match="not named"):
        store.add_evidence(people.tax_ana2, cid, "w2_wages", "W2-77", "wages under minimum")
    ev = store.add_evidence(people.tax_ana, cid, "w2_wages", "W2-77", "wages under minimum")
    assert ev["labels"] == ["fti"]  # a tax table is FTI whatever the caller said
    store.add_note(people.tax_ana, cid, "from the W-2s: 40 workers at one address", [Label.FTI])
    store.add_note(people.tax_ana, cid, "open-source: company registry entry", [Label.OPEN])

    named = store.get_case(people.tax_ana, cid)
    assert [e["key"] for e in named["evidence"]] == ["W2-77"]
    assert len(named["notes"]) == 2
    assert named["labels"] == ["fti"]  # the case holds FTI, so it is FTI

    other = store.get_case(people.tax_ana2, cid)
    assert other["evidence"] == []
    assert [n["text"] for n in other["notes"]] == ["open-source: company registry entry"]
    withheld = {(w["part"], w["id"]) for w in other["withheld"]}
    assert withheld == {("evidence", ev["id"]), ("notes", named["notes"][0]["id"])}
    assert all("not named in its legal basis" in w["reason"] for w in other["withheld"])

    entries, _ = store.audit_entries(people.auditor, limit=20)
    reads = [e for e in entries if e["action"] == "read" and e["object_type"] == "case"]
    assert {(e["actor"], e["outcome"]) for e in reads} == {("tana", "ok"), ("tana2", "withheld")}
    ok = next(e for e in reads if e["outcome"] == "ok")
    detail = ok["detail"] if isinstance(ok["detail"], dict) else json.loads(ok["detail"])
    assert detail["labels"] == ["fti"]
    assert store.verify_audit().ok


def test_an_unlabelled_note_by_who_can_see_fti_is_fti(store: CaseStore, people: People) -> None:
    cid = _fti_case(store, people)
    store.add_evidence(people.tax_ana, cid, "w2_wages", "W2-77", "wages under minimum")
    note = store.add_note(people.tax_ana, cid, "40 workers, one address")
    assert note["labels"] == ["fti"]  # written where its author sees FTI: derived from it
    other = store.add_note(people.tax_ana2, cid, "registry shows two directors")
    assert other["labels"] == []  # its author cannot see the FTI, so cannot have used it
    assert [n["text"] for n in store.get_case(people.tax_ana2, cid)["notes"]] == [
        "registry shows two directors"
    ]


def test_expired_basis_withholds_fti(store: CaseStore, people: People, cases_url: str) -> None:
    cid = _fti_case(store, people)
    store.add_evidence(people.tax_ana, cid, "form941_filings", "941-2023Q1", "quarter return")
    # Time passes: the order's end date is now behind us.
    with store._engine.begin() as con:
        con.execute(
            text("UPDATE legal_bases SET expires = :d"), {"d": date.today() - timedelta(days=1)}
        )
    seen = store.get_case(people.tax_ana, cid)
    assert seen["evidence"] == []
    assert "expired" in seen["withheld"][0]["reason"]
    with pytest.raises(CaseInputError, match="not in the future"):
        store.record_legal_basis(people.tax_sup, cid, _order({"tana"}, set(), days=0))


def test_only_supervisor_records_basis(store: CaseStore, people: People) -> None:
    cid = store.create_case(people.tax_ana, "x")["id"]
    with pytest.raises(AccessDeniedError, match="only a supervisor"):
        store.record_legal_basis(people.tax_ana, cid, _order({"tana"}, set()))
    with pytest.raises(CaseInputError) as info:
        store.record_legal_basis(people.tax_ana, cid, _order({"ghost"}, {"Nowhere"}))
    assert len(info.value.problems) == 2


def test_referral_of_fti_only_where_the_basis_covers(store: CaseStore, people: People) -> None:
    cid = _fti_case(store, people)
    store.add_evidence(people.tax_sup, cid, "w2_wages", "W2-1", "wage row")
    with pytest.raises(CaseStateError, match="only an active case"):
        store.refer(people.tax_sup, cid, "Labor Standards", "labour exploitation")
    store.set_status(people.tax_sup, cid, "active")
    with pytest.raises(AccessDeniedError, match="may not be referred to Bank FIU"):
        store.refer(people.tax_sup, cid, "Bank FIU", "laundering")
    with pytest.raises(AccessDeniedError, match="analysts may not refer fti"):
        store.refer(people.tax_ana, cid, "Labor Standards", "labour exploitation")
    sent = store.refer(people.tax_sup, cid, "Labor Standards", "labour exploitation")
    assert (sent["from_agency"], sent["to_agency"], sent["status"]) == (
        "Tax Crimes",
        "Labor Standards",
        "sent",
    )
    assert store.get_case(people.tax_sup, cid)["status"] == "referred"
    entries, _ = store.audit_entries(people.admin, limit=50)
    assert any(e["action"] == "refer" and e["outcome"] == "denied" for e in entries)


def test_worker_identifiers_masked_unless_granted(store: CaseStore, people: People) -> None:
    cid = store.create_case(people.tax_sup, "Forced labour")["id"]
    store.add_member(people.tax_sup, cid, "tana")
    store.add_subject(people.tax_sup, cid, "entity", "E-employer", {"ein": "12-3456789"})
    added = store.add_subject(
        people.tax_sup, cid, "entity", "E-worker-9", {"ssn": "123-45-6789"}, party="worker"
    )
    assert added["masked"] is True
    assert added["ref"] != "E-worker-9"
    seen = store.get_case(people.tax_ana, cid)
    worker = next(s for s in seen["subjects"] if s["party"] == "worker")
    employer = next(s for s in seen["subjects"] if s["party"] == "subject")
    assert worker["masked"] and "E-worker-9" not in json.dumps(worker)
    assert employer["ref"] == "E-employer" and not employer["masked"]
    with pytest.raises(AccessDeniedError, match="only a supervisor grants"):
        store.grant_identities(people.tax_ana, cid, "tana")
    store.grant_identities(people.tax_sup, cid, "tana")
    worker = next(
        s for s in store.get_case(people.tax_ana, cid)["subjects"] if s["party"] == "worker"
    )
    assert worker["ref"] == "E-worker-9"
    assert len(worker["identifiers"][0]["token"]) == 32


def test_raw_identifiers_never_stored(store: CaseStore, people: People) -> None:
    cid = store.create_case(people.tax_ana, "tokens only")["id"]
    store.add_subject(
        people.tax_ana, cid, "account", "acct-1", {"account": "DE89370400440532013000"}
    )
    with store._engine.connect() as con:
        dump = json.dumps(
            [
                [list(r) for r in con.execute(text(f"SELECT * FROM {t}"))]
                for t in ("subjects", "subject_identifiers", "audit_entries")
            ],
            default=str,
        )
    assert "370400440532013000" not in dump


def test_deconfliction_hit_between_agencies(store: CaseStore, people: People) -> None:
    tax = store.create_case(people.tax_ana, "Tax side")["id"]
    store.add_subject(people.tax_ana, tax, "business", "B-1", {"ein": "12-3456789"})
    labor = store.create_case(people.labor_ana, "Labor side")["id"]
    added = store.add_subject(people.labor_ana, labor, "business", "B-x", {"ein": "123456789"})
    [hit] = added["deconfliction"]
    assert hit["other_agency"] == "Tax Crimes"
    assert hit["contact"] == "tax-duty@example.org"
    assert "Tax side" not in json.dumps(hit)
    [theirs] = store.deconfliction_hits(people.tax_ana)
    assert theirs["other_agency"] == "Labor Standards"
    assert "12-3456789" not in json.dumps(theirs)
    with pytest.raises(AccessDeniedError):
        store.deconfliction_hits(people.auditor)
    # A closed case stops matching; reopening matches again.
    store.set_status(people.tax_ana, tax, "closed")
    other = store.create_case(people.bank_sup, "Bank side")["id"]
    bank_hits = store.add_subject(people.bank_sup, other, "business", "B-y", {"ein": "12-3456789"})
    assert [h["other_agency"] for h in bank_hits["deconfliction"]] == ["Labor Standards"]


def test_reads_of_labelled_warehouse_rows_are_decided_and_audited(
    store: CaseStore, people: People
) -> None:
    cid = _fti_case(store, people)
    assert store.decide_read(people.tax_ana, cid, [Label.FTI], "employer", ["E-1"]).allowed
    refused = store.decide_read(people.tax_ana2, cid, [Label.FTI], "employer", ["E-1"])
    assert not refused.allowed and "not named" in refused.reason
    with pytest.raises(NotFoundError):
        store.decide_read(people.labor_ana, cid, [Label.FTI], "employer", ["E-1"])
    entries, _ = store.audit_entries(people.auditor, limit=10)
    seen = {(e["actor"], e["outcome"]) for e in entries if e["object_type"] == "employer"}
    assert seen == {("tana", "ok"), ("tana2", "denied")}


def test_referral_is_answered_by_the_receiving_supervisor(store: CaseStore, people: People) -> None:
    cid = store.create_case(people.tax_sup, "Lead for labor", "wage theft lead")["id"]
    store.set_status(people.tax_sup, cid, "active")
    sent = store.refer(people.tax_sup, cid, "Labor Standards", "their jurisdiction")
    [incoming], total = store.incoming_referrals(people.labor_ana)
    assert total == 1 and incoming["title"] == "Lead for labor"
    assert store.incoming_referrals(people.bank_sup) == ([], 0)
    with pytest.raises(AccessDeniedError, match="a supervisor of Labor Standards"):
        store.answer_referral(people.labor_ana, sent["id"], accept=True)
    with pytest.raises(NotFoundError):
        store.answer_referral(people.bank_sup, sent["id"], accept=True)
    with pytest.raises(NotFoundError):
        store.get_case(people.labor_sup, cid)
    assert store.answer_referral(people.labor_sup, sent["id"], accept=True)["status"] == "accepted"
    assert store.get_case(people.labor_sup, cid)["summary"] == "wage theft lead"
    with pytest.raises(CaseStateError, match="already accepted"):
        store.answer_referral(people.labor_sup, sent["id"], accept=False)


def test_declined_referral_returns_the_case_to_active(store: CaseStore, people: People) -> None:
    cid = store.create_case(people.tax_sup, "Not theirs")["id"]
    store.set_status(people.tax_sup, cid, "active")
    sent = store.refer(people.tax_sup, cid, "Bank FIU", "maybe theirs")
    assert store.answer_referral(people.bank_sup, sent["id"], accept=False)["status"] == "declined"
    assert store.get_case(people.tax_sup, cid)["status"] == "active"
