"""One JSON shape for every error the API returns, whatever raised it.

    {"error": {"status": 404, "code": "not_found", "message": "...", "detail": ...}}

Handlers cover the API's own refusals (moneytrail errors), FastAPI's request
validation, Starlette's routing errors (unknown route 404, wrong method 405) and
anything unexpected (500, with no internals in the body). `ERROR_RESPONSES`
declares the shape in the OpenAPI document of every operation.
"""

from __future__ import annotations

import logging
from typing import Any

import anyio.to_thread
from fastapi import FastAPI, Request
from fastapi.encoders import jsonable_encoder
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel
from starlette.exceptions import HTTPException as StarletteHTTPException

from moneytrail.errors import (
    AccessDeniedError,
    AuthenticationError,
    CaseInputError,
    CaseStateError,
    ExportError,
    FilingRuleError,
    MoneytrailError,
    NotFoundError,
    SignInLockedError,
    TraceError,
    WarehouseBusyError,
    WorkspaceError,
)

log = logging.getLogger("moneytrail.api")

CODES: dict[int, str] = {
    400: "bad_request",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    409: "conflict",
    413: "too_large",
    415: "unsupported_media_type",
    422: "invalid_request",
    429: "too_many_requests",
    500: "internal_error",
    503: "unavailable",
}

# Most specific first: the first class an error is an instance of decides its status.
_STATUS_OF: tuple[tuple[type[MoneytrailError], int], ...] = (
    (SignInLockedError, 429),
    (WarehouseBusyError, 503),
    (AuthenticationError, 401),
    (AccessDeniedError, 403),
    (NotFoundError, 404),
    (CaseStateError, 409),
    (CaseInputError, 422),
    (TraceError, 422),
    (ExportError, 422),
    (WorkspaceError, 503),
)


class ErrorBody(BaseModel):
    status: int
    code: str
    message: str
    detail: Any = None


class ErrorResponse(BaseModel):
    """What every error response carries."""

    error: ErrorBody


ERROR_RESPONSES: dict[int | str, dict[str, Any]] = {
    status: {"model": ErrorResponse, "description": code.replace("_", " ")}
    for status, code in CODES.items()
    if status in (401, 403, 404, 409, 422, 500, 503)
}


def error_response(
    status: int,
    message: str,
    detail: Any = None,
    headers: dict[str, str] | None = None,
) -> JSONResponse:
    body = {
        "error": {
            "status": status,
            "code": CODES.get(status, f"http_{status}"),
            "message": message,
            "detail": jsonable_encoder(detail),
        }
    }
    if status == 401:
        headers = {"WWW-Authenticate": "Bearer", **(headers or {})}
    return JSONResponse(body, status_code=status, headers=headers)


def status_of(exc: MoneytrailError) -> int:
    for cls, status in _STATUS_OF:
        if isinstance(exc, cls):
            return status
    return 400


async def _moneytrail_error(request: Request, exc: Exception) -> JSONResponse:
    if not isinstance(exc, MoneytrailError):  # registered for this class only
        raise exc
    status = status_of(exc)
    denied = getattr(exc, "audit_principal", None)
    if denied is not None:
        # A denial decided outside the case store (a view read without a case): audit it here.
        store = request.app.state.store
        await anyio.to_thread.run_sync(
            lambda: store.record_denial(denied, "read", "view", request.url.path, str(exc))
        )
    if isinstance(exc, SignInLockedError):
        return error_response(status, str(exc), headers={"Retry-After": str(exc.retry_after)})
    if isinstance(exc, WarehouseBusyError):
        # Said in words, without the server's paths or process ids; try again later.
        return error_response(
            status,
            "the warehouse is being written by another process (a pipeline stage such as "
            "ingest, resolve or detect); try again when it has finished",
            headers={"Retry-After": "30"},
        )
    if status == 503:
        # Workspace errors can name server paths: log them, tell the client less.
        log.warning("workspace unavailable: %s", exc)
        return error_response(status, "the warehouse is not available on this server")
    detail = exc.problems if isinstance(exc, CaseInputError | FilingRuleError) else None
    return error_response(status, str(exc), detail)


async def _http_error(_request: Request, exc: Exception) -> JSONResponse:
    if not isinstance(exc, StarletteHTTPException):  # registered for this class only
        raise exc
    message = exc.detail if isinstance(exc.detail, str) else CODES.get(exc.status_code, "error")
    detail = None if isinstance(exc.detail, str) else exc.detail
    return error_response(exc.status_code, message, detail, dict(exc.headers or {}))


async def _validation_error(_request: Request, exc: Exception) -> JSONResponse:
    if not isinstance(exc, RequestValidationError):  # registered for this class only
        raise exc
    problems = [
        {
            "where": ".".join(str(p) for p in e.get("loc", ())),
            "problem": e.get("msg", "invalid"),
        }
        for e in exc.errors()
    ]
    message = "; ".join(f"{p['where']}: {p['problem']}" for p in problems) or "invalid request"
    return error_response(422, message, problems)


async def _unexpected(_request: Request, exc: Exception) -> JSONResponse:
    log.error("unexpected error", exc_info=exc)
    return error_response(500, "internal server error; the server log has the details")


def install_error_handlers(app: FastAPI) -> None:
    app.add_exception_handler(MoneytrailError, _moneytrail_error)
    app.add_exception_handler(StarletteHTTPException, _http_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(Exception, _unexpected)
