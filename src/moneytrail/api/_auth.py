"""Short-lived bearer tokens, and the principal behind each request.

POST /auth/token takes a username and password (OAuth2 password form) and
returns a JWT signed HS256 with the workspace's session key, valid 15 minutes,
carrying sub (username), agency, role, iat, exp and a jti. Every protected
route re-reads the user from the case store, so a deactivated user or a
changed role is refused at once rather than when the token runs out.
"""

from __future__ import annotations

import secrets
from datetime import UTC, datetime, timedelta
from typing import Annotated, Any

import jwt
from fastapi import APIRouter, Depends, Form, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from pydantic import BaseModel

from moneytrail.access import Principal
from moneytrail.api._errors import ERROR_RESPONSES, ErrorResponse
from moneytrail.api._state import store_of
from moneytrail.errors import AuthenticationError

TOKEN_LIFETIME = timedelta(minutes=15)
_ALGORITHM = "HS256"
_CLAIMS = ("sub", "agency", "role", "iat", "exp", "jti")


class TokenService:
    """Issues and checks the API's access tokens with one signing key."""

    def __init__(self, key: bytes, lifetime: timedelta = TOKEN_LIFETIME) -> None:
        self._key = key
        self.lifetime = lifetime

    def issue(self, principal: Principal, now: datetime | None = None) -> str:
        issued = now or datetime.now(UTC)
        claims = {
            "sub": principal.username,
            "agency": principal.agency,
            "role": str(principal.role),
            "iat": issued,
            "exp": issued + self.lifetime,
            "jti": secrets.token_hex(16),
        }
        return jwt.encode(claims, self._key, algorithm=_ALGORITHM)

    def claims(self, token: str) -> dict[str, Any]:
        """The token's claims; AuthenticationError if forged, expired or incomplete."""
        try:
            return jwt.decode(
                token, self._key, algorithms=[_ALGORITHM], options={"require": list(_CLAIMS)}
            )
        except jwt.ExpiredSignatureError as exc:
            raise AuthenticationError("the access token has expired; ask for a new one") from exc
        except jwt.InvalidTokenError as exc:
            raise AuthenticationError("the access token is not valid") from exc


class Token(BaseModel):
    access_token: str
    token_type: str = "bearer"  # noqa: S105 - the OAuth2 token type, not a secret
    expires_in: int


_bearer = HTTPBearer(auto_error=False, description="A token from POST /auth/token.")


async def current_principal(
    request: Request,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> Principal:
    """The active user named by the request's bearer token (401 otherwise).

    Async on purpose: the check is one indexed read (well under a millisecond),
    cheaper on the event loop than a hop to the thread pool and back per request.
    """
    if credentials is None or credentials.scheme.lower() != "bearer":
        raise AuthenticationError("this route needs a bearer token from POST /auth/token")
    tokens: TokenService = request.app.state.tokens
    claims = tokens.claims(credentials.credentials)
    principal = store_of(request).principal(str(claims["sub"]))
    if principal.agency != claims["agency"] or str(principal.role) != claims["role"]:
        raise AuthenticationError("the user's agency or role changed; ask for a new token")
    return principal


Actor = Annotated[Principal, Depends(current_principal)]

router = APIRouter(tags=["auth"])


_NO_NUL = r"^[^\x00]*$"  # PostgreSQL refuses NUL in text: refuse it here, as a 422


@router.post(
    "/auth/token",
    responses={
        401: ERROR_RESPONSES[401],
        422: ERROR_RESPONSES[422],
        429: {"model": ErrorResponse, "description": "too many failed sign-ins (Retry-After)"},
    },
)
def issue_token(
    request: Request,
    username: Annotated[str, Form(min_length=1, max_length=200, pattern=_NO_NUL)],
    password: Annotated[str, Form(min_length=1, max_length=1024, pattern=_NO_NUL)],
) -> Token:
    """Exchange a username and password (an OAuth2 password form) for a 15-minute token.

    Failed attempts are slowed, then locked for a while, per user and per client
    address (429 with Retry-After); each failure is an audit entry.
    """
    client = request.client.host if request.client is not None else "unknown"
    principal = store_of(request).authenticate(username, password, client)
    tokens: TokenService = request.app.state.tokens
    return Token(
        access_token=tokens.issue(principal), expires_in=int(tokens.lifetime.total_seconds())
    )
