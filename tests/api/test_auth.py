"""POST /auth/token: argon2-checked passwords in, short-lived signed tokens out."""

from __future__ import annotations

import jwt
from fastapi.testclient import TestClient
from tests.api.conftest import PASSWORD

from moneytrail.workspace import Workspace


def test_a_password_gets_a_fifteen_minute_token_that_opens_the_api(
    client: TestClient, world_workspace: Workspace
) -> None:
    r = client.post("/auth/token", data={"username": "sam", "password": PASSWORD})
    assert r.status_code == 200, r.text
    doc = r.json()
    assert doc["token_type"] == "bearer" and doc["expires_in"] == 900
    claims = jwt.decode(doc["access_token"], world_workspace.session_key(), algorithms=["HS256"])
    assert (claims["sub"], claims["agency"], claims["role"]) == ("sam", "IRS-CI", "supervisor")
    assert claims["exp"] - claims["iat"] == 900 and len(claims["jti"]) == 32
    headers = {"Authorization": f"Bearer {doc['access_token']}"}
    assert client.get("/cases", headers=headers).status_code == 200
    forged = jwt.encode({**claims, "role": "admin"}, b"k" * 32, algorithm="HS256")
    r = client.get("/cases", headers={"Authorization": f"Bearer {forged}"})
    assert r.status_code == 401 and r.json()["error"]["code"] == "unauthorized"


def test_health_and_openapi_need_no_token(client: TestClient) -> None:
    assert client.get("/health").json() == {"status": "ok"}
    doc = client.get("/openapi.json").json()
    assert doc["info"]["title"] == "moneytrail"
    assert "/cases/{case_id}" in doc["paths"] and "/entities/{entity_id}" in doc["paths"]
    assert client.get("/docs").status_code == 200
