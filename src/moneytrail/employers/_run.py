"""Running the employer checks: detectors by code, the risk score, the stored flags.

The score of an employer is 1 - prod(1 - weight) over the distinct checks it
raised (weights in `_defs.CHECKS`): each further indicator adds risk, none can
reach certainty alone, and the flags behind it are always shown with it. There
is no score or label for a worker: workers appear only as masked numbers and
record ids inside an employer's evidence.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import duckdb

from moneytrail.access import Label, source_labels
from moneytrail.employers import _bank, _payroll, _reconcile
from moneytrail.employers._defs import (
    BY_CODE,
    CHECKS,
    check_codes,
    resolve_parameters,
)
from moneytrail.employers._flag import Context, Flag

Detector = Callable[[Context], list[Flag]]

DETECTORS: dict[str, Detector] = {
    "SSN_INVALID": _payroll.ssn_invalid,
    "SSN_SHARED": _payroll.ssn_shared,
    "ITIN_AS_SSN": _payroll.itin_as_ssn,
    "WAGE_BELOW_MINIMUM": _payroll.wage_below_minimum,
    "SHARED_ADDRESS": _payroll.shared_address,
    "W2_941_MISMATCH": _reconcile.w2_941_mismatch,
    "CASH_PAYROLL": _bank.cash_payroll,
    "WAGE_SWEEP": _bank.wage_sweep,
}
# The warehouse tables each kind of input reads: a flag is labelled as they are
# (moneytrail.access's labels). Resolution only says which bank records belong
# together; the check reads no W-2 or 941 value through it.
NEEDS_TABLES: dict[str, tuple[str, ...]] = {
    "w2": ("w2_employers", "w2_wages"),
    "941": ("form941_filings",),
    "bank": ("transactions", "accounts", "account_holders"),
    "resolution": (),
}


@dataclass
class EmployerReport:
    """One employer: who (masked EIN, name as filed), its flags and its score."""

    employer_key: str
    employer: str
    name: str | None
    flags: list[Flag] = field(default_factory=list)

    @property
    def score(self) -> float:
        remaining = 1.0
        for code in {f.code for f in self.flags}:
            remaining *= 1.0 - BY_CODE[code].weight
        return round(1.0 - remaining, 3)

    @property
    def fti(self) -> bool:
        return any(is_fti(f.code) for f in self.flags)

    def as_json(self) -> dict[str, object]:
        return {
            "employer": self.employer,
            "name": self.name,
            "score": self.score,
            "data_label": "FTI" if self.fti else None,
            "flags": [
                {
                    "code": f.code,
                    "count": f.count,
                    "evidence": list(f.evidence),
                    "reason": f.reason,
                    "severity": BY_CODE[f.code].severity,
                    "tax_year": f.tax_year,
                }
                for f in self.flags
            ],
        }


def is_fti(code: str) -> bool:
    """Whether the check's flags are FTI: the labels of the tables it reads say so."""
    tables = [t for need in BY_CODE[code].needs for t in NEEDS_TABLES[need]]
    return Label.FTI in source_labels(tables)


def run_checks(
    con: duckdb.DuckDBPyConnection,
    *,
    codes: Iterable[str] | None = None,
    overrides: dict[str, str] | None = None,
) -> list[EmployerReport]:
    """Run the checks (all, or `codes`) and return every known employer, riskiest first."""
    params = resolve_parameters(overrides)
    chosen = list(codes) if codes is not None else [c.code for c in CHECKS]
    check_codes(chosen)
    flags = [f for code in chosen for f in DETECTORS[code](Context(con, params[code]))]
    reports = _employers(con)
    for flag in _merged(flags):
        reports.setdefault(
            flag.employer_key, EmployerReport(flag.employer_key, "**-*******", None)
        ).flags.append(flag)
    ordered = sorted(reports.values(), key=lambda r: (-r.score, r.employer, r.employer_key))
    for r in ordered:
        r.flags.sort(key=lambda f: (-BY_CODE[f.code].weight, f.code, f.tax_year))
    return ordered


def flag_values(r: EmployerReport, f: Flag) -> tuple[Any, ...]:
    """A flag as employer_flags stores it, from `employer` to `fti` (FLAG_COLUMNS)."""
    return (
        r.employer,
        r.name,
        f.tax_year,
        f.code,
        BY_CODE[f.code].severity,
        f.count,
        list(f.evidence),
        f.reason,
        is_fti(f.code),
    )


def store_flags(con: duckdb.DuckDBPyConnection, reports: list[EmployerReport]) -> int:
    """Replace employer_flags with these reports' flags; return how many were stored."""
    now = datetime.now(UTC)
    rows = [[r.employer_key, *flag_values(r, f), now] for r in reports for f in r.flags]
    con.execute("BEGIN TRANSACTION")
    try:
        con.execute("DELETE FROM employer_flags")
        if rows:
            con.executemany(
                "INSERT INTO employer_flags VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", rows
            )
        con.execute("COMMIT")
    except BaseException:
        con.execute("ROLLBACK")
        raise
    return len(rows)


def _employers(con: duckdb.DuckDBPyConnection) -> dict[str, EmployerReport]:
    """Every employer the filings know, by EIN token, with its masked EIN and the name of
    the latest year, from the file loaded last."""
    rows = con.execute(
        """
        SELECT ein_token, any_value(ein_masked),
               arg_max(name, tax_year::BIGINT * 1000000000 + source_id) FILTER (name IS NOT NULL)
        FROM (SELECT ein_token, ein_masked, name, tax_year, source_id FROM w2_employers
              UNION ALL
              SELECT ein_token, ein_masked, employer_name, tax_year, source_id
              FROM form941_filings)
        GROUP BY ein_token
        """
    ).fetchall()
    return {key: EmployerReport(key, masked, name) for key, masked, name in rows}


def _merged(flags: list[Flag]) -> list[Flag]:
    """One flag per employer, year and code (a detector may find several groups)."""
    merged: dict[tuple[str, int, str], Flag] = {}
    for f in flags:
        key = (f.employer_key, f.tax_year, f.code)
        prev = merged.get(key)
        merged[key] = (
            f
            if prev is None
            else Flag(
                f.employer_key,
                f.tax_year,
                f.code,
                prev.count + f.count,
                prev.evidence + f.evidence,
                prev.reason + " " + f.reason,
            )
        )
    return list(merged.values())
