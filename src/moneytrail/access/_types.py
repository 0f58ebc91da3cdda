"""The vocabulary of access control: who asks, for what, on which data, under which law.

These are plain values. The one place that turns them into allow/deny is
`moneytrail.access.decide` (policy module); everything else asks it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from enum import StrEnum


class Role(StrEnum):
    """What a user may do in general; cases and labels narrow it further."""

    ANALYST = "analyst"  # works the cases they are a member of
    SUPERVISOR = "supervisor"  # an analyst who also approves sharing, referral and export
    AUDITOR = "auditor"  # reads the audit log and case metadata, never labelled content
    ADMIN = "admin"  # manages agencies and users, never case content


class Label(StrEnum):
    """How sensitive a piece of data is. Derived data carries every label of its inputs."""

    OPEN = "open"
    BSA = "bsa"  # bank-secrecy reports (SAR/CTR-derived)
    LE_SENSITIVE = "le_sensitive"  # law-enforcement sensitive
    FTI = "fti"  # federal tax information, IRC 6103 (payroll filings and all derived from them)


class Action(StrEnum):
    READ = "read"
    WRITE = "write"  # change a case: subjects, notes, tasks, evidence, dispositions
    SHARE = "share"  # give a partner agency access (membership of another agency's user)
    REFER = "refer"  # hand a case or lead to another agency
    EXPORT = "export"  # take data out of the system (files, reports)


@dataclass(frozen=True)
class Principal:
    """An authenticated user as the policy sees them."""

    username: str
    agency: str
    role: Role


@dataclass(frozen=True)
class LegalBasis:
    """What makes FTI (or other restricted data) usable on one case.

    E.g. an ex parte order under IRC 6103(i)(1): it names the people who may see
    the data, the agencies it may go to, the labels it covers and when it ends.
    """

    kind: str  # e.g. "IRC 6103(i)(1) ex parte order"
    reference: str  # docket or order number
    scope: str  # what the order covers, in its words
    labels: frozenset[Label]
    persons: frozenset[str]  # usernames the basis names
    agencies: frozenset[str]  # agencies the data may be disclosed to
    expires: date
    # Whether it also lets the persons it names see raw identifiers of the case's
    # subjects (account numbers, IBANs, SSNs, EINs): e.g. a seizure warrant.
    reveals: bool = False


@dataclass(frozen=True)
class CaseContext:
    """What the policy needs to know about a case to decide on data attached to it."""

    case_id: int
    owner_agency: str
    status: str
    members: frozenset[str]  # usernames with access to the case
    legal_bases: tuple[LegalBasis, ...] = ()
    grants_identities: bool = False  # case may unmask worker/victim identifiers
    identity_grantees: frozenset[str] = field(default_factory=frozenset)


@dataclass(frozen=True)
class Decision:
    """Allow or deny, and why, in words a user can act on."""

    allowed: bool
    reason: str

    def __bool__(self) -> bool:
        return self.allowed
