"""`moneytrail contracts flags`: Cardinal's no-meta output on stdout."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from moneytrail.cli import app

from .test_cardinal_fixtures import FIXTURES, settings_text

runner = CliRunner()


def test_flags_json_is_cardinal_shape(tmp_path: Path) -> None:
    ini = tmp_path / "s.ini"
    ini.write_text(settings_text("R038"), encoding="utf-8")
    result = runner.invoke(
        app, ["contracts", "flags", str(FIXTURES / "R038.jsonl"), "--settings", str(ini), "--json"]
    )
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout) == json.loads(
        (FIXTURES / "R038.expected").read_text(encoding="utf-8")
    )


def test_flags_without_settings_runs_every_indicator(tmp_path: Path) -> None:
    result = runner.invoke(app, ["contracts", "flags", str(FIXTURES / "R018.jsonl"), "--json"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["OCID"]["open"] == {"R018": 1.0}


def test_flags_table_and_errors(tmp_path: Path) -> None:
    ok = runner.invoke(app, ["contracts", "flags", str(FIXTURES / "R018.jsonl")])
    assert ok.exit_code == 0
    assert "R018" in ok.stdout
    missing = runner.invoke(app, ["contracts", "flags", str(tmp_path / "nope.jsonl")])
    assert missing.exit_code == 1
    assert "no such file" in missing.output
    bad = tmp_path / "bad.ini"
    bad.write_text("[R024]\nthreshold = high\n", encoding="utf-8")
    result = runner.invoke(
        app, ["contracts", "flags", str(FIXTURES / "R018.jsonl"), "--settings", str(bad)]
    )
    assert result.exit_code == 1
    assert "section [R024], key 'threshold'" in result.output


def test_typologies_are_described() -> None:
    result = runner.invoke(app, ["contracts", "findings", "--typologies", "--json"])
    assert result.exit_code == 0
    codes = [t["code"] for t in json.loads(result.stdout)["typologies"]]
    assert codes == ["MT-P001", "MT-P002", "MT-P003", "MT-P004", "MT-P005"]


def test_ingest_format_ocds(tmp_path: Path) -> None:
    data = Path(__file__).parent / "data" / "ocdskit" / "record-package_1.1.json"
    result = runner.invoke(
        app, ["ingest", str(data), "--format", "ocds", "--json", "-w", str(tmp_path / "ws")]
    )
    assert result.exit_code == 0, result.output
    (report,) = json.loads(result.stdout)["files"]
    assert (report["format"], report["rows_quarantined"]) == ("ocds", 0)


def test_flags_store_keeps_cardinal_findings_beside_typologies(tmp_path: Path) -> None:
    ws = str(tmp_path / "ws")
    args = ["contracts", "flags", str(FIXTURES / "R035.jsonl"), "--store", "-w", ws]
    assert runner.invoke(app, args).exit_code == 0
    assert runner.invoke(app, args).exit_code == 0  # a second run replaces, never duplicates
    listed = runner.invoke(app, ["contracts", "findings", "--json", "-w", ws])
    assert listed.exit_code == 0, listed.output
    found = json.loads(listed.stdout)["findings"]
    by_subject = {(f["subject_kind"], f["subject_id"]): f for f in found}
    assert len(found) == 5  # F1, F2, repeat, accept, and tenderer V
    f2 = by_subject[("process", "F2")]
    assert f2["code"] == "R035"
    assert f2["evidence"] == {"value": 2.0}
    assert "every other tenderer (2) was disqualified" in f2["reason"]
    assert by_subject[("tenderer", "V")]["ocids"] == []
