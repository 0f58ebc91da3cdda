"""An export names the agency it is for: FTI goes only to an agency a current legal basis covers."""

from __future__ import annotations

from datetime import date, timedelta

from moneytrail.access import Action, CaseContext, Label, LegalBasis, Principal, Role, decide

SUP = Principal("sam", "IRS-CI", Role.SUPERVISOR)
ORDER = LegalBasis(
    kind="IRC 6103(i)(1) ex parte order",
    reference="24-MJ-0042",
    scope="returns of the employer",
    labels=frozenset({Label.FTI}),
    persons=frozenset({"sam"}),
    agencies=frozenset({"IRS-CI", "US Attorney"}),
    expires=date.today() + timedelta(days=30),
)
CASE = CaseContext(1, "IRS-CI", "active", frozenset({"sam"}), (ORDER,))
FTI = {Label.FTI}


def test_fti_export_for_a_covered_agency_or_oneself_is_allowed() -> None:
    assert decide(SUP, Action.EXPORT, FTI, CASE)
    assert decide(SUP, Action.EXPORT, FTI, CASE, target_agency="IRS-CI")
    assert decide(SUP, Action.EXPORT, FTI, CASE, target_agency="US Attorney")


def test_fti_export_for_an_uncovered_agency_is_denied_with_the_basis_named() -> None:
    d = decide(SUP, Action.EXPORT, FTI, CASE, target_agency="FIU Demo")
    assert not d
    assert "may not be exported to FIU Demo" in d.reason and "24-MJ-0042" in d.reason


def test_open_data_may_be_exported_to_anyone() -> None:
    assert decide(SUP, Action.EXPORT, {Label.OPEN}, CASE, target_agency="FIU Demo")
