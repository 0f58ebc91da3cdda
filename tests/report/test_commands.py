"""`moneytrail export` and `case narrative` as a user runs them, the charts and schedules they
write, and the same exports through the API."""

from __future__ import annotations

import csv
import io
import json
import warnings
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path

import networkx as nx
import pytest
from openpyxl import load_workbook
from typer.testing import CliRunner

from moneytrail.api import TokenService, create_app
from moneytrail.cases import CaseStore
from moneytrail.cli import app
from moneytrail.report import collect_case
from tests.report.conftest import ReportWorld

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    from fastapi.testclient import TestClient


def _run(rw: ReportWorld, *args: str) -> tuple[int, str, str]:
    runner = CliRunner()
    result = runner.invoke(
        app,
        ["--workspace", str(rw.ws.root), *args, "--as", rw.demo.username],
        env={"MONEYTRAIL_PASSWORD": rw.demo.password},
    )
    return result.exit_code, result.stdout, result.stderr


def test_export_writes_charts_a_user_can_open(report_world: ReportWorld, tmp_path: Path) -> None:
    rw = report_world
    case = str(rw.multi_case)
    dossier = collect_case(rw.ws, rw.who, rw.multi_case)
    code, out, err = _run(
        rw, "export", "graphml", "--case", case, "--out", str(tmp_path / "c.graphml"), "--json"
    )
    assert code == 0, err
    doc = json.loads(out)
    assert doc["kind"] == "graphml" and doc["audit_seq"] > 0
    g = nx.read_graphml(tmp_path / "c.graphml")
    pays = [(u, v, a) for u, v, a in g.edges(data=True) if a["kind"] == "payment"]
    moved = sum((Decimal(a["amount_exact"]) for _, _, a in pays), Decimal(0))
    assert moved == sum(
        (m.amount for m in dossier.movements if m.from_account and m.to_account), Decimal(0)
    )
    assert all(a["first_date"] and a["txn_ids"] for _, _, a in pays)
    assert any(a.get("typologies") for _, a in g.nodes(data=True))
    code, _, err = _run(rw, "export", "gexf", "--case", case, "--out", str(tmp_path / "c.gexf"))
    assert code == 0, err
    assert nx.read_gexf(tmp_path / "c.gexf").number_of_edges() == g.number_of_edges()
    code, _, err = _run(rw, "export", "anx", "--case", case, "--out", str(tmp_path / "c.anx"))
    assert code == 0, err
    anx = (tmp_path / "c.anx").read_bytes().decode("utf-16")
    assert "<Chart" in anx and dossier.parties[0].name in anx


def test_schedules_as_xlsx_and_csv(report_world: ReportWorld, tmp_path: Path) -> None:
    rw = report_world
    code, _, err = _run(
        rw, "export", "xlsx", "--case", str(rw.multi_case), "--out", str(tmp_path / "s.xlsx")
    )
    assert code == 0, err
    wb = load_workbook(tmp_path / "s.xlsx")
    assert {"Case", "Tracing", "Bank deposits", "Net worth", "Movements"} <= set(wb.sheetnames)
    tracing = list(wb["Tracing"].iter_rows(values_only=True))
    assert tracing[0][0] == "schedule" and len(tracing) > 5
    named = [r for r in tracing if r[3] == "total" and r[14] == "named"]
    dossier = collect_case(rw.ws, rw.who, rw.multi_case)
    assert Decimal(str(named[0][8])) == dossier.traces[0].totals["named"]
    code, _, err = _run(
        rw, "export", "csv", "--case", str(rw.multi_case), "--out", str(tmp_path / "s.csv")
    )
    assert code == 0, err
    rows = list(csv.DictReader(io.StringIO((tmp_path / "s.csv").read_text())))
    assert {"movements", "bank-deposits", "net-worth"} <= {r["schedule"] for r in rows}


def test_case_narrative_names_the_rows_behind_every_figure(report_world: ReportWorld) -> None:
    rw = report_world
    code, out, err = _run(rw, "case", "narrative", str(rw.demo.case_id), "--json")
    assert code == 0, err
    text = json.loads(out)["narrative"]
    dossier = collect_case(rw.ws, rw.who, rw.demo.case_id)
    for head in ("WHO.", "WHAT.", "WHEN AND WHERE.", "HOW MUCH.", "WHY SUSPICIOUS."):
        assert head in text
    total = sum((m.amount for m in dossier.movements), Decimal(0))
    assert f"{total:,.2f} USD" in text
    for m in dossier.movements:
        assert f"txn {m.txn_id} = {m.source.file} row {m.source.row}" in text
    for a in dossier.alerts:
        for h in a.hits:
            assert h.reason in text


def test_unknown_kind_and_wrong_suffix_are_refused(
    report_world: ReportWorld, tmp_path: Path
) -> None:
    rw = report_world
    code, _, err = _run(rw, "export", "docx", "--case", "1", "--out", str(tmp_path / "x.docx"))
    assert code == 1 and "unknown export 'docx'" in err
    code, _, err = _run(rw, "export", "pdf", "--case", "1", "--out", str(tmp_path / "x.txt"))
    assert code == 1 and "written as .pdf" in err


@pytest.fixture
def client(report_world: ReportWorld) -> Iterator[TestClient]:
    store = CaseStore.open(report_world.ws)
    with TestClient(create_app(report_world.ws, store), raise_server_exceptions=False) as c:
        yield c
    store.close()


def test_api_export_answers_the_file_and_refuses_fti_for_an_uncovered_agency(
    report_world: ReportWorld, client: TestClient
) -> None:
    rw = report_world
    tokens: TokenService = client.app.state.tokens  # type: ignore[attr-defined]
    headers = {"Authorization": f"Bearer {tokens.issue(rw.who)}"}
    r = client.get(f"/cases/{rw.demo.case_id}/export/goaml", headers=headers)
    assert r.status_code == 200, r.text
    assert r.headers["content-type"].startswith("application/xml")
    assert int(r.headers["x-audit-seq"]) > 0
    assert b"<report>" in r.content
    r = client.get(
        f"/cases/{rw.fti_case}/export/pdf", params={"to": "County Prosecutor"}, headers=headers
    )
    assert r.status_code == 403
    assert "no legal basis covers that agency" in r.json()["error"]["message"]
    r = client.get(f"/cases/{rw.demo.case_id}/export/docx", headers=headers)
    assert r.status_code == 422
