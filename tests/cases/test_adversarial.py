"""The case store attacked as a hostile or careless user would, on each backend.

Each test names the hole it guards: data that must not come out (FTI, raw
identifiers, masked people), existence that must not be confirmed, input that
must not reach the database, and changes that must not be half-written.
"""

from __future__ import annotations

import json
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import inspect, text
from typer.testing import CliRunner

from moneytrail.access import Label, LegalBasis, Principal, Role
from moneytrail.cases import CaseStore, _deconfliction
from moneytrail.cli import app
from moneytrail.errors import (
    AccessDeniedError,
    AuditError,
    AuthenticationError,
    CaseInputError,
    NotFoundError,
)

from .conftest import PASSWORD, People

FTI_SECRET = "W2 box 1 wages 8123.45 for EIN 98-7654321"
RAW_SSN = "123-45-6789"
WORKER_REF = "worker-person-7781"


def _order(persons: set[str], agencies: set[str], days: int = 30) -> LegalBasis:
    return LegalBasis(
        kind="IRC 6103(i)(1) ex parte order",
        reference="22-MJ-0417",
        scope="payroll filings of Acme Staffing",
        labels=frozenset({Label.FTI}),
        persons=frozenset(persons),
        agencies=frozenset(agencies),
        expires=date.today() + timedelta(days=days),
    )


def _fti_case(store: CaseStore, people: People) -> int:
    """A Tax Crimes case holding FTI that only tsup and tana may read; tana2 is a member too."""
    cid = int(store.create_case(people.tax_sup, "Acme payroll")["id"])
    store.add_member(people.tax_sup, cid, "tana")
    store.add_member(people.tax_sup, cid, "tana2")
    store.record_legal_basis(people.tax_sup, cid, _order({"tsup", "tana"}, {"Labor Standards"}))
    store.add_evidence(people.tax_ana, cid, "w2_wages", "W2-77", FTI_SECRET)
    store.add_note(people.tax_ana, cid, FTI_SECRET, [Label.FTI])
    store.add_subject(people.tax_sup, cid, "entity", WORKER_REF, {"ssn": RAW_SSN}, party="worker")
    return cid


def _audit_dump(store: CaseStore, auditor: Principal) -> str:
    pages: list[dict[str, Any]] = []
    offset = 0
    while True:
        page, total = store.audit_entries(auditor, limit=500, offset=offset)
        pages.extend(page)
        offset += 500
        if offset >= total:
            return json.dumps(pages)


def _db_dump(store: CaseStore) -> str:
    with store._engine.connect() as con:
        names = inspect(con).get_table_names()
        rows = {t: [list(r) for r in con.execute(text(f"SELECT * FROM {t}"))] for t in names}
    return json.dumps(rows, default=str)


def _count(store: CaseStore, table: str) -> int:
    with store._engine.connect() as con:
        return int(con.execute(text(f"SELECT count(*) FROM {table}")).scalar_one())


# --- FTI ------------------------------------------------------------------------------


def test_fti_never_reaches_an_unnamed_member_auditor_or_admin(
    store: CaseStore, people: People
) -> None:
    cid = _fti_case(store, people)
    named = json.dumps(store.get_case(people.tax_ana, cid))
    assert FTI_SECRET in named  # the named person does see it (so the checks below mean something)
    for who in (people.tax_ana2, people.auditor):
        doc = store.get_case(who, cid)
        assert FTI_SECRET not in json.dumps(doc), who.username
        assert doc["withheld"], who.username
    for who in (people.tax_ana2, people.auditor, people.admin, people.tax_sup):
        assert FTI_SECRET not in json.dumps(store.list_cases(who)), who.username
    with pytest.raises(NotFoundError):
        store.get_case(people.admin, cid)
    # The audit log itself must not carry FTI content to an auditor.
    assert FTI_SECRET not in _audit_dump(store, people.auditor)


def test_fti_after_the_basis_expires_is_withheld_even_from_a_named_person(
    store: CaseStore, people: People
) -> None:
    cid = _fti_case(store, people)
    with store._engine.begin() as con:
        con.execute(text("UPDATE legal_bases SET expires = :d"), {"d": date.today()})
    assert FTI_SECRET in json.dumps(store.get_case(people.tax_ana, cid))  # good through its day
    with store._engine.begin() as con:
        con.execute(
            text("UPDATE legal_bases SET expires = :d"), {"d": date.today() - timedelta(days=1)}
        )
    doc = store.get_case(people.tax_ana, cid)
    assert FTI_SECRET not in json.dumps(doc)
    assert {w["part"] for w in doc["withheld"]} == {"evidence", "notes"}
    with pytest.raises(AccessDeniedError, match="expired"):
        store.add_note(people.tax_ana, cid, "more from the W-2s", [Label.FTI])
    with pytest.raises(AccessDeniedError, match="expired"):
        store.add_member(people.tax_sup, cid, "lana")


def test_a_basis_may_not_name_a_person_of_an_agency_it_does_not_cover(
    store: CaseStore, people: People
) -> None:
    # Hole: an analyst shares an open case with a partner's analyst; a basis that names
    # that analyst but covers only the owner agency would then show them FTI.
    cid = int(store.create_case(people.tax_sup, "Acme payroll")["id"])
    store.add_member(people.tax_sup, cid, "lana")
    with pytest.raises(CaseInputError, match=r"lana.*Labor Standards"):
        store.record_legal_basis(people.tax_sup, cid, _order({"tsup", "lana"}, set()))
    assert _count(store, "legal_bases") == 0
    store.record_legal_basis(people.tax_sup, cid, _order({"tsup", "lana"}, {"Labor Standards"}))


def test_fti_is_not_shared_or_referred_to_an_uncovered_agency_and_nothing_changes(
    store: CaseStore, people: People
) -> None:
    cid = _fti_case(store, people)
    store.set_status(people.tax_sup, cid, "active")
    before = store.verify_audit().entries
    with pytest.raises(AccessDeniedError, match="Bank FIU"):
        store.refer(people.tax_sup, cid, "Bank FIU", "laundering")
    with pytest.raises(AccessDeniedError, match="Bank FIU"):
        store.add_member(people.tax_sup, cid, "bsup")
    with pytest.raises(NotFoundError):
        store.get_case(people.bank_sup, cid)
    assert store.list_cases(people.tax_sup)[0][0]["status"] == "active"
    assert _count(store, "referrals") == 0
    report = store.verify_audit()
    # each refusal audited once, and the "not found" answer to another agency too
    assert report.ok and report.entries == before + 3
    entries, _ = store.audit_entries(people.auditor, limit=4)
    assert [e["outcome"] for e in entries[1:]] == ["not_found", "denied", "denied"]


def test_bsa_added_after_an_analyst_shared_the_case_does_not_reach_the_partner(
    store: CaseStore, people: People
) -> None:
    # Hole: analysts may share open data; BSA goes to another agency only by a supervisor.
    cid = int(store.create_case(people.tax_ana, "Shell network")["id"])
    store.add_member(people.tax_ana, cid, "lana")  # open case: an analyst may share it
    with pytest.raises(AccessDeniedError, match="Labor Standards"):
        store.add_note(people.tax_ana, cid, "SAR 2023-118 narrative", [Label.BSA])
    with pytest.raises(AccessDeniedError, match="Labor Standards"):
        store.add_evidence(people.tax_ana, cid, "transactions", "tx-1", "CTR", [Label.BSA])
    with pytest.raises(AccessDeniedError, match="Labor Standards"):
        store.attach_alert(people.tax_ana, cid, "A-1", [Label.LE_SENSITIVE])
    assert "SAR 2023-118" not in json.dumps(store.get_case(people.labor_ana, cid))
    store.add_member(people.tax_ana, cid, "tsup")
    store.add_note(
        people.tax_sup, cid, "SAR 2023-118 narrative", [Label.BSA]
    )  # a supervisor shares
    assert "SAR 2023-118" in json.dumps(store.get_case(people.labor_ana, cid))
    # Law-enforcement sensitive data goes to a partner only by the owner's supervisor;
    # what the partner writes itself is not a disclosure to its own agency.
    store.add_note(people.tax_sup, cid, "informant says", [Label.LE_SENSITIVE])
    store.add_note(people.labor_ana, cid, "our own informant says", [Label.LE_SENSITIVE])
    assert "our own informant" in json.dumps(store.get_case(people.tax_ana, cid))
    assert store.verify_audit().ok


# --- existence, people, deconfliction --------------------------------------------------


def test_another_agencys_case_is_not_found_never_access_denied(
    store: CaseStore, people: People
) -> None:
    cid = _fti_case(store, people)
    missing = cid + 1000
    lana = people.labor_ana
    attempts: list[tuple[str, Any]] = [
        ("get_case", lambda c: store.get_case(lana, c)),
        ("set_status", lambda c: store.set_status(lana, c, "active")),
        ("add_note", lambda c: store.add_note(lana, c, "x")),
        ("add_subject", lambda c: store.add_subject(lana, c, "entity", "E-1", {"ein": "1"})),
        ("add_member", lambda c: store.add_member(lana, c, "lana")),
        ("attach_alert", lambda c: store.attach_alert(lana, c, "A-1")),
        ("dispose_alert", lambda c: store.dispose_alert(lana, c, "A-1", "confirmed")),
        ("add_evidence", lambda c: store.add_evidence(lana, c, "transactions", "t", "d")),
        ("add_task", lambda c: store.add_task(lana, c, "t")),
        ("complete_task", lambda c: store.complete_task(lana, c, 1)),
        ("refer", lambda c: store.refer(lana, c, "Bank FIU", "why")),
        ("grant_identities", lambda c: store.grant_identities(lana, c, "lana")),
        ("record_legal_basis", lambda c: store.record_legal_basis(lana, c, _order({"x"}, {"y"}))),
        ("decide_read", lambda c: store.decide_read(lana, c, [Label.FTI], "employer", ["E"])),
    ]
    for name, attempt in attempts:
        messages = []
        for case_id in (cid, missing):
            with pytest.raises(NotFoundError) as info:
                attempt(case_id)
            messages.append(str(info.value).replace(str(case_id), "N"))
        assert messages[0] == messages[1], name  # the same words whether the case exists or not


def test_a_disabled_user_with_a_principal_in_hand_is_locked_out(
    store: CaseStore, people: People
) -> None:
    cid = _fti_case(store, people)
    store.set_user_active(people.admin, "tana", False)
    # The Principal was issued before the change; the store checks it again on every call.
    for attempt in (
        lambda: store.get_case(people.tax_ana, cid),
        lambda: store.get_case(people.tax_ana, cid + 1000),  # same answer: existence not told
        lambda: store.add_note(people.tax_ana, cid, "still here?"),
        lambda: store.list_cases(people.tax_ana),
        lambda: store.deconfliction_hits(people.tax_ana),
        lambda: store.create_case(people.tax_ana, "new"),
    ):
        with pytest.raises(AuthenticationError, match="tana"):
            attempt()
    store.set_user_active(people.admin, "tana", True)
    assert store.get_case(people.tax_ana, cid)["id"] == cid


def test_a_forged_principal_gains_nothing(store: CaseStore, people: People) -> None:
    cid = _fti_case(store, people)
    # Same username, but claiming to be a supervisor of another agency.
    forged = Principal("tana2", "Labor Standards", Role.SUPERVISOR)
    ghost = Principal("nobody", "Tax Crimes", Role.SUPERVISOR)
    fake_auditor = Principal("tana2", "Tax Crimes", Role.AUDITOR)
    fake_admin = Principal("tana2", "Tax Crimes", Role.ADMIN)
    for attempt in (
        lambda: store.get_case(forged, cid),
        lambda: store.add_member(forged, cid, "lana"),
        lambda: store.get_case(ghost, cid),
        lambda: store.list_cases(fake_auditor),
        lambda: store.audit_entries(fake_auditor),
        lambda: store.add_user(fake_admin, "evil", "Tax Crimes", Role.ADMIN, PASSWORD),
        lambda: store.add_agency(fake_admin, "Evil Corp", "x"),
    ):
        with pytest.raises(AuthenticationError):
            attempt()
    assert "evil" not in _db_dump(store).lower()


def test_masked_people_do_not_leak_through_any_output(store: CaseStore, people: People) -> None:
    cid = _fti_case(store, people)
    outputs = [
        store.get_case(people.tax_ana2, cid),
        store.get_case(people.auditor, cid),
        store.list_cases(people.tax_ana2),
        store.add_subject(people.tax_ana2, cid, "entity", "victim-2", {"ssn": "987-65-4321"},
                          party="victim"),
        store.deconfliction_hits(people.tax_ana2),
    ]  # fmt: skip
    dumped = json.dumps(outputs) + _audit_dump(store, people.auditor)
    for secret in (WORKER_REF, "victim-2", RAW_SSN, "123456789", "987-65-4321"):
        assert secret not in dumped, secret
    for secret in (RAW_SSN, "123456789", "987654321", "987-65-4321"):
        assert secret not in _db_dump(store), secret


def test_deconfliction_hits_say_who_to_call_and_nothing_else(
    store: CaseStore, people: People
) -> None:
    tax = _fti_case(store, people)
    labor = int(store.create_case(people.labor_ana, "Labor side case")["id"])
    added = store.add_subject(
        people.labor_ana, labor, "entity", "labor-ref-1", {"ssn": "123 45 6789"}
    )
    hits = added["deconfliction"] + store.deconfliction_hits(people.tax_ana2)
    assert len(hits) == 2
    for hit in hits:
        assert set(hit) == {"id", "agency", "case_id", "other_agency", "contact", "message", "at"}
        dumped = json.dumps(hit)
        for secret in ("Acme payroll", "Labor side case", WORKER_REF, "labor-ref-1", "45 6789"):
            assert secret not in dumped
    theirs = store.deconfliction_hits(people.tax_ana2)[0]
    assert (theirs["case_id"], theirs["other_agency"]) == (tax, "Labor Standards")
    entries, _ = store.audit_entries(people.auditor, limit=20)
    assert sum(e["action"] == "deconfliction_hit" for e in entries) == 2  # both sides audited


def test_placeholder_identifiers_do_not_all_match_each_other(
    store: CaseStore, people: People
) -> None:
    # Hole: "n/a" and "---" have no digits, normalise to "", and share one token,
    # so every agency that typed a placeholder got a false hit on every other.
    tax = int(store.create_case(people.tax_ana, "Tax side")["id"])
    labor = int(store.create_case(people.labor_ana, "Labor side")["id"])
    with pytest.raises(CaseInputError, match=r"identifiers\.ssn"):
        store.add_subject(people.tax_ana, tax, "entity", "E-1", {"ssn": "n/a"})
    with pytest.raises(CaseInputError, match=r"identifiers\.account"):
        store.add_subject(people.labor_ana, labor, "entity", "E-2", {"account": "---"})
    assert _count(store, "subjects") == 0


# --- hostile input, half-done changes, the chain ------------------------------------------


@pytest.mark.parametrize(
    ("field", "value"),
    [("title", "nul\x00byte"), ("title", "lone \ud800 surrogate"), ("note", "nul\x00byte"),
     ("note", "lone \udfff surrogate"), ("reason", "nul\x00"), ("ref", "x\x00"),
     ("alert", "A\x00"), ("agency", "Bank\x00FIU"), ("member", "lana\x00"),
     ("summary", "\ud83d")],
)  # fmt: skip
def test_text_the_database_cannot_store_is_refused_naming_the_field(
    store: CaseStore, people: People, field: str, value: str
) -> None:
    cid = int(store.create_case(people.tax_sup, "target")["id"])
    store.set_status(people.tax_sup, cid, "active")
    before = _db_dump(store)
    calls = {
        "title": lambda: store.create_case(people.tax_sup, value),
        "summary": lambda: store.create_case(people.tax_sup, "t", summary=value),
        "note": lambda: store.add_note(people.tax_sup, cid, value),
        "reason": lambda: store.refer(people.tax_sup, cid, "Bank FIU", value),
        "ref": lambda: store.add_subject(people.tax_sup, cid, "entity", value),
        "alert": lambda: store.dispose_alert(people.tax_sup, cid, value, "confirmed"),
        "agency": lambda: store.refer(people.tax_sup, cid, value, "why"),
        "member": lambda: store.add_member(people.tax_sup, cid, value),
    }
    with pytest.raises(CaseInputError) as info:
        calls[field]()
    assert any(p.startswith(("title", "summary", "text", "reason", "ref", "alert_id",
                             "to_agency", "username"))
               for p in info.value.problems), info.value.problems  # fmt: skip
    assert _db_dump(store) == before
    assert store.verify_audit().ok


def test_sql_ish_huge_and_unicode_text_is_kept_verbatim_or_refused(
    store: CaseStore, people: People
) -> None:
    hostile = "Robert'); DROP TABLE cases;-- \u202eevil\u202c Ω ﷽ 🏦 \u0301"
    cid = int(store.create_case(people.tax_sup, hostile, summary=hostile)["id"])
    store.add_note(people.tax_sup, cid, hostile)
    store.add_subject(people.tax_sup, cid, "entity", hostile, {"account": "DE89 3704 " + hostile})
    doc = store.get_case(people.tax_sup, cid)
    assert doc["title"] == hostile.strip() and doc["notes"][0]["text"] == hostile.strip()
    assert doc["subjects"][0]["ref"] == hostile.strip()
    with pytest.raises(CaseInputError, match="at most"):
        store.add_note(people.tax_sup, cid, "x" * 1_000_000)
    with pytest.raises(CaseInputError, match="title"):
        store.create_case(people.tax_sup, "t" * 301)
    assert _count(store, "cases") == 1
    assert store.verify_audit().ok


def test_a_failure_halfway_leaves_nothing_half_written(
    store: CaseStore, people: People, monkeypatch: pytest.MonkeyPatch
) -> None:
    tax = int(store.create_case(people.tax_ana, "Tax side")["id"])
    store.add_subject(people.tax_ana, tax, "entity", "E-1", {"ein": "12-3456789"})
    labor = int(store.create_case(people.labor_ana, "Labor side")["id"])
    counts = {t: _count(store, t) for t in ("subjects", "subject_identifiers",
                                            "deconfliction_tokens", "deconfliction_hits")}  # fmt: skip
    entries = store.verify_audit().entries

    def broken(*args: Any, **kwargs: Any) -> None:
        raise RuntimeError("disk full")

    monkeypatch.setattr(_deconfliction, "_record_hit", broken)
    with pytest.raises(RuntimeError, match="disk full"):
        store.add_subject(people.labor_ana, labor, "entity", "E-2", {"ein": "123456789"})
    assert {t: _count(store, t) for t in counts} == counts
    report = store.verify_audit()
    assert report.ok and report.entries == entries
    monkeypatch.undo()
    added = store.add_subject(people.labor_ana, labor, "entity", "E-2", {"ein": "123456789"})
    assert len(added["deconfliction"]) == 1
    assert store.verify_audit().ok


def test_every_read_of_labelled_data_is_audited_once(store: CaseStore, people: People) -> None:
    cid = _fti_case(store, people)

    def reads() -> list[tuple[str, str]]:
        page, _ = store.audit_entries(people.admin, limit=500)
        return [(e["actor"], e["outcome"]) for e in page
                if e["action"] == "read" and e["object_type"] == "case"]  # fmt: skip

    start = len(reads())
    for _ in range(3):
        store.get_case(people.tax_ana, cid)
    store.get_case(people.tax_ana2, cid)  # withheld parts: recorded as such
    store.list_cases(people.tax_ana)  # metadata only: nothing labelled is read
    got = reads()[: len(reads()) - start]
    assert sorted(got) == sorted([("tana", "ok")] * 3 + [("tana2", "withheld")])


def test_case_show_json_from_the_cli_withholds_fti(
    tmp_path: Path, cases_url: str, monkeypatch: pytest.MonkeyPatch, people: People,
    store: CaseStore,
) -> None:  # fmt: skip
    cid = _fti_case(store, people)
    monkeypatch.setenv("MONEYTRAIL_CASES_URL", cases_url)
    monkeypatch.setenv("MONEYTRAIL_PASSWORD", PASSWORD)
    ws = str(tmp_path / "ws")
    for user, sees in (("tana2", False), ("tana", True)):
        result = CliRunner().invoke(
            app, ["case", "show", str(cid), "--as", user, "--json", "--workspace", ws]
        )
        assert result.exit_code == 0, result.stderr
        assert (FTI_SECRET in result.stdout) is sees, user
        assert WORKER_REF not in result.stdout


def test_a_partner_supervisor_cannot_name_itself_in_a_basis_or_unmask_people(
    store: CaseStore, people: People
) -> None:
    # Hole: bsup joined an open Tax case by a share; recording a basis that names
    # bsup and covers Bank FIU would have opened the owner's FTI to the partner.
    cid = _fti_case(store, people)
    store.add_member(people.tax_sup, cid, "lsup")  # Labor is covered by the case's order
    with pytest.raises(AccessDeniedError, match="owning agency"):
        store.record_legal_basis(people.labor_sup, cid, _order({"lsup"}, {"Labor Standards"}))
    with pytest.raises(AccessDeniedError, match="owning agency"):
        store.grant_identities(people.labor_sup, cid, "lsup")
    doc = store.get_case(people.labor_sup, cid)
    assert FTI_SECRET not in json.dumps(doc) and WORKER_REF not in json.dumps(doc)
    assert store.verify_audit().ok


def test_evidence_on_employer_flags_is_fti_whatever_the_caller_says(
    store: CaseStore, people: People
) -> None:
    # employer_flags rows are derived from W-2s and 941s when a check reads them, and the
    # case store cannot see which rows those are: the pointer is FTI.
    cid = _fti_case(store, people)
    with pytest.raises(AccessDeniedError, match="not named"):
        store.add_evidence(people.tax_ana2, cid, "employer_flags", "E-1/2023/W2_LOW", "flag")
    ev = store.add_evidence(people.tax_ana, cid, "employer_flags", "E-1/2023/W2_LOW", "flag")
    assert ev["labels"] == ["fti"]


@pytest.mark.parametrize("number", [0, -1, 2**31, 2**63, 2**70])
def test_ids_out_of_every_range_are_simply_not_found(
    store: CaseStore, people: People, number: int
) -> None:
    cid = int(store.create_case(people.tax_sup, "target")["id"])
    with pytest.raises(NotFoundError, match=f"no case {number}"):
        store.get_case(people.tax_sup, number)
    with pytest.raises(NotFoundError):
        store.complete_task(people.tax_sup, cid, number)
    with pytest.raises(NotFoundError):
        store.answer_referral(people.tax_sup, number, accept=True)


def test_only_the_owning_agency_refers_its_case(store: CaseStore, people: People) -> None:
    # Hole: a partner's analyst, a member by a share of an open case, handed the
    # owner's case on to a third agency and moved it to "referred".
    cid = int(store.create_case(people.tax_ana, "Shell network")["id"])
    store.set_status(people.tax_ana, cid, "active")
    store.add_member(people.tax_ana, cid, "lana")
    with pytest.raises(AccessDeniedError, match="owning agency Tax Crimes"):
        store.refer(people.labor_ana, cid, "Bank FIU", "they should see this")
    assert store.list_cases(people.tax_ana)[0][0]["status"] == "active"
    assert store.incoming_referrals(people.bank_sup) == ([], 0)


def test_bsa_added_while_a_referral_is_pending_needs_a_supervisor(
    store: CaseStore, people: People
) -> None:
    # Hole: the referral was decided on an open case; BSA added before the partner
    # accepts reached the partner's supervisor with no supervisor's decision.
    cid = int(store.create_case(people.tax_ana, "Shell network")["id"])
    store.set_status(people.tax_ana, cid, "active")
    sent = store.refer(people.tax_ana, cid, "Bank FIU", "laundering through shells")
    with pytest.raises(AccessDeniedError, match="Bank FIU"):
        store.add_note(people.tax_ana, cid, "SAR 2023-118 narrative", [Label.BSA])
    store.answer_referral(people.bank_sup, int(sent["id"]), accept=True)
    assert "SAR 2023-118" not in json.dumps(store.get_case(people.bank_sup, cid))


def test_a_partner_does_not_pass_the_owners_case_on(store: CaseStore, people: People) -> None:
    # Hole: lana joined an open Tax case by a share and added a Bank FIU user to it.
    cid = int(store.create_case(people.tax_ana, "Shell network")["id"])
    store.add_member(people.tax_ana, cid, "lana")
    for username in ("bsup", "lsup"):
        with pytest.raises(AccessDeniedError, match="owning agency Tax Crimes"):
            store.add_member(people.labor_ana, cid, username)
    with pytest.raises(NotFoundError):
        store.get_case(people.bank_sup, cid)
    store.add_member(people.tax_ana, cid, "lsup")  # the owner may


def test_a_partner_works_the_case_but_does_not_close_it(store: CaseStore, people: People) -> None:
    # Closing also withdraws the case from deconfliction: the owner's decision.
    cid = int(store.create_case(people.tax_ana, "Shell network")["id"])
    store.add_member(people.tax_ana, cid, "lana")
    with pytest.raises(AccessDeniedError, match="only the owning agency Tax Crimes closes"):
        store.set_status(people.labor_ana, cid, "closed")
    assert store.set_status(people.labor_ana, cid, "active")["status"] == "active"
    store.set_status(people.tax_ana, cid, "pending_closure")
    store.set_status(people.tax_ana, cid, "closed")
    with pytest.raises(AccessDeniedError, match="closes or reopens"):
        store.set_status(people.labor_ana, cid, "active")
    entries, _ = store.audit_entries(people.auditor, limit=50)
    assert sum(e["outcome"] == "denied" and e["actor"] == "lana" for e in entries) == 2


def test_wiping_the_whole_audit_log_is_detected(store: CaseStore, people: People) -> None:
    # Hole: with every entry and the head deleted, the chain was an empty, valid one.
    _fti_case(store, people)
    assert store.verify_audit().ok
    with store._engine.begin() as con:
        con.execute(text("DELETE FROM audit_entries"))
        con.execute(text("DELETE FROM audit_head"))
    report = store.verify_audit()
    assert not report.ok and report.first_bad_seq == 1
    assert "removed" in report.problems[0]


def test_audit_verify_on_the_command_line_sees_a_wiped_log(
    tmp_path: Path, cases_url: str, monkeypatch: pytest.MonkeyPatch, people: People,
    store: CaseStore,
) -> None:  # fmt: skip
    monkeypatch.setenv("MONEYTRAIL_CASES_URL", cases_url)
    ws = str(tmp_path / "ws")
    assert CliRunner().invoke(app, ["audit", "verify", "--workspace", ws]).exit_code == 0
    with store._engine.begin() as con:
        con.execute(text("DELETE FROM audit_entries"))
        con.execute(text("DELETE FROM audit_head"))
    result = CliRunner().invoke(app, ["audit", "verify", "--json", "--workspace", ws])
    assert result.exit_code == 1
    assert json.loads(result.stdout)["first_bad_seq"] == 1


def test_an_accepted_referral_still_withholds_fti_from_the_unnamed(
    store: CaseStore, people: People
) -> None:
    cid = _fti_case(store, people)
    store.set_status(people.tax_sup, cid, "active")
    sent = store.refer(people.tax_sup, cid, "Labor Standards", "labour exploitation")
    incoming = store.incoming_referrals(people.labor_ana)
    assert FTI_SECRET not in json.dumps(incoming) and incoming[1] == 1
    store.answer_referral(people.labor_sup, int(sent["id"]), accept=True)
    doc = store.get_case(people.labor_sup, cid)
    assert FTI_SECRET not in json.dumps(doc) and WORKER_REF not in json.dumps(doc)
    assert {w["part"] for w in doc["withheld"]} == {"evidence", "notes"}


def test_an_audit_failure_undoes_the_change_it_records(
    store: CaseStore, people: People, monkeypatch: pytest.MonkeyPatch
) -> None:
    cid = int(store.create_case(people.tax_sup, "target", "SAR summary", [Label.BSA])["id"])
    entries = store.verify_audit().entries

    def broken(*args: Any, **kwargs: Any) -> int:
        raise AuditError("audit store unavailable")

    monkeypatch.setattr(store._audit, "append", broken)
    with pytest.raises(AuditError):
        store.add_note(people.tax_sup, cid, "should not stay")
    with pytest.raises(AuditError):
        store.get_case(people.tax_sup, cid)  # an unauditable read of labelled data is no read
    monkeypatch.undo()
    assert _count(store, "notes") == 0
    report = store.verify_audit()
    assert report.ok and report.entries == entries
