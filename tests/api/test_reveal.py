"""POST /cases/{id}/reveal and GET /cases/{id}/reveals; sign-in lock-out; audited view denials."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta

from fastapi.testclient import TestClient
from tests.api.conftest import PASSWORD
from tests.api.shape import assert_error

from moneytrail.cases import CaseStore
from moneytrail.cases._signin import SignInLimits

Login = Callable[[str], dict[str, str]]


def test_reveal_on_a_case_with_a_warrant_and_the_list_of_reveals(
    client: TestClient, login: Login, store: CaseStore
) -> None:
    sam, alice, ivan = login("sam"), login("alice"), login("ivan")
    top = client.get("/alerts?limit=1", headers=sam).json()["items"][0]
    key = top["accounts"][0]["ref"]
    cid = client.post("/cases", json={"title": "Ring"}, headers=sam).json()["id"]
    client.post(f"/cases/{cid}/members", json={"username": "alice"}, headers=sam)
    r = client.post(f"/cases/{cid}/alerts", json={"alert_id": top["alert_id"]}, headers=sam)
    assert r.status_code == 201, r.text
    ask = {"kind": "account", "ref": key, "purpose": "seizure warrant SW-9"}
    no_basis = assert_error(client.post(f"/cases/{cid}/reveal", json=ask, headers=alice), 403)
    assert "no legal basis that covers revealing" in no_basis["message"]
    basis = {
        "kind": "seizure warrant",
        "reference": "SW-9",
        "scope": "accounts of the ring",
        "persons": ["alice"],
        "expires": (date.today() + timedelta(days=30)).isoformat(),
        "reveals": True,
    }
    r = client.post(f"/cases/{cid}/legal-bases", json=basis, headers=sam)
    assert r.status_code == 201, r.text
    assert r.json()["reveals"] is True and r.json()["labels"] == []
    got = client.post(f"/cases/{cid}/reveal", json=ask, headers=alice)
    assert got.status_code == 200, got.text
    doc = got.json()
    assert set(doc) == {"ref", "kind", "value", "bank", "display"}
    assert (
        doc["ref"] == key
        and doc["value"].isalnum()
        and doc["display"].split(" ")[1] in ("****" + doc["value"][-4:],)
    )
    assert_error(client.post(f"/cases/{cid}/reveal", json=ask, headers=sam), 403)  # not named
    assert_error(client.post(f"/cases/{cid}/reveal", json=ask, headers=login("bob")), 404)
    listed = client.get(f"/cases/{cid}/reveals", headers=sam).json()
    assert [(r["actor"], r["outcome"]) for r in listed] == [
        ("alice", "denied"),
        ("alice", "ok"),
        ("sam", "denied"),
        ("bob", "not_found"),
    ]
    assert client.get(f"/cases/{cid}/reveals", headers=ivan).json() == listed
    assert_error(client.get(f"/cases/{cid}/reveals", headers=alice), 403)
    assert store.verify_audit().ok


def test_failed_sign_ins_are_locked_out_with_429_and_audited(
    client: TestClient, store: CaseStore, login: Login
) -> None:
    store.signin_limits = SignInLimits(first_delay=timedelta(0))
    bad = {"username": "alice", "password": "not her password"}
    for _ in range(4):
        assert_error(client.post("/auth/token", data=bad), 401)
    locked = assert_error(r := client.post("/auth/token", data=bad), 429)
    assert "locked for 15 minutes" in locked["message"] and r.headers["retry-after"] == "900"
    r = client.post("/auth/token", data={"username": "alice", "password": PASSWORD})
    assert_error(r, 429)
    assert 890 <= int(r.headers["retry-after"]) <= 900
    # other users sign in from the same address (it has four times the room)
    assert client.post("/auth/token", data={"username": "sam", "password": PASSWORD}).is_success
    entries = client.get("/audit?limit=50", headers=login("ivan")).json()["items"]
    failed = [e for e in entries if e["action"] == "signin"]
    assert len(failed) == 5 and {e["detail"]["client"] for e in failed} == {"testclient"}


def test_a_view_refused_without_a_case_is_audited(client: TestClient, login: Login) -> None:
    assert_error(client.get("/alerts", headers=login("ivan")), 403)
    entries = client.get("/audit?limit=5", headers=login("ivan")).json()["items"]
    denied = [e for e in entries if e["outcome"] == "denied" and e["object_type"] == "view"]
    assert denied and denied[0]["actor"] == "ivan" and denied[0]["object_id"] == "/alerts"
