"""The EFW2 wage file and Form 941 lines of a synthetic world, read back by an independent parser."""

from __future__ import annotations

import csv
import re
from collections import defaultdict
from decimal import Decimal
from pathlib import Path

import pytest

from moneytrail.synth._generate import World, build_world
from moneytrail.synth._write_efw2 import write

# money fields (1-based inclusive positions) of the RW record, boxes 1-7
RW_MONEY = [(188, 198), (199, 209), (210, 220), (221, 231), (232, 242), (243, 253), (254, 264)]
# the same totals in the RT record
RT_MONEY = [(10, 24), (25, 39), (40, 54), (55, 69), (70, 84), (85, 99), (100, 114)]


def field(record: bytes, start: int, end: int) -> str:
    return record[start - 1 : end].decode("ascii")


def parse_records(data: bytes) -> list[bytes]:
    assert data.endswith(b"\r\n")
    records = data.split(b"\r\n")[:-1]
    for r in records:
        assert len(r) == 512, (len(r), r[:2])
        assert b"\r" not in r
        assert b"\n" not in r
    return records


@pytest.fixture(scope="module")
def world() -> World:
    return build_world(5, 20_000)


@pytest.fixture(scope="module")
def written(world: World, tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("efw2")
    files = write(world, out)
    assert files == [out / "payroll" / "w2.efw2", out / "payroll" / "form941.csv"]
    return out


@pytest.fixture(scope="module")
def records(written: Path) -> list[bytes]:
    return parse_records((written / "payroll" / "w2.efw2").read_bytes())


def test_every_record_is_512_bytes_and_crlf_terminated(written: Path) -> None:
    data = (written / "payroll" / "w2.efw2").read_bytes()
    assert len(data) % 514 == 0
    records = parse_records(data)
    assert len(records) == len(data) // 514
    for r in records:
        assert r.decode("ascii") == r.decode("ascii").upper()


def test_record_order(records: list[bytes]) -> None:
    kinds = "".join(
        {"RA": "A", "RE": "E", "RW": "W", "RT": "T", "RF": "F"}[field(r, 1, 2)] for r in records
    )
    assert re.fullmatch(r"A(EW+T)+F", kinds), kinds[:80]


def test_totals(records: list[bytes], world: World) -> None:
    sums = [0] * 7
    count = 0
    total_rw = 0
    for r in records:
        kind = field(r, 1, 2)
        if kind == "RE":
            sums, count = [0] * 7, 0
            assert field(r, 3, 6) == "2024"
            assert field(r, 8, 16).isdigit()
        elif kind == "RW":
            count += 1
            total_rw += 1
            values = [field(r, s, e) for s, e in RW_MONEY]
            assert all(v.isdigit() and len(v) == 11 for v in values)
            sums = [a + int(v) for a, v in zip(sums, values, strict=True)]
        elif kind == "RT":
            assert int(field(r, 3, 9)) == count
            assert [int(field(r, s, e)) for s, e in RT_MONEY] == sums
        elif kind == "RF":
            assert field(r, 3, 7) == " " * 5
            assert int(field(r, 8, 16)) == total_rw
            assert field(r, 17, 512).strip() == ""
    assert total_rw == len(world.filings.w2)


def test_rw_matches_filings(records: list[bytes], world: World) -> None:
    """Employers by party index, workers by party index, SSNs and wages as filed."""
    parties = world.population.parties
    expected = sorted(world.filings.w2, key=lambda f: (f.employer, f.worker))
    employers = sorted({f.employer for f in expected})
    rw = [r for r in records if field(r, 1, 2) == "RW"]
    re_ = [r for r in records if field(r, 1, 2) == "RE"]
    assert [field(r, 8, 16) for r in re_] == [parties.tax_id[e].replace("-", "") for e in employers]
    assert len(rw) == len(expected)
    for r, f in zip(rw, expected, strict=True):
        ssn = field(r, 3, 11)
        assert ssn.isdigit() and len(ssn) == 9
        assert ssn == f.ssn.replace("-", "")
        assert field(r, 42, 61).strip() == parties.last[f.worker].upper()
        assert int(field(r, 188, 198)) == f.wages_cents
        assert int(field(r, 199, 209)) == f.withheld_cents
        assert int(field(r, 232, 242)) == f.wages_cents


def test_planted_ssns_appear(records: list[bytes], world: World) -> None:
    planted = {flag["employer_party"] for flag in world.truth.employer_flags}
    assert planted
    ssns = [f.ssn.replace("-", "") for f in world.filings.w2 if f.employer in planted]
    in_file = [field(r, 3, 11) for r in records if field(r, 1, 2) == "RW"]
    shared = [s for s in set(ssns) if ssns.count(s) > 1]
    assert shared
    for s in shared:
        assert in_file.count(s) >= ssns.count(s)
    assert any(s.startswith("9") and s[3] in "78" for s in in_file)


def test_form941(written: Path, world: World) -> None:
    with (written / "payroll" / "form941.csv").open(newline="", encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    assert list(rows[0]) == [
        "ein",
        "employer_name",
        "year",
        "quarter",
        "line1_employees",
        "line2_wages_tips_compensation",
        "line3_federal_income_tax_withheld",
        "line5a_taxable_ss_wages",
        "line5c_taxable_medicare_wages",
    ]
    assert len(rows) == 4 * len(world.filings.form941)
    parties = world.population.parties
    by_ein: dict[str, list[dict[str, str]]] = defaultdict(list)
    for row in rows:
        by_ein[row["ein"]].append(row)
    w2_wages: dict[int, int] = defaultdict(int)
    w2_withheld: dict[int, int] = defaultdict(int)
    workers: dict[int, int] = defaultdict(int)
    for f in world.filings.w2:
        w2_wages[f.employer] += f.wages_cents
        w2_withheld[f.employer] += f.withheld_cents
        workers[f.employer] += 1
    planted = {flag["employer_party"] for flag in world.truth.employer_flags}
    honest_seen = 0

    def cents(rows: list[dict[str, str]], column: str) -> int:
        return sum(int(Decimal(r[column]) * 100) for r in rows)

    for employer in world.filings.form941:
        quarters = by_ein[parties.tax_id[employer]]
        assert [r["quarter"] for r in quarters] == ["1", "2", "3", "4"]
        assert {r["year"] for r in quarters} == {"2024"}
        assert {int(r["line1_employees"]) for r in quarters} == {workers[employer]}
        for r in quarters:
            for column in list(r)[5:]:
                assert r[column].count(".") == 1 and len(r[column].split(".")[1]) == 2
        line2 = cents(quarters, "line2_wages_tips_compensation")
        assert line2 == sum(world.filings.form941[employer])
        if employer in planted:
            assert line2 < w2_wages[employer]
        else:
            honest_seen += 1
            assert line2 == w2_wages[employer]
            assert cents(quarters, "line3_federal_income_tax_withheld") == w2_withheld[employer]
            assert cents(quarters, "line5c_taxable_medicare_wages") == w2_wages[employer]
            assert cents(quarters, "line5a_taxable_ss_wages") <= w2_wages[employer]
    assert honest_seen > 0


def test_deterministic(world: World, written: Path, tmp_path: Path) -> None:
    again = build_world(5, 20_000)
    write(again, tmp_path)
    for name in ("w2.efw2", "form941.csv"):
        assert (tmp_path / "payroll" / name).read_bytes() == (
            written / "payroll" / name
        ).read_bytes()
