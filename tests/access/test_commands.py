"""`moneytrail audit verify|log` and `moneytrail deconflict export|import` end to end."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from sqlalchemy import delete, select, text, update
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from moneytrail.access import AuditLog
from moneytrail.access._audit_tables import AuditEntry, AuditHead
from moneytrail.cases._deconfliction import register_tokens, tokens_for
from moneytrail.cli import app
from moneytrail.store import make_engine, migrate
from moneytrail.workspace import ENV_CASES_URL, ENV_TOKEN_KEY, Workspace

SHARED_KEY = bytes(range(64, 96))
EIN = "12-3456789"


@pytest.fixture(autouse=True)
def _env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(ENV_CASES_URL, raising=False)
    monkeypatch.setenv(ENV_TOKEN_KEY, SHARED_KEY.hex())


def invoke(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(app, list(args))
    return result.exit_code, result.stdout, result.stderr


def _deployment(root: Path, agency: str, contact: str, case_id: int, ein: str) -> Workspace:
    """A workspace whose case store has one agency with one open case holding `ein`."""
    ws = Workspace(root).ensure()
    engine = make_engine(ws.cases_url)
    try:
        migrate(engine)
        with Session(engine) as session, session.begin():
            session.execute(
                text("INSERT INTO agencies (name, contact) VALUES (:n, :c)"),
                {"n": agency, "c": contact},
            )
            register_tokens(
                session,
                AuditLog(ws.audit_key()),
                actor="setup",
                agency=agency,
                contact=contact,
                case_id=case_id,
                tokens=tokens_for(ws.token_key(), {"ein": ein}),
            )
    finally:
        engine.dispose()
    return ws


def test_verify_passes_then_names_the_first_bad_entry(tmp_path: Path) -> None:
    ws = _deployment(tmp_path / "a", "IRS-CI", "duty desk", 7, EIN)
    engine = make_engine(ws.cases_url)
    try:
        with Session(engine) as session, session.begin():
            log = AuditLog(ws.audit_key())
            for i in range(3):
                log.append(session, "pat", "read", "case", 7, "investigation", "allowed", {"i": i})
        code, out, _ = invoke("audit", "verify", "--json", "--workspace", str(ws.root))
        assert code == 0
        assert json.loads(out) == {"ok": True, "entries": 3, "first_bad_seq": None, "problems": []}
        code, out, _ = invoke("-w", str(ws.root), "audit", "verify")
        assert code == 0
        assert "3 entries" in out
        with Session(engine) as session, session.begin():
            session.execute(update(AuditEntry).where(AuditEntry.seq == 2).values(actor="mallory"))
        code, out, err = invoke("audit", "verify", "-w", str(ws.root), "--json")
        assert code == 1
        assert json.loads(out)["first_bad_seq"] == 2
        assert "from entry 2" in err
    finally:
        engine.dispose()


def test_checkpoint_kept_outside_catches_a_log_cut_back(tmp_path: Path) -> None:
    ws = _deployment(tmp_path / "a", "IRS-CI", "duty desk", 7, EIN)
    points = tmp_path / "checkpoints.jsonl"
    engine = make_engine(ws.cases_url)
    try:
        with Session(engine) as session, session.begin():
            log = AuditLog(ws.audit_key())
            for i in range(3):
                log.append(session, "pat", "read", "case", 7, "investigation", "allowed", {"i": i})
        code, out, _ = invoke("audit", "checkpoint", "--out", str(points), "--json", "-w", str(ws.root))  # fmt: skip
        assert code == 0
        assert json.loads(out)["seq"] == 3
        code, _, _ = invoke("audit", "verify", "--checkpoint", str(points), "-w", str(ws.root))
        assert code == 0
        with Session(engine) as session, session.begin():
            kept = session.get(AuditHead, 1)
            assert kept is not None
            session.execute(delete(AuditEntry).where(AuditEntry.seq == 3))
            row = session.scalars(select(AuditEntry).where(AuditEntry.seq == 2)).one()
            kept.seq, kept.hash, kept.mac = 2, row.hash, log.head_mac(2, row.hash)
        # Without the checkpoint the shortened chain is consistent (the key holder's rewind);
        # with it, the cut is found.
        code, _, _ = invoke("audit", "verify", "-w", str(ws.root))
        assert code == 0
        code, out, err = invoke("audit", "verify", "--checkpoint", str(points), "--json", "-w", str(ws.root))  # fmt: skip
        assert code == 1
        assert json.loads(out)["first_bad_seq"] == 3
        points.write_text('{"seq": 1}\n')
        code, _, err = invoke("audit", "verify", "--checkpoint", str(points), "-w", str(ws.root))
        assert code == 1
        assert f"{points}, line 1" in err
    finally:
        engine.dispose()


def test_log_lists_newest_first(tmp_path: Path) -> None:
    ws = _deployment(tmp_path / "a", "IRS-CI", "duty desk", 7, EIN)
    engine = make_engine(ws.cases_url)
    try:
        with Session(engine) as session, session.begin():
            log = AuditLog(ws.audit_key())
            for i in range(3):
                log.append(session, f"u{i}", "read", "case", 7, "investigation", "allowed")
    finally:
        engine.dispose()
    code, out, _ = invoke("audit", "log", "--json", "--limit", "2", "-w", str(ws.root))
    assert code == 0
    doc = json.loads(out)
    assert doc["total"] == 3
    assert [e["actor"] for e in doc["entries"]] == ["u2", "u1"]
    code, out, _ = invoke("audit", "log", "-w", str(ws.root))
    assert code == 0
    assert "u0" in out


def test_two_deployments_exchange_token_files(tmp_path: Path) -> None:
    irs = _deployment(tmp_path / "irs", "IRS-CI", "IRS-CI duty desk", 7, EIN)
    hsi = _deployment(tmp_path / "hsi", "HSI", "HSI tip line", 3, "123456789")
    irs_file, hsi_file = tmp_path / "irs.json", tmp_path / "hsi.json"
    code, out, _ = invoke("deconflict", "export", "--agency", "IRS-CI", "--out", str(irs_file), "-w", str(irs.root), "--json")  # fmt: skip
    assert code == 0, out
    assert json.loads(out)["tokens"] == 1
    assert EIN not in irs_file.read_text(encoding="utf-8")
    code, _, _ = invoke("-w", str(hsi.root), "deconflict", "export", "--agency", "HSI", "--out", str(hsi_file))  # fmt: skip
    assert code == 0
    code, out, _ = invoke("deconflict", "import", str(irs_file), "-w", str(hsi.root), "--json")
    assert code == 0
    hits = json.loads(out)["hits"]
    assert [(h["agency"], h["case_id"], h["other_agency"], h["contact"]) for h in hits] == [
        ("HSI", 3, "IRS-CI", "IRS-CI duty desk")
    ]
    code, out, _ = invoke("deconflict", "import", str(hsi_file), "-w", str(irs.root))
    assert code == 0
    assert "Deconfliction hits from hsi.json" in out
    assert "IRS-CI" in out  # the local agency told, in the table's first column
    # Export and import are audited, and the chains stay intact.
    for ws, actions in ((irs, {"deconfliction_export", "deconfliction_hit"}), (hsi, {"deconfliction_export", "deconfliction_hit"})):  # fmt: skip
        code, out, _ = invoke("audit", "log", "--json", "-w", str(ws.root))
        assert {e["action"] for e in json.loads(out)["entries"]} == actions
        assert invoke("audit", "verify", "-w", str(ws.root))[0] == 0


def test_bad_files_and_unknown_agencies_fail_with_a_reason(tmp_path: Path) -> None:
    ws = _deployment(tmp_path / "a", "IRS-CI", "duty desk", 7, EIN)
    code, _, err = invoke("deconflict", "export", "--agency", "Nobody", "--out", str(tmp_path / "x.json"), "-w", str(ws.root))  # fmt: skip
    assert code == 1
    assert "no agency 'Nobody'" in err
    assert not (tmp_path / "x.json").exists()
    bad = tmp_path / "bad.json"
    bad.write_text('{"format": "moneytrail-deconfliction", "version": 1}', encoding="utf-8")
    code, _, err = invoke("deconflict", "import", str(bad), "-w", str(ws.root))
    assert code == 1
    assert "field 'agency'" in err
    bad.write_text("{not json", encoding="utf-8")
    code, _, err = invoke("deconflict", "import", str(bad), "-w", str(ws.root))
    assert code == 1
    assert "cannot read token file" in err
