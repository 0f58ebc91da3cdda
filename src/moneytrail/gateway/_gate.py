"""The gate: decide, mask and audit the labelled rows of one read for one viewer.

Rows come in with their labels (from `moneytrail.access`'s labels module). Open
rows pass. Rows with restricted labels (FTI, BSA, law-enforcement sensitive)
pass only under the viewer's case, where the policy (`access.decide`, through
the case store's `decide_read`) allows reading them; that decision, allowed or
denied, is an audit-chain entry naming the rows. Without a case, or without a
user at all, they are withheld; a signed-in user's withheld read is audited too.

A withheld row is replaced by a notice that says that rows are withheld, how
many, under which labels and why: never their ids or any of their values.

Columns that identify a worker or victim (the labels module's protected
columns: people's names) are masked, unless the viewer's case grants
identities to the viewer (`access.may_see_identities`); each read that shows
them unmasked is an audit-chain entry naming the rows.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal

from moneytrail.access import (
    Decision,
    Label,
    Principal,
    decide_view,
    label_names,
    may_see_identities,
)
from moneytrail.errors import AccessDeniedError

if TYPE_CHECKING:
    from moneytrail.cases import CaseStore

Front = Literal["api", "cli"]
_WHAT = {
    Label.FTI: "federal tax information (derived from W-2/941 filings)",
    Label.BSA: "bank-secrecy (SAR/CTR-derived) data",
    Label.LE_SENSITIVE: "law-enforcement sensitive data",
}


@dataclass(frozen=True)
class Viewer:
    """Who reads (None: nobody signed in, at the command line), under which case, from where."""

    principal: Principal | None
    case_id: int | None = None
    front: Front = "api"
    place: str = ""  # where the read was asked (an API path), named in a refusal's audit entry

    def how_to_see(self) -> str:
        if self.front == "api":
            return (
                "ask with ?case_id=N for a case whose unexpired legal basis covers it and names you"
            )
        sign_in = "" if self.principal else "sign in (`moneytrail login USER` or --as USER) and "
        return (
            f"{sign_in}name a case with --case N whose unexpired legal basis covers it and "
            "names you"
        )


@dataclass(frozen=True)
class Row:
    """One row of a read: a key for the audit entry, its labels, and its JSON document."""

    key: str
    labels: frozenset[Label]
    doc: dict[str, Any] = field(hash=False)


def withheld_notice(reason: str, labels: frozenset[Label], rows: int = 1) -> dict[str, Any]:
    """What stands in for withheld rows: that they are withheld, how many, and why."""
    return {"withheld": reason, "labels": label_names(labels), "rows": rows}


class Gate:
    """Decides, for one viewer, which labelled rows of a read are shown; audits each decision."""

    def __init__(self, viewer: Viewer, store: CaseStore | None) -> None:
        if viewer.principal is not None and store is None:
            raise ValueError("a signed-in viewer's reads are audited: the gate needs the store")
        self.viewer = viewer
        self.store = store
        self._case_seen = False

    def require_view(self, what: str = "warehouse view") -> None:
        """Analysts and supervisors read the triage views (`decide_view`); others are refused.

        Nobody signed in (the command line without --as) may read the open rows:
        labelled ones are withheld from them by `sift`. A case the viewer names must
        be one they may see (NotFoundError otherwise, audited by the store), for any
        row read under it: reading a case's data needs its membership.
        """
        actor = self.viewer.principal
        if actor is None:
            return
        assert self.store is not None
        decision = decide_view(actor)
        if not decision.allowed:
            where = self.viewer.place or what
            self.store.record_denial(actor, "read", "view", where, decision.reason)
            raise AccessDeniedError(decision.reason)
        if self.viewer.case_id is not None and not self._case_seen:
            self.store.export_context(actor, self.viewer.case_id)
            self._case_seen = True

    def decision(self, labels: frozenset[Label], object_type: str, keys: Sequence[str]) -> Decision:
        """May the viewer read these rows (all with these labels)? Audited unless open."""
        restricted = labels - {Label.OPEN}
        if not restricted:
            return Decision(True, "open data")
        what = " and ".join(_WHAT[lab] for lab in sorted(restricted, key=list(_WHAT).index))
        actor, case_id = self.viewer.principal, self.viewer.case_id
        if actor is None or case_id is None:
            reason = f"{what}: withheld; {self.viewer.how_to_see()}"
            if actor is not None:
                assert self.store is not None
                self.store.record_denial(actor, "read", object_type, _listed(keys), reason)
            return Decision(False, reason)
        assert self.store is not None
        decided = self.store.decide_read(actor, case_id, restricted, object_type, list(keys))
        if decided.allowed:
            return decided
        return Decision(False, f"{what} withheld: {decided.reason}")

    def identities_granted(self) -> Decision:
        """Whether the viewer's case grants them worker and victim identities (not audited:
        `audit_identities` records the read once identities are actually shown)."""
        actor, case_id = self.viewer.principal, self.viewer.case_id
        if actor is None or case_id is None or self.store is None:
            return Decision(False, "identities are shown only under a case that grants them")
        return may_see_identities(actor, self.store.export_context(actor, case_id))

    def audit_identities(self, granted: Decision, object_type: str, keys: Sequence[str]) -> None:
        """Record that these rows were shown with identities unmasked (granted by the case)."""
        actor, case_id = self.viewer.principal, self.viewer.case_id
        assert granted.allowed and actor is not None and case_id is not None
        assert self.store is not None
        self.store.record_identity_read(actor, case_id, object_type, list(keys), granted.reason)

    def sift(
        self, rows: Sequence[Row], object_type: str
    ) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
        """(documents shown, withheld notices): one decision per label set, in row order."""
        groups: dict[frozenset[Label], list[Row]] = {}
        for row in rows:
            groups.setdefault(row.labels, []).append(row)
        decided = {
            labels: self.decision(labels, object_type, [r.key for r in group])
            for labels, group in groups.items()
        }
        shown = [row.doc for row in rows if decided[row.labels].allowed]
        notices = [
            withheld_notice(decided[labels].reason, labels, len(group))
            for labels, group in groups.items()
            if not decided[labels].allowed
        ]
        return shown, notices

    def one(self, row: Row, object_type: str) -> dict[str, Any]:
        """One row as the viewer may see it: its document, or the notice that withholds it."""
        decision = self.decision(row.labels, object_type, [row.key])
        if decision.allowed:
            return row.doc
        notice = withheld_notice(decision.reason, row.labels)
        del notice["rows"]
        return notice


def _listed(keys: Sequence[str]) -> str:
    shown = ",".join(keys[:20])
    return shown + (f" and {len(keys) - 20} more" if len(keys) > 20 else "")
