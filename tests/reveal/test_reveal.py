"""The audited reveal: who gets a raw identifier, for which subject, and the audit of each try."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import pytest
from sqlalchemy import text

from moneytrail.access import Label, LegalBasis, Principal
from moneytrail.cases import CaseStore
from moneytrail.errors import AccessDeniedError, NotFoundError, UnknownReferenceError
from moneytrail.privacy import accounts_by_key
from moneytrail.reveal import reveal, reveal_accounts
from moneytrail.warehouse import Warehouse
from tests.reveal.conftest import BANK, EIN, SSN, World

PURPOSE = "seizure warrant SW-1"


def _basis(persons: set[str], *, reveals: bool = True, labels: set[Label] | None = None,
           agencies: set[str] | None = None, days: int = 30) -> LegalBasis:  # fmt: skip
    return LegalBasis(
        kind="seizure warrant",
        reference=f"SW-{len(persons)}-{days}",
        scope="accounts of the subjects",
        labels=frozenset(labels or set()),
        persons=frozenset(persons),
        agencies=frozenset(agencies or set()),
        expires=date.today() + timedelta(days=days),
        reveals=reveals,
    )


@pytest.fixture
def case(store: CaseStore, users: None, world: World) -> int:
    sup = store.principal("tsup")
    cid = int(store.create_case(sup, "Fan-in ring")["id"])
    store.add_member(sup, cid, "tana")
    store.add_subject(sup, cid, "account", str(world.subject))
    store.add_subject(sup, cid, "business", "acme", {"ein": EIN, "ssn": SSN})
    store.attach_alert(sup, cid, "A-1")
    store.record_legal_basis(sup, cid, _basis({"tsup", "tana"}))
    return cid


def _ask(
    store: CaseStore, wh: Warehouse, who: str, cid: int, kind: str, ref: str
) -> dict[str, Any]:
    return reveal(store, wh.con, wh.vault, store.principal(who), cid, kind, ref, PURPOSE)


def _reveal_entries(store: CaseStore) -> list[dict[str, Any]]:
    entries, _ = store.audit_entries(store.principal("aud"), limit=500)
    return [e for e in reversed(entries) if e["action"] == "reveal"]


def test_a_member_named_in_the_warrant_gets_the_number_by_any_reference(
    store: CaseStore, warehouse: Warehouse, world: World, case: int
) -> None:
    account = accounts_by_key(warehouse.con, [world.subject])[world.subject]
    for ref in (str(world.subject), account.display, account.token):
        got = _ask(store, warehouse, "tana", case, "account", ref)
        assert got == {
            "ref": str(world.subject),
            "kind": "account",
            "value": "40010001",
            "bank": BANK,
            "display": account.display,
        }
    # through the attached alert, too
    assert (
        _ask(store, warehouse, "tsup", case, "account", str(world.via_alert))["value"] == "55552222"
    )
    # an SSN given with a subject, not from tax data: no FTI basis needed
    assert _ask(store, warehouse, "tsup", case, "ssn", world.ssn_token)["value"] == SSN
    entries = _reveal_entries(store)
    assert [e["outcome"] for e in entries] == ["ok"] * 5
    first = entries[0]
    assert first["actor"] == "tana" and first["object_id"] == str(case)
    assert first["purpose"] == PURPOSE
    assert first["detail"]["ref"] == str(world.subject) and first["detail"]["kind"] == "account"
    assert "40010001" not in str(entries)  # the value itself is never recorded


def test_refusals_say_why_and_each_is_one_audit_entry(
    store: CaseStore, warehouse: Warehouse, world: World, case: int
) -> None:
    sup = store.principal("tsup")
    # not a subject's: the twin ends in the same digits at the same bank
    with pytest.raises(AccessDeniedError, match="not an identifier of a subject"):
        _ask(store, warehouse, "tana", case, "account", str(world.twin))
    # a member of the case not named in the warrant
    store.add_member(sup, case, "tana2")
    with pytest.raises(AccessDeniedError, match="not named"):
        _ask(store, warehouse, "tana2", case, "account", str(world.subject))
    # not a member (the case is hidden: "no case", as everywhere)
    other = int(store.create_case(sup, "Another")["id"])
    with pytest.raises(NotFoundError, match=f"no case {other}"):
        _ask(store, warehouse, "tana", other, "account", str(world.subject))
    # another agency's supervisor
    with pytest.raises(NotFoundError):
        _ask(store, warehouse, "bsup", case, "account", str(world.subject))
    # an auditor reads the log, never values
    with pytest.raises(AccessDeniedError, match="only analysts and supervisors"):
        _ask(store, warehouse, "aud", case, "account", str(world.subject))
    # an EIN from a W-2 is FTI: the warrant alone is not enough
    with pytest.raises(AccessDeniedError, match=r"tax data.*federal tax information"):
        _ask(store, warehouse, "tana", case, "ein", world.ein_token)
    with pytest.raises(UnknownReferenceError):
        _ask(store, warehouse, "tana", case, "account", "E-nothing")
    entries = _reveal_entries(store)
    assert [(e["actor"], e["outcome"]) for e in entries] == [
        ("tana", "denied"),
        ("tana2", "denied"),
        ("tana", "not_found"),
        ("bsup", "not_found"),
        ("aud", "denied"),
        ("tana", "denied"),
        ("tana", "not_found"),
    ]
    assert entries[0]["detail"]["reason"].startswith(
        accounts_by_key(warehouse.con, [world.twin])[world.twin].display
    )
    assert entries[3]["detail"]["reason"].startswith("bsup (supervisor, Bank FIU) is not a member")
    assert all(e["purpose"] == PURPOSE for e in entries)


def test_fti_identifiers_need_the_fti_basis_as_well(
    store: CaseStore, warehouse: Warehouse, world: World, case: int
) -> None:
    sup = store.principal("tsup")
    store.record_legal_basis(sup, case, _basis({"tana"}, reveals=False, labels={Label.FTI}))
    assert _ask(store, warehouse, "tana", case, "ein", world.ein_token)["value"] == EIN
    with pytest.raises(AccessDeniedError, match="tax data"):
        _ask(store, warehouse, "tsup", case, "ein", world.ein_token)  # not named in the FTI order


def test_an_expired_or_missing_or_uncovering_basis_refuses(
    store: CaseStore, warehouse: Warehouse, world: World, users: None
) -> None:
    sup = store.principal("tsup")
    cid = int(store.create_case(sup, "No warrant yet")["id"])
    store.add_subject(sup, cid, "account", str(world.subject))
    with pytest.raises(AccessDeniedError, match="no legal basis that covers revealing"):
        _ask(store, warehouse, "tsup", cid, "account", str(world.subject))
    store.record_legal_basis(sup, cid, _basis({"tsup"}, reveals=False, labels={Label.FTI}))
    with pytest.raises(AccessDeniedError, match="no legal basis that covers revealing"):
        _ask(store, warehouse, "tsup", cid, "account", str(world.subject))
    store.record_legal_basis(sup, cid, _basis({"tsup"}, days=1))
    # the next day the warrant has run out (expiry is the end of its day)
    with store._sessions.begin() as session:
        session.execute(text("UPDATE legal_bases SET expires = :d WHERE reveals"),
                        {"d": date.today() - timedelta(days=1)})  # fmt: skip
    with pytest.raises(AccessDeniedError, match="expired on"):
        _ask(store, warehouse, "tsup", cid, "account", str(world.subject))
    # a partner's supervisor on the case, named by a warrant that does not cover their agency
    store.add_member(sup, cid, "bsup")
    store.record_legal_basis(sup, cid, _basis({"tsup"}, days=20))
    with pytest.raises(AccessDeniedError, match="not named"):
        _ask(store, warehouse, "bsup", cid, "account", str(world.subject))
    store.record_legal_basis(sup, cid, _basis({"bsup"}, agencies={"Bank FIU"}, days=10))
    assert _ask(store, warehouse, "bsup", cid, "account", str(world.subject))["value"] == "40010001"


def test_supervisors_list_the_reveals_and_the_chain_verifies_until_altered(
    store: CaseStore, warehouse: Warehouse, world: World, case: int
) -> None:
    _ask(store, warehouse, "tana", case, "account", str(world.subject))
    with pytest.raises(AccessDeniedError):
        _ask(store, warehouse, "tana", case, "account", str(world.twin))
    listed = store.reveals(store.principal("tsup"), case)
    assert [(r["actor"], r["outcome"], r["ref"]) for r in listed] == [
        ("tana", "ok", str(world.subject)),
        ("tana", "denied", str(world.twin)),
    ]
    assert store.reveals(store.principal("aud"), case) == listed
    with pytest.raises(AccessDeniedError, match="supervisors and to auditors"):
        store.reveals(store.principal("tana"), case)
    # a schedule's accounts: only the case's are revealed, each audited
    shown = reveal_accounts(store, warehouse.con, warehouse.vault, store.principal("tsup"), case,
                            [world.subject, world.twin, world.via_alert], "court schedule")  # fmt: skip
    assert sorted(shown) == sorted([world.subject, world.via_alert])
    assert len(store.reveals(store.principal("tsup"), case)) == 4
    report = store.verify_audit()
    assert report.ok, report.problems
    seq = listed[0]["seq"]
    with store._sessions.begin() as session:
        session.execute(text("UPDATE audit_entries SET purpose = 'nothing to see' WHERE seq = :s"),
                        {"s": seq})  # fmt: skip
    report = store.verify_audit()
    assert not report.ok and report.first_bad_seq == seq
    assert f"entry {seq} was altered" in report.problems[0]


def test_bad_requests_are_refused_and_recorded(
    store: CaseStore, warehouse: Warehouse, world: World, case: int
) -> None:
    who: Principal = store.principal("tana")
    with pytest.raises(Exception, match="purpose"):
        reveal(store, warehouse.con, warehouse.vault, who, case, "account", str(world.subject), " ")
    with pytest.raises(Exception, match="kind"):
        reveal(store, warehouse.con, warehouse.vault, who, case, "passport", "x", PURPOSE)
    assert [e["outcome"] for e in _reveal_entries(store)] == ["denied", "denied"]
