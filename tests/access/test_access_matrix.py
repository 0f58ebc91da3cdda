"""Every role x label x legal-basis state x action x membership, against a table written out here.

The EXPECTED table is the issue's access rules restated by hand, row by row; it
is not computed from the policy's code. Columns are the state of the case's
legal basis:

    none         the case records no legal basis
    covers       an unexpired basis for FTI names the user and covers the target agency
    other        an unexpired basis for FTI names someone else
    expired      a basis for FTI names the user but expired yesterday
    wrong_label  an unexpired basis names the user but covers BSA, not FTI

Membership: owner = member from the owning agency; partner = member from
another agency (added by a supervisor's share); outsider = not a member.
"""

from __future__ import annotations

import itertools
from datetime import date, timedelta

import pytest

from moneytrail.access import (
    Action,
    CaseContext,
    Label,
    LegalBasis,
    Principal,
    Role,
    decide,
    derive,
    mask_identity,
    may_see_identities,
)

BASES = ("none", "covers", "other", "expired", "wrong_label")

#   role       label        action membership none  covers other expired wrong_label
EXPECTED = """
    admin      open         read   owner     -      -      -      -      -
    admin      open         read   partner   -      -      -      -      -
    admin      open         read   outsider  -      -      -      -      -
    admin      open         share  owner     -      -      -      -      -
    admin      open         share  partner   -      -      -      -      -
    admin      open         share  outsider  -      -      -      -      -
    admin      open         export owner     -      -      -      -      -
    admin      open         export partner   -      -      -      -      -
    admin      open         export outsider  -      -      -      -      -
    admin      bsa          read   owner     -      -      -      -      -
    admin      bsa          read   partner   -      -      -      -      -
    admin      bsa          read   outsider  -      -      -      -      -
    admin      bsa          share  owner     -      -      -      -      -
    admin      bsa          share  partner   -      -      -      -      -
    admin      bsa          share  outsider  -      -      -      -      -
    admin      bsa          export owner     -      -      -      -      -
    admin      bsa          export partner   -      -      -      -      -
    admin      bsa          export outsider  -      -      -      -      -
    admin      le_sensitive read   owner     -      -      -      -      -
    admin      le_sensitive read   partner   -      -      -      -      -
    admin      le_sensitive read   outsider  -      -      -      -      -
    admin      le_sensitive share  owner     -      -      -      -      -
    admin      le_sensitive share  partner   -      -      -      -      -
    admin      le_sensitive share  outsider  -      -      -      -      -
    admin      le_sensitive export owner     -      -      -      -      -
    admin      le_sensitive export partner   -      -      -      -      -
    admin      le_sensitive export outsider  -      -      -      -      -
    admin      fti          read   owner     -      -      -      -      -
    admin      fti          read   partner   -      -      -      -      -
    admin      fti          read   outsider  -      -      -      -      -
    admin      fti          share  owner     -      -      -      -      -
    admin      fti          share  partner   -      -      -      -      -
    admin      fti          share  outsider  -      -      -      -      -
    admin      fti          export owner     -      -      -      -      -
    admin      fti          export partner   -      -      -      -      -
    admin      fti          export outsider  -      -      -      -      -
    auditor    open         read   owner     -      -      -      -      -
    auditor    open         read   partner   -      -      -      -      -
    auditor    open         read   outsider  -      -      -      -      -
    auditor    open         share  owner     -      -      -      -      -
    auditor    open         share  partner   -      -      -      -      -
    auditor    open         share  outsider  -      -      -      -      -
    auditor    open         export owner     -      -      -      -      -
    auditor    open         export partner   -      -      -      -      -
    auditor    open         export outsider  -      -      -      -      -
    auditor    bsa          read   owner     -      -      -      -      -
    auditor    bsa          read   partner   -      -      -      -      -
    auditor    bsa          read   outsider  -      -      -      -      -
    auditor    bsa          share  owner     -      -      -      -      -
    auditor    bsa          share  partner   -      -      -      -      -
    auditor    bsa          share  outsider  -      -      -      -      -
    auditor    bsa          export owner     -      -      -      -      -
    auditor    bsa          export partner   -      -      -      -      -
    auditor    bsa          export outsider  -      -      -      -      -
    auditor    le_sensitive read   owner     -      -      -      -      -
    auditor    le_sensitive read   partner   -      -      -      -      -
    auditor    le_sensitive read   outsider  -      -      -      -      -
    auditor    le_sensitive share  owner     -      -      -      -      -
    auditor    le_sensitive share  partner   -      -      -      -      -
    auditor    le_sensitive share  outsider  -      -      -      -      -
    auditor    le_sensitive export owner     -      -      -      -      -
    auditor    le_sensitive export partner   -      -      -      -      -
    auditor    le_sensitive export outsider  -      -      -      -      -
    auditor    fti          read   owner     -      -      -      -      -
    auditor    fti          read   partner   -      -      -      -      -
    auditor    fti          read   outsider  -      -      -      -      -
    auditor    fti          share  owner     -      -      -      -      -
    auditor    fti          share  partner   -      -      -      -      -
    auditor    fti          share  outsider  -      -      -      -      -
    auditor    fti          export owner     -      -      -      -      -
    auditor    fti          export partner   -      -      -      -      -
    auditor    fti          export outsider  -      -      -      -      -
    analyst    open         read   owner     Y      Y      Y      Y      Y
    analyst    open         read   partner   Y      Y      Y      Y      Y
    analyst    open         read   outsider  -      -      -      -      -
    analyst    open         share  owner     Y      Y      Y      Y      Y
    analyst    open         share  partner   Y      Y      Y      Y      Y
    analyst    open         share  outsider  -      -      -      -      -
    analyst    open         export owner     Y      Y      Y      Y      Y
    analyst    open         export partner   Y      Y      Y      Y      Y
    analyst    open         export outsider  -      -      -      -      -
    analyst    bsa          read   owner     Y      Y      Y      Y      Y
    analyst    bsa          read   partner   Y      Y      Y      Y      Y
    analyst    bsa          read   outsider  -      -      -      -      -
    analyst    bsa          share  owner     -      -      -      -      -
    analyst    bsa          share  partner   -      -      -      -      -
    analyst    bsa          share  outsider  -      -      -      -      -
    analyst    bsa          export owner     -      -      -      -      -
    analyst    bsa          export partner   -      -      -      -      -
    analyst    bsa          export outsider  -      -      -      -      -
    analyst    le_sensitive read   owner     Y      Y      Y      Y      Y
    analyst    le_sensitive read   partner   Y      Y      Y      Y      Y
    analyst    le_sensitive read   outsider  -      -      -      -      -
    analyst    le_sensitive share  owner     -      -      -      -      -
    analyst    le_sensitive share  partner   -      -      -      -      -
    analyst    le_sensitive share  outsider  -      -      -      -      -
    analyst    le_sensitive export owner     -      -      -      -      -
    analyst    le_sensitive export partner   -      -      -      -      -
    analyst    le_sensitive export outsider  -      -      -      -      -
    analyst    fti          read   owner     -      Y      -      -      -
    analyst    fti          read   partner   -      Y      -      -      -
    analyst    fti          read   outsider  -      -      -      -      -
    analyst    fti          share  owner     -      -      -      -      -
    analyst    fti          share  partner   -      -      -      -      -
    analyst    fti          share  outsider  -      -      -      -      -
    analyst    fti          export owner     -      -      -      -      -
    analyst    fti          export partner   -      -      -      -      -
    analyst    fti          export outsider  -      -      -      -      -
    supervisor open         read   owner     Y      Y      Y      Y      Y
    supervisor open         read   partner   Y      Y      Y      Y      Y
    supervisor open         read   outsider  -      -      -      -      -
    supervisor open         share  owner     Y      Y      Y      Y      Y
    supervisor open         share  partner   Y      Y      Y      Y      Y
    supervisor open         share  outsider  -      -      -      -      -
    supervisor open         export owner     Y      Y      Y      Y      Y
    supervisor open         export partner   Y      Y      Y      Y      Y
    supervisor open         export outsider  -      -      -      -      -
    supervisor bsa          read   owner     Y      Y      Y      Y      Y
    supervisor bsa          read   partner   Y      Y      Y      Y      Y
    supervisor bsa          read   outsider  -      -      -      -      -
    supervisor bsa          share  owner     Y      Y      Y      Y      Y
    supervisor bsa          share  partner   Y      Y      Y      Y      Y
    supervisor bsa          share  outsider  -      -      -      -      -
    supervisor bsa          export owner     Y      Y      Y      Y      Y
    supervisor bsa          export partner   Y      Y      Y      Y      Y
    supervisor bsa          export outsider  -      -      -      -      -
    supervisor le_sensitive read   owner     Y      Y      Y      Y      Y
    supervisor le_sensitive read   partner   Y      Y      Y      Y      Y
    supervisor le_sensitive read   outsider  -      -      -      -      -
    supervisor le_sensitive share  owner     Y      Y      Y      Y      Y
    supervisor le_sensitive share  partner   -      -      -      -      -
    supervisor le_sensitive share  outsider  -      -      -      -      -
    supervisor le_sensitive export owner     Y      Y      Y      Y      Y
    supervisor le_sensitive export partner   -      -      -      -      -
    supervisor le_sensitive export outsider  -      -      -      -      -
    supervisor fti          read   owner     -      Y      -      -      -
    supervisor fti          read   partner   -      Y      -      -      -
    supervisor fti          read   outsider  -      -      -      -      -
    supervisor fti          share  owner     -      Y      -      -      -
    supervisor fti          share  partner   -      Y      -      -      -
    supervisor fti          share  outsider  -      -      -      -      -
    supervisor fti          export owner     -      Y      -      -      -
    supervisor fti          export partner   -      Y      -      -      -
    supervisor fti          export outsider  -      -      -      -      -
"""

TODAY = date(2026, 6, 1)
OWNER, PARTNER, TARGET, UNCOVERED = "IRS-CI", "FinCEN", "HSI", "StatePolice"
CASE_ID = 42


def _rows() -> list[tuple[str, str, str, str, str, bool]]:
    rows = []
    for line in EXPECTED.strip().splitlines():
        role, label, action, member, *marks = line.split()
        assert len(marks) == len(BASES), line
        for basis, mark in zip(BASES, marks, strict=True):
            assert mark in ("Y", "-"), line
            rows.append((role, label, action, member, basis, mark == "Y"))
    return rows


ROWS = _rows()


def test_the_table_covers_every_combination() -> None:
    keys = {row[:5] for row in ROWS}
    assert len(keys) == len(ROWS)
    assert keys == set(
        itertools.product(
            [r.value for r in Role],
            [lab.value for lab in Label],
            ["read", "share", "export"],
            ["owner", "partner", "outsider"],
            BASES,
        )
    )


def _basis(state: str) -> tuple[LegalBasis, ...]:
    if state == "none":
        return ()
    persons = frozenset({"someone_else"}) if state == "other" else frozenset({"pat"})
    labels = frozenset({Label.BSA}) if state == "wrong_label" else frozenset({Label.FTI})
    expires = TODAY - timedelta(days=1) if state == "expired" else TODAY + timedelta(days=30)
    return (
        LegalBasis(
            kind="IRC 6103(i)(1) ex parte order",
            reference="24-MJ-0117",
            scope="payroll filings of Acme Staffing LLC, 2022-2024",
            labels=labels,
            persons=persons,
            agencies=frozenset({OWNER, PARTNER, TARGET}),
            expires=expires,
        ),
    )


def _setup(role: str, member: str, basis: str) -> tuple[Principal, CaseContext]:
    agency = PARTNER if member == "partner" else OWNER
    who = Principal(username="pat", agency=agency, role=Role(role))
    members = frozenset({"olga", "pat"}) if member != "outsider" else frozenset({"olga"})
    case = CaseContext(
        case_id=CASE_ID,
        owner_agency=OWNER,
        status="active",
        members=members,
        legal_bases=_basis(basis),
    )
    return who, case


# Words that tell a user what to do or what rule stopped them.
_ACTIONABLE = ("ask", "record", "only", "never", "may not", "not a member", "not named", "expired")


@pytest.mark.parametrize(
    ("role", "label", "action", "member", "basis", "allowed"),
    ROWS,
    ids=["-".join(map(str, row)) for row in ROWS],
)
def test_access_matrix(
    role: str, label: str, action: str, member: str, basis: str, allowed: bool
) -> None:
    who, case = _setup(role, member, basis)
    decision = decide(
        who,
        Action(action),
        [Label(label)],
        case,
        target_agency=TARGET if action == "share" else None,
        today=TODAY,
    )
    assert decision.allowed is allowed, decision.reason
    assert bool(decision) is allowed
    if not allowed:
        reason = decision.reason
        assert str(CASE_ID) in reason or "pat" in reason, reason
        assert any(word in reason for word in _ACTIONABLE), reason


@pytest.mark.parametrize("action", [Action.SHARE, Action.REFER])
def test_fti_to_an_agency_the_basis_does_not_cover_is_refused_naming_both(
    action: Action,
) -> None:
    who, case = _setup("supervisor", "owner", "covers")
    refused = decide(who, action, [Label.FTI], case, target_agency=UNCOVERED, today=TODAY)
    assert not refused
    assert UNCOVERED in refused.reason
    assert "24-MJ-0117" in refused.reason
    assert "IRC 6103(i)(1)" in refused.reason
    assert decide(who, action, [Label.FTI], case, target_agency=TARGET, today=TODAY)


def test_fti_refer_is_refused_for_the_same_reasons_as_share() -> None:
    for basis in BASES:
        who, case = _setup("supervisor", "owner", basis)
        share = decide(who, Action.SHARE, [Label.FTI], case, target_agency=TARGET, today=TODAY)
        refer = decide(who, Action.REFER, [Label.FTI], case, target_agency=TARGET, today=TODAY)
        assert share.allowed is refer.allowed is (basis == "covers")


def test_a_basis_is_good_through_its_last_day() -> None:
    who, case = _setup("analyst", "owner", "covers")
    last_day = case.legal_bases[0].expires
    assert decide(who, Action.READ, [Label.FTI], case, today=last_day)
    day_after = decide(who, Action.READ, [Label.FTI], case, today=last_day + timedelta(days=1))
    assert not day_after
    assert last_day.isoformat() in day_after.reason


def test_share_and_refer_need_a_target_agency() -> None:
    who, case = _setup("supervisor", "owner", "none")
    for action in (Action.SHARE, Action.REFER):
        refused = decide(who, action, [Label.OPEN], case, today=TODAY)
        assert not refused
        assert "agency" in refused.reason


def test_metadata_is_for_members_and_auditors_only() -> None:
    for role, member, allowed in [
        ("auditor", "outsider", True),
        ("admin", "owner", False),
        ("admin", "outsider", False),
        ("analyst", "owner", True),
        ("analyst", "outsider", False),
        ("supervisor", "partner", True),
    ]:
        who, case = _setup(role, member, "none")
        assert decide(who, Action.READ, [], case, today=TODAY).allowed is allowed, (role, member)


def test_writes_follow_reads_and_auditors_never_write() -> None:
    analyst, case = _setup("analyst", "owner", "none")
    assert decide(analyst, Action.WRITE, [Label.OPEN, Label.BSA], case, today=TODAY)
    assert not decide(analyst, Action.WRITE, [Label.FTI], case, today=TODAY)
    named, covered = _setup("analyst", "owner", "covers")
    assert decide(named, Action.WRITE, [Label.FTI], covered, today=TODAY)
    auditor, case = _setup("auditor", "owner", "none")
    assert not decide(auditor, Action.WRITE, [], case, today=TODAY)


def test_the_most_restrictive_label_decides() -> None:
    who, case = _setup("analyst", "owner", "none")
    mixed = decide(who, Action.READ, [Label.OPEN, Label.BSA, Label.FTI], case, today=TODAY)
    assert not mixed
    assert "FTI" in mixed.reason


def test_derived_data_carries_every_input_label() -> None:
    assert derive([Label.FTI], [Label.OPEN]) == {Label.FTI}
    assert derive([Label.BSA], [Label.LE_SENSITIVE, Label.FTI]) == {
        Label.BSA,
        Label.LE_SENSITIVE,
        Label.FTI,
    }
    assert derive() == {Label.OPEN}
    assert derive([Label.OPEN], []) == {Label.OPEN}


def test_identities_stay_masked_unless_the_case_grants_them() -> None:
    who, case = _setup("analyst", "owner", "none")
    assert mask_identity(who, case, "123-45-6789") == "***-**-6789"
    assert not may_see_identities(who, case)
    granted = CaseContext(
        case_id=CASE_ID,
        owner_agency=OWNER,
        status="active",
        members=case.members,
        grants_identities=True,
        identity_grantees=frozenset({"pat"}),
    )
    assert mask_identity(who, granted, "123-45-6789") == "123-45-6789"
    other = Principal(username="olga", agency=OWNER, role=Role.SUPERVISOR)
    assert mask_identity(other, granted, "123-45-6789") == "***-**-6789"
    auditor = Principal(username="pat", agency=OWNER, role=Role.AUDITOR)
    assert mask_identity(auditor, granted, "123-45-6789") == "***-**-6789"


def test_unknown_words_are_denied_not_guessed() -> None:
    _, case = _setup("analyst", "owner", "none")
    for role, action, label in [
        ("superuser", "read", "open"),
        ("analyst", "delete", "open"),
        ("analyst", "read", "top_secret"),
    ]:
        decision = decide(
            Principal(username="pat", agency=OWNER, role=role),  # type: ignore[arg-type]
            action,  # type: ignore[arg-type]
            [label],  # type: ignore[list-item]
            case,
            today=TODAY,
        )
        assert not decision
        assert "only known roles, actions and labels" in decision.reason
    plain = decide(
        Principal(username="pat", agency=OWNER, role="analyst"),  # type: ignore[arg-type]
        "read",  # type: ignore[arg-type]
        ["bsa"],  # type: ignore[list-item]
        case,
        today=TODAY,
    )
    assert plain
