"""A case worked through the API, on SQLite and on PostgreSQL."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta

from fastapi.testclient import TestClient
from tests.api.shape import assert_error

from moneytrail.access import Principal, Role
from moneytrail.api import TokenService
from moneytrail.cases import CaseStore

Login = Callable[[str], dict[str, str]]


def test_a_case_from_opening_to_referral(client: TestClient, login: Login) -> None:
    alice, sam, bob = login("alice"), login("sam"), login("bob")
    r = client.post(
        "/cases",
        json={"title": "Green Valley payroll", "summary": "941 gap", "labels": ["bsa"]},
        headers=alice,
    )
    assert r.status_code == 201, r.text
    case = r.json()
    cid = case["id"]
    assert case["owner_agency"] == "IRS-CI" and case["status"] == "open"

    assert (
        client.post(f"/cases/{cid}/members", json={"username": "sam"}, headers=alice).status_code
        == 201
    )
    r = client.post(
        f"/cases/{cid}/subjects",
        json={"kind": "business", "ref": "company-1", "identifiers": {"ein": "12-3456789"}},
        headers=alice,
    )
    assert r.status_code == 201, r.text
    assert "12-3456789" not in r.text  # tokenised, never echoed raw
    assert r.json()["deconfliction"] == []
    r = client.post(f"/cases/{cid}/alerts", json={"alert_id": "A-1"}, headers=alice)
    assert r.status_code == 201, r.text
    r = client.post(
        f"/cases/{cid}/alerts/A-1/disposition",
        json={"disposition": "confirmed", "note": "payroll matches"},
        headers=alice,
    )
    assert r.status_code == 200, r.text
    r = client.post(
        f"/cases/{cid}/evidence",
        json={"table": "transactions", "key": "5", "description": "first deposit"},
        headers=alice,
    )
    assert r.status_code == 201, r.text
    assert (
        client.post(
            f"/cases/{cid}/notes", json={"text": "called the bank"}, headers=alice
        ).status_code
        == 201
    )
    due = (date.today() + timedelta(days=7)).isoformat()
    r = client.post(
        f"/cases/{cid}/tasks",
        json={"title": "subpoena", "assignee": "sam", "due": due},
        headers=alice,
    )
    assert r.status_code == 201, r.text
    task = r.json()["id"]
    assert client.post(f"/cases/{cid}/tasks/{task}/complete", headers=sam).status_code == 200
    assert (
        client.post(f"/cases/{cid}/status", json={"status": "active"}, headers=alice).json()[
            "status"
        ]
        == "active"
    )

    got = client.get(f"/cases/{cid}", headers=alice).json()
    assert got["summary"] == "941 gap"
    assert [a["alert_id"] for a in got["alerts"]] == ["A-1"]
    assert got["evidence"][0]["table"] == "transactions" and got["evidence"][0]["key"] == "5"
    assert [t["title"] for t in got["tasks"]] == ["subpoena"]
    assert {m["username"] for m in got["members"]} == {"alice", "sam"}

    # Another agency sees nothing of it, and an analyst may not refer BSA data.
    assert_error(client.get(f"/cases/{cid}", headers=bob), 404)
    assert_error(
        client.post(
            f"/cases/{cid}/referrals", json={"to_agency": "HSI", "reason": "r"}, headers=alice
        ),
        403,
    )
    r = client.post(
        f"/cases/{cid}/referrals", json={"to_agency": "HSI", "reason": "labour"}, headers=sam
    )
    assert r.status_code == 201, r.text

    # The auditor sees the trail of all this, and it verifies.
    ivan = login("ivan")
    log = client.get("/audit?limit=500", headers=ivan).json()
    assert log["total"] >= 10 and {e["actor"] for e in log["items"]} >= {"alice", "sam"}
    assert client.get("/audit/verify", headers=ivan).json()["ok"] is True
    assert_error(client.get("/audit/verify", headers=alice), 403)


def test_case_list_pages_with_next_links(client: TestClient, login: Login) -> None:
    alice = login("alice")
    for n in range(7):
        client.post("/cases", json={"title": f"case {n}"}, headers=alice)
    first = client.get("/cases?limit=3", headers=alice).json()
    assert (first["total"], first["limit"], first["offset"], len(first["items"])) == (7, 3, 0, 3)
    second = client.get(first["next"], headers=alice).json()
    assert second["offset"] == 3 and len(second["items"]) == 3
    last = client.get(second["next"], headers=alice).json()
    assert len(last["items"]) == 1 and last["next"] is None
    ids = [c["id"] for p in (first, second, last) for c in p["items"]]
    assert len(set(ids)) == 7
    assert client.get("/cases?status=closed", headers=alice).json()["total"] == 0
    assert client.get("/cases", headers=login("bob")).json()["total"] == 0


def test_deconfliction_tells_both_agencies_whom_to_contact(
    client: TestClient, login: Login
) -> None:
    alice, bob = login("alice"), login("bob")
    mine = client.post("/cases", json={"title": "ring A"}, headers=alice).json()["id"]
    theirs = client.post("/cases", json={"title": "ring B"}, headers=bob).json()["id"]
    ident = {"account": "GB29NWBK60161331926819"}
    client.post(
        f"/cases/{mine}/subjects",
        json={"kind": "account", "ref": "acct-1", "identifiers": ident},
        headers=alice,
    )
    r = client.post(
        f"/cases/{theirs}/subjects",
        json={"kind": "account", "ref": "acct-9", "identifiers": ident},
        headers=bob,
    )
    assert r.status_code == 201 and r.json()["deconfliction"], r.text
    for headers, other in ((alice, "HSI"), (bob, "IRS-CI")):
        hits = client.get("/deconfliction/hits", headers=headers).json()
        assert hits["total"] >= 1
        assert any(other in str(h) for h in hits["items"])
        assert "GB29NWBK60161331926819" not in str(hits) and "acct-" not in str(hits)


def test_a_deactivated_or_unknown_user_is_refused_at_once(client: TestClient, login: Login) -> None:
    alice = login("alice")
    assert client.get("/cases", headers=alice).status_code == 200
    tokens: TokenService = client.app.state.tokens  # type: ignore[attr-defined]
    ghost = tokens.issue(Principal("ghost", "IRS-CI", Role.ANALYST))
    assert_error(client.get("/cases", headers={"Authorization": f"Bearer {ghost}"}), 401)
    wrong_role = tokens.issue(Principal("alice", "IRS-CI", Role.SUPERVISOR))
    assert_error(client.get("/cases", headers={"Authorization": f"Bearer {wrong_role}"}), 401)
    store: CaseStore = client.app.state.store  # type: ignore[attr-defined]
    store.set_user_active(store.principal("root"), "alice", active=False)
    assert_error(client.get("/cases", headers=alice), 401)  # the old token, refused now
    expired = tokens.issue(
        Principal("sam", "IRS-CI", Role.SUPERVISOR), now=datetime.now(UTC) - timedelta(hours=1)
    )
    error = assert_error(client.get("/cases", headers={"Authorization": f"Bearer {expired}"}), 401)
    assert "expired" in error["message"]
