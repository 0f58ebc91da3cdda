"""The EFW2 reader: golden files with known totals, corrupted files, SSN/ITIN rules."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from moneytrail.errors import FileFormatError
from moneytrail.ingest import detect_format, ingest_file
from moneytrail.ingest._efw2_tin import ITIN_GROUPS, classify
from moneytrail.warehouse import Warehouse
from tests.ingest import efw2_build as build

DATA = build.DATA
VALID = DATA / "valid_2024.efw2"


def rows(wh: Warehouse, sql: str) -> list[tuple[Any, ...]]:
    return [tuple(r) for r in wh.con.execute(sql).fetchall()]


def stored_text(wh: Warehouse) -> str:
    """Every value of every payroll table, as text."""
    return repr(
        [rows(wh, f"SELECT * FROM {t}") for t in ("w2_employers", "w2_wages", "quarantine")]
    )


def test_golden_files_are_what_the_builder_writes() -> None:
    for name, data in build.golden().items():
        assert (DATA / name).read_bytes() == data, name


def test_valid_file_loads_with_known_totals(warehouse: Warehouse) -> None:
    report = ingest_file(warehouse, VALID)
    assert (report.format, report.rows_read, report.rows_accepted) == ("efw2", 6, 6)
    assert report.rows_quarantined == 0
    total = warehouse.scalar("SELECT sum(wages) FROM w2_wages")
    assert total == Decimal(build.WAGES_TOTAL_CENTS).scaleb(-2) == Decimal("107000.55")
    assert rows(
        warehouse,
        "SELECT source_row, employer_row, tin_kind, tin_note, tin_masked, wages, "
        "federal_tax_withheld, ss_tax_withheld, medicare_tax_withheld, ss_tips "
        "FROM w2_wages ORDER BY source_row",
    ) == [
        (3, 2, "ssn", None, "***-**-3456", Decimal("30000.00"), Decimal("3000.00"),
         Decimal("1860.00"), Decimal("435.00"), Decimal("0.00")),
        (5, 2, "invalid", "area 666 is never issued", "***-**-3456", Decimal("12000.00"),
         Decimal("0.00"), Decimal("744.00"), Decimal("174.00"), Decimal("0.00")),
        (6, 2, "itin", None, "***-**-1234", Decimal("10000.55"), Decimal("100.00"),
         Decimal("620.03"), Decimal("145.01"), Decimal("25.00")),
        (10, 9, "ssn", None, "***-**-4567", Decimal("55000.00"), Decimal("8000.00"),
         Decimal("3410.00"), Decimal("797.50"), Decimal("0.00")),
    ]  # fmt: skip
    assert rows(
        warehouse,
        "SELECT source_row, tax_year, ein_masked, name, employment_code, kind_of_employer, "
        "w2_count FROM w2_employers ORDER BY source_row",
    ) == [
        (2, 2024, "**-***6789", "ACME BUILDERS LLC", "R", "N", 3),
        (9, 2024, "**-***4321", "BETA CLEANING INC", "F", "N", 1),
    ]
    labels = rows(
        warehouse,
        "SELECT DISTINCT data_label FROM w2_wages UNION SELECT DISTINCT data_label FROM w2_employers",
    )
    assert labels == [("FTI",)]


def test_no_raw_identifier_or_worker_name_is_stored_in_clear(warehouse: Warehouse) -> None:
    ingest_file(warehouse, VALID)
    text = stored_text(warehouse)
    for secret in ("400123456", "666123456", "912701234", "123456789", "JANE", "DOE", "ELM"):
        assert secret not in text
    token = warehouse.scalar("SELECT tin_token FROM w2_wages WHERE source_row = 3")
    assert warehouse.vault.read(warehouse.con, token)[1] == "400123456"


def test_same_worker_name_and_address_give_the_same_tokens(warehouse: Warehouse) -> None:
    ingest_file(warehouse, VALID)
    assert warehouse.scalar("SELECT count(DISTINCT worker_token) FROM w2_wages") == 4
    assert warehouse.scalar("SELECT count(DISTINCT address_token) FROM w2_wages") == 4
    ein = warehouse.scalar("SELECT ein_token FROM w2_employers WHERE source_row = 2")
    assert ein == warehouse.tokeniser.token("ein", "12-3456789")
    tax = warehouse.scalar("SELECT tax_token FROM w2_employers WHERE source_row = 2")
    assert tax == warehouse.tokeniser.token("tax", "12-3456789")  # as FtM taxNumber


@pytest.mark.parametrize("name", ["valid_2024_lf.efw2", "valid_2024_unbroken.efw2"])
def test_lf_and_unbroken_files_read_the_same(
    warehouse: Warehouse, workspace_factory: Callable[[], Warehouse], name: str
) -> None:
    ingest_file(warehouse, VALID)
    # The LF copy of the CRLF file is the same content: recognised as already loaded.
    # (Another workspace has another token key, so only positions and wages compare.)
    again = ingest_file(warehouse, DATA / name)
    assert again.already_loaded == (name == "valid_2024_lf.efw2")
    with workspace_factory() as other:
        report = ingest_file(other, DATA / name)
        assert (report.rows_read, report.rows_quarantined) == (6, 0)
        sql = "SELECT list((source_row, wages) ORDER BY source_row) FROM w2_wages"
        assert rows(warehouse, sql + " WHERE source_id = 1") == rows(other, sql)


@pytest.mark.parametrize(
    ("name", "row", "field", "message"),
    [
        ("wrong_length.efw2", 3, None, "record is 511 bytes long"),
        (
            "rt_total_mismatch.efw2",
            7,
            "RT 10-24 (box 1 wages, tips, other compensation total)",
            "RT total $52,000.56 differs from the sum of the employer's RW records, $52,000.55",
        ),
        ("rf_count_mismatch.efw2", 14, "RF 8-16 (number of RW records)", "RF says 5 RW records"),
        ("out_of_order.efw2", 7, None, "RU record out of order: after RW comes"),
        ("missing_ru.efw2", 8, None, "an RU record must come first"),
    ],
)
def test_corrupted_files_are_refused_naming_the_record(
    warehouse: Warehouse, name: str, row: int, field: str | None, message: str
) -> None:
    with pytest.raises(FileFormatError) as info:
        ingest_file(warehouse, DATA / name)
    assert info.value.row == row
    assert info.value.field == field
    assert message in info.value.detail
    for table in ("w2_wages", "w2_employers", "sources", "vault", "quarantine"):
        assert warehouse.scalar(f"SELECT count(*) FROM {table}") == 0, table


def _write(tmp_path: Path, data: bytes) -> Path:
    path = tmp_path / "w2.efw2"
    path.write_bytes(data)
    return path


def _rt_total_change(records: list[bytes], index: int, start: int, cents: int) -> list[bytes]:
    """The valid file with one RT money field changed by `cents`."""
    changed = list(records)
    rt = bytearray(changed[index])
    value = int(rt[start - 1 : start + 14]) + cents
    rt[start - 1 : start + 14] = str(value).zfill(15).encode()
    changed[index] = bytes(rt)
    return changed


def test_every_rt_total_is_checked(tmp_path: Path, warehouse: Warehouse) -> None:
    for k, start in enumerate(build.RT_BOXES):
        path = _write(tmp_path, build.join(_rt_total_change(build.valid_records(), 6, start, 1)))
        with pytest.raises(FileFormatError) as info:
            ingest_file(warehouse, path)
        assert info.value.row == 7
        assert info.value.field is not None
        assert info.value.field.startswith(f"RT {start}-{start + 14}"), k


@pytest.mark.parametrize(
    ("mutate", "row", "message"),
    [
        (lambda r: r[:-1], 13, "ends without an RF record (last record is RV)"),
        (lambda r: [*r, build.rf(4)], 15, "RF record out of order"),
        (lambda r: [r[1], *r], 1, "RE record out of order: as the first record comes RA"),
        (lambda r: [*r[:2], b"RX" + r[2][2:], *r[3:]], 3, "record identifier 'RX'"),
        (lambda r: [*r[:2], r[2][:100] + b"\xe9" + r[2][101:], *r[3:]], 3, "byte 101 is not ASCII"),
        (lambda r: [*r[:1], r[1][:7] + b"12345678X" + r[1][16:], *r[2:]], 2, "not a 9-digit EIN"),
        (lambda r: [*r[:1], r[1][:2] + b"20XX" + r[1][6:], *r[2:]], 2, "is not a tax year"),
    ],
)
def test_malformed_records_are_refused(
    tmp_path: Path, warehouse: Warehouse, mutate: Any, row: int, message: str
) -> None:
    path = _write(tmp_path, build.join(mutate(build.valid_records())))
    with pytest.raises(FileFormatError) as info:
        ingest_file(warehouse, path, "efw2")
    assert info.value.row == row
    assert message in info.value.detail
    assert warehouse.scalar("SELECT count(*) FROM w2_wages") == 0


def test_empty_and_blank_files_are_refused(tmp_path: Path, warehouse: Warehouse) -> None:
    for data in (b"RA" + b" " * 510, b"\r\n" * 3):
        with pytest.raises(FileFormatError):
            ingest_file(warehouse, _write(tmp_path, data), "efw2")


def test_blank_lines_only_at_the_end(tmp_path: Path, warehouse: Warehouse) -> None:
    good = build.valid_records()
    report = ingest_file(warehouse, _write(tmp_path, build.join(good) + b"\r\n\r\n"))
    assert report.rows_read == 6
    with pytest.raises(FileFormatError, match="blank line comes before"):
        ingest_file(warehouse, _write(tmp_path, build.join([*good[:3], b" " * 512, *good[3:]])))


def test_a_line_break_inside_an_unbroken_file_is_refused(
    tmp_path: Path, warehouse: Warehouse
) -> None:
    good = build.valid_records()
    broken = (
        build.join(good[:2], b"") + good[2][:50] + b"\n" + good[2][51:] + build.join(good[3:], b"")
    )
    with pytest.raises(FileFormatError, match="line break inside") as info:
        ingest_file(warehouse, _write(tmp_path, broken))
    assert info.value.row == 3


def test_an_rw_with_a_non_digit_ssn_is_quarantined_and_still_totalled(
    tmp_path: Path, warehouse: Warehouse
) -> None:
    records = build.valid_records()
    records[2] = records[2][:2] + b"4001234AB" + records[2][11:]
    report = ingest_file(warehouse, _write(tmp_path, build.join(records)))
    assert (report.rows_read, report.rows_accepted, report.rows_quarantined) == (6, 5, 1)
    assert rows(warehouse, "SELECT source_row, field, original FROM quarantine") == [
        (3, "RW 3-11 (social security number)", "***-**-1234")
    ]
    assert warehouse.scalar("SELECT count(*) FROM w2_wages") == 3


def test_reloading_the_same_file_adds_nothing(warehouse: Warehouse) -> None:
    ingest_file(warehouse, VALID)
    again = ingest_file(warehouse, VALID)
    assert again.already_loaded
    assert warehouse.scalar("SELECT count(*) FROM w2_wages") == 4


def test_detect_format_knows_efw2(tmp_path: Path) -> None:
    for name in ("valid_2024.efw2", "valid_2024_lf.efw2", "valid_2024_unbroken.efw2"):
        path = DATA / name
        assert detect_format(path, path.read_bytes()[: 64 << 10]) == "efw2"


# -- SSN / ITIN rules -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("number", "kind"),
    [
        ("000000000", "missing"),
        ("000120001", "invalid"),  # area 000
        ("001010001", "ssn"),
        ("665121234", "ssn"),
        ("666121234", "invalid"),
        ("667121234", "ssn"),
        ("899991234", "ssn"),
        ("123001234", "invalid"),  # group 00
        ("123010000", "invalid"),  # serial 0000
        ("123010001", "ssn"),
        ("900491234", "invalid"),  # 9XX, group 49: neither SSN nor ITIN
        ("900501234", "itin"),
        ("999651234", "itin"),
        ("900661234", "invalid"),
        ("900691234", "invalid"),
        ("900701234", "itin"),
        ("900881234", "itin"),
        ("900891234", "invalid"),  # python-stdnum calls this an ITIN; the IRS does not issue it
        ("900901234", "itin"),
        ("900921234", "itin"),
        ("900931234", "invalid"),
        ("900941234", "itin"),
        ("999991234", "itin"),
        ("900000000", "invalid"),
        ("078051120", "invalid"),  # advertising
        ("219099999", "invalid"),
        ("987654320", "invalid"),  # reserved for advertising, though ITIN-shaped
        ("987654329", "invalid"),
        ("987654330", "itin"),
    ],
)
def test_tin_rules_at_their_boundaries(number: str, kind: str) -> None:
    assert classify(number)[0] == kind
    if kind in ("invalid", "missing"):
        assert classify(number)[1]
    else:
        assert classify(number)[1] is None


def test_tin_rule_rejects_what_is_not_nine_digits() -> None:
    for bad in ("12345678", "1234567890", "12345678A"):
        with pytest.raises(ValueError, match="9 digits"):
            classify(bad)


@given(st.integers(0, 999_999_999))
def test_tin_rules_match_a_direct_reading(n: int) -> None:
    digits = f"{n:09d}"
    area, group, serial = n // 1_000_000, n // 10_000 % 100, n % 10_000
    advertising = digits in ("078051120", "219099999") or 987_654_320 <= n <= 987_654_329
    kind, _ = classify(digits)
    if n == 0:
        assert kind == "missing"
    elif advertising:
        assert kind == "invalid"
    elif area >= 900:
        assert kind == ("itin" if group in ITIN_GROUPS else "invalid")
    else:
        valid = area not in (0, 666) and group != 0 and serial != 0
        assert kind == ("ssn" if valid else "invalid")


# -- property: any valid file loads whole with its totals; any damaged total loads nothing -


_wage_files = st.lists(
    st.lists(st.integers(0, 10**10), min_size=1, max_size=4),  # box 1 cents per W-2
    min_size=1,
    max_size=3,
)


@settings(
    max_examples=15,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(employers=_wage_files, damage=st.integers(0, 12), delta=st.sampled_from([-1, 1, 100]))
def test_any_valid_file_loads_its_totals_and_any_bad_total_loads_nothing(
    tmp_path_factory: pytest.TempPathFactory,
    workspace_factory: Callable[[], Warehouse],
    employers: list[list[int]],
    damage: int,
    delta: int,
) -> None:
    records = [build.ra()]
    rt_index = []
    for e, wages in enumerate(employers):
        rws = [
            build.rw(f"5{e:02d}10{k + 1:04d}", f"W{k}", f"E{e}", f"{k} A ST", [w, 0, w, 0, w])
            for k, w in enumerate(wages)
        ]
        records += [build.re_(f"{e + 10:09d}", f"EMPLOYER {e}"), *rws]
        rt_index.append(len(records))
        records.append(build.rt(len(rws), build.totals(rws)))
    records.append(build.rf(sum(map(len, employers))))
    path = tmp_path_factory.mktemp("efw2") / "w2.efw2"
    path.write_bytes(build.join(records))
    with workspace_factory() as wh:
        report = ingest_file(wh, path)
        assert report.rows_read == len(employers) + sum(map(len, employers))
        cents = wh.scalar("SELECT sum(wages) * 100 FROM w2_wages")
        assert cents == sum(map(sum, employers))
    start = build.RT_BOXES[damage]
    damaged = _rt_total_change(records, rt_index[-1], start, delta)
    if int(damaged[rt_index[-1]][start - 1 : start + 14]) < 0:
        return
    path.write_bytes(build.join(damaged))
    with workspace_factory() as wh:
        with pytest.raises(FileFormatError) as info:
            ingest_file(wh, path)
        assert info.value.row == rt_index[-1] + 1
        assert wh.scalar("SELECT count(*) FROM w2_wages") == 0


def test_blank_money_fields_read_as_zero(tmp_path: Path, warehouse: Warehouse) -> None:
    from moneytrail.ingest import _efw2_layout as layout  # noqa: PLC0415

    records = build.valid_records()
    rw = records[2].decode()
    zero = next(f for f in layout.RW_MONEY if set(f.cut(rw)) == {"0"})
    records[2] = (
        rw[: zero.start - 1] + " " * (zero.end - zero.start + 1) + rw[zero.end :]
    ).encode()
    report = ingest_file(warehouse, _write(tmp_path, build.join(records)), "efw2")
    assert (report.rows_read, report.rows_quarantined) == (6, 0)
    note = next(w for w in report.warnings if "blank" in w)
    assert (
        f"1 money fields were blank and were read as zero (SSA asks for zeros), the first at record 3, field {zero.where}"
        in note
    )


def test_one_bad_rw_is_set_aside_and_the_rest_read(tmp_path: Path, warehouse: Warehouse) -> None:
    records = build.valid_records()
    records[2] = records[2][:187] + b"00000A00000" + records[2][198:]
    report = ingest_file(warehouse, _write(tmp_path, build.join(records)), "efw2")
    assert report.rows_quarantined == 1
    assert report.rows_read == report.rows_accepted + 1
    row, field, reason = warehouse.con.execute(
        "SELECT source_row, field, reason FROM quarantine"
    ).fetchone() or (0, "", "")
    assert row == 3
    assert field.startswith("RW ")
    assert "not a money amount" in reason
    unchecked = warehouse.scalar(
        "SELECT message FROM source_issues WHERE kind = 'rt_total_unchecked'"
    )
    assert "the quarantined record(s) 3 would hold" in unchecked
