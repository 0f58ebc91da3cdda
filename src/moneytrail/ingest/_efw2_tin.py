"""What kind of number an employer put in the SSN field of a W-2.

The classification must happen at ingest: afterwards only a token and the last
four digits are kept, and the rules need the area (first three digits) and the
group (middle two).

Rules (SSA, "Social Security Number Randomization", 2011; IRS ITIN ranges):

- an SSN is never issued with area 000, area 666, group 00 or serial 0000;
- area 900-999 is never issued as an SSN: with group 50-65, 70-88, 90-92 or
  94-99 it is an ITIN (an IRS taxpayer number that cannot be used for
  employment), with any other group it is no number at all. python-stdnum's ITIN
  rule differs for groups 50-65 and 89, so it is not used;
- numbers published in advertising are never valid: 078-05-1120 (the
  Woolworth wallet card), 219-09-9999 (a 1940 SSA pamphlet) and 987-65-4320 to
  987-65-4329 (reserved for advertising). The last range also has the shape of
  an ITIN; it is reserved, so it counts as never issued, not as an ITIN;
- all zeros is how the EFW2 specification says to report a worker who has no
  SSN yet: kept apart as `missing`.
"""

from __future__ import annotations

from typing import Literal

TinKind = Literal["ssn", "itin", "invalid", "missing"]

ADVERTISING = frozenset({"078051120", "219099999", *(f"98765432{d}" for d in range(10))})
ITIN_GROUPS = frozenset([*range(50, 66), *range(70, 89), 90, 91, 92, *range(94, 100)])


def classify(digits: str) -> tuple[TinKind, str | None]:
    """The kind of a 9-digit number from an SSN field, and why when it is invalid."""
    if len(digits) != 9 or not digits.isdigit():
        raise ValueError(f"an SSN field holds 9 digits, not {len(digits)} characters")
    area, group, serial = int(digits[:3]), int(digits[3:5]), int(digits[5:])
    kind: TinKind = "invalid"
    note: str | None = None
    if digits == "000000000":
        kind, note = "missing", "no SSN reported (all zeros)"
    elif digits in ADVERTISING:
        note = "a number published in advertising, never issued"
    elif area >= 900:
        if group in ITIN_GROUPS:
            kind = "itin"
        else:
            note = f"area {area} is not issued as an SSN and group {group:02d} is no ITIN"
    elif area in (0, 666):
        note = f"area {area:03d} is never issued"
    elif group == 0:
        note = "group 00 is never issued"
    elif serial == 0:
        note = "serial 0000 is never issued"
    else:
        kind = "ssn"
    return kind, note
