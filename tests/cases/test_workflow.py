"""The case workflow, content, pagination and bad input, on each backend."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from datetime import date, timedelta

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from moneytrail.access import Label
from moneytrail.cases import STATUSES, TRANSITIONS, CaseStore
from moneytrail.errors import (
    AccessDeniedError,
    CaseInputError,
    CaseStateError,
    NotFoundError,
)

from .conftest import People


def test_status_workflow(store: CaseStore, people: People) -> None:
    case = store.create_case(people.tax_ana, "Payroll mill", "cash wages")
    cid = case["id"]
    assert case["status"] == "open"
    assert case["owner_agency"] == "Tax Crimes"
    with pytest.raises(CaseStateError, match="it can move to active, closed, not pending_closure"):
        store.set_status(people.tax_ana, cid, "pending_closure")
    store.set_status(people.tax_ana, cid, "active")
    with pytest.raises(CaseStateError, match="by referring it"):
        store.set_status(people.tax_ana, cid, "referred")
    for status in ("pending_closure", "closed"):
        assert store.set_status(people.tax_ana, cid, status)["status"] == status
    assert store.get_case(people.tax_ana, cid)["closed_at"] is not None
    with pytest.raises(CaseStateError, match="closed"):
        store.add_note(people.tax_ana, cid, "late thought")
    with pytest.raises(CaseStateError, match="only a supervisor reopens"):
        store.set_status(people.tax_ana, cid, "active")
    with pytest.raises(NotFoundError):
        store.set_status(people.tax_sup, cid, "active")  # not a member: no such case for them
    with pytest.raises(CaseInputError, match="status"):
        store.set_status(people.tax_ana, cid, "archived")


def test_supervisor_reopens(store: CaseStore, people: People) -> None:
    cid = store.create_case(people.tax_sup, "Reopen me")["id"]
    store.set_status(people.tax_sup, cid, "closed")
    reopened = store.set_status(people.tax_sup, cid, "active")
    assert reopened["status"] == "active"
    assert reopened["closed_at"] is None


def test_content_alerts_evidence_tasks(store: CaseStore, people: People) -> None:
    cid = store.create_case(people.tax_ana, "Fan-in ring")["id"]
    store.add_member(people.tax_ana, cid, "tana2")
    store.attach_alert(people.tax_ana, cid, "A-123")
    with pytest.raises(CaseInputError, match="already attached"):
        store.attach_alert(people.tax_ana, cid, "A-123")
    with pytest.raises(CaseInputError, match="disposition"):
        store.dispose_alert(people.tax_ana, cid, "A-123", "guilty")
    with pytest.raises(NotFoundError, match="A-999"):
        store.dispose_alert(people.tax_ana, cid, "A-999", "confirmed")
    done = store.dispose_alert(people.tax_ana2, cid, "A-123", "confirmed", "matches the ledger")
    assert (done["disposition"], done["disposed_by"]) == ("confirmed", "tana2")
    ev = store.add_evidence(people.tax_ana, cid, "transactions", "T-1", "first deposit")
    assert (ev["table"], ev["key"], ev["labels"]) == ("transactions", "T-1", [])
    with pytest.raises(CaseInputError, match="not a warehouse table"):
        store.add_evidence(people.tax_ana, cid, "secrets", "1", "x")
    due = date.today() + timedelta(days=7)
    task = store.add_task(people.tax_ana, cid, "Subpoena bank", assignee="tana2", due=due)
    assert task["due"] == due.isoformat()
    with pytest.raises(CaseInputError, match="not a member"):
        store.add_task(people.tax_ana, cid, "x", assignee="lana")
    store.complete_task(people.tax_ana2, cid, task["id"])
    with pytest.raises(CaseStateError, match="already done"):
        store.complete_task(people.tax_ana2, cid, task["id"])
    with pytest.raises(NotFoundError):
        store.complete_task(people.tax_ana2, cid, 9999)
    full = store.get_case(people.tax_ana, cid)
    assert [a["alert_id"] for a in full["alerts"]] == ["A-123"]
    assert full["alerts"][0]["disposition"] == "confirmed"
    assert full["evidence"][0]["key"] == "T-1"
    assert full["tasks"][0]["done"] is True
    assert {m["username"] for m in full["members"]} == {"tana", "tana2"}
    assert full["withheld"] == []


def test_pagination_and_visibility(store: CaseStore, people: People) -> None:
    ids = [store.create_case(people.tax_ana, f"case {i}")["id"] for i in range(7)]
    store.create_case(people.labor_ana, "labor's own")
    page, total = store.list_cases(people.tax_ana, limit=3, offset=3)
    assert total == 7
    assert [c["id"] for c in page] == sorted(ids, reverse=True)[3:6]
    assert store.list_cases(people.tax_ana, limit=3, offset=6)[0][0]["id"] == min(ids)
    assert store.list_cases(people.labor_ana)[1] == 1
    audited, total_all = store.list_cases(people.auditor, limit=100)
    assert total_all == 8
    assert "summary" not in audited[0]
    assert store.list_cases(people.admin) == ([], 0)
    store.set_status(people.tax_ana, ids[0], "active")
    assert store.list_cases(people.tax_ana, status="active")[1] == 1
    with pytest.raises(CaseInputError) as info:
        store.list_cases(people.tax_ana, limit=0, offset=-1, status="nope")
    assert len(info.value.problems) == 3


def test_bad_input_lists_every_problem_and_writes_nothing(store: CaseStore, people: People) -> None:
    with pytest.raises(CaseInputError) as info:
        store.create_case(people.tax_ana, "  ", labels=["fti", "secret"])  # type: ignore[list-item]
    assert len(info.value.problems) == 2
    assert "title" in str(info.value)
    assert "unknown label 'secret'" in str(info.value)
    assert store.list_cases(people.tax_ana)[1] == 0
    cid = store.create_case(people.tax_ana, "ok")["id"]
    with pytest.raises(CaseInputError) as info:
        store.add_subject(people.tax_ana, cid, "person", "", {"ssn": " "})
    assert len(info.value.problems) == 3
    assert store.get_case(people.tax_ana, cid)["subjects"] == []
    before = store.verify_audit().entries
    with pytest.raises(CaseInputError):
        store.add_note(people.tax_ana, cid, "", labels=[Label.BSA])
    assert store.verify_audit().entries == before


def test_admin_and_auditor_do_not_work_cases(store: CaseStore, people: People) -> None:
    with pytest.raises(AccessDeniedError, match="admins manage agencies"):
        store.create_case(people.admin, "nope")
    with pytest.raises(AccessDeniedError, match="auditors"):
        store.create_case(people.auditor, "nope")
    cid = store.create_case(people.tax_ana, "watched", "secret summary")["id"]
    seen = store.get_case(people.auditor, cid)
    assert seen["title"] == "watched"
    assert seen["summary"] is None
    assert seen["members"] == []
    assert {w["part"] for w in seen["withheld"]} == {"summary", "members"}
    with pytest.raises(AccessDeniedError):
        store.add_note(people.auditor, cid, "x")
    with pytest.raises(NotFoundError):
        store.get_case(people.admin, cid)
    report = store.verify_audit()
    assert report.ok, report.problems


def test_concurrent_writers_keep_the_audit_chain_whole(store: CaseStore, people: People) -> None:
    cid = store.create_case(people.tax_ana, "busy case")["id"]
    store.add_member(people.tax_ana, cid, "tana2")

    def work(n: int) -> None:
        actor = people.tax_ana if n % 2 else people.tax_ana2
        for i in range(5):
            store.add_note(actor, cid, f"note {n}.{i}")
            store.get_case(actor, cid)

    with ThreadPoolExecutor(4) as pool:
        list(pool.map(work, range(4)))
    assert len(store.get_case(people.tax_ana, cid)["notes"]) == 20
    report = store.verify_audit()
    assert report.ok, report.problems


@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(moves=st.lists(st.sampled_from(STATUSES), max_size=6), supervisor=st.booleans())
def test_any_sequence_of_moves_follows_the_workflow(
    store: CaseStore, people: People, moves: list[str], supervisor: bool
) -> None:
    actor = people.tax_sup if supervisor else people.tax_ana
    cid = store.create_case(actor, "workflow")["id"]
    status = "open"
    for move in moves:
        legal = (
            move in TRANSITIONS[status]
            and move != "referred"
            and (supervisor or status != "closed")
        )
        if legal:
            assert store.set_status(actor, cid, move)["status"] == move
            status = move
        else:
            with pytest.raises(CaseStateError):
                store.set_status(actor, cid, move)
        assert store.get_case(actor, cid)["status"] == status
