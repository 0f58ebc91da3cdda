"""Field positions of the EFW2 records this reader uses.

Source: SSA Publication No. 42-007, "Specifications for Filing Forms W-2
Electronically (EFW2)", tax year 2024, Section 4 (record specifications).
Positions are 1-based and inclusive, as the publication prints them.
"""

from __future__ import annotations

from dataclasses import dataclass

RECORD_LENGTH = 512
RECORD_IDS = ("RA", "RE", "RW", "RO", "RS", "RT", "RU", "RV", "RF")

# Which record may follow which (4.3 "File Requirements" / record sequence):
# RA; then per employer RE, one or more RW each with its optional RO and RS
# records, RT, RU when the employer had RO records, optional RV; finally RF.
NEXT: dict[str | None, frozenset[str]] = {
    None: frozenset({"RA"}),
    "RA": frozenset({"RE"}),
    "RE": frozenset({"RW"}),
    "RW": frozenset({"RW", "RO", "RS", "RT"}),
    "RO": frozenset({"RW", "RS", "RT"}),
    "RS": frozenset({"RW", "RS", "RT"}),
    "RT": frozenset({"RU", "RV", "RE", "RF"}),
    "RU": frozenset({"RV", "RE", "RF"}),
    "RV": frozenset({"RE", "RF"}),
    "RF": frozenset(),
}


@dataclass(frozen=True)
class Field:
    record: str
    start: int
    end: int
    label: str

    @property
    def where(self) -> str:
        """How error messages name the field: record, positions and meaning."""
        return f"{self.record} {self.start}-{self.end} ({self.label})"

    def cut(self, record: str) -> str:
        return record[self.start - 1 : self.end]


# RE: employer record (4.6)
RE_TAX_YEAR = Field("RE", 3, 6, "tax year")
RE_EIN = Field("RE", 8, 16, "employer EIN")
RE_NAME = Field("RE", 40, 96, "employer name")
RE_KIND = Field("RE", 174, 174, "kind of employer")
RE_EMPLOYMENT = Field("RE", 219, 219, "employment code")

# RW: employee wage record (4.7)
RW_SSN = Field("RW", 3, 11, "social security number")
RW_FIRST = Field("RW", 12, 26, "employee first name")
RW_LAST = Field("RW", 42, 61, "employee last name")
RW_ADDRESS = Field("RW", 66, 133, "location and delivery address, city, state")

# The money fields added up in RT: boxes 1-7 (RW 188-264, RT 10-114), then box 10
# and box 12 codes D, E, F, G, H (RW 276-341, RT 130-219). 11 digits in RW, 15 in RT.
_BOXES = (
    "box 1 wages, tips, other compensation",
    "box 2 federal income tax withheld",
    "box 3 social security wages",
    "box 4 social security tax withheld",
    "box 5 Medicare wages and tips",
    "box 6 Medicare tax withheld",
    "box 7 social security tips",
    "box 10 dependent care benefits",
    "box 12 code D",
    "box 12 code E",
    "box 12 code F",
    "box 12 code G",
    "box 12 code H",
)
RW_MONEY = tuple(
    Field("RW", s, s + 10, label)
    for s, label in zip(
        [188 + 11 * k for k in range(7)] + [276 + 11 * k for k in range(6)], _BOXES, strict=True
    )
)
RT_MONEY = tuple(
    Field("RT", s, s + 14, label + " total")
    for s, label in zip(
        [10 + 15 * k for k in range(7)] + [130 + 15 * k for k in range(6)], _BOXES, strict=True
    )
)
STORED_BOXES = 7  # boxes 1-7 go to w2_wages; the rest are only checked against RT

RT_COUNT = Field("RT", 3, 9, "number of RW records")
RU_COUNT = Field("RU", 3, 9, "number of RO records")
RF_COUNT = Field("RF", 8, 16, "number of RW records")
