"""One JSON error shape for every route and every kind of error."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from fastapi import FastAPI
from fastapi.testclient import TestClient
from tests.api.shape import assert_error

from moneytrail.api import create_app
from moneytrail.cases import CaseStore
from moneytrail.workspace import Workspace

PATH_VALUES = {
    "case_id": "1",
    "task_id": "1",
    "alert_id": "A-unknown",
    "entity_id": "entity-unknown",
    "account_key": "1",
}
OPEN_ROUTES = {"/health", "/auth/token"}


def _protected(client: TestClient) -> list[tuple[str, str]]:
    """(method, path) of every operation the OpenAPI document publishes, bar the open ones."""
    calls = []
    for template, ops in client.get("/openapi.json").json()["paths"].items():
        if template in OPEN_ROUTES:
            continue
        path = template
        for name, value in PATH_VALUES.items():
            path = path.replace("{" + name + "}", value)
        calls.extend((method.upper(), path) for method in sorted(ops))
    return calls


def test_every_protected_route_refuses_without_a_token_in_the_one_shape(
    client: TestClient,
) -> None:
    calls = _protected(client)
    assert len(calls) >= 20  # cases, audit, deconfliction, alerts, entities, flows, employers
    for method, path in calls:
        r = client.request(method, path)
        error = assert_error(r, 401)
        assert r.headers["www-authenticate"] == "Bearer", (method, path)
        assert "bearer token" in error["message"]
        r = client.request(method, path, headers={"Authorization": "Bearer not-a-jwt"})
        assert_error(r, 401)


def test_routing_validation_and_store_errors_share_the_shape(
    client: TestClient, login: Callable[[str], dict[str, str]]
) -> None:
    alice = login("alice")
    assert_error(client.get("/no/such/route", headers=alice), 404)
    assert_error(client.delete("/cases", headers=alice), 405)
    error = assert_error(client.get("/cases?limit=0", headers=alice), 422)
    assert error["detail"][0]["where"] == "query.limit"
    error = assert_error(client.post("/cases", json={"summary": "x"}, headers=alice), 422)
    assert "body.title" in error["message"]
    assert_error(client.post("/cases", content=b"{not json", headers=alice), 422)
    assert_error(client.get("/cases/999999", headers=alice), 404)  # NotFoundError
    assert_error(client.get("/alerts", headers=login("ivan")), 403)  # auditor: AccessDenied
    case = client.post("/cases", json={"title": "t"}, headers=alice).json()
    r = client.post(
        f"/cases/{case['id']}/status", json={"status": "pending_closure"}, headers=alice
    )
    assert_error(r, 409)  # CaseStateError: open -> pending_closure is not a move
    r = client.post(f"/cases/{case['id']}/status", json={"status": "nonsense"}, headers=alice)
    assert r.status_code in (409, 422)
    assert_error(r, r.status_code)
    error = assert_error(
        client.post("/auth/token", data={"username": "alice", "password": "wrong"}), 401
    )
    unknown = assert_error(
        client.post("/auth/token", data={"username": "nobody", "password": "wrong"}), 401
    )
    assert error["message"] == unknown["message"]  # no hint which of the two was wrong
    assert_error(client.post("/auth/token", data={}), 422)
    # NUL would reach PostgreSQL and fail there: it is refused as invalid first.
    assert_error(client.post("/auth/token", data={"username": "a\x00", "password": "x"}), 422)
    assert_error(client.post("/cases", json={"title": "a\x00"}, headers=alice), 422)


def test_an_unexpected_error_is_a_500_without_internals(app: FastAPI) -> None:
    def boom() -> None:
        raise RuntimeError("secret internal path /etc/shadow")

    app.add_api_route("/boom", boom)
    with TestClient(app, raise_server_exceptions=False) as c:
        error = assert_error(c.get("/boom"), 500)
    assert "shadow" not in error["message"] and error["detail"] is None


def test_openapi_declares_the_error_shape_on_every_operation(client: TestClient) -> None:
    doc = client.get("/openapi.json").json()
    assert "ErrorResponse" in doc["components"]["schemas"]
    ref = "#/components/schemas/ErrorResponse"
    for path, ops in doc["paths"].items():
        for method, op in ops.items():
            if path == "/health":
                continue
            declared = op["responses"]
            assert "422" in declared, (method, path)
            assert declared["422"]["content"]["application/json"]["schema"]["$ref"] == ref
            if path != "/auth/token":
                assert declared["401"]["content"]["application/json"]["schema"]["$ref"] == ref


def test_a_workspace_without_a_warehouse_answers_503_without_paths(
    tmp_path: Path, store: CaseStore
) -> None:
    empty = create_app(Workspace(tmp_path / "empty").ensure(), store)
    token = empty.state.tokens.issue(store.principal("alice"))
    headers = {"Authorization": f"Bearer {token}"}
    with TestClient(empty, raise_server_exceptions=False) as c:
        error = assert_error(c.get("/alerts", headers=headers), 503)
        assert str(tmp_path) not in error["message"]
        assert c.get("/cases", headers=headers).status_code == 200  # cases are still served
