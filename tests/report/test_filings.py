"""goAML and FinCEN SAR filings: valid against the schemas, the guide's rules checked, refusals audited."""

from __future__ import annotations

import math
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

import pytest
import xmlschema
from lxml import etree

from moneytrail.cases import CaseStore
from moneytrail.errors import AccessDeniedError, FilingRuleError
from moneytrail.report import collect_case
from moneytrail.report._export import export_case
from moneytrail.report._fincen import build_sar, check_sar, sar_bytes
from moneytrail.report._profiles import load_profile
from moneytrail.warehouse import Warehouse
from tests.report.conftest import GOAML_PROFILE, GOAML_XSD, SAR_XSD, ReportWorld

FC = "{www.fincen.gov/base}"


@pytest.fixture(scope="module")
def goaml_schema() -> xmlschema.XMLSchema11:
    return xmlschema.XMLSchema11(str(GOAML_XSD))


@pytest.fixture(scope="module")
def sar_schema() -> xmlschema.XMLSchema11:
    return xmlschema.XMLSchema11(str(SAR_XSD))


def _last_export(rw: ReportWorld, case_id: int) -> dict[str, object]:
    store = CaseStore.open(rw.ws)
    try:
        entries = [e for e in store.case_audit(rw.who, case_id) if e["action"] == "export"]
    finally:
        store.close()
    return entries[-1]


@pytest.mark.parametrize("which", ["demo", "multi"])
def test_goaml_report_is_valid_and_carries_the_movements(
    report_world: ReportWorld, goaml_schema: xmlschema.XMLSchema11, tmp_path: Path, which: str
) -> None:
    rw = report_world
    case = rw.demo.case_id if which == "demo" else rw.multi_case
    out = tmp_path / "str.xml"
    result = export_case(rw.ws, rw.who, case, "goaml", out)
    goaml_schema.validate(str(out))  # raises on any violation
    root = etree.parse(str(out)).getroot()
    dossier = collect_case(rw.ws, rw.who, case)
    numbers = [t.findtext("transactionnumber") for t in root.findall("transaction")]
    assert numbers == [m.txn_id for m in dossier.movements]
    assert len(numbers) >= 5
    assert root.findtext("rentity_id") == "4711"
    assert result.recipient == "FIU Demo"
    # Every amount is the warehouse's, to the cent.
    with Warehouse(rw.ws, read_only=True) as wh:
        amounts = dict(
            wh.con.execute(
                "SELECT txn_id, amount FROM transactions WHERE txn_id IN (SELECT unnest(?))",
                [numbers],
            ).fetchall()
        )
    for t in root.findall("transaction"):
        assert Decimal(t.findtext("amount_local") or "") == round(
            Decimal(amounts[t.findtext("transactionnumber")]), 2
        )
    reason = root.findtext("reason") or ""
    named = [p.name for p in dossier.parties if p.name in reason]
    if "more, named in the movements" in reason:  # the compact draft, for the field's length
        assert len(set(named)) >= 5
    else:
        assert len(named) == len(dossier.parties)
    assert _last_export(rw, case)["outcome"] == "ok"


@pytest.mark.parametrize("which", ["demo", "multi"])
def test_sar_batch_is_valid_and_follows_the_user_guide(
    report_world: ReportWorld, sar_schema: xmlschema.XMLSchema11, tmp_path: Path, which: str
) -> None:
    rw = report_world
    case = rw.demo.case_id if which == "demo" else rw.multi_case
    out = tmp_path / "sar.xml"
    export_case(rw.ws, rw.who, case, "fincen-sar", out)
    sar_schema.validate(str(out))
    root = etree.parse(str(out)).getroot()
    dossier = collect_case(rw.ws, rw.who, case)
    subjects = [
        p for p in root.iter(f"{FC}Party") if p.findtext(f"{FC}ActivityPartyTypeCode") == "33"
    ]
    assert root.get("PartyCount") == str(len(subjects)) == str(len(dossier.parties))
    usd = sum((m.amount for m in dossier.movements if m.currency == "USD"), Decimal(0))
    assert root.get("TotalAmount") == str(math.ceil(usd))
    assert root.get("ActivityCount") == "1"
    seqs = [int(el.get("SeqNum")) for el in root.iter() if el.get("SeqNum")]
    assert seqs == sorted(set(seqs)) and seqs[0] == 1
    codes = [p.findtext(f"{FC}ActivityPartyTypeCode") for p in root.iter(f"{FC}Party")]
    assert codes[:5] == ["35", "37", "30", "8", "34"]
    narrative = "".join(t.text or "" for t in root.iter(f"{FC}ActivityNarrativeText"))
    assert "WHY SUSPICIOUS" in narrative
    assert check_sar(root) == []


def test_sar_rules_the_schema_cannot_check_are_named(report_world: ReportWorld) -> None:
    rw = report_world
    dossier = collect_case(rw.ws, rw.who, rw.demo.case_id)
    root = build_sar(dossier, load_profile(rw.ws, "fincen-sar", None), datetime.now(UTC))
    root.set("PartyCount", "1")
    parties = list(root.iter(f"{FC}Party"))
    parties[2].set("SeqNum", parties[1].get("SeqNum") or "")
    transmitter = parties[0]
    transmitter.getparent().remove(transmitter)
    problems = check_sar(root)
    rules = {p.split(":", 1)[0] for p in problems}
    assert {"sar.counts", "sar.seqnum", "sar.parties"} <= rules
    assert any("PartyCount is '1'" in p for p in problems)
    with pytest.raises(FilingRuleError, match=r"sar\.counts"):
        sar_bytes(root)


def test_goaml_report_breaking_an_fiu_rule_is_refused_and_audited(
    report_world: ReportWorld, tmp_path: Path
) -> None:
    rw = report_world
    strict = GOAML_PROFILE.replace('"report/reason" = 8000', '"report/reason" = 400')
    (rw.ws.root / "filing-profiles" / "fiu-strict.toml").write_text(strict)
    out = tmp_path / "strict.xml"
    try:
        with pytest.raises(FilingRuleError) as caught:
            export_case(rw.ws, rw.who, rw.demo.case_id, "goaml", out, profile="fiu-strict")
    finally:
        (rw.ws.root / "filing-profiles" / "fiu-strict.toml").unlink()
    assert "goaml.max_length: report/reason is" in str(caught.value)
    assert "FIU Demo allows 400" in str(caught.value)
    assert not out.exists()
    entry = _last_export(rw, rw.demo.case_id)
    assert entry["outcome"] == "refused"


def test_fti_goes_only_where_the_legal_basis_covers_the_recipient(
    report_world: ReportWorld, tmp_path: Path
) -> None:
    rw = report_world
    ok = export_case(rw.ws, rw.who, rw.fti_case, "narrative", tmp_path / "n.txt")
    assert "fti" in ok.labels and ok.counts["employer_findings"] > 0
    out = tmp_path / "report.pdf"
    with pytest.raises(AccessDeniedError) as caught:
        export_case(rw.ws, rw.who, rw.fti_case, "pdf", out, recipient="County Prosecutor")
    message = str(caught.value)
    assert "may not be exported to County Prosecutor" in message
    assert "24-MJ-0042" in message
    assert not out.exists()
    entry = _last_export(rw, rw.fti_case)
    assert entry["outcome"] == "denied"
    assert entry["object_id"] == str(rw.fti_case)
    # The FIU is not covered either: the filing of FTI is refused the same way.
    with pytest.raises(AccessDeniedError, match="FIU Demo"):
        export_case(rw.ws, rw.who, rw.fti_case, "goaml", tmp_path / "x.xml")


def test_employer_findings_are_left_out_for_a_member_the_basis_does_not_name(
    report_world: ReportWorld, tmp_path: Path
) -> None:
    rw = report_world
    store = CaseStore.open(rw.ws)
    try:
        ana = store.principal("ana")
    finally:
        store.close()
    dossier = collect_case(rw.ws, ana, rw.fti_case)
    assert dossier.employer_findings == ()
    (withheld,) = [w for w in dossier.withheld if "employer findings" in w.part]
    assert "ana is not named in its legal basis" in withheld.reason
    assert "fti" not in dossier.labels
    result = export_case(rw.ws, ana, rw.fti_case, "pdf", tmp_path / "r.pdf")
    assert result.counts["employer_findings"] == 0
    assert [w["part"] for w in result.withheld] == [withheld.part]
    store = CaseStore.open(rw.ws)
    try:
        reads = [e for e in store.case_audit(rw.who, rw.fti_case) if e["actor"] == "ana"]
    finally:
        store.close()
    assert any(e["outcome"] == "denied" and e["object_type"] == "employer_flag" for e in reads)
    store = CaseStore.open(rw.ws)
    try:
        assert store.verify_audit().ok  # every export and refusal kept the chain whole
    finally:
        store.close()
