"""The access policy: the one place that says allow or deny. Deny by default.

`decide(principal, action, labels, case)` checks the role first, then each
label of the data; the first rule that fails is the reason given. An empty
label set means the case's metadata (title, status, owner agency, dates).

    role        metadata   open        bsa           le_sensitive      fti
    ----------  ---------  ----------  ------------  ----------------  ------------------
    admin       -          -           -             -                 -
    auditor     read       -           -             -                 -
    analyst     read(M)    read(M)     read(M)       read(M)           read(M,N)
                write(M)   write(M)    write(M)      write(M)          write(M,N)
                           share(M)
                           refer(M)
                           export(M)
    supervisor  as analyst, and
                           share(M)    share(M)      share(M,O)        share(M,N,C)
                           refer(M)    refer(M)      refer(M,O)        refer(M,N,C)
                           export(M)   export(M)     export(M,O)       export(M,N,X)

    M  the user is a member of the case (another agency's user becomes a member
       only by a SHARE, which only this policy allows)
    O  the user belongs to the agency that owns the case: law-enforcement
       sensitive data goes further only by its owner's supervisor
    N  the user is named in a legal basis on the case that covers FTI and has not
       expired (e.g. an IRC 6103(i) order), and the user's agency is the owner or
       one of the agencies that basis covers
    C  the agency the data goes to is one that same legal basis covers
    X  an export for another agency than the user's own (a filing for an FIU, a
       report for a prosecutor's office) is C for that agency

Metadata is shared, referred and exported like open data (with the case it
describes). Admins manage agencies and users and never touch case content; auditors read
the audit log and case metadata and never labelled content. Anything the table
does not allow is denied, with a reason saying what would make it allowed.

Outside any case, the warehouse's triage views (alerts, entities, flows,
employers) are for analysts and supervisors only (`decide_view`); labelled
rows in them are decided with a case, as above.

A raw identifier (account number, IBAN, SSN, EIN) of a case's subject leaves
the vault only by `decide_reveal`: the asker is an analyst or supervisor who is
a member of the case and is named in an unexpired legal basis on it that covers
reveal (e.g. a seizure warrant) and reaches the asker's agency (the owner's,
or one the basis covers); an SSN or EIN that came from tax data is FTI, so the
FTI rule (N) must hold as well.

Labels of derived data are the union of the labels of its inputs (`derive`), so
a note written from FTI is FTI. Worker and victim identifiers are masked unless
the case grants identities to the asker (`mask_identity`).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import replace
from datetime import date

from moneytrail.access._types import (
    Action,
    CaseContext,
    Decision,
    Label,
    LegalBasis,
    Principal,
    Role,
)
from moneytrail.privacy import mask

_CASE_ROLES = frozenset({Role.ANALYST, Role.SUPERVISOR})
_DISCLOSE = frozenset({Action.SHARE, Action.REFER, Action.EXPORT})
# Checked most restrictive first, so the reason given is the one that matters most.
_ORDER = (Label.FTI, Label.LE_SENSITIVE, Label.BSA, Label.OPEN)


def derive(*label_sets: Iterable[Label]) -> frozenset[Label]:
    """Labels of data derived from inputs with these labels: their union.

    OPEN is the absence of restriction, so it is dropped once any other label is
    present; data derived from nothing labelled is OPEN.
    """
    union = frozenset(Label(lab) for labels in label_sets for lab in labels)
    restricted = union - {Label.OPEN}
    return restricted or frozenset({Label.OPEN})


def decide(
    principal: Principal,
    action: Action,
    labels: Iterable[Label],
    case: CaseContext,
    *,
    target_agency: str | None = None,
    today: date | None = None,
) -> Decision:
    """May `principal` take `action` on data with `labels` attached to `case`?

    `target_agency` is where the data would go for SHARE and REFER. `today`
    defaults to the current date (legal bases expire at the end of their day).
    """
    try:
        # Callers may hand over plain strings (from a database or a request):
        # anything outside the vocabulary is denied, never guessed at.
        principal = replace(principal, role=Role(principal.role))
        action = Action(action)
        wanted = frozenset(Label(lab) for lab in labels)
    except ValueError as exc:
        return Decision(
            False, f"case {case.case_id}: {exc}; only known roles, actions and labels are allowed"
        )
    # Expiry dates are calendar dates as written in the order, so the local date applies.
    when = today or date.today()
    who = f"{principal.username} ({principal.role}, {principal.agency})"
    role_denial = _role_rule(principal, action, wanted, case, who)
    if role_denial is not None:
        return role_denial
    if action in (Action.SHARE, Action.REFER) and not target_agency:
        return Decision(False, f"{action} of case {case.case_id} needs the agency it goes to")
    for label in _ORDER:
        if label in wanted:
            denial = _label_rule(principal, action, label, case, who, target_agency, when)
            if denial is not None:
                return denial
    what = ", ".join(sorted(wanted)) or "metadata"
    return Decision(True, f"{who} may {action} {what} of case {case.case_id}")


def decide_view(principal: Principal) -> Decision:
    """May `principal` read the warehouse's triage views (alerts, entities, flows, employers)?

    Outside any case: analysts and supervisors triage the warehouse; admins
    (who manage users) and auditors (who read the log and case metadata) do
    not. Labelled rows in those views are a separate decision: FTI-derived
    rows are shown only under a case, by `decide` with that case.
    """
    try:
        role = Role(principal.role)
    except ValueError as exc:
        return Decision(False, f"{exc}; only known roles are allowed")
    if role in _CASE_ROLES:
        return Decision(True, f"{principal.username} ({role}) may read the warehouse views")
    return Decision(
        False,
        f"{principal.username} ({role}): {role} users may not read warehouse views; only "
        "analysts and supervisors triage alerts, entities and flows",
    )


def decide_reveal(
    principal: Principal, case: CaseContext, *, fti: bool = False, today: date | None = None
) -> Decision:
    """May `principal` see a raw identifier of a subject of `case`?

    `fti`: the identifier came from tax data (W-2, 941), so it is FTI as well.
    Whether the identifier is one of the case's subjects' is the caller's check.
    """
    try:
        principal = replace(principal, role=Role(principal.role))
    except ValueError as exc:
        return Decision(False, f"case {case.case_id}: {exc}; only known roles are allowed")
    when = today or date.today()
    who = f"{principal.username} ({principal.role}, {principal.agency})"
    if principal.role not in _CASE_ROLES:
        return Decision(
            False, f"{who}: only analysts and supervisors on a case may reveal identifiers"
        )
    if principal.username not in case.members:
        return Decision(
            False,
            f"{who} is not a member of case {case.case_id}; ask a supervisor of "
            f"{case.owner_agency} (the owning agency) to add you",
        )
    basis = _reveal_basis(principal, case, when)
    if isinstance(basis, Decision):
        return basis
    if fti:
        denial = _fti_rule(principal, Action.READ, case, who, None, when)
        if denial is not None:
            return Decision(False, f"the identifier came from tax data: {denial.reason}")
    return Decision(
        True, f"{who} may reveal identifiers of case {case.case_id} under {_name(basis)}"
    )


def _reveal_basis(principal: Principal, case: CaseContext, when: date) -> LegalBasis | Decision:
    """The legal basis that lets `principal` reveal on `case`, or the denial saying why none does."""
    bases = [b for b in case.legal_bases if b.reveals]
    if not bases:
        return Decision(
            False,
            f"case {case.case_id} records no legal basis that covers revealing identifiers; "
            "a supervisor of the owning agency records one (e.g. a seizure warrant) with "
            "--reveal, naming you",
        )
    naming = [b for b in bases if principal.username in b.persons]
    if not naming:
        names = "; ".join(_name(b) for b in bases)
        return Decision(
            False,
            f"case {case.case_id}: {principal.username} is not named in the legal basis that "
            f"covers revealing identifiers ({names})",
        )
    reachable = [
        b for b in naming if principal.agency == case.owner_agency or principal.agency in b.agencies
    ]
    if not reachable:
        names = "; ".join(_name(b) for b in naming)
        return Decision(
            False,
            f"case {case.case_id}: the legal basis ({names}) names {principal.username} but "
            f"does not cover {principal.agency}",
        )
    current = [b for b in reachable if b.expires >= when]
    if current:
        return current[0]
    ended = max(reachable, key=lambda b: b.expires)
    return Decision(
        False,
        f"case {case.case_id}: the legal basis {_name(ended)} that covers revealing "
        f"identifiers expired on {ended.expires.isoformat()}; record a renewed one",
    )


def _role_rule(
    principal: Principal, action: Action, labels: frozenset[Label], case: CaseContext, who: str
) -> Decision | None:
    if principal.role is Role.AUDITOR:
        if action is Action.READ and not labels:
            return None
        return Decision(
            False,
            f"{who}: auditors read the audit log and case metadata only, never labelled "
            "content, and never change, share or export a case",
        )
    if principal.role not in _CASE_ROLES:
        return Decision(
            False,
            f"{who}: {principal.role}s manage agencies and users and never read or change "
            "case content; ask an analyst or supervisor on the case",
        )
    if principal.username not in case.members:
        return Decision(
            False,
            f"{who} is not a member of case {case.case_id}; ask a supervisor of "
            f"{case.owner_agency} (the owning agency) to add you",
        )
    return None


def _label_rule(
    principal: Principal,
    action: Action,
    label: Label,
    case: CaseContext,
    who: str,
    target_agency: str | None,
    today: date,
) -> Decision | None:
    supervisor = principal.role is Role.SUPERVISOR
    if action in _DISCLOSE and label is not Label.OPEN and not supervisor:
        return Decision(
            False,
            f"{who}: analysts may not {action} {label} data; ask a supervisor on case {case.case_id}",
        )
    if (
        label is Label.LE_SENSITIVE
        and action in _DISCLOSE
        and principal.agency != case.owner_agency
    ):
        return Decision(
            False,
            f"{who}: law-enforcement sensitive data of case {case.case_id} may be {_past(action)} "
            f"only by a supervisor of its owning agency {case.owner_agency}",
        )
    if label is Label.FTI:
        return _fti_rule(principal, action, case, who, target_agency, today)
    return None


def _fti_rule(
    principal: Principal,
    action: Action,
    case: CaseContext,
    who: str,
    target_agency: str | None,
    today: date,
) -> Decision | None:
    bases = [b for b in case.legal_bases if Label.FTI in b.labels]
    if not bases:
        return _no_fti_basis(case)
    naming = [b for b in bases if principal.username in b.persons]
    if not naming:
        names = "; ".join(_name(b) for b in bases)
        return Decision(
            False,
            f"FTI on case {case.case_id}: {principal.username} is not named in its legal basis "
            f"({names}); only the persons it names may see FTI",
        )
    # A basis reaches only the agencies it covers (the owner's always): naming a
    # partner's user without covering the partner discloses nothing to them.
    reachable = [
        b for b in naming if principal.agency == case.owner_agency or principal.agency in b.agencies
    ]
    if not reachable:
        names = "; ".join(_name(b) for b in naming)
        return Decision(
            False,
            f"FTI on case {case.case_id}: its legal basis ({names}) names {principal.username} "
            f"but does not cover {principal.agency}; only agencies it covers may see FTI",
        )
    current = [b for b in reachable if b.expires >= today]
    if not current:
        ended = max(naming, key=lambda b: b.expires)
        return Decision(
            False,
            f"FTI on case {case.case_id}: the legal basis {_name(ended)} expired on "
            f"{ended.expires.isoformat()}; record a renewed order",
        )
    # An export names the agency it is for: FTI leaves for another agency only where a
    # current basis covers it (the exporter's own agency is reachable already).
    leaves = action in (Action.SHARE, Action.REFER) or (
        action is Action.EXPORT and target_agency not in (None, principal.agency)
    )
    if leaves and not any(target_agency in b.agencies for b in current):
        names = "; ".join(
            f"{_name(b)} covers {', '.join(sorted(b.agencies)) or 'no agency'}" for b in current
        )
        return Decision(
            False,
            f"FTI on case {case.case_id} may not be {_past(action)} to {target_agency}: "
            f"no legal basis covers that agency ({names})",
        )
    return None


def _no_fti_basis(case: CaseContext) -> Decision:
    if case.legal_bases:
        names = "; ".join(_name(b) for b in case.legal_bases)
        return Decision(
            False,
            f"FTI on case {case.case_id}: its legal basis ({names}) does not cover federal "
            "tax information; record one that does (e.g. an IRC 6103(i) order)",
        )
    return Decision(
        False,
        f"FTI on case {case.case_id}: the case records no legal basis for federal tax "
        "information; record one (e.g. an IRC 6103(i) order) that names you",
    )


def _name(basis: LegalBasis) -> str:
    return f"{basis.kind} {basis.reference}"


def _past(action: Action) -> str:
    return {Action.SHARE: "shared", Action.REFER: "referred", Action.EXPORT: "exported"}.get(
        action, str(action)
    )


def may_see_identities(principal: Principal, case: CaseContext) -> Decision:
    """Whether worker and victim identifiers on `case` may be shown unmasked to `principal`."""
    if principal.role not in _CASE_ROLES or principal.username not in case.members:
        return Decision(False, f"identities on case {case.case_id} are shown only to its members")
    if not case.grants_identities or principal.username not in case.identity_grantees:
        return Decision(
            False,
            f"worker and victim identifiers on case {case.case_id} stay masked: the case has "
            f"not granted identities to {principal.username}",
        )
    return Decision(True, f"case {case.case_id} grants identities to {principal.username}")


def mask_identity(principal: Principal, case: CaseContext, value: str, scheme: str = "ssn") -> str:
    """A worker's or victim's identifier as `principal` may see it on `case`: masked unless granted."""
    if may_see_identities(principal, case):
        return value
    return mask(value, scheme)
