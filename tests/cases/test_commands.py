"""`moneytrail user|agency|case ...`: bootstrap, sign-in with --as, JSON output, errors."""

from __future__ import annotations

import json
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from moneytrail.cli import app

from .conftest import PASSWORD


@pytest.fixture
def run(tmp_path: Path, cases_url: str, monkeypatch: pytest.MonkeyPatch) -> Any:
    monkeypatch.setenv("MONEYTRAIL_CASES_URL", cases_url)
    monkeypatch.setenv("MONEYTRAIL_PASSWORD", PASSWORD)
    monkeypatch.setenv("MONEYTRAIL_NEW_PASSWORD", PASSWORD)
    ws = str(tmp_path / "ws")

    def invoke(*args: str, ok: bool = True) -> Any:
        # --workspace after the subcommand, as users type it.
        result = CliRunner().invoke(app, [*args, "--workspace", ws])
        assert (result.exit_code == 0) == ok, result.stdout + result.stderr
        if not ok:
            return result.stderr
        return json.loads(result.stdout) if "--json" in args else result.stdout

    return invoke


def test_bootstrap_and_work_a_case(run: Any) -> None:
    admin = run("user", "add", "root", "--agency", "Tax Crimes", "--role", "admin", "--json")
    assert admin["role"] == "admin"
    assert "an admin exists" in run(
        "user", "add", "x", "--agency", "Tax Crimes", "--role", "admin", ok=False
    )
    run("agency", "add", "Labor Standards", "--contact", "duty@labor", "--as", "root")
    run("user", "add", "tsup", "--agency", "Tax Crimes", "--role", "supervisor", "--as", "root")
    run("user", "add", "lana", "--agency", "Labor Standards", "--as", "root")
    case = run(
        "case", "create", "Acme payroll", "--summary", "cash wages", "--as", "tsup", "--json"
    )
    cid = str(case["id"])
    run("case", "status", cid, "active", "--as", "tsup")
    expires = (date.today() + timedelta(days=30)).isoformat()
    basis = run(
        "case", "basis", cid, "--kind", "IRC 6103(i)(1) order", "--reference", "22-MJ-1",
        "--scope", "Acme W-2s", "--expires", expires, "--person", "tsup",
        "--agency", "Labor Standards", "--as", "tsup", "--json",
    )  # fmt: skip
    assert basis["labels"] == ["fti"]
    run("case", "evidence", cid, "w2_wages", "W2-1", "wage row", "--as", "tsup")
    run("case", "note", cid, "summary of the W-2s", "--label", "fti", "--as", "tsup")
    sub = run(
        "case",
        "subject",
        cid,
        "business",
        "B-1",
        "--id",
        "ein=12-3456789",
        "--as",
        "tsup",
        "--json",
    )
    assert sub["deconfliction"] == []
    run("case", "alert", "attach", cid, "A-1", "--as", "tsup")
    disposed = run("case", "alert", "dispose", cid, "A-1", "confirmed", "--as", "tsup", "--json")
    assert disposed["disposition"] == "confirmed"
    task = run("case", "task", cid, "Call the bank", "--as", "tsup", "--json")
    run("case", "task", cid, "--done", str(task["id"]), "--as", "tsup")
    shown = run("case", "show", cid, "--as", "tsup", "--json")
    assert shown["labels"] == ["fti"]
    assert len(shown["evidence"]) == 1 and shown["tasks"][0]["done"]
    listed = run("case", "list", "--as", "tsup", "--json")
    assert listed["total"] == 1
    human = run("case", "show", cid, "--as", "tsup")
    assert "Acme payroll" in human and "W2-1" in human
    referred = run("case", "refer", cid, "Labor Standards", "wage theft", "--as", "tsup", "--json")
    assert referred["to_agency"] == "Labor Standards"
    run(
        "user", "add", "lsup", "--agency", "Labor Standards", "--role", "supervisor", "--as", "root"
    )
    incoming = run("case", "referrals", "--as", "lsup", "--json")
    assert incoming["items"][0]["title"] == "Acme payroll"
    answered = run("case", "answer", str(referred["id"]), "--accept", "--as", "lsup", "--json")
    assert answered["status"] == "accepted"
    assert "no case" in run("case", "show", cid, "--as", "lana", ok=False)


def test_errors_exit_1_with_a_message(run: Any) -> None:
    run("user", "add", "root", "--agency", "Tax Crimes", "--role", "admin")
    run("user", "add", "ana", "--agency", "Tax Crimes", "--as", "root")
    assert "sign in with --as" in run("case", "list", ok=False)
    assert "unknown user or wrong password" in run("case", "list", "--as", "ghost", ok=False)
    assert "unknown 'secret'" in run(
        "case", "create", "x", "--label", "secret", "--as", "ana", ok=False
    )
    assert "title" in run("case", "create", " ", "--as", "ana", ok=False)
    assert "admins manage agencies" in run("case", "create", "x", "--as", "root", ok=False)
    assert run("user", "disable", "ana", "--as", "root", "--json")["active"] is False
    assert "unknown user or wrong password" in run("case", "list", "--as", "ana", ok=False)
    run("user", "enable", "ana", "--as", "root")
    assert "not SCHEME=VALUE" in run(
        "case", "subject", "1", "entity", "E", "--id", "x", "--as", "ana", ok=False
    )
