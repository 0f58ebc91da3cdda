"""The words of the case workflow: statuses and their moves, dispositions, subject kinds."""

from __future__ import annotations

from typing import Final

STATUSES: Final = ("open", "active", "referred", "pending_closure", "closed")

# open -> active -> (referred | pending_closure) -> closed; a supervisor reopens.
TRANSITIONS: Final[dict[str, tuple[str, ...]]] = {
    "open": ("active", "closed"),
    "active": ("referred", "pending_closure"),
    "referred": ("active", "closed"),
    "pending_closure": ("active", "closed"),
    "closed": ("active",),
}
# Moves only a supervisor may make (a closed case is reopened by a supervisor).
SUPERVISOR_MOVES: Final = frozenset({("closed", "active")})

DISPOSITIONS: Final = ("confirmed", "false_positive", "inconclusive")
SUBJECT_KINDS: Final = ("entity", "account", "network", "business")
OPEN_STATUSES: Final = frozenset({"open", "active", "referred", "pending_closure"})
# Who a subject is to the case: worker and victim are people to protect (masked).
PARTIES: Final = ("subject", "worker", "victim")
