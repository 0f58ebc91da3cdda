"""One path for every export: collect, ask the policy, build, check, write, audit.

`export_case` collects the case's dossier (`_collect`, the access-checked
reader), asks `access.decide` whether the principal may EXPORT data with the
dossier's labels to the recipient agency (FTI goes only to an agency the
case's legal basis covers), builds the file in memory, checks a filing against
its schema and business rules, writes it whole (or not at all) and appends an
audit-chain entry naming what left, in which file (its SHA-256) and for whom.
A refusal (policy or rule) is audited too, with its reason, and nothing is
written.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from moneytrail.access import Action, Principal, decide
from moneytrail.cases import CaseStore
from moneytrail.errors import AccessDeniedError, ExportError, FilingRuleError
from moneytrail.report._collect import collect_case
from moneytrail.report._dossier import CaseDossier
from moneytrail.report._profiles import Profile, load_profile
from moneytrail.trace._ledger import WarehouseView
from moneytrail.workspace import Workspace


@dataclass(frozen=True)
class BuildContext:
    workspace: Workspace
    today: datetime
    profile: Profile | None
    suffix: str


@dataclass(frozen=True)
class Kind:
    name: str
    what: str
    suffixes: tuple[str, ...]
    media_type: str
    build: Callable[[CaseDossier, BuildContext], bytes]
    income: bool = False  # needs the bank-deposits and net-worth schedules
    profile: str | None = None  # filing profile format


def _goaml(d: CaseDossier, ctx: BuildContext) -> bytes:
    from moneytrail.report._goaml import FORMAT, build_goaml, goaml_bytes  # noqa: PLC0415
    from moneytrail.report._xsd import schema_path, validate  # noqa: PLC0415

    assert ctx.profile is not None
    root = build_goaml(d, ctx.profile, ctx.today)
    # The FIU's own rules first: they name what to change, where the schema only says where.
    body = goaml_bytes(root, ctx.profile)
    validate(FORMAT, root, schema_path(ctx.workspace, ctx.profile))
    return body


def _sar(d: CaseDossier, ctx: BuildContext) -> bytes:
    from moneytrail.report._fincen import FORMAT, build_sar, sar_bytes  # noqa: PLC0415
    from moneytrail.report._xsd import schema_path, validate  # noqa: PLC0415

    assert ctx.profile is not None
    root = build_sar(d, ctx.profile, ctx.today)
    body = sar_bytes(root)
    validate(FORMAT, root, schema_path(ctx.workspace, ctx.profile))
    return body


def _narrative(d: CaseDossier, ctx: BuildContext) -> bytes:
    from moneytrail.report._narrative import draft_narrative  # noqa: PLC0415

    return (draft_narrative(d) + "\n").encode("utf-8")


def _ftm(d: CaseDossier, ctx: BuildContext) -> bytes:
    from moneytrail.report._ftm import ftm_lines  # noqa: PLC0415

    return ftm_lines(d)


def _graph(fmt: str) -> Callable[[CaseDossier, BuildContext], bytes]:
    def build(d: CaseDossier, ctx: BuildContext) -> bytes:
        from moneytrail.report._network import graph_bytes  # noqa: PLC0415

        return graph_bytes(d, fmt)

    return build


def _pdf(d: CaseDossier, ctx: BuildContext) -> bytes:
    from moneytrail.report._pdf import case_report_pdf  # noqa: PLC0415

    return case_report_pdf(d)


def _xlsx(d: CaseDossier, ctx: BuildContext) -> bytes:
    from moneytrail.report._schedules import schedules_xlsx  # noqa: PLC0415

    return schedules_xlsx(d)


def _csv(d: CaseDossier, ctx: BuildContext) -> bytes:
    from moneytrail.report._schedules import schedules_csv  # noqa: PLC0415

    return schedules_csv(d)


KINDS: dict[str, Kind] = {
    k.name: k
    for k in (
        Kind(
            "goaml",
            "goAML 5.0.1 STR/SAR report",
            (".xml",),
            "application/xml",
            _goaml,
            profile="goaml",
        ),
        Kind(
            "fincen-sar",
            "FinCEN SAR XML batch",
            (".xml",),
            "application/xml",
            _sar,
            profile="fincen-sar",
        ),
        Kind(
            "narrative", "narrative drafted from the evidence", (".txt",), "text/plain", _narrative
        ),
        Kind(
            "ftm",
            "FollowTheMoney entities (JSON lines)",
            (".json", ".jsonl", ".ftm.json"),
            "application/x-ndjson",
            _ftm,
        ),
        Kind(
            "graphml",
            "network as GraphML (yEd, Gephi)",
            (".graphml",),
            "application/xml",
            _graph("graphml"),
        ),
        Kind("gexf", "network as GEXF (Gephi)", (".gexf",), "application/xml", _graph("gexf")),
        Kind("anx", "i2 Analyst's Notebook chart", (".anx",), "application/xml", _graph("anx")),
        Kind(
            "pdf", "case report for a prosecutor", (".pdf",), "application/pdf", _pdf, income=True
        ),
        Kind(
            "xlsx",
            "schedules: tracing, bank deposits, net worth",
            (".xlsx",),
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            _xlsx,
            income=True,
        ),
        Kind("csv", "schedules as one CSV table", (".csv",), "text/csv", _csv, income=True),
    )
}


@dataclass(frozen=True)
class ExportResult:
    kind: str
    case_id: int
    recipient: str
    content: bytes
    sha256: str
    path: Path | None
    labels: list[str]
    counts: dict[str, int]
    withheld: list[dict[str, str]] = field(default_factory=list)
    audit_seq: int = 0

    def as_json(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "case_id": self.case_id,
            "recipient": self.recipient,
            "path": None if self.path is None else str(self.path),
            "bytes": len(self.content),
            "sha256": self.sha256,
            "labels": self.labels,
            "counts": self.counts,
            "withheld": self.withheld,
            "audit_seq": self.audit_seq,
        }


def export_case(
    workspace: Workspace,
    principal: Principal,
    case_id: int,
    kind: str,
    out: Path | None = None,
    *,
    recipient: str | None = None,
    profile: str | None = None,
    store: CaseStore | None = None,
    warehouse: WarehouseView | None = None,
    today: datetime | None = None,
) -> ExportResult:
    """Export `case_id` as `kind` for `recipient` (default: the principal's agency).

    Writes `out` when given (whole or not at all). AccessDeniedError when the
    policy refuses, FilingRuleError when a filing breaks a rule; both audited.
    """
    spec = KINDS.get(kind)
    if spec is None:
        raise ExportError(f"unknown export {kind!r}; choose one of {', '.join(KINDS)}")
    if out is not None and not out.name.lower().endswith(spec.suffixes):
        raise ExportError(f"{out}: a {kind} export is written as {' or '.join(spec.suffixes)}")
    prof = load_profile(workspace, spec.profile, profile) if spec.profile else None
    if prof is not None and recipient not in (None, prof.recipient):
        raise ExportError(
            f"the {kind} profile {prof.name} files with {prof.recipient}, not {recipient}; "
            "choose the profile of that recipient with --profile"
        )
    to = prof.recipient if prof is not None else (recipient or principal.agency)
    own_store = store is None
    case_store = CaseStore.open(workspace) if store is None else store
    try:
        dossier = collect_case(
            workspace,
            principal,
            case_id,
            store=case_store,
            warehouse=warehouse,
            income=spec.income,
        )
        what = f"export {kind} for {to}"
        base = {"kind": kind, "recipient": to, "labels": sorted(dossier.labels)}
        context = case_store.export_context(principal, case_id)
        decision = decide(principal, Action.EXPORT, dossier.labels, context, target_agency=to)
        if not decision.allowed:
            case_store.record_export(
                principal, case_id, what, "denied", base | {"reason": decision.reason}
            )
            raise AccessDeniedError(f"export refused: {decision.reason}")
        ctx = BuildContext(workspace, today or datetime.now(UTC), prof, out.suffix if out else "")
        try:
            content = spec.build(dossier, ctx)
        except FilingRuleError as exc:
            case_store.record_export(
                principal, case_id, what, "refused", base | {"rules": exc.problems[:20]}
            )
            raise
        digest = hashlib.sha256(content).hexdigest()
        if out is not None:
            _write(out, content)
        counts = {
            "parties": len(dossier.parties),
            "accounts": len(dossier.accounts),
            "movements": len(dossier.movements),
            "alerts": len(dossier.alerts),
            "traces": len(dossier.traces),
            "employer_findings": len(dossier.employer_findings),
        }
        withheld = [{"part": w.part, "reason": w.reason} for w in dossier.withheld]
        seq = case_store.record_export(
            principal,
            case_id,
            what,
            "ok",
            base
            | {
                "file": out.name if out is not None else f"(api response {spec.media_type})",
                "sha256": digest,
                "bytes": len(content),
                "counts": counts,
                "withheld": [w["part"] for w in withheld],
                "profile": prof.name if prof else None,
            },
        )
        return ExportResult(
            kind, case_id, to, content, digest, out, sorted(dossier.labels), counts, withheld, seq
        )
    finally:
        if own_store:
            case_store.close()


def _write(out: Path, content: bytes) -> None:
    """Write the file whole: a temporary file beside it, renamed over it."""
    try:
        out.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=f".{out.name}.", dir=out.parent)
        with os.fdopen(fd, "wb") as fh:
            fh.write(content)
        Path(tmp).replace(out)
    except OSError as exc:
        raise ExportError(f"cannot write {out}: {exc}") from exc
