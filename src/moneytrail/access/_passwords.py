"""Password hashing with argon2id (argon2-cffi's defaults, RFC 9106's low-memory profile)."""

from __future__ import annotations

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

from moneytrail.errors import CaseInputError

_HASHER = PasswordHasher()
MIN_LENGTH = 12


def hash_password(password: str) -> str:
    """The argon2id hash to store; refuses passwords shorter than MIN_LENGTH."""
    if len(password) < MIN_LENGTH:
        raise CaseInputError([f"password: must be at least {MIN_LENGTH} characters"])
    return _HASHER.hash(password)


def verify_password(stored_hash: str, password: str) -> bool:
    """Whether `password` matches `stored_hash`; a malformed hash never matches."""
    try:
        return _HASHER.verify(stored_hash, password)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False
    except UnicodeEncodeError:
        # A lone surrogate (possible in a JSON request) is no one's password.
        return False


def needs_rehash(stored_hash: str) -> bool:
    """Whether the hash was made with weaker parameters than today's and should be renewed."""
    try:
        return _HASHER.check_needs_rehash(stored_hash)
    except InvalidHashError:
        return True
