"""Builds the EFW2 golden files in tests/ingest/data/efw2/, field by field at SSA positions.

Run `python -m tests.ingest.efw2_build` to rewrite them; test_efw2 checks that the
checked-in files are exactly what this writes, so every byte has a stated origin.
All numbers are made up: SSNs use areas and groups chosen for the rule they test.
"""

from __future__ import annotations

from pathlib import Path

DATA = Path(__file__).parent / "data" / "efw2"
RW_BOXES = [188 + 11 * k for k in range(7)] + [276 + 11 * k for k in range(6)]
RT_BOXES = [10 + 15 * k for k in range(7)] + [130 + 15 * k for k in range(6)]


def record(kind: str, fields: dict[tuple[int, int], str | int]) -> bytes:
    """A 512-byte record: text left-justified, numbers zero-filled, at 1-based positions."""
    buf = bytearray(b" " * 512)
    buf[0:2] = kind.encode()
    for (start, end), value in fields.items():
        width = end - start + 1
        text = str(value).zfill(width) if isinstance(value, int) else value.ljust(width)
        assert len(text) == width, (kind, start, end, value)
        buf[start - 1 : end] = text.encode("ascii")
    return bytes(buf)


def ra() -> bytes:
    return record("RA", {(3, 11): "990000002", (38, 94): "TEST SUBMITTER", (500, 500): "S"})


def re_(ein: str, name: str, year: int = 2024, code: str = "R") -> bytes:
    return record(
        "RE", {(3, 6): year, (8, 16): ein, (40, 96): name, (174, 174): "N", (219, 219): code}
    )


def rw(ssn: str, first: str, last: str, street: str, boxes: list[int]) -> bytes:
    fields: dict[tuple[int, int], str | int] = {
        (3, 11): ssn,
        (12, 26): first,
        (42, 61): last,
        (88, 109): street,
        (110, 131): "SPRINGFIELD",
        (132, 133): "IL",
        (134, 138): "62701",
    }
    full = boxes + [0] * (13 - len(boxes))
    fields.update({(s, s + 10): v for s, v in zip(RW_BOXES, full, strict=True)})
    return record("RW", fields)


def rt(count: int, totals: list[int]) -> bytes:
    fields: dict[tuple[int, int], str | int] = {(3, 9): count}
    fields.update({(s, s + 14): v for s, v in zip(RT_BOXES, totals, strict=True)})
    return record("RT", fields)


def rf(count: int) -> bytes:
    return record("RF", {(8, 16): count})


def totals(rws: list[bytes]) -> list[int]:
    return [sum(int(r[s - 1 : s + 10]) for r in rws) for s in RW_BOXES]


# Employer A: three W-2s (a valid SSN with an RO record, area 666, an ITIN).
A_RW = [
    rw("400123456", "JANE", "DOE", "12 ELM ST", [3_000_000, 300_000, 3_000_000, 186_000,
       3_000_000, 43_500, 0, 0, 150_000]),
    rw("666123456", "JOHN", "ROE", "40 OAK AVE", [1_200_000, 0, 1_200_000, 74_400, 1_200_000, 17_400]),
    rw("912701234", "MARY", "MAJOR", "7 PINE RD", [1_000_055, 10_000, 1_000_055, 62_003,
       1_000_055, 14_501, 2_500]),
]  # fmt: skip
# Employer B: one W-2 with a state (RS) record.
B_RW = [rw("401234567", "ALEX", "MINOR", "9 BIRCH LN", [5_500_000, 800_000, 5_500_000, 341_000,
        5_500_000, 79_750])]  # fmt: skip

WAGES_TOTAL_CENTS = 3_000_000 + 1_200_000 + 1_000_055 + 5_500_000


def valid_records() -> list[bytes]:
    return [
        ra(),
        re_("123456789", "ACME BUILDERS LLC"),
        A_RW[0],
        record("RO", {(12, 22): 0}),
        A_RW[1],
        A_RW[2],
        rt(3, totals(A_RW)),
        record("RU", {(3, 9): 1}),
        re_("987654321", "BETA CLEANING INC", code="F"),
        B_RW[0],
        record("RS", {(3, 4): "17", (10, 18): "401234567"}),
        rt(1, totals(B_RW)),
        record("RV", {(3, 4): "17"}),
        rf(4),
    ]


def join(records: list[bytes], eol: bytes = b"\r\n") -> bytes:
    return b"".join(r + eol for r in records)


def golden() -> dict[str, bytes]:
    good = valid_records()
    wrong_total = list(good)
    bad = totals(A_RW)
    bad[0] += 1  # one cent more box 1 than the RW records add up to
    wrong_total[6] = rt(3, bad)
    out_of_order = list(good)
    out_of_order[6], out_of_order[7] = out_of_order[7], out_of_order[6]  # RU before its RT
    return {
        "valid_2024.efw2": join(good),
        "valid_2024_lf.efw2": join(good, b"\n"),
        "valid_2024_unbroken.efw2": join(good, b""),
        "wrong_length.efw2": join([*good[:2], good[2][:-1], *good[3:]]),  # record 3: 511 bytes
        "rt_total_mismatch.efw2": join(wrong_total),
        "rf_count_mismatch.efw2": join([*good[:-1], rf(5)]),
        "out_of_order.efw2": join(out_of_order),
        "missing_ru.efw2": join([*good[:7], *good[8:]]),  # RO records but no RU
    }


def write_all() -> None:
    DATA.mkdir(parents=True, exist_ok=True)
    for name, data in golden().items():
        (DATA / name).write_bytes(data)


if __name__ == "__main__":
    write_all()
