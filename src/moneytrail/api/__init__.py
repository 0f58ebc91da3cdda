"""The HTTP API: `create_app(workspace)` gives the FastAPI application.

`moneytrail serve` runs it under uvicorn. Routes: /auth/token, /cases (and
everything of a case), /deconfliction/hits, /audit, /alerts, /entities,
/accounts/{key}/neighbourhood, /alerts/{id}/trace, /employers, /health; the
OpenAPI document is at /openapi.json and the docs at /docs.
"""

from moneytrail.api._app import create_app
from moneytrail.api._auth import TOKEN_LIFETIME, TokenService
from moneytrail.api._errors import ErrorResponse

__all__ = ["TOKEN_LIFETIME", "ErrorResponse", "TokenService", "create_app"]
