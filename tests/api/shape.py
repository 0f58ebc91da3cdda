"""The one error shape every API error must have."""

from __future__ import annotations

from typing import Any

import httpx

from moneytrail.api._errors import CODES


def assert_error(response: httpx.Response, status: int) -> dict[str, Any]:
    """Assert `response` is an error of `status` in the API's one shape; return its body."""
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/json")
    body = response.json()
    assert set(body) == {"error"}, body
    error = body["error"]
    assert set(error) == {"status", "code", "message", "detail"}, error
    assert error["status"] == status
    assert error["code"] == CODES[status]
    assert isinstance(error["message"], str) and error["message"]
    return dict(error)
