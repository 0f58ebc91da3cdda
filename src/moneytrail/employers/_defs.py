"""The employer checks as data: code, what each detects, its source, parameters, severity.

Each definition is a typed record, declared here only: a check with a `typology`
id is also an entry of the detection catalogue (moneytrail.detect._catalogue
reads it from here, with this name, text, source and severity, and lints it with
the rest), so its flags become alerts. The detector that implements a check is
looked up by code (see `_run.DETECTORS`). Parameters have defaults that an
investigator can override per run (`moneytrail employers --param CODE.NAME=VALUE`).
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Literal

from moneytrail.errors import EmployerCheckError

Severity = Literal["low", "medium", "high"]
Needs = Literal["w2", "941", "bank", "resolution"]
ParamValue = int | Decimal


@dataclass(frozen=True)
class Parameter:
    name: str
    default: ParamValue
    doc: str


@dataclass(frozen=True)
class Check:
    code: str
    name: str
    detects: str
    source: str
    severity: Severity
    weight: float
    """Contribution to the employer score, 0-1 (see _score)."""
    needs: tuple[Needs, ...]
    parameters: tuple[Parameter, ...] = ()
    typology: str = ""
    """Its id in the detection catalogue (MT-E...), or "" when its flags raise no alert."""

    def defaults(self) -> dict[str, ParamValue]:
        return {p.name: p.default for p in self.parameters}


_SSA_RANDOMIZATION = "SSA, Social Security Number Randomization (2011); SSA EFW2 (Pub. 42-007)"
_FINCEN_LABOUR = "FinCEN FIN-2020-A008, labor trafficking red flags"

CHECKS: tuple[Check, ...] = (
    Check(
        "SSN_INVALID",
        "SSN never issued",
        "W-2s whose SSN could never have been issued: area 000, 666 or 900-999 (unless an "
        "ITIN), group 00, serial 0000, a number published in advertising, or all zeros.",
        _SSA_RANDOMIZATION,
        "medium",
        0.3,
        ("w2",),
        (Parameter("min_w2s", 1, "Flag when at least this many W-2s have such numbers."),),
    ),
    Check(
        "SSN_SHARED",
        "One SSN for several workers",
        "One SSN reported for workers of different names in the same tax year, at one "
        "employer or across employers.",
        "SSA/IRS combined annual wage reporting; " + _FINCEN_LABOUR,
        "high",
        0.4,
        ("w2",),
        (Parameter("min_workers", 2, "Different worker names on one SSN that raise it."),),
    ),
    Check(
        "ITIN_AS_SSN",
        "ITIN reported as an SSN",
        "An IRS individual taxpayer identification number (9XX with group 50-65, 70-88, "
        "90-92 or 94-99) in the SSN field of a W-2: ITINs do not authorise employment.",
        "IRS, ITIN number ranges; SSA EFW2 (Pub. 42-007) RW 3-11",
        "medium",
        0.25,
        ("w2",),
        (Parameter("min_w2s", 1, "Flag when at least this many W-2s carry an ITIN."),),
    ),
    Check(
        "WAGE_BELOW_MINIMUM",
        "Wages below the federal minimum",
        "Hours are not on a W-2: flags an employer whose year-round workers mostly earned "
        "less than the federal minimum wage for full-time work (7.25 x 2080 = $15,080). An "
        "employer whose 941s show a quarter without wages is seasonal and not judged.",
        "FLSA 29 U.S.C. 206 ($7.25/h); DOL Wage and Hour; ILO forced labour indicator "
        "withholding of wages; " + _FINCEN_LABOUR,
        # medium: low reported pay alone is a watch-list entry; with a second flag on the
        # employer a review alert (moneytrail.detect._group)
        "medium",
        0.5,
        ("w2",),
        (
            Parameter("hourly_minimum", Decimal("7.25"), "Federal minimum wage, $/hour."),
            Parameter("full_year_hours", 2080, "Hours of a full-time year (40 x 52)."),
            Parameter("min_share_percent", 50, "Share of W-2s below the line that raises it."),
            Parameter("min_workers", 3, "Employers with fewer W-2s are not judged."),
        ),
        typology="MT-E004",
    ),
    Check(
        "SHARED_ADDRESS",
        "Many workers housed at one address",
        "Five or more workers of one employer reported at one street address in the same "
        "year (a household of two is normal): employer-provided housing is a labour "
        "exploitation indicator.",
        "FinCEN FIN-2020-A008, typology exploitative employment practices (employer-controlled "
        "housing); FIN-2014-A008, business paying workers' lodging",
        "medium",
        0.35,
        ("w2",),
        (Parameter("min_workers", 5, "Workers at one address that raise it."),),
        typology="MT-E003",
    ),
    Check(
        "W2_941_MISMATCH",
        "W-2 totals disagree with Form 941",
        "The year's W-2 totals (boxes 1, 2, 3, 5) differ from the sum of the employer's four "
        "Forms 941 (lines 2, 3, 5a, 5c), a 941 quarter is missing, or one side is absent.",
        "IRS/SSA combined annual wage reporting (CAWR) reconciliation",
        "high",
        0.4,
        ("w2", "941"),
        (Parameter("tolerance_cents", 100, "Differences up to this many cents are rounding."),),
    ),
    Check(
        "CASH_PAYROLL",
        "Cash payroll",
        "Recurring cash withdrawals from the employer's accounts, in many different weeks of "
        "the year, adding up to a large share of (or replacing) the wages it reports on W-2s.",
        "FinCEN FIN-2020-A008, indicator consistent cash deposits by a business without ACH "
        "(payroll) payments; " + _FINCEN_LABOUR + "; IRS employment tax fraud (cash payroll)",
        # medium: cash wages alone are a watch-list entry (moneytrail.detect._group)
        "medium",
        0.4,
        ("w2", "bank"),
        (
            Parameter(
                "min_withdrawal_cents", 100_000, "Withdrawals smaller than this are ignored."
            ),
            Parameter("min_weeks", 8, "Different weeks with a withdrawal that make it recurring."),
            Parameter("min_share_percent", 25, "Cash as a share of W-2 wages that raises it."),
        ),
        typology="MT-E002",
    ),
    Check(
        "WAGE_SWEEP",
        "Wages swept to one account",
        "Soon after payday, on most paydays, several workers' wages move on from their "
        "accounts to one and the same holder, who lives largely on that money (resolved "
        "entities tell a worker's own accounts from another person's).",
        "FinCEN FIN-2020-A008, typology exploitative employment practices (wage retention); "
        + _FINCEN_LABOUR
        + " (employer controls workers' wages)",
        "high",
        0.6,
        ("bank", "resolution"),
        (
            Parameter("window_hours", 48, "How soon after the pay the money moves on."),
            Parameter("min_share_percent", 30, "Part of the pay that must move on."),
            Parameter("min_workers", 3, "Workers sweeping to the same account that raise it."),
            Parameter("min_paydays", 3, "Credits from the employer that make an account payroll."),
            Parameter("regular_percent", 60, "Share of a worker's paydays followed by a sweep."),
            Parameter(
                "min_collector_share_percent",
                30,
                "Share of all the receiving holder's income that came from the sweeps "
                "(a landlord or shop paid by many people stays below it).",
            ),
        ),
        typology="MT-E001",
    ),
)

BY_CODE: dict[str, Check] = {c.code: c for c in CHECKS}


def check_codes(codes: list[str]) -> None:
    """Refuse codes that name no check."""
    unknown = [c for c in codes if c not in BY_CODE]
    if unknown:
        raise EmployerCheckError(
            f"unknown check {', '.join(unknown)}; checks: {', '.join(BY_CODE)}"
        )


def resolve_parameters(
    overrides: dict[str, str] | None = None,
) -> dict[str, dict[str, ParamValue]]:
    """Defaults of every check with `CODE.NAME` overrides applied; bad ones are refused."""
    params = {c.code: c.defaults() for c in CHECKS}
    for key, text in (overrides or {}).items():
        code, _, name = key.partition(".")
        if code not in params:
            raise EmployerCheckError(f"unknown check {code!r}; checks: {', '.join(BY_CODE)}")
        if name not in params[code]:
            raise EmployerCheckError(
                f"check {code} has no parameter {name!r}; it has {', '.join(params[code])}"
            )
        default = params[code][name]
        try:
            value: ParamValue = Decimal(text) if isinstance(default, Decimal) else int(text)
        except (ArithmeticError, ValueError) as exc:
            kind = "a decimal number" if isinstance(default, Decimal) else "a whole number"
            raise EmployerCheckError(f"{key} must be {kind}, not {text!r}") from exc
        if value < 0:
            raise EmployerCheckError(f"{key} must not be negative, not {text!r}")
        params[code][name] = value
    return params
