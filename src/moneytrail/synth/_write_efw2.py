"""Payroll filings of a synthetic world: an SSA EFW2 wage file and Form 941 lines.

FEDERAL TAX INFORMATION (FTI). Both files imitate returns and return
information (W-2 wage reports, Form 941 quarterly returns). Real data in
these layouts is FTI under 26 U.S.C. 6103 and IRS Publication 1075; these are
synthetic and label-only, but any workflow built on them should handle the
real thing as FTI (need-to-know access, no commingling, audit of every read).

Files, under OUTDIR/payroll/:

``w2.efw2``
    Forms W-2 in the SSA layout "Specifications for Filing Forms W-2
    Electronically (EFW2)", tax year 2024 (SSA Publication No. 42-007),
    Section 4, record specifications: RA submitter record (4.5), RE employer
    record (4.6), RW employee wage record (4.7), RT total record (4.10), RF
    final record (4.13). No optional RO/RS/RU/RV records. Every record is 512
    bytes of uppercase ASCII, followed by CR LF (the terminator is not part of
    the 512). Alphanumeric fields are left-justified and blank-filled; money
    fields are cents with no decimal point, right-justified and zero-filled
    (11 digits in RW, 15 in RT). Order: RA, then for each employer (by party
    index) RE, one RW per W-2 (by worker party index), RT; last RF.

    Positions used (1-based, inclusive):

    RA  1-2 "RA"; 3-11 submitter EIN; 12-19 user id; 20-23 vendor code;
        24-28 blank; 29 resub indicator "0"; 30-35 resub WFID; 36-37
        software code "98" (in-house); 38-94 company name; 95-116 location
        address; 117-138 delivery address; 139-160 city; 161-162 state;
        163-167 ZIP; 168-171 ZIP ext; 172-176 blank; 177-199 foreign
        state/province; 200-214 foreign postal code; 215-216 country; 217-273
        submitter name; 274-395 submitter address block (as 95-216); 396-422
        contact name; 423-437 contact phone; 438-442 phone ext; 443-445 blank;
        446-485 contact e-mail; 486-488 blank; 489-498 fax; 499 blank; 500
        preparer code ("S" service bureau); 501-512 blank.
    RE  1-2 "RE"; 3-6 tax year; 7 agent indicator; 8-16 EIN; 17-25 agent
        for EIN; 26 terminating business "0"; 27-30 establishment number;
        31-39 other EIN; 40-96 employer name; 97-118 location address;
        119-140 delivery address; 141-162 city; 163-164 state; 165-169 ZIP;
        170-173 ZIP ext; 174 kind of employer ("N" none apply); 175-178
        blank; 179-218 foreign address; 219 employment code ("R" regular,
        Form 941); 220 tax jurisdiction; 221 third-party sick pay "0";
        222-318 contact fields (blank); 319-512 blank.
    RW  1-2 "RW"; 3-11 SSN as reported (digits); 12-26 first name; 27-41
        middle name; 42-61 last name; 62-65 suffix; 66-87 location address;
        88-109 delivery address; 110-131 city; 132-133 state; 134-138 ZIP;
        139-142 ZIP ext; 143-147 blank; 148-187 foreign address;
        188-198 box 1 wages, tips, other compensation; 199-209 box 2 federal
        income tax withheld; 210-220 box 3 social security wages; 221-231
        box 4 social security tax withheld; 232-242 box 5 Medicare wages and
        tips; 243-253 box 6 Medicare tax withheld; 254-264 box 7 social
        security tips; 265-275 blank; 276-341 box 10 and box 12 D-H (zero);
        342-352 blank; 353-396 box 11, box 12 W, Q (zero); 397-407 blank;
        408-484 box 12 C, V, Y, AA, BB, DD, FF (zero); 485 blank; 486
        statutory employee "0"; 487 blank; 488 retirement plan "0"; 489
        third-party sick pay "0"; 490-512 blank.
    RT  1-2 "RT"; 3-9 number of RW records since the last RE; then the
        totals of the RW money fields in 15 digits: 10-24 box 1; 25-39
        box 2; 40-54 box 3; 55-69 box 4; 70-84 box 5; 85-99 box 6; 100-114
        box 7; 115-129 blank; 130-219 box 10 and box 12 D-H (zero); 220-234
        blank; 235-399 box 11, 12 W, Q, C, V, Y, AA, BB, DD, FF (zero);
        400-512 blank.
    RF  1-2 "RF"; 3-7 blank; 8-16 total number of RW records in the file;
        17-512 blank.

    Positions were checked against a public EFW2 implementation (TimeTrex
    ``w2.class.php``, which annotates RE 3-6/8-16/40-96 and RW 188-253 by
    position); the section numbers are those of the SSA publication.

    W-2 money: box 1 = the wages reported; box 2 = the tax withheld; box 3
    = box 1 capped at the 2024 social security wage base ($168,600); box 4
    = 6.2% of box 3; box 5 = box 1; box 6 = 1.45% of box 5 plus 0.9% over
    $200,000 (Additional Medicare Tax). SSNs are as the employer reported
    them: planted exploitative employers report one SSN for several workers
    and ITINs (9XX-7X/8X-XXXX) in the SSN field.

``form941.csv``
    One row per employer per quarter (employers by party index), from the
    employer's Forms 941 for the tax year; money in dollars with two
    decimals. Columns, named after the form's line numbers:

    ========================================  ================================================
    ein                                       employer EIN, NN-NNNNNNN
    employer_name                             legal name
    year                                      tax year
    quarter                                   1-4
    line1_employees                           line 1: employees paid (number of the
                                              employer's W-2s)
    line2_wages_tips_compensation             line 2: wages, tips and other compensation
                                              reported for the quarter
    line3_federal_income_tax_withheld         line 3: federal income tax withheld
    line5a_taxable_ss_wages                   line 5a column 1: taxable social security wages
    line5c_taxable_medicare_wages             line 5c column 1: taxable Medicare wages & tips
    ========================================  ================================================

    Line 2 is the quarterly total the employer reported. Lines 3, 5a and 5c
    spread the employer's W-2 annual totals (box 2, box 3, box 5) over the
    quarters in proportion to line 2 (cumulative, rounded down), scaled by
    line 2's share of the W-2 box 1 total. For honest employers the four
    quarters of every line therefore add up exactly to the W-2 totals; for
    planted employers line 2 (and with it 3, 5a and 5c) is lower than the
    W-2s: the W-2/941 mismatch an examiner looks for.
"""

from __future__ import annotations

import re
import unicodedata
from collections import defaultdict
from pathlib import Path

import numpy as np

from moneytrail.synth._generate import World
from moneytrail.synth._trafficking import WageFiling
from moneytrail.synth._world import Parties
from moneytrail.synth._write_aml import write_rows

RECORD_LENGTH = 512
EOL = b"\r\n"
SS_WAGE_BASE_CENTS = 16_860_000  # 2024 social security wage base, $168,600
SS_RATE_PER_MILLE = 62  # 6.2%
MEDICARE_RATE_PER_10K = 145  # 1.45%
ADDITIONAL_MEDICARE_THRESHOLD_CENTS = 20_000_000  # $200,000
ADDITIONAL_MEDICARE_RATE_PER_1K = 9  # 0.9%

SUBMITTER_EIN = "990000001"
SUBMITTER_USER_ID = "SYNTH001"
SUBMITTER_NAME = "MONEYTRAIL SYNTHETIC PAYROLL BUREAU"
SUBMITTER_STREET = "1 SYNTHETIC PLAZA"
SUBMITTER_CITY, SUBMITTER_STATE, SUBMITTER_ZIP = "SPRINGFIELD", "IL", "62701"
CONTACT_NAME = "SYNTHETIC DATA DESK"
CONTACT_PHONE = "2175550100"
CONTACT_EMAIL = "PAYROLL@EXAMPLE.INVALID"

FORM941_HEADER = [
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

_NOT_ALLOWED = re.compile(r"[^A-Z0-9 &',./#@-]")


def write(world: World, outdir: Path) -> list[Path]:
    """Write OUTDIR/payroll/w2.efw2 and OUTDIR/payroll/form941.csv; return both paths."""
    payroll = outdir / "payroll"
    payroll.mkdir(parents=True, exist_ok=True)
    year = _tax_year(world)
    by_employer: dict[int, list[WageFiling]] = defaultdict(list)
    for filing in world.filings.w2:
        by_employer[filing.employer].append(filing)
    for filings in by_employer.values():
        filings.sort(key=lambda f: f.worker)

    efw2 = payroll / "w2.efw2"
    efw2.write_bytes(_efw2(world, year, by_employer))
    form941 = payroll / "form941.csv"
    write_rows(form941, FORM941_HEADER, _form941_rows(world, year, by_employer))
    return [efw2, form941]


# -- W-2 money ---------------------------------------------------------------


def w2_amounts(filing: WageFiling) -> tuple[int, int, int, int, int, int, int]:
    """Boxes 1-7 of one W-2, in cents."""
    wages = filing.wages_cents
    ss_wages = min(wages, SS_WAGE_BASE_CENTS)
    ss_tax = _round_div(ss_wages * SS_RATE_PER_MILLE, 1_000)
    medicare_tax = _round_div(wages * MEDICARE_RATE_PER_10K, 10_000) + _round_div(
        max(0, wages - ADDITIONAL_MEDICARE_THRESHOLD_CENTS) * ADDITIONAL_MEDICARE_RATE_PER_1K,
        1_000,
    )
    return wages, filing.withheld_cents, ss_wages, ss_tax, wages, medicare_tax, 0


def _round_div(numerator: int, denominator: int) -> int:
    return (numerator + denominator // 2) // denominator


# -- EFW2 --------------------------------------------------------------------


def _efw2(world: World, year: int, by_employer: dict[int, list[WageFiling]]) -> bytes:
    parties = world.population.parties
    records = [_ra()]
    total_rw = 0
    for employer in sorted(by_employer):
        filings = by_employer[employer]
        records.append(_re(year, parties, employer))
        totals = [0] * 7
        for filing in filings:
            amounts = w2_amounts(filing)
            records.append(_rw(parties, filing, amounts))
            totals = [t + a for t, a in zip(totals, amounts, strict=True)]
        records.append(_rt(len(filings), totals))
        total_rw += len(filings)
    records.append(_rf(total_rw))
    return b"".join(r + EOL for r in records)


class _Record:
    """A fixed-width record filled field by field at 1-based spec positions."""

    def __init__(self, record_id: str) -> None:
        self.buf = bytearray(b" " * RECORD_LENGTH)
        self.text(1, 2, record_id)

    def text(self, start: int, end: int, value: str) -> None:
        width = end - start + 1
        self.buf[start - 1 : end] = _clean(value)[:width].ljust(width).encode("ascii")

    def number(self, start: int, end: int, value: int) -> None:
        width = end - start + 1
        digits = str(value)
        if value < 0 or len(digits) > width:
            raise ValueError(f"{value} does not fit positions {start}-{end}")
        self.buf[start - 1 : end] = digits.zfill(width).encode("ascii")

    def zeros(self, start: int, end: int) -> None:
        self.number(start, end, 0)

    def done(self) -> bytes:
        assert len(self.buf) == RECORD_LENGTH
        return bytes(self.buf)


def _clean(value: str) -> str:
    ascii_text = unicodedata.normalize("NFKD", value).encode("ascii", "ignore").decode("ascii")
    return _NOT_ALLOWED.sub("", ascii_text.upper())


def _address(parties: Parties, party: int) -> tuple[str, str, str, str]:
    """Street, city, state and ZIP of a party, from its one-line address."""
    street, city, state_zip = parties.address(party).rsplit(", ", 2)
    state, zip_code = state_zip.split(" ", 1)
    return street, city, state, zip_code


def _ra() -> bytes:
    r = _Record("RA")
    r.text(3, 11, SUBMITTER_EIN)
    r.text(12, 19, SUBMITTER_USER_ID)
    r.text(29, 29, "0")
    r.text(36, 37, "98")
    for offset, name in ((0, SUBMITTER_NAME), (179, SUBMITTER_NAME)):
        r.text(38 + offset, 94 + offset, name)
        r.text(117 + offset, 138 + offset, SUBMITTER_STREET)
        r.text(139 + offset, 160 + offset, SUBMITTER_CITY)
        r.text(161 + offset, 162 + offset, SUBMITTER_STATE)
        r.text(163 + offset, 167 + offset, SUBMITTER_ZIP)
    r.text(396, 422, CONTACT_NAME)
    r.text(423, 437, CONTACT_PHONE)
    r.text(446, 485, CONTACT_EMAIL)
    r.text(500, 500, "S")
    return r.done()


def _re(year: int, parties: Parties, employer: int) -> bytes:
    street, city, state, zip_code = _address(parties, employer)
    r = _Record("RE")
    r.number(3, 6, year)
    r.text(8, 16, _digits(str(parties.tax_id[employer])))
    r.text(26, 26, "0")
    r.text(40, 96, str(parties.name[employer]))
    r.text(119, 140, street)
    r.text(141, 162, city)
    r.text(163, 164, state)
    r.text(165, 169, zip_code)
    r.text(174, 174, "N")
    r.text(219, 219, "R")
    r.text(221, 221, "0")
    return r.done()


def _rw(parties: Parties, filing: WageFiling, amounts: tuple[int, ...]) -> bytes:
    worker = filing.worker
    _, city, state, zip_code = _address(parties, worker)
    r = _Record("RW")
    r.text(3, 11, _digits(filing.ssn))
    r.text(12, 26, str(parties.first[worker]))
    r.text(42, 61, str(parties.last[worker]))
    r.text(88, 109, filing.address.split(",", 1)[0])  # the street as reported
    r.text(110, 131, city)
    r.text(132, 133, state)
    r.text(134, 138, zip_code)
    for k, amount in enumerate(amounts):  # boxes 1-7 at 188-264
        r.number(188 + 11 * k, 198 + 11 * k, amount)
    for start, end in ((276, 341), (353, 396), (408, 484)):
        r.zeros(start, end)
    r.text(486, 486, "0")
    r.text(488, 489, "00")
    return r.done()


def _rt(count: int, totals: list[int]) -> bytes:
    r = _Record("RT")
    r.number(3, 9, count)
    for k, total in enumerate(totals):  # boxes 1-7 at 10-114
        r.number(10 + 15 * k, 24 + 15 * k, total)
    for start, end in ((130, 219), (235, 399)):
        r.zeros(start, end)
    return r.done()


def _rf(count: int) -> bytes:
    r = _Record("RF")
    r.number(8, 16, count)
    return r.done()


def _digits(value: str) -> str:
    return "".join(ch for ch in value if ch.isdigit())


# -- Form 941 ----------------------------------------------------------------


def _form941_rows(
    world: World, year: int, by_employer: dict[int, list[WageFiling]]
) -> list[list[object]]:
    parties = world.population.parties
    rows: list[list[object]] = []
    for employer in sorted(world.filings.form941):
        line2 = world.filings.form941[employer]
        filings = by_employer.get(employer, [])
        annual = [0] * 7
        for filing in filings:
            annual = [t + a for t, a in zip(annual, w2_amounts(filing), strict=True)]
        box1 = annual[0]
        spread = {box: _spread(annual[box], line2, box1) for box in (1, 2, 4)}
        for q in range(4):
            rows.append(
                [
                    str(parties.tax_id[employer]),
                    str(parties.name[employer]),
                    year,
                    q + 1,
                    len(filings),
                    _dollars(line2[q]),
                    _dollars(spread[1][q]),
                    _dollars(spread[2][q]),
                    _dollars(spread[4][q]),
                ]
            )
    return rows


def _spread(amount: int, quarters: list[int], w2_total: int) -> list[int]:
    """`amount` * quarters[q] / w2_total, rounded down cumulatively so the parts add up."""
    if w2_total <= 0:
        return [0] * len(quarters)
    cumulative = np.cumsum(quarters).tolist()
    edges = [0] + [amount * c // w2_total for c in cumulative]
    return [edges[k + 1] - edges[k] for k in range(len(quarters))]


def _dollars(cents: int) -> str:
    sign = "-" if cents < 0 else ""
    cents = abs(cents)
    return f"{sign}{cents // 100}.{cents % 100:02d}"


def _tax_year(world: World) -> int:
    first_day = int(world.population.calendar.days[0])
    return int(str(np.datetime64(first_day, "D"))[:4])
