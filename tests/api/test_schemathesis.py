"""schemathesis against the published OpenAPI document: no operation answers 5xx.

Every operation gets generated requests (valid and not) with a supervisor's
token, on a store that holds a case with content, so ids that exist and ids
that don't are both reached. Any 4xx must be in the one error shape.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta
from typing import Any

import schemathesis
from fastapi import FastAPI
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, Phase, given, settings

from moneytrail.api._errors import CODES

Login = Callable[[str], dict[str, str]]

EXAMPLES = 15  # per operation; enough to reach every branch of the validators, under a minute


def _seed_case(client: TestClient, headers: dict[str, str]) -> int:
    cid = int(
        client.post("/cases", json={"title": "seed", "summary": "s"}, headers=headers).json()["id"]
    )
    expires = (date.today() + timedelta(days=30)).isoformat()
    basis = {
        "kind": "order",
        "reference": "1",
        "scope": "s",
        "labels": ["fti"],
        "persons": ["sam"],
        "agencies": ["IRS-CI"],
        "expires": expires,
    }
    for path, body in (
        ("members", {"username": "alice"}),
        ("legal-bases", basis),
        ("subjects", {"kind": "account", "ref": "a", "identifiers": {"iban": "X1"}}),
        ("alerts", {"alert_id": "A-1"}),
        ("notes", {"text": "n"}),
        ("tasks", {"title": "t"}),
    ):
        r = client.post(f"/cases/{cid}/{path}", json=body, headers=headers)
        assert r.status_code == 201, r.text
    return cid


def _check(response: Any, case: Any) -> None:
    assert response.status_code < 500, (case.method, case.formatted_path, response.text)
    if response.status_code >= 400:
        error = response.json()["error"]
        assert error["status"] == response.status_code
        assert error["code"] == CODES[response.status_code]


def _exercise(operation: Any, headers: dict[str, str], statuses: list[int]) -> None:
    @given(case=operation.as_strategy())
    @settings(
        max_examples=EXAMPLES,
        derandomize=True,
        database=None,
        deadline=None,
        phases=[Phase.explicit, Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    def run(case: Any) -> None:
        response = case.call(headers=headers)
        statuses.append(response.status_code)
        _check(response, case)

    run()


def test_no_generated_request_gets_a_server_error(
    app: FastAPI, client: TestClient, login: Login
) -> None:
    headers = login("sam")
    _seed_case(client, headers)
    schema = schemathesis.openapi.from_asgi("/openapi.json", app)
    seen: list[str] = []
    statuses: list[int] = []
    for result in schema.get_all_operations():
        operation = result.ok()
        seen.append(operation.label)
        _exercise(operation, headers, statuses)
    assert len(seen) >= 25, seen
    # Generated requests reached the handlers (2xx) as well as the validators (4xx).
    assert sum(200 <= s < 300 for s in statuses) >= len(seen)
    assert {401, 403, 404, 422} & set(statuses)
