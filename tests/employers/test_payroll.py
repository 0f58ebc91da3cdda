"""The checks on W-2s and 941s: each code on small files, with its boundaries."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from moneytrail.employers import run_checks
from moneytrail.employers._run import EmployerReport
from moneytrail.ingest import ingest_file
from moneytrail.warehouse import Warehouse
from tests.employers.files import W2, Employer, load, worker, write_941


def flags(wh: Warehouse, *codes: str) -> dict[str, dict[str, tuple[int, list[str], str]]]:
    """Employer name -> code -> (count, evidence, reason), for employers that raised any."""
    reports: list[EmployerReport] = run_checks(wh.con, codes=list(codes) or None)
    return {
        str(r.name): {f.code: (f.count, list(f.evidence), f.reason) for f in r.flags}
        for r in reports
        if r.flags
    }


def honest(n0: int = 0, n: int = 6, name: str = "HONEST CO", ein: str = "111111111") -> Employer:
    return Employer(ein, name, [worker(n0 + k) for k in range(n)])


def test_honest_employers_raise_nothing(tmp_path: Path, warehouse: Warehouse) -> None:
    load(warehouse, tmp_path, [honest(), honest(10, 8, "OTHER CO", "222222222")])
    assert flags(warehouse) == {}


def test_ssn_invalid_counts_never_issued_numbers(tmp_path: Path, warehouse: Warehouse) -> None:
    bad = [
        W2("666120001", "A", "ONE", "1 A ST", 3_000_000),
        W2("401000001", "B", "TWO", "2 A ST", 3_000_000),
        W2("000000000", "C", "THREE", "3 A ST", 3_000_000),
        W2("987654321", "D", "FOUR", "4 A ST", 3_000_000),
    ]
    load(warehouse, tmp_path, [Employer("111111111", "BAD IDS", [worker(1), *bad])])
    count, evidence, reason = flags(warehouse, "SSN_INVALID")["BAD IDS"]["SSN_INVALID"]
    assert count == 4
    assert evidence == ["w2:1:4", "w2:1:5", "w2:1:6", "w2:1:7"]
    for note in ("area 666", "group 00", "all zeros", "advertising"):
        assert note in reason
    assert "666120001" not in reason


def test_itin_as_ssn_and_not_ssn_invalid(tmp_path: Path, warehouse: Warehouse) -> None:
    itins = [W2("912701234", "A", "ONE", "1 A ST", 3_000_000), W2("950651234", "B", "T", "2 A", 1)]
    load(warehouse, tmp_path, [Employer("111111111", "ITINS", [worker(1), *itins])])
    raised = flags(warehouse)["ITINS"]
    assert set(raised) == {"ITIN_AS_SSN"}
    count, evidence, reason = raised["ITIN_AS_SSN"]
    assert (count, evidence) == (2, ["w2:1:4", "w2:1:5"])
    assert "***-**-1234" in reason
    assert "912701234" not in reason


def test_ssn_shared_within_and_across_employers(tmp_path: Path, warehouse: Warehouse) -> None:
    one = "401120001"
    shared_here = Employer(
        "111111111",
        "SHARES",
        [W2(one, "ANA", "A", "1 X ST", 3_000_000), W2(one, "BEN", "B", "2 X ST", 3_000_000)],
    )
    # the same person (same name) at two employers: a second job, not a shared SSN
    two_jobs = [
        Employer("222222222", "JOB ONE", [W2("402120002", "CAL", "C", "3 X ST", 3_000_000)]),
        Employer("333333333", "JOB TWO", [W2("402120002", "CAL", "C", "3 X ST", 3_000_000)]),
    ]
    # one SSN on different names at two employers: both employers raise it
    across = [
        Employer("444444444", "ACROSS ONE", [W2("403120003", "DEE", "D", "4 X ST", 3_000_000)]),
        Employer("555555555", "ACROSS TWO", [W2("403120003", "EVE", "E", "5 X ST", 3_000_000)]),
    ]
    zeros = Employer(
        "666666666",
        "NO SSNS",
        [W2("000000000", f"W{k}", "Z", f"{k} Y ST", 3_000_000) for k in range(3)],
    )
    load(warehouse, tmp_path, [shared_here, *two_jobs, *across, zeros])
    raised = flags(warehouse, "SSN_SHARED")
    assert set(raised) == {"SHARES", "ACROSS ONE", "ACROSS TWO"}
    count, evidence, reason = raised["SHARES"]["SSN_SHARED"]
    assert (count, evidence) == (2, ["w2:1:3", "w2:1:4"])
    assert "***-**-0001 for 2 workers of different names" in reason
    assert "1 here, the rest at 1 other employer" in raised["ACROSS ONE"]["SSN_SHARED"][2]


def test_wage_below_minimum_boundaries(tmp_path: Path, warehouse: Warehouse) -> None:
    line = 1_508_000  # 7.25 x 2080 in cents
    low = Employer(
        "111111111",
        "LOW PAY",
        [worker(1, line - 1), worker(2, 900_000), worker(3, 700_000), worker(4, 3_000_000)],
    )
    at_line = Employer(
        "222222222", "AT LINE", [worker(11, line), worker(12, line), worker(13, line)]
    )
    half = Employer(
        "333333333",
        "HALF LOW",
        [worker(21, 100_000), worker(22, 100_000), worker(23, line), worker(24, line)],
    )
    small = Employer("444444444", "TWO WORKERS", [worker(31, 100_000), worker(32, 100_000)])
    load(warehouse, tmp_path, [low, at_line, half, small])
    raised = flags(warehouse, "WAGE_BELOW_MINIMUM")
    assert set(raised) == {"LOW PAY"}
    count, evidence, reason = raised["LOW PAY"]["WAGE_BELOW_MINIMUM"]
    assert (count, evidence) == (3, ["w2:1:3", "w2:1:4", "w2:1:5"])
    assert reason.startswith("3 of 4 W-2s for 2024 report less than $15,080.00")
    assert "median of those $9,000.00" in reason


def test_wage_line_follows_the_quarters_a_941_reports(
    tmp_path: Path, warehouse: Warehouse, workspace_factory: Callable[[], Warehouse]
) -> None:
    # paid in two quarters only: the line is 7.25 x 1040 = $7,540
    seasonal = Employer(
        "111111111",
        "HARVEST CO",
        [worker(1, 800_000), worker(2, 800_000), worker(3, 700_000)],
        quarters=[0, 1_150_000, 1_150_000, 0],
    )
    load(warehouse, tmp_path, [seasonal])
    assert "WAGE_BELOW_MINIMUM" not in flags(warehouse).get("HARVEST CO", {})
    seasonal.w2s.append(worker(4, 300_000))
    seasonal.w2s.append(worker(5, 300_000))
    seasonal.quarters = [0, 1_450_000, 1_450_000, 0]
    other = workspace_factory()
    load(other, tmp_path, [seasonal])
    _, _, reason = flags(other, "WAGE_BELOW_MINIMUM")["HARVEST CO"]["WAGE_BELOW_MINIMUM"]
    other.close()
    assert "less than $7,540.00" in reason
    assert "2 of 4 quarters, so 1040 hours" in reason


def test_shared_address_needs_five_workers(tmp_path: Path, warehouse: Warehouse) -> None:
    bunk = Employer("111111111", "BUNKHOUSE", [worker(k, street="9 ORCHARD RD") for k in range(5)])
    four = Employer(
        "222222222", "FOUR AT ONE", [worker(10 + k, street="8 ELM ST") for k in range(4)]
    )
    homes = Employer(
        "333333333",
        "HOUSEHOLDS",
        [worker(20 + k, street=f"{k // 2} PINE ST") for k in range(8)],  # pairs
    )
    load(warehouse, tmp_path, [bunk, four, homes])
    raised = flags(warehouse, "SHARED_ADDRESS")
    assert set(raised) == {"BUNKHOUSE"}
    count, evidence, reason = raised["BUNKHOUSE"]["SHARED_ADDRESS"]
    assert (count, len(evidence)) == (5, 5)
    assert "ORCHARD" not in reason.upper()
    assert reason.startswith("5 workers' W-2s for 2024 give one address")


def test_w2_941_mismatch(tmp_path: Path, warehouse: Warehouse) -> None:
    matched = honest()
    under = Employer("222222222", "UNDER REPORTS", [worker(10), worker(11)], quarters=[1] * 4)
    missing_q = Employer("333333333", "THREE QUARTERS", [worker(20)], quarters=[750_000] * 3)
    no_941 = Employer("444444444", "NO 941", [worker(30)])
    farm = Employer("555555555", "FARM 943", [worker(40)], code="A")
    only_941 = Employer("666666666", "ONLY 941", [worker(50)])
    load(warehouse, tmp_path, [matched, under, missing_q, no_941, farm], with_941=False)
    ingest_file(
        warehouse,
        write_941(tmp_path / "f941.csv", [matched, under, missing_q, only_941]),
        "form941",
    )
    raised = flags(warehouse, "W2_941_MISMATCH")
    assert set(raised) == {"UNDER REPORTS", "THREE QUARTERS", "NO 941", "ONLY 941"}
    count, evidence, reason = raised["UNDER REPORTS"]["W2_941_MISMATCH"]
    assert count == 3  # lines 2, 5a and 5c (no tax was withheld on either side)
    assert evidence[0].startswith("w2:1:") and len(evidence) == 5
    assert "W-2 box 1 wages $60,000.00 vs 941 line 2 $0.04 ($59,999.96 less on the 941s)" in reason
    assert "no Form 941 for quarter Q4" in raised["THREE QUARTERS"]["W2_941_MISMATCH"][2]
    assert "no Form 941 was filed" in raised["NO 941"]["W2_941_MISMATCH"][2]
    assert "no W-2s were filed" in raised["ONLY 941"]["W2_941_MISMATCH"][2]


def test_w2_941_mismatch_needs_both_sides_loaded(tmp_path: Path, warehouse: Warehouse) -> None:
    load(warehouse, tmp_path, [honest()], with_941=False)
    assert flags(warehouse, "W2_941_MISMATCH") == {}


def test_tolerance_parameter(tmp_path: Path, warehouse: Warehouse) -> None:
    e = Employer("111111111", "ROUNDING", [worker(1)], quarters=[750_000] * 3 + [749_850])
    load(warehouse, tmp_path, [e])
    assert flags(warehouse, "W2_941_MISMATCH") != {}
    reports = run_checks(
        warehouse.con,
        codes=["W2_941_MISMATCH"],
        overrides={"W2_941_MISMATCH.tolerance_cents": "150"},
    )
    assert all(not r.flags for r in reports)
