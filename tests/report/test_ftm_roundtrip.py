"""FtM export read back by `ingest --format ftm` into a fresh workspace: the same entities and payments."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

from moneytrail.ingest import ingest_file
from moneytrail.report import collect_case
from moneytrail.report._export import export_case
from moneytrail.report._ftm import account_id, ftm_id
from moneytrail.resolve import resolve
from moneytrail.warehouse import Warehouse
from moneytrail.workspace import Workspace
from tests.report.conftest import ReportWorld


def test_ftm_export_reads_back_to_the_same_entities_and_payments(
    report_world: ReportWorld, tmp_path: Path
) -> None:
    rw = report_world
    out = tmp_path / "case.ftm.json"
    export_case(rw.ws, rw.who, rw.multi_case, "ftm", out)
    dossier = collect_case(rw.ws, rw.who, rw.multi_case)
    assert dossier.parties and dossier.movements and dossier.accounts

    fresh = Workspace(tmp_path / "fresh").ensure()
    with Warehouse(fresh) as wh:
        report = ingest_file(wh, out, "ftm")
        assert report.rows_quarantined == 0
        assert report.rows_read == report.rows_accepted
        resolve(wh)
        parties = {
            (pid, kind, name)
            for pid, kind, name in wh.con.execute(
                "SELECT party_id, kind, name FROM parties"
            ).fetchall()
        }
        entities = dict(
            wh.con.execute(
                "SELECT member_id, entity_id FROM entity_members "
                "WHERE kind IN ('person', 'company')"
            ).fetchall()
        )
        payments = {
            r[0]: r[1:]
            for r in wh.con.execute(
                "SELECT t.txn_id, t.ts, t.amount, t.currency, fa.record_id, ta.record_id "
                "FROM transactions t "
                "LEFT JOIN accounts fa ON fa.account_key = t.from_account "
                "LEFT JOIN accounts ta ON ta.account_key = t.to_account"
            ).fetchall()
        }
        holders = set(
            wh.con.execute(
                "SELECT a.record_id, h.party_id FROM account_holders h "
                "JOIN accounts a USING (account_key)"
            ).fetchall()
        )

    kinds = {"person": "person", "company": "company", "legal_entity": "legal_entity"}
    expected = {(ftm_id(p.entity_id), kinds.get(p.kind, p.kind), p.name) for p in dossier.parties}
    assert parties == expected
    # Resolution keeps one entity per exported party: none merged away, none split.
    resolved = {entities[pid] for pid, kind, _ in parties if kind in ("person", "company")}
    assert len(resolved) == sum(1 for _, kind, _ in parties if kind in ("person", "company"))

    ids = {a.account_key: account_id(a) for a in dossier.accounts}
    want = {
        ftm_id(m.txn_id): (
            m.ts.replace(microsecond=0),
            m.amount,
            m.currency,
            ids.get(m.from_account) if m.from_account is not None else None,
            ids.get(m.to_account) if m.to_account is not None else None,
        )
        for m in dossier.movements
    }
    got = {k: (v[0], Decimal(v[1]).quantize(Decimal("0.01")), *v[2:]) for k, v in payments.items()}
    assert got == want
    held = {(account_id(a), ftm_id(h)) for a in dossier.accounts for h in a.holders}
    assert holders == held
