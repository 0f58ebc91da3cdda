"""The one place where exports read a case and the warehouse rows behind it.

`collect_case(workspace, principal, case_id)` reads through today's
access-checked readers and nothing else reads for an export:

* the case itself through `CaseStore.get_case`, which asks the policy for each
  part, masks worker and victim subjects unless the case grants identities,
  withholds what the asker may not read (with the reason) and audits the read;
* warehouse rows derived from federal tax information (alerts built on W-2 or
  941 filings, employer flags) through `CaseStore.decide_read`, the rule the
  API's guard applies: shown only when the case's legal basis covers FTI and
  names the asker, audited either way;
* the rows the case points at (its alerts' accounts and movements, saved
  traces, the holders of its accounts) from the warehouse, read-only.

When the read gateway lands, this module is what changes: the writers only
see the `CaseDossier`.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import replace
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from moneytrail.access import Label, Principal, derive
from moneytrail.cases import CaseStore
from moneytrail.gateway import Gate, Gateway, Viewer, cursor_source
from moneytrail.report._dossier import (
    Account,
    Alert,
    AuditLine,
    CaseDossier,
    EmployerFinding,
    Hit,
    IncomeLine,
    Movement,
    Party,
    Source,
    Trace,
    TraceLine,
    Withheld,
)
from moneytrail.report._protect import masked_of, protected_accounts, shield
from moneytrail.trace._ledger import WarehouseView
from moneytrail.warehouse import Warehouse
from moneytrail.workspace import Workspace

_PARTY_KINDS = ("person", "company", "organization", "legal_entity")
# Income schedules load the whole ledger; a case names a handful of subjects.
MAX_INCOME_SUBJECTS = 5


def collect_case(
    workspace: Workspace,
    principal: Principal,
    case_id: int,
    *,
    store: CaseStore | None = None,
    warehouse: WarehouseView | None = None,
    income: bool = False,
) -> CaseDossier:
    """Everything the exports of `case_id` need, as `principal` may see it.

    NotFoundError when the principal may not see the case. `income` adds the
    bank-deposits and net-worth schedules of the case's account holders (it
    loads the ledger). `store` and `warehouse` default to the workspace's own (a
    DuckDB warehouse, read-only); on Spark the caller hands in moneytrail.spark's view.
    """
    own_store = store is None
    case_store = CaseStore.open(workspace) if store is None else store
    wh = warehouse if warehouse is not None else Warehouse(workspace, read_only=True)
    try:
        return _Collector(case_store, wh, principal, case_id).run(income=income)
    finally:
        if warehouse is None and isinstance(wh, Warehouse):
            wh.close()
        if own_store:
            case_store.close()


class _Collector:
    def __init__(
        self, store: CaseStore, wh: WarehouseView, principal: Principal, case_id: int
    ) -> None:
        self.store, self.wh, self.principal, self.case_id = store, wh, principal, case_id
        self.con = wh.con
        # Labelled rows (alerts, employer flags, entity membership) come through the
        # read gateway, decided and audited under this case.
        viewer = Viewer(principal, case_id, "cli")
        self.gateway = Gateway(cursor_source(wh.con), Gate(viewer, store))
        self.withheld: list[Withheld] = []
        self.labels: set[Label] = set()
        self._names = _typology_names()

    def run(self, *, income: bool) -> CaseDossier:
        doc = self.store.get_case(self.principal, self.case_id)
        for w in doc.get("withheld", []):
            self.withheld.append(Withheld(f"{w['part']} {w['id']}", str(w["reason"])))
        self.labels.update(Label(lab) for lab in doc.get("labels", []))
        for part in ("alerts", "evidence", "notes"):
            for item in doc.get(part, []):
                self.labels.update(Label(lab) for lab in item.get("labels", []))
        subjects = list(doc.get("subjects", []))
        evidence = doc.get("evidence", [])
        alerts = self._alerts(doc.get("alerts", []))
        account_keys = self._subject_accounts(subjects)
        for a in alerts:
            account_keys.update(a.accounts)
        txn_ids: list[str] = [t for a in alerts for t in a.evidence]
        txn_ids += [str(e["key"]) for e in evidence if e["table"] == "transactions"]
        traces = self._traces([str(e["key"]) for e in evidence if e["table"] == "trace_runs"])
        for tr in traces:
            txn_ids += list(tr.tainted)
        movements = self._movements(txn_ids)
        accounts, parties = self._accounts_and_parties(sorted(account_keys))
        others = {k for m in movements for k in (m.from_account, m.to_account) if k is not None}
        others -= account_keys
        if others:
            counterparties, _ = self._accounts_and_parties(sorted(others), holders=False)
            accounts += [replace(a, in_case=False) for a in counterparties]
        protected = self.store.protected_refs(self.principal, self.case_id)
        if protected:
            keys, people = protected_accounts(self.gateway, protected)
            accounts, parties, movements, traces, alerts = shield(
                masked_of(self.con, keys), people, accounts, parties, movements, traces, alerts
            )
        findings = self._employer_findings(subjects, evidence, alerts)
        schedules = self._income(parties) if income else []
        audit = [AuditLine(**row) for row in self.store.case_audit(self.principal, self.case_id)]
        return CaseDossier(
            case_id=self.case_id,
            title=str(doc["title"]),
            status=str(doc["status"]),
            owner_agency=str(doc["owner_agency"]),
            summary=doc.get("summary"),
            created_at=doc.get("created_at"),
            principal=self.principal,
            collected_at=datetime.now(UTC),
            labels=derive(self.labels),
            legal_bases=tuple(doc.get("legal_bases", [])),
            subjects=tuple(subjects),
            parties=tuple(parties),
            accounts=tuple(accounts),
            alerts=tuple(alerts),
            movements=tuple(movements),
            traces=tuple(traces),
            income=tuple(schedules),
            employer_findings=tuple(findings),
            audit=tuple(audit),
            withheld=tuple(self.withheld),
            notes=tuple(str(n["text"]) for n in doc.get("notes", [])),
        )

    # --- alerts (through the read gateway) -------------------------------------------

    def _alerts(self, attached: Iterable[dict[str, Any]]) -> list[Alert]:
        by_id = {str(a["alert_id"]): a for a in attached}
        if not by_id:
            return []
        rows, withheld = self.gateway.case_alerts(sorted(by_id))
        for aid, reason in withheld:
            self.withheld.append(Withheld(f"alert {aid}", reason))
        found = {str(r["alert_id"]) for r in rows} | {aid for aid, _ in withheld}
        for missing in sorted(set(by_id) - found):
            self.withheld.append(
                Withheld(
                    f"alert {missing}",
                    "not in the warehouse's last detect run (detection was re-run since it was "
                    "attached); run `moneytrail detect` on the data it came from",
                )
            )
        out: list[Alert] = []
        for doc in rows:
            aid = str(doc["alert_id"])
            labels = {Label(lab) for lab in by_id[aid].get("labels", [])}
            labels |= {Label(lab) for lab in doc["labels"]}
            self.labels |= labels
            out.append(
                Alert(
                    alert_id=aid,
                    typology=doc["typology"],
                    typology_name=self._names.get(doc["typology"], doc["typology"]),
                    typologies=tuple(doc["typologies"]),
                    subject=doc["subject"],
                    accounts=tuple(int(a["ref"]) for a in doc["accounts"]),
                    score=float(doc["score"]),
                    evidence=tuple(doc["evidence"]),
                    filings=tuple(doc["filings"]),
                    reason=doc["reason"],
                    disposition=by_id[aid].get("disposition"),
                    labels=derive(labels),
                    hits=tuple(
                        Hit(
                            h["typology"],
                            self._names.get(h["typology"], h["typology"]),
                            h["subject"],
                            h["account_key"],
                            h["score"],
                            tuple(h["evidence"]),
                            h["reason"],
                        )
                        for h in doc["hits"]
                    ),
                )
            )
        return out

    # --- subjects, accounts, holders -----------------------------------------------

    def _subject_accounts(self, subjects: Iterable[dict[str, Any]]) -> set[int]:
        keys: set[int] = set()
        for s in subjects:
            if s.get("masked"):
                continue  # a protected person's accounts stay out unless the case grants identities
            ref = str(s["ref"])
            if s["kind"] == "account" and ref.lstrip("-").isdigit():
                keys.add(int(ref))
            elif s["kind"] == "network":
                keys.update(self.gateway.network_accounts(ref))
            elif s["kind"] in ("entity", "business"):
                keys.update(self._entity_accounts(ref))
        return keys

    def _entity_accounts(self, ref: str) -> set[int]:
        """Accounts held by a resolved entity (or party record) or that are one."""
        return self.gateway.held_accounts(ref)

    def _accounts_and_parties(
        self, keys: list[int], *, holders: bool = True
    ) -> tuple[list[Account], list[Party]]:
        if not keys:
            return [], []
        acct_rows = self.con.execute(
            "SELECT a.account_key, min(a.masked), min(a.bank_id), min(a.currency), min(a.record_id),"
            " list(DISTINCT struct_pack(f := s.name, r := a.source_row))"
            " FROM accounts a JOIN sources s USING (source_id)"
            " WHERE a.account_key IN (SELECT unnest(?)) GROUP BY a.account_key ORDER BY 1",
            [keys],
        ).fetchall()
        holder_rows = self.con.execute(
            "SELECT DISTINCT h.account_key, h.party_id FROM account_holders h"
            " WHERE h.account_key IN (SELECT unnest(?)) ORDER BY 1, 2",
            [keys],
        ).fetchall()
        if not holders:  # counterparties: who holds them is not part of the case
            holder_rows = []
        party_ids = sorted({p for _, p in holder_rows})
        parties = self._parties(party_ids)
        entity_of = {pid: p.entity_id for p in parties for pid in p.party_ids}
        held: dict[int, list[str]] = {}
        for key, pid in holder_rows:
            if pid in entity_of and entity_of[pid] not in held.setdefault(int(key), []):
                held[int(key)].append(entity_of[pid])
        accounts = [
            Account(
                account_key=int(k),
                masked=str(masked),
                bank=bank,
                currency=cur,
                record_id=rec,
                holders=tuple(held.get(int(k), [])),
                sources=tuple(sorted(Source(s["f"], int(s["r"])) for s in srcs)[:5]),
            )
            for k, masked, bank, cur, rec, srcs in acct_rows
        ]
        by_entity: dict[str, list[int]] = {}
        for key, ents in held.items():
            for e in ents:
                by_entity.setdefault(e, []).append(key)
        parties = [
            Party(**{**p.__dict__, "accounts": tuple(sorted(by_entity.get(p.entity_id, [])))})
            for p in parties
        ]
        return accounts, parties

    def _parties(self, party_ids: list[str]) -> list[Party]:
        if not party_ids:
            return []
        rows = self.con.execute(
            "SELECT p.party_id, p.kind, p.name, p.birth_date, p.incorporation_date, p.jurisdiction,"
            " p.address, s.name, p.source_row FROM parties p"
            " JOIN sources s USING (source_id)"
            " WHERE p.party_id IN (SELECT unnest(?)) ORDER BY p.party_id, p.source_id",
            [party_ids],
        ).fetchall()
        entity_of = self.gateway.entity_of_parties(party_ids)
        rows = [(*r, entity_of.get(str(r[0]))) for r in rows]
        grouped: dict[str, list[tuple[Any, ...]]] = {}
        for r in rows:
            if r[1] not in _PARTY_KINDS:
                continue
            grouped.setdefault(str(r[9] or r[0]), []).append(r)
        out: list[Party] = []
        for entity_id, members in sorted(grouped.items()):

            def first(i: int, members: list[tuple[Any, ...]] = members) -> Any:
                return next((m[i] for m in members if m[i]), None)

            out.append(
                Party(
                    entity_id=entity_id,
                    kind=str(members[0][1]),
                    name=str(first(2) or members[0][0]),
                    party_ids=tuple(dict.fromkeys(str(m[0]) for m in members)),
                    birth_date=first(3),
                    incorporation_date=first(4),
                    jurisdiction=first(5),
                    address=first(6),
                    sources=tuple(Source(str(m[7]), int(m[8])) for m in members),
                )
            )
        return out

    # --- movements and traces ------------------------------------------------------

    def _movements(self, txn_ids: list[str]) -> list[Movement]:
        ids = sorted(set(txn_ids))
        if not ids:
            return []
        rows = self.con.execute(
            "SELECT t.txn_id, t.ts, t.from_account, t.to_account, t.amount, t.currency, t.channel,"
            " t.reference, t.description, s.name, t.source_row FROM transactions t"
            " JOIN sources s USING (source_id) WHERE t.txn_id IN (SELECT unnest(?))"
            " ORDER BY t.ts, t.txn_id",
            [ids],
        ).fetchall()
        seen: set[str] = set()
        out: list[Movement] = []
        for r in rows:
            if r[0] in seen:  # a movement stored from two files is kept once
                continue
            seen.add(r[0])
            out.append(
                Movement(
                    txn_id=str(r[0]),
                    ts=r[1],
                    from_account=None if r[2] is None else int(r[2]),
                    to_account=None if r[3] is None else int(r[3]),
                    amount=Decimal(r[4]).quantize(Decimal("0.01")),
                    currency=str(r[5]),
                    channel=r[6],
                    reference=r[7],
                    description=r[8],
                    source=Source(str(r[9]), int(r[10])),
                )
            )
        return out

    def _traces(self, run_ids: list[str]) -> list[Trace]:
        out: list[Trace] = []
        for rid in sorted({int(r) for r in run_ids if r.isdigit()}):
            run = self.con.execute(
                "SELECT run_id, rule, saved_at, tainted, totals FROM trace_runs WHERE run_id = ?",
                [rid],
            ).fetchone()
            if run is None:
                self.withheld.append(
                    Withheld(f"trace {rid}", "no saved trace with this run id in the warehouse")
                )
                continue
            lines = self.con.execute(
                "SELECT line, section, txn_id, ts, account, counterparty, amount, tainted_amount,"
                " balance, tainted_balance, asset_id, note FROM trace_schedule WHERE run_id = ?"
                " ORDER BY line",
                [rid],
            ).fetchall()
            out.append(
                Trace(
                    run_id=int(run[0]),
                    rule=str(run[1]),
                    saved_at=run[2],
                    tainted=tuple(json.loads(run[3])),
                    totals={k: Decimal(v) for k, v in json.loads(run[4]).items()},
                    lines=tuple(TraceLine(*line) for line in lines),
                )
            )
        return out

    # --- employers and income --------------------------------------------------------

    def _employer_findings(
        self,
        subjects: Iterable[dict[str, Any]],
        evidence: Iterable[dict[str, Any]],
        alerts: Iterable[Alert],
    ) -> list[EmployerFinding]:
        keys = {str(s["ref"]) for s in subjects if s["kind"] == "business" and not s.get("masked")}
        keys |= {str(e["key"]).split(":", 1)[0] for e in evidence if e["table"] == "employer_flags"}
        keys |= {a.subject.split(":", 1)[1] for a in alerts if a.subject.startswith("employer:")}
        if not keys:
            return []
        shown, withheld = self.gateway.case_employer_flags(sorted(keys))
        if withheld:
            self.withheld.append(Withheld(f"{len(withheld)} employer findings", withheld[0][1]))
        findings = []
        for row in shown:
            d = row.doc
            findings.append(
                EmployerFinding(
                    d["employer"],
                    d["employer_name"],
                    d["tax_year"],
                    d["code"],
                    d["severity"],
                    d["count"],
                    tuple(d["evidence"]),
                    d["reason"],
                    "fti" in d["labels"],
                )
            )
            self.labels |= row.labels
        return findings

    def _income(self, parties: list[Party]) -> list[IncomeLine]:
        from moneytrail.errors import TraceError  # noqa: PLC0415
        from moneytrail.trace import indirect_income  # noqa: PLC0415 - loads the ledger code

        out: list[IncomeLine] = []
        held = [p for p in parties if p.accounts][:MAX_INCOME_SUBJECTS]
        for p in held:
            try:
                lines = indirect_income(self.wh, list(p.party_ids))
            except TraceError as exc:
                self.withheld.append(Withheld(f"income schedules of {p.name}", str(exc)))
                continue
            out += [
                IncomeLine(p.entity_id, x.period, x.method, x.label, x.amount, tuple(x.sources))
                for x in lines
            ]
        return out


def _typology_names() -> dict[str, str]:
    from moneytrail.detect._run import catalogue  # noqa: PLC0415 - the catalogue loads YAML

    return {t.id: t.name for t in catalogue()}
