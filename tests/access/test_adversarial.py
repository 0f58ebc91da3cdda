"""The access policy and the audit chain attacked with the inputs a careless or hostile caller sends."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from datetime import date, timedelta
from typing import Any

import pytest
from sqlalchemy import Engine, delete, select, update
from sqlalchemy.orm import Session

from moneytrail.access import (
    Action,
    AuditLog,
    CaseContext,
    Label,
    LegalBasis,
    Principal,
    Role,
    decide,
    mask_identity,
    verify_password,
)
from moneytrail.access._audit_tables import AuditEntry, AuditHead
from moneytrail.errors import AuditError
from moneytrail.store import make_engine, migrate

KEY = bytes(range(32))
TODAY = date(2026, 6, 1)
SUP = Principal("sam", "Tax Crimes", Role.SUPERVISOR)
ANA = Principal("ana", "Tax Crimes", Role.ANALYST)


def _basis(persons: set[str], agencies: set[str], expires: date, labels: set[Label]) -> LegalBasis:
    return LegalBasis(
        kind="IRC 6103(i)(1) order",
        reference="22-MJ-1",
        scope="W-2s",
        labels=frozenset(labels),
        persons=frozenset(persons),
        agencies=frozenset(agencies),
        expires=expires,
    )


def _case(*bases: LegalBasis, members: set[str] | None = None) -> CaseContext:
    return CaseContext(
        case_id=7,
        owner_agency="Tax Crimes",
        status="active",
        members=frozenset(members if members is not None else {"sam", "ana"}),
        legal_bases=bases,
    )


# --- the policy ---------------------------------------------------------------------


@pytest.mark.parametrize("role", ["SUPERVISOR", "supervisor ", "root", "", "Supervisor"])
def test_a_role_spelt_differently_is_denied(role: str) -> None:
    case = _case(_basis({"sam"}, {"Labor"}, TODAY, {Label.FTI}))
    forged = replace(SUP, role=role)  # type: ignore[arg-type]
    decision = decide(forged, Action.READ, [Label.OPEN], case, today=TODAY)
    assert not decision.allowed and "only known roles" in decision.reason


@pytest.mark.parametrize("label", ["FTI", "fti ", "secret", ""])
def test_a_label_spelt_differently_is_denied_not_read_as_open(label: str) -> None:
    decision = decide(SUP, Action.READ, [label], _case(), today=TODAY)  # type: ignore[list-item]
    assert not decision.allowed


def test_a_username_that_differs_only_in_case_is_not_the_person_named() -> None:
    case = _case(_basis({"Sam"}, set(), TODAY, {Label.FTI}), members={"sam", "Sam"})
    assert not decide(SUP, Action.READ, [Label.FTI], case, today=TODAY)
    assert decide(replace(SUP, username="Sam"), Action.READ, [Label.FTI], case, today=TODAY)


def test_an_expired_basis_naming_the_agency_does_not_lend_coverage_to_a_current_one() -> None:
    # The current order names sam but covers no one; the expired one covered Labor.
    case = _case(
        _basis({"sam"}, set(), TODAY + timedelta(days=9), {Label.FTI}),
        _basis({"sam"}, {"Labor"}, TODAY - timedelta(days=1), {Label.FTI}),
    )
    assert decide(SUP, Action.READ, [Label.FTI], case, today=TODAY)
    for action in (Action.SHARE, Action.REFER):
        decision = decide(SUP, action, [Label.FTI], case, target_agency="Labor", today=TODAY)
        assert not decision.allowed and "Labor" in decision.reason


def test_a_basis_for_bsa_does_not_open_fti_even_to_the_person_it_names() -> None:
    case = _case(_basis({"sam"}, {"Labor"}, TODAY + timedelta(days=9), {Label.BSA}))
    decision = decide(SUP, Action.READ, [Label.FTI], case, today=TODAY)
    assert not decision.allowed and "does not cover federal tax information" in decision.reason


def test_data_with_fti_among_other_labels_is_decided_as_fti() -> None:
    case = _case(_basis({"sam"}, set(), TODAY, {Label.FTI}))
    mixed = [Label.OPEN, Label.BSA, Label.FTI]
    assert decide(SUP, Action.READ, mixed, case, today=TODAY)
    assert not decide(ANA, Action.READ, mixed, case, today=TODAY)
    assert not decide(SUP, Action.READ, mixed, case, today=TODAY + timedelta(days=1))


@pytest.mark.parametrize("target", [None, ""])
def test_fti_share_without_a_target_is_denied_even_if_a_basis_covers_no_agency(
    target: str | None,
) -> None:
    case = _case(_basis({"sam"}, set(), TODAY, {Label.FTI}))
    decision = decide(SUP, Action.SHARE, [Label.FTI], case, target_agency=target, today=TODAY)
    assert not decision.allowed


@pytest.mark.parametrize("role", [Role.AUDITOR, Role.ADMIN])
@pytest.mark.parametrize("action", list(Action))
def test_auditors_and_admins_never_touch_labelled_content(role: Role, action: Action) -> None:
    who = Principal("sam", "Tax Crimes", role)  # even when listed as a member and named
    case = _case(_basis({"sam"}, {"Labor"}, TODAY, {Label.FTI}), members={"sam"})
    for labels in ([Label.OPEN], [Label.BSA], [Label.LE_SENSITIVE], [Label.FTI]):
        assert not decide(who, action, labels, case, target_agency="Labor", today=TODAY)


def test_identities_stay_masked_for_a_grantee_who_is_no_longer_a_member() -> None:
    case = replace(
        _case(members={"sam"}), grants_identities=True, identity_grantees=frozenset({"ana"})
    )
    assert mask_identity(ANA, case, "123-45-6789", "ssn") == "***-**-6789"
    auditor = Principal("ana", "Tax Crimes", Role.AUDITOR)
    assert mask_identity(auditor, replace(case, members=frozenset({"ana"})), "123-45-6789") != (
        "123-45-6789"
    )


def test_a_password_that_is_not_valid_unicode_is_simply_wrong() -> None:
    from moneytrail.access import hash_password  # noqa: PLC0415 - kept next to its one use

    stored = hash_password("correct horse battery")
    assert verify_password(stored, "lone \ud800 surrogate") is False


# --- the audit chain ------------------------------------------------------------------


@pytest.fixture
def engine(cases_url: str) -> Iterator[Engine]:
    eng = make_engine(cases_url)
    migrate(eng)
    try:
        yield eng
    finally:
        eng.dispose()


def _fill(engine: Engine, n: int = 4) -> AuditLog:
    log = AuditLog(KEY)
    with Session(engine) as session, session.begin():
        for i in range(n):
            log.append(session, f"u{i}", "read", "case", i + 1, "work", "ok", {"labels": ["fti"]})
    return log


def _verify(engine: Engine, log: AuditLog) -> Any:
    with Session(engine) as session:
        return log.verify(session)


@pytest.mark.parametrize(
    "detail",
    [{"text": "lone \ud800"}, {"when": date(2026, 1, 1)}],
)
def test_a_detail_the_chain_cannot_hold_is_an_audit_error_and_appends_nothing(
    engine: Engine, detail: dict[str, Any]
) -> None:
    log = _fill(engine)
    with Session(engine) as session, session.begin(), pytest.raises(AuditError):
        log.append(session, "u", "read", "case", 1, "work", "ok", detail)
    report = _verify(engine, log)
    assert report.ok and report.entries == 4


def test_an_actor_name_the_chain_cannot_hold_is_an_audit_error(engine: Engine) -> None:
    log = _fill(engine)
    with Session(engine) as session, session.begin(), pytest.raises(AuditError):
        log.append(session, "ev\ud800il", "read", "case", 1, "work", "ok")
    assert _verify(engine, log).ok


def test_a_forged_entry_appended_after_the_head_is_detected(engine: Engine) -> None:
    log = _fill(engine)
    with Session(engine) as session, session.begin():
        last = session.scalars(select(AuditEntry).order_by(AuditEntry.seq.desc())).first()
        assert last is not None
        session.add(
            AuditEntry(
                seq=last.seq + 1, at=last.at, actor="mallory", action="read", object_type="case",
                object_id="1", purpose="work", outcome="ok", detail="{}",
                prev_hash=last.hash, hash="0" * 64,
            )
        )  # fmt: skip
    report = _verify(engine, log)
    assert not report.ok and report.first_bad_seq == 5


def test_swapping_the_details_of_two_entries_is_detected(engine: Engine) -> None:
    log = _fill(engine)
    with Session(engine) as session, session.begin():
        session.execute(update(AuditEntry).where(AuditEntry.seq == 2).values(detail='{"x":1}'))
    report = _verify(engine, log)
    assert not report.ok and report.first_bad_seq == 2


def test_rewriting_the_whole_tail_without_the_key_is_detected(engine: Engine) -> None:
    # An attacker recomputes plain SHA-256 hashes for a rewritten tail: without the
    # key the chain's HMACs cannot be matched.
    import hashlib  # noqa: PLC0415 - the attacker's tool, kept in the attack

    log = _fill(engine)
    with Session(engine) as session, session.begin():
        rows = list(session.scalars(select(AuditEntry).where(AuditEntry.seq >= 3)))
        prev = session.scalars(select(AuditEntry.hash).where(AuditEntry.seq == 2)).one()
        for row in sorted(rows, key=lambda r: r.seq):
            row.actor, row.prev_hash = "nobody", prev
            row.hash = hashlib.sha256((prev + row.actor).encode()).hexdigest()
            prev = row.hash
        session.execute(update(AuditHead).values(hash=prev))
    report = _verify(engine, log)
    assert not report.ok and report.first_bad_seq == 3


@pytest.mark.xfail(
    strict=True,
    reason="known limit without a checkpoint: a head saved earlier and put back after deleting "
    "the entries after it verifies, since nothing outside the database remembers the newest "
    "seq (`moneytrail audit checkpoint` keeps one; see the test after this one)",
)
def test_truncating_back_to_a_saved_head_is_detected(engine: Engine) -> None:
    log = _fill(engine, 2)
    with Session(engine) as session:
        saved = session.get(AuditHead, 1)
        assert saved is not None
        old = (saved.seq, saved.hash, saved.mac)
    with Session(engine) as session, session.begin():
        log.append(session, "u", "read", "case", 9, "work", "ok")
    with Session(engine) as session, session.begin():
        session.execute(delete(AuditEntry).where(AuditEntry.seq > old[0]))
        session.execute(update(AuditHead).values(seq=old[0], hash=old[1], mac=old[2]))
    assert not _verify(engine, log).ok


def test_truncating_back_to_a_saved_head_is_detected_by_a_checkpoint(engine: Engine) -> None:
    log = _fill(engine, 2)
    with Session(engine) as session:
        saved = session.get(AuditHead, 1)
        assert saved is not None
        old = (saved.seq, saved.hash, saved.mac)
    with Session(engine) as session, session.begin():
        log.append(session, "u", "read", "case", 9, "work", "ok")
    with Session(engine) as session:
        point = log.checkpoint(session)  # kept outside the database by the auditor
    assert point["seq"] == 3
    with Session(engine) as session, session.begin():
        session.execute(delete(AuditEntry).where(AuditEntry.seq > old[0]))
        session.execute(update(AuditHead).values(seq=old[0], hash=old[1], mac=old[2]))
    with Session(engine) as session:
        report = log.verify(session, [point])
    assert not report.ok and report.first_bad_seq == 3
    assert "named by a checkpoint, is gone" in report.problems[0]


def test_a_checkpoint_made_without_the_key_is_refused(engine: Engine) -> None:
    log = _fill(engine, 2)
    with Session(engine) as session:
        point = {**log.checkpoint(session), "seq": 1}  # moved to an earlier entry by hand
        with pytest.raises(AuditError, match="not made with this deployment's audit key"):
            log.verify(session, [point])
        assert log.verify(session, [log.checkpoint(session)]).ok


def test_a_person_named_from_an_agency_the_basis_does_not_cover_sees_no_fti() -> None:
    # Hole: the store refuses such a basis now, but one recorded before (or built by
    # another caller) named a partner's user without covering the partner's agency.
    partner = Principal("lana", "Labor", Role.SUPERVISOR)
    case = _case(
        _basis({"sam", "lana"}, {"Tax Crimes"}, TODAY, {Label.FTI}), members={"sam", "lana"}
    )
    decision = decide(partner, Action.READ, [Label.FTI], case, today=TODAY)
    assert not decision.allowed and "does not cover Labor" in decision.reason
    assert decide(SUP, Action.READ, [Label.FTI], case, today=TODAY)  # the owner's is covered
    covered = _case(_basis({"lana"}, {"Labor"}, TODAY, {Label.FTI}), members={"lana"})
    assert decide(partner, Action.READ, [Label.FTI], covered, today=TODAY)
