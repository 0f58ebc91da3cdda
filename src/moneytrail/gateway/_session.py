"""A short-lived sign-in kept in the workspace, so an analyst types a password once.

`moneytrail login USER` checks the password (slowed and locked as every
sign-in is) and writes `session.json` (mode 0600) in the workspace: a token
signed HS256 with the workspace's session key, naming the user, agency and
role, valid for a few hours (8 at most). Each command that reads labelled data
takes its user from --as, else from this session, else nobody; the user is
re-read from the case store, so a deactivated user or a changed role ends the
session at once. `moneytrail logout` deletes it.
"""

from __future__ import annotations

import json
import os
import secrets
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import jwt

from moneytrail.access import Principal
from moneytrail.errors import AuthenticationError
from moneytrail.workspace import Workspace

SESSION_FILE = "session.json"
DEFAULT_LIFETIME = timedelta(hours=1)
MAX_LIFETIME = timedelta(hours=8)
_AUDIENCE = "moneytrail-cli"
_ALGORITHM = "HS256"


def session_path(ws: Workspace) -> Path:
    return ws.root / SESSION_FILE


def write_session(
    ws: Workspace, principal: Principal, lifetime: timedelta = DEFAULT_LIFETIME
) -> datetime:
    """Keep `principal` signed in on this workspace for `lifetime`; returns when it ends."""
    if not timedelta(0) < lifetime <= MAX_LIFETIME:
        raise AuthenticationError(
            f"a session lasts from a minute to {int(MAX_LIFETIME.total_seconds() // 3600)} hours"
        )
    now = datetime.now(UTC)
    ends = now + lifetime
    claims = {
        "sub": principal.username,
        "agency": principal.agency,
        "role": str(principal.role),
        "aud": _AUDIENCE,
        "iat": now,
        "exp": ends,
        "jti": secrets.token_hex(16),
    }
    token = jwt.encode(claims, ws.session_key(), algorithm=_ALGORITHM)
    path = session_path(ws)
    # Created 0600 before anything is written: the token is a credential.
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        json.dump({"token": token, "username": principal.username}, fh)
    return ends


def read_session(ws: Workspace) -> dict[str, Any] | None:
    """The signed-in session's claims; None when there is none or it has ended."""
    path = session_path(ws)
    if not path.exists():
        return None
    try:
        token = json.loads(path.read_text(encoding="utf-8"))["token"]
        claims: dict[str, Any] = jwt.decode(
            token,
            ws.session_key(),
            algorithms=[_ALGORITHM],
            audience=_AUDIENCE,
            options={"require": ["sub", "agency", "role", "exp", "aud"]},
        )
    except jwt.ExpiredSignatureError:
        return None
    except (OSError, ValueError, KeyError, TypeError, jwt.InvalidTokenError) as exc:
        raise AuthenticationError(
            f"the session in {path} is not valid ({exc}); sign in again with `moneytrail login`"
        ) from exc
    return claims


def end_session(ws: Workspace) -> bool:
    """Sign out: delete the session; whether there was one."""
    path = session_path(ws)
    if path.exists():
        path.unlink()
        return True
    return False
