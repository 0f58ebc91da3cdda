"""Small payroll files for the employer checks: EFW2 wage files and Form 941 CSVs."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from moneytrail.ingest import form941, ingest_file
from moneytrail.warehouse import Warehouse
from tests.ingest import efw2_build as build


@dataclass
class W2:
    ssn: str
    first: str
    last: str
    street: str
    wages_cents: int

    def record(self) -> bytes:
        w = self.wages_cents
        return build.rw(self.ssn, self.first, self.last, self.street, [w, 0, w, 0, w, 0])


@dataclass
class Employer:
    ein: str
    name: str
    w2s: list[W2]
    code: str = "R"
    quarters: list[int] | None = field(default=None)
    """Form 941 line 2 per quarter in cents; None: the W-2 total spread exactly."""


def worker(n: int, wages_cents: int = 3_000_000, street: str | None = None) -> W2:
    """A worker with a distinct valid SSN, name and street unless told otherwise."""
    return W2(f"4{n:02d}12{n + 1:04d}", f"WORKER{n}", "TEST", street or f"{n} MAIN ST", wages_cents)


def write_efw2(path: Path, employers: list[Employer], year: int = 2024) -> Path:
    records = [build.ra()]
    for e in employers:
        rws = [w.record() for w in e.w2s]
        records += [
            build.re_(e.ein, e.name, year, e.code),
            *rws,
            build.rt(len(rws), build.totals(rws)),
        ]
    records.append(build.rf(sum(len(e.w2s) for e in employers)))
    path.write_bytes(build.join(records))
    return path


def write_941(path: Path, employers: list[Employer], year: int = 2024) -> Path:
    lines = [",".join(form941.COLUMNS)]
    for e in employers:
        total = sum(w.wages_cents for w in e.w2s)
        quarters = e.quarters or [total // 4] * 3 + [total - 3 * (total // 4)]
        for q, cents in enumerate(quarters, start=1):
            amount = f"{cents // 100}.{cents % 100:02d}"
            lines.append(
                f"{e.ein[:2]}-{e.ein[2:]},{e.name},{year},{q},{len(e.w2s)},{amount},0.00,"
                f"{amount},{amount}"
            )
    path.write_text("\n".join(lines) + "\n")
    return path


def load(
    wh: Warehouse, tmp: Path, employers: list[Employer], *, with_941: bool | list[Employer] = True
) -> None:
    """Ingest a wage file of `employers` and, unless told not to, their 941s."""
    ingest_file(wh, write_efw2(tmp / "w2.efw2", employers), "efw2")
    filers = employers if with_941 is True else (with_941 or [])
    if filers:
        ingest_file(wh, write_941(tmp / "f941.csv", filers), "form941")
