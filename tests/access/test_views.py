"""Who may read the warehouse's triage views outside a case (`decide_view`)."""

from __future__ import annotations

import pytest

from moneytrail.access import Principal, Role, decide_view


@pytest.mark.parametrize(
    ("role", "allowed"),
    [
        (Role.ANALYST, True),
        (Role.SUPERVISOR, True),
        (Role.AUDITOR, False),
        (Role.ADMIN, False),
    ],
)
def test_only_investigators_read_warehouse_views(role: Role, allowed: bool) -> None:
    decision = decide_view(Principal("pat", "IRS-CI", role))
    assert decision.allowed is allowed
    assert "pat" in decision.reason
    if not allowed:
        assert "only analysts and supervisors" in decision.reason


def test_an_unknown_role_is_denied_not_guessed() -> None:
    decision = decide_view(Principal("pat", "IRS-CI", "superuser"))  # type: ignore[arg-type]
    assert not decision.allowed
    assert "only known roles" in decision.reason
