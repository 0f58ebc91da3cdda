"""The runner, the score, stored flags, parameters and the `moneytrail employers` command."""

from __future__ import annotations

import json
from datetime import date, timedelta
from pathlib import Path

import pytest
from typer.testing import CliRunner

from moneytrail.access import Label, LegalBasis, Role
from moneytrail.cases import CaseStore
from moneytrail.cli import app
from moneytrail.employers import CHECKS, run_checks, store_flags
from moneytrail.employers._defs import BY_CODE
from moneytrail.employers._run import DETECTORS
from moneytrail.errors import EmployerCheckError
from moneytrail.ingest import ingest_file
from moneytrail.warehouse import Warehouse
from moneytrail.workspace import Workspace
from tests.employers.files import W2, Employer, load, worker
from tests.ingest.efw2_build import DATA as EFW2_DATA

F941 = Path(__file__).parent.parent / "ingest" / "data" / "form941" / "valid_2024.csv"


def invoke(*args: str, env: dict[str, str] | None = None) -> tuple[int, str, str]:
    result = CliRunner().invoke(app, list(args), env=env)
    return result.exit_code, result.stdout, result.stderr


PASSWORD = "correct horse battery staple"


def fti_reader(ws: str) -> tuple[list[str], dict[str, str]]:
    """`--as` and `--case` of a supervisor named in an FTI order on a case, and the env."""
    store = CaseStore.open(Workspace(Path(ws)))
    try:
        store.add_agency(None, "IRS-CI", "ci@irs.example")
        store.add_user(None, "root", "IRS-CI", Role.ADMIN, PASSWORD)
        store.add_user(store.principal("root"), "sam", "IRS-CI", Role.SUPERVISOR, PASSWORD)
        sam = store.principal("sam")
        cid = int(store.create_case(sam, "payroll review")["id"])
        store.record_legal_basis(
            sam,
            cid,
            LegalBasis(
                kind="IRC 6103(i)(1) ex parte order",
                reference="24-MJ-1",
                scope="Acme payroll",
                labels=frozenset({Label.FTI}),
                persons=frozenset({"sam"}),
                agencies=frozenset(),
                expires=date.today() + timedelta(days=30),
            ),
        )
    finally:
        store.close()
    return ["--as", "sam", "--case", str(cid)], {"MONEYTRAIL_PASSWORD": PASSWORD}


def test_every_check_is_defined_and_implemented() -> None:
    codes = [c.code for c in CHECKS]
    assert codes == list(DETECTORS)
    assert set(codes) == {
        "SSN_INVALID", "SSN_SHARED", "ITIN_AS_SSN", "WAGE_BELOW_MINIMUM", "SHARED_ADDRESS",
        "W2_941_MISMATCH", "CASH_PAYROLL", "WAGE_SWEEP",
    }  # fmt: skip
    for c in CHECKS:
        assert c.detects and c.source and c.name
        assert 0 < c.weight < 1
        assert c.severity in ("low", "medium", "high")
        assert len({p.name for p in c.parameters}) == len(c.parameters)


def test_score_combines_distinct_checks(tmp_path: Path, warehouse: Warehouse) -> None:
    bunk = [worker(k, 700_000, street="1 BUNK RD") for k in range(5)]
    bunk.append(W2("912701234", "I", "T", "1 BUNK RD", 700_000))
    load(warehouse, tmp_path, [Employer("111111111", "BAD CO", bunk)])
    (report,) = run_checks(warehouse.con)
    codes = {f.code for f in report.flags}
    assert codes == {"WAGE_BELOW_MINIMUM", "SHARED_ADDRESS", "ITIN_AS_SSN"}
    expected = 1 - (1 - 0.5) * (1 - 0.35) * (1 - 0.25)
    assert report.score == round(expected, 3)
    assert report.flags[0].code == "WAGE_BELOW_MINIMUM"  # heaviest first
    assert report.fti
    assert report.as_json()["employer"] == "**-***1111"


def test_store_flags_replaces_the_last_run(tmp_path: Path, warehouse: Warehouse) -> None:
    load(
        warehouse, tmp_path, [Employer("111111111", "ITIN CO", [W2("912701234", "A", "B", "C", 1)])]
    )
    reports = run_checks(warehouse.con)
    assert store_flags(warehouse.con, reports) == 1
    assert store_flags(warehouse.con, reports) == 1
    assert warehouse.scalar("SELECT count(*) FROM employer_flags") == 1
    row = warehouse.con.execute(
        "SELECT employer, code, severity, count, evidence, fti FROM employer_flags"
    ).fetchall()
    assert row == [("**-***1111", "ITIN_AS_SSN", "medium", 1, ["w2:1:3"], True)]


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"NOPE.x": "1"}, "unknown check 'NOPE'"),
        ({"SSN_SHARED.nope": "1"}, "has no parameter 'nope'"),
        ({"SSN_SHARED.min_workers": "two"}, "must be a whole number"),
        ({"WAGE_BELOW_MINIMUM.hourly_minimum": "x"}, "must be a decimal number"),
        ({"SSN_SHARED.min_workers": "-1"}, "must not be negative"),
    ],
)
def test_bad_parameters_are_refused(
    warehouse: Warehouse, overrides: dict[str, str], message: str
) -> None:
    with pytest.raises(EmployerCheckError, match=message):
        run_checks(warehouse.con, overrides=overrides)


def test_unknown_check_code_is_refused(warehouse: Warehouse) -> None:
    with pytest.raises(EmployerCheckError, match="unknown check FOO"):
        run_checks(warehouse.con, codes=["FOO"])


def test_hourly_minimum_is_a_parameter(tmp_path: Path, warehouse: Warehouse) -> None:
    load(
        warehouse, tmp_path, [Employer("111111111", "CO", [worker(k, 2_000_000) for k in range(3)])]
    )
    assert all(not r.flags for r in run_checks(warehouse.con))
    reports = run_checks(warehouse.con, overrides={"WAGE_BELOW_MINIMUM.hourly_minimum": "15.00"})
    assert [f.code for r in reports for f in r.flags] == ["WAGE_BELOW_MINIMUM"]
    assert BY_CODE["WAGE_BELOW_MINIMUM"].defaults()["hourly_minimum"] == 7.25


def test_cli_json_straight_after_ingest(tmp_path: Path) -> None:
    ws = str(tmp_path / "ws")
    code, _, _ = invoke("-w", ws, "ingest", str(EFW2_DATA / "valid_2024.efw2"), str(F941))
    assert code == 0
    # Nobody signed in: W-2/941-derived employers are withheld, with how to see them.
    code, out, err = invoke("employers", "--json", "--workspace", ws)
    assert code == 0
    (notice,) = json.loads(out)
    assert set(notice) == {"withheld", "labels", "rows"} and notice["labels"] == ["fti"]
    assert "moneytrail login" in notice["withheld"] and "Acme" not in out
    user, env = fti_reader(ws)
    code, out, err = invoke("employers", "--json", "--workspace", ws, *user, env=env)
    assert code == 0, err
    doc = json.loads(out)
    assert [(e["employer"], e["name"]) for e in doc] == [("**-***6789", "Acme Builders LLC")]
    (acme,) = doc
    assert {f["code"]: (f["count"], f["evidence"]) for f in acme["flags"]} == {
        "SSN_INVALID": (1, ["w2:1:5"]),
        "ITIN_AS_SSN": (1, ["w2:1:6"]),
        "WAGE_BELOW_MINIMUM": (2, ["w2:1:5", "w2:1:6"]),  # $12,000.00 and $10,000.55
    }
    assert set(acme) == {"employer", "name", "score", "labels", "flags"}
    assert acme["labels"] == ["fti"] and all(f["labels"] == ["fti"] for f in acme["flags"])
    assert acme["score"] == round(1 - 0.7 * 0.75 * 0.5, 3)
    for secret in ("666123456", "912701234", "JANE", "ROE", "MAJOR", "123456789"):
        assert secret not in out
    code, out, _ = invoke("employers", "--json", "--all", "-w", ws, *user, env=env)
    assert [e["employer"] for e in json.loads(out)] == ["**-***6789", "**-***4321"]


def test_cli_human_output_and_checks(tmp_path: Path) -> None:
    ws = str(tmp_path / "ws")
    invoke("-w", ws, "ingest", str(EFW2_DATA / "valid_2024.efw2"))
    code, out, err = invoke("-w", ws, "employers")
    assert code == 0
    assert "ITIN_AS_SSN" not in out and "withheld" in err
    user, env = fti_reader(ws)
    code, out, _ = invoke("-w", ws, "employers", *user, env=env)
    assert code == 0
    assert "ITIN_AS_SSN" in out
    code, out, _ = invoke("employers", "--checks", "--json")
    assert [c["code"] for c in json.loads(out)] == [c.code for c in CHECKS]
    code, _, err = invoke("-w", ws, "employers", "--param", "SSN_SHARED.min_workers")
    assert code == 1
    assert "CODE.NAME=VALUE" in err
    code, _, err = invoke("-w", ws, "employers", "-p", "SSN_SHARED.min_workers=x")
    assert code == 1
    assert "must be a whole number" in err


def test_employers_of_an_empty_workspace(tmp_path: Path) -> None:
    code, out, _ = invoke("-w", str(tmp_path / "ws"), "employers", "--json")
    assert (code, json.loads(out)) == (0, [])
    assert not (tmp_path / "ws").exists()
    code, _, err = invoke("-w", str(tmp_path / "ws"), "employers", "-c", "NOPE")
    assert code == 1
    assert "unknown check NOPE" in err


def test_941_only_employers_are_known(tmp_path: Path, warehouse: Warehouse) -> None:
    ingest_file(warehouse, F941)
    (report,) = run_checks(warehouse.con)
    assert (report.employer, report.name, report.flags) == ("**-***6789", "Acme Builders LLC", [])
