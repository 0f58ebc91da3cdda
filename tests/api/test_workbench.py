"""The routes the web workbench reads: alert queue, link charts, timelines, sources and uses."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal

import duckdb
from fastapi.testclient import TestClient
from tests.api.shape import assert_error

from moneytrail.workspace import Workspace


def _top(ws: Workspace) -> tuple[str, list[int]]:
    with duckdb.connect(str(ws.warehouse_path), read_only=True) as con:
        alert_id, accounts = con.execute(
            "SELECT alert_id, accounts FROM alerts WHERE len(accounts) > 1 AND len(list_filter("
            "filings, lambda f: f LIKE 'w2:%' OR f LIKE '941:%')) = 0 ORDER BY score DESC LIMIT 1"
        ).fetchone()
    return str(alert_id), [int(a) for a in accounts]


def test_queue_puts_networks_first_and_filters(
    client: TestClient, login: Callable[[str], dict[str, str]]
) -> None:
    alice = login("alice")
    page = client.get("/alert-queue?limit=500", headers=alice).json()
    kinds = [a["subject_kind"] for a in page["items"] if "withheld" not in a]
    assert kinds.index("account") > max(i for i, k in enumerate(kinds) if k == "network")
    nets = [a["score"] for a in page["items"] if a.get("subject_kind") == "network"]
    assert nets == sorted(nets, reverse=True)
    assert page["typologies"] and "network" in page["subject_kinds"]
    only = client.get("/alert-queue?subject_kind=account", headers=alice).json()
    shown = [a for a in only["items"] if "withheld" not in a]
    assert shown and {a["subject_kind"] for a in shown} == {"account"}
    dated = [a for a in page["items"] if a.get("first")]
    day = dated[0]["first"][:10]
    window = client.get(
        f"/alert-queue?since={day}T00:00:00&until={day}T23:59:59", headers=alice
    ).json()
    assert window["items"] and all(
        a["first"][:10] <= day <= a["last"][:10] for a in window["items"] if "withheld" not in a
    )
    # FTI-derived alerts are one notice after the rest: why and how many, nothing else.
    withheld = [a for a in page["items"] if "withheld" in a]
    assert all(set(a) == {"withheld", "labels", "rows"} for a in withheld)
    assert page["items"][-len(withheld) or len(page["items"]) :] == withheld or not withheld


def test_alert_chart_marks_evidence_and_filters_by_time_and_amount(
    client: TestClient, login: Callable[[str], dict[str, str]], world_workspace: Workspace
) -> None:
    alice = login("alice")
    alert_id, accounts = _top(world_workspace)
    doc = client.get(f"/charts/alert/{alert_id}", headers=alice).json()
    ids = {n["id"] for n in doc["nodes"]}
    assert {f"a:{k}" for k in accounts} <= ids
    flows = [e for e in doc["edges"] if e["kind"] == "flow"]
    assert flows and any(e["evidence"] for e in flows)
    assert all(e["source"] in ids and e["target"] in ids for e in doc["edges"])
    people = [n for n in doc["nodes"] if n["kind"] == "person"]
    assert all("***" in n["label"] for n in people)  # people's names only as initials
    big = max(Decimal(e["amount"]) for e in flows)
    heavy = client.get(f"/charts/alert/{alert_id}?min_amount={big}", headers=alice).json()
    assert all(Decimal(e["amount"]) >= big for e in heavy["edges"] if e["kind"] == "flow")
    day = min(e["first"] for e in flows)[:10]
    narrow = client.get(
        f"/charts/alert/{alert_id}?since={day}T00:00:00&until={day}T23:59:59", headers=alice
    ).json()
    assert all(e["last"][:10] == day for e in narrow["edges"] if e["kind"] == "flow")
    two = client.get(f"/charts/account/{accounts[0]}?hops=2&max_nodes=40", headers=alice).json()
    assert sum(n["kind"] == "account" for n in two["nodes"]) <= 40
    error = assert_error(
        client.get(
            f"/charts/alert/{alert_id}?since=2024-02-01T00:00:00&until=2024-01-01T00:00:00",
            headers=alice,
        ),
        422,
    )
    assert "since" in error["message"]
    assert_error(client.get("/charts/alert/A-unknown", headers=alice), 404)


def test_timeline_and_sources_and_uses_balance(
    client: TestClient, login: Callable[[str], dict[str, str]], world_workspace: Workspace
) -> None:
    alice = login("alice")
    alert_id, _ = _top(world_workspace)
    line = client.get(f"/flows/timeline?alert_id={alert_id}&bucket=week", headers=alice).json()
    su = client.get(f"/flows/sources-uses?alert_id={alert_id}", headers=alice).json()
    money_in = sum(Decimal(p["in"]) for p in line["periods"])
    money_out = sum(Decimal(p["out"]) for p in line["periods"])
    assert money_in > 0 and money_out > 0
    assert sum(Decimal(s["amount"]) for s in su["sources"]) == Decimal(su["total_in"])
    assert Decimal(su["total_out"]) == money_out  # withdrawals are the amounts paid
    within = sum(Decimal(p["internal"]) for p in line["periods"])
    assert Decimal(su["internal"]["amount"]) == within
    assert_error(client.get("/flows/timeline", headers=alice), 422)
    with duckdb.connect(str(world_workspace.warehouse_path), read_only=True) as con:
        (entity_id,) = con.execute(
            "SELECT entity_id FROM entities WHERE kind = 'company' ORDER BY members DESC LIMIT 1"
        ).fetchone()
    profile = client.get(f"/entities/{entity_id}/profile", headers=alice).json()
    assert profile["links"] and all(f["weight"] is not None for f in profile["links"][0]["fields"])


def test_transactions_by_id_name_accounts_only_masked(
    client: TestClient, login: Callable[[str], dict[str, str]], world_workspace: Workspace
) -> None:
    alice = login("alice")
    with duckdb.connect(str(world_workspace.warehouse_path), read_only=True) as con:
        ids = [t for (t,) in con.execute("SELECT txn_id FROM transactions LIMIT 3").fetchall()]
    query = "&".join(f"txn_id={t}" for t in ids)
    items = client.get(f"/transactions?{query}", headers=alice).json()["items"]
    assert sorted(i["txn_id"] for i in items) == sorted(ids)
    assert all(i["from_masked"].startswith("****") for i in items if i["from_masked"])
    assert_error(client.get("/transactions", headers=alice), 422)
