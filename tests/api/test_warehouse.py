"""Warehouse views: alerts, entities, an account's neighbourhood, traces and employer flags."""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import date, timedelta
from decimal import Decimal

import duckdb
from fastapi.testclient import TestClient
from tests.api.shape import assert_error

from moneytrail.workspace import Workspace

Login = Callable[[str], dict[str, str]]


def test_alerts_page_strongest_first_with_their_hits(client: TestClient, login: Login) -> None:
    alice = login("alice")
    page = client.get("/alerts?limit=5", headers=alice).json()
    assert page["total"] > 5 and len(page["items"]) == 5 and page["next"]
    scores = [a["score"] for a in page["items"]]
    assert scores == sorted(scores, reverse=True)
    top = page["items"][0]
    one = client.get(f"/alerts/{top['alert_id']}", headers=alice).json()
    assert one["alert_id"] == top["alert_id"] and one["hits"]
    assert all(h["typology"] in one["typologies"] for h in one["hits"])
    typology = top["typology"]
    only = client.get(f"/alerts?typology={typology}&limit=500", headers=alice).json()
    # The filter runs over what alice may see; FTI-derived alerts follow as one notice.
    assert all(typology in a["typologies"] for a in only["items"] if "withheld" not in a)
    assert_error(client.get("/alerts/A-000000000000", headers=alice), 404)
    for role_user in ("root", "ivan"):  # admin and auditor never read content
        assert_error(client.get("/alerts", headers=login(role_user)), 403)


def test_entity_pages_mask_peoples_names(
    client: TestClient, login: Login, world_workspace: Workspace
) -> None:
    alice = login("alice")
    people = client.get("/entities?kind=person&limit=500", headers=alice).json()
    assert people["total"] == len(people["items"]) > 0
    with duckdb.connect(str(world_workspace.warehouse_path), read_only=True) as con:
        names = {
            n
            for (n,) in con.execute(
                "SELECT name FROM resolve_records WHERE kind='person'"
            ).fetchall()
        }
    person = client.get(f"/entities/{people['items'][0]['entity_id']}", headers=alice).json()
    assert person["kind"] == "person" and person["records"]
    for record in person["records"]:
        assert record["name"] not in names and record["name"].endswith("***")
    companies = client.get("/entities?kind=company&limit=1", headers=alice).json()["items"]
    company = client.get(f"/entities/{companies[0]['entity_id']}", headers=alice).json()
    assert any(r["name"] in names or r["name"] for r in company["records"])
    assert_error(client.get("/entities/nope", headers=alice), 404)
    assert_error(client.get("/entities?kind=passport", headers=alice), 422)


def test_neighbourhood_is_nodes_and_edges_within_hops_and_capped(
    client: TestClient, login: Login
) -> None:
    alice = login("alice")
    top = client.get("/alerts?limit=1", headers=alice).json()["items"][0]
    key = int(top["accounts"][0]["ref"])
    one = client.get(f"/accounts/{key}/neighbourhood?hops=1", headers=alice).json()
    assert key in {n["account_key"] for n in one["nodes"]}
    assert all(key in (e["from_account"], e["to_account"]) for e in one["edges"])
    assert all(
        Decimal(e["amount"]) > 0 and n["masked"].startswith("*")
        for e in one["edges"]
        for n in one["nodes"]
    )
    two = client.get(f"/accounts/{key}/neighbourhood?hops=2&limit=1000", headers=alice).json()
    assert len(two["nodes"]) >= len(one["nodes"]) and len(two["edges"]) >= len(one["edges"])
    capped = client.get(f"/accounts/{key}/neighbourhood?hops=2&limit=3", headers=alice).json()
    assert len(capped["edges"]) == 3 and capped["truncated"] is True
    out = client.get(f"/accounts/{key}/neighbourhood?direction=out", headers=alice).json()
    assert all(e["from_account"] == key for e in out["edges"])
    assert_error(client.get(f"/accounts/{key}/neighbourhood?hops=3", headers=alice), 422)
    assert_error(client.get("/accounts/1/neighbourhood", headers=alice), 404)


def test_an_alert_traces_under_each_rule(client: TestClient, login: Login) -> None:
    alice = login("alice")
    top = client.get("/alerts?limit=1", headers=alice).json()["items"][0]
    for rule in ("libr", "fifo", "lifo", "pro-rata"):
        r = client.get(f"/alerts/{top['alert_id']}/trace?rule={rule}", headers=alice)
        assert r.status_code == 200, r.text
        trace = r.json()["trace"]
        assert trace["rule"] == rule and trace["transfers"]
        assert all(Decimal(t["tainted_amount"]) <= Decimal(t["amount"]) for t in trace["transfers"])
    assert_error(client.get(f"/alerts/{top['alert_id']}/trace?rule=guess", headers=alice), 422)
    assert_error(client.get("/alerts/A-000000000000/trace", headers=alice), 404)


def test_fti_employer_flags_only_under_a_legal_basis_naming_the_reader(
    client: TestClient, login: Login
) -> None:
    alice, sam, ivan = login("alice"), login("sam"), login("ivan")
    flags = client.get("/employers?limit=500", headers=alice).json()["items"]
    fti = [f for f in flags if f["labels"] == ["fti"]]
    # One notice stands for the withheld flags: that they are withheld, how many, why;
    # never a flag id (employer, year and finding) nor anything else of them.
    assert fti and all(set(f) == {"labels", "withheld", "rows"} for f in fti)
    assert "legal basis" in fti[0]["withheld"]
    high = client.get("/employers?limit=500&severity=high", headers=alice).json()["items"]
    assert [f for f in high if "withheld" in f] == fti  # filters see only visible rows

    case = client.post(
        "/cases", json={"title": "Green Valley", "labels": ["fti"]}, headers=sam
    ).json()
    cid = case["id"]
    basis = {
        "kind": "IRC 6103(i)(1) ex parte order",
        "reference": "21-MJ-0042",
        "scope": "Green Valley Farms payroll 2024",
        "labels": ["fti"],
        "persons": ["sam"],
        "agencies": ["IRS-CI"],
        "expires": (date.today() + timedelta(days=90)).isoformat(),
    }
    r = client.post(f"/cases/{cid}/legal-bases", json=basis, headers=sam)
    assert r.status_code == 201, r.text
    r = client.post(f"/cases/{cid}/members", json={"username": "alice"}, headers=sam)
    assert r.status_code == 201, r.text

    shown = client.get(f"/employers?limit=500&case_id={cid}", headers=sam).json()["items"]
    assert all("withheld" not in f for f in shown)
    assert {f["code"] for f in shown} >= {"WAGE_BELOW_MINIMUM", "SSN_SHARED"}
    assert all("***-**-" in f["reason"] or "SSN" not in f["reason"] for f in shown)

    # alice is a member but the order does not name her: still withheld, and why.
    r = client.get(f"/employers?limit=500&case_id={cid}", headers=alice)
    assert r.status_code == 200, r.text
    for f in r.json()["items"]:
        if f["labels"] == ["fti"]:
            assert "withheld" in f and "sam" not in f["withheld"].split(":")[0]
    # bob's agency cannot even see the case.
    assert_error(client.get(f"/employers?case_id={cid}", headers=login("bob")), 404)

    log = client.get("/audit?limit=500", headers=ivan).json()["items"]
    reads = [e for e in log if e["object_type"] == "employer_flag"]
    assert {(e["actor"], e["outcome"]) for e in reads} == {("sam", "ok"), ("alice", "denied")}


def test_concurrent_requests_each_read_through_their_own_cursor(
    client: TestClient, login: Login
) -> None:
    alice = login("alice")
    ids = [e["entity_id"] for e in client.get("/entities?limit=40", headers=alice).json()["items"]]
    paths = [f"/entities/{e}" for e in ids] + ["/alerts?limit=20", "/employers", "/cases"] * 5

    def fetch(path: str) -> int:
        return client.get(path, headers=alice).status_code

    with ThreadPoolExecutor(max_workers=8) as pool:
        statuses = list(pool.map(fetch, paths * 2))
    assert statuses == [200] * len(statuses)
