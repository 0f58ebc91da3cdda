"""The case report: rendered to PNG with pdftoppm, its text read with pdftotext."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from moneytrail.report import collect_case
from moneytrail.report._export import export_case
from moneytrail.report._narrative import money, totals_by_currency
from moneytrail.warehouse import Warehouse
from tests.report.conftest import ReportWorld

POPPLER = shutil.which("pdftoppm") and shutil.which("pdftotext")


@pytest.mark.skipif(not POPPLER, reason="poppler-utils (pdftoppm, pdftotext) is not installed")
def test_case_report_renders_and_names_subjects_amounts_and_trace(
    report_world: ReportWorld, tmp_path: Path
) -> None:
    rw = report_world
    pdf = tmp_path / "case.pdf"
    export_case(rw.ws, rw.who, rw.multi_case, "pdf", pdf)
    subprocess.run(["pdftoppm", "-r", "40", "-png", str(pdf), str(tmp_path / "page")], check=True)
    pages = sorted(tmp_path.glob("page-*.png"))
    assert len(pages) >= 4
    assert all(
        p.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and p.stat().st_size > 5_000 for p in pages
    )
    text = subprocess.run(
        ["pdftotext", "-layout", str(pdf), "-"], check=True, capture_output=True, text=True
    ).stdout
    flat = " ".join(text.split())
    dossier = collect_case(rw.ws, rw.who, rw.multi_case)
    for party in dossier.parties:
        assert party.name in flat
    for currency, total in totals_by_currency(dossier.movements).items():
        assert money(total, currency) in flat
    (trace,) = dossier.traces
    assert f"Trace {trace.run_id} under the LIBR rule" in flat
    assert money(trace.totals["named"]) in flat
    for heading in ("Link chart", "Timeline", "Tracing schedule", "Audit extract of the case",
                    "How to read this report"):  # fmt: skip
        assert heading in flat
    # The victim's account stays a stand-in: no number, bank or holder, since the case
    # grants no identities; the money through it still shows.
    assert "protected person(s)" in flat
    assert "protected account 1" in flat
    with Warehouse(rw.ws, read_only=True) as wh:
        victims = {
            name
            for (name,) in wh.con.execute(
                "SELECT p.name FROM account_holders h JOIN parties p USING (party_id) "
                "WHERE h.account_key = ?",
                [rw.victim_account],
            ).fetchall()
        }
    assert victims
    shown = {p.name for p in dossier.parties}
    for name in victims - shown:
        assert name not in flat
    assert not victims & shown
    assert all(a.account_key != rw.victim_account for a in dossier.accounts)
