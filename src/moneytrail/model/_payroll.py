"""Tables of payroll filings and employer analytics (moneytrail.employers)."""

from __future__ import annotations

from moneytrail.model._schema import Column, Table

# ---- payroll filings and employer analytics (moneytrail.employers) -------------------
# FEDERAL TAX INFORMATION: every row of w2_employers, w2_wages and form941_filings is
# return information under 26 U.S.C. 6103 (data_label 'FTI'). Worker SSNs, names and
# addresses are stored only as tokens (raw SSNs encrypted in the vault) and shown masked.

_FTI_LABEL = Column(
    "data_label",
    "VARCHAR",
    "Data label: always 'FTI' (federal tax information, IRC 6103; Pub. 1075).",
    not_null=True,
    since=2,
)


def _money(name: str, doc: str) -> Column:
    return Column(name, "DECIMAL(38,2)", doc, not_null=True, since=2)


W2_EMPLOYERS = Table(
    "w2_employers",
    "Employers of an SSA EFW2 wage file: one row per RE record. FTI.",
    (
        Column("source_id", "INTEGER", "sources.source_id of the file.", not_null=True, since=2),
        Column("source_row", "BIGINT", "Record number of the RE record.", not_null=True, since=2),
        Column("tax_year", "INTEGER", "RE 3-6: tax year.", not_null=True, since=2),
        Column("ein_token", "VARCHAR", "Token of the EIN (scheme 'ein').", not_null=True, since=2),
        Column(
            "tax_token",
            "VARCHAR",
            "Token of the EIN as a tax number (scheme 'tax', as parties.tax_token).",
            not_null=True,
            since=2,
        ),
        Column("ein_masked", "VARCHAR", "Display form, **-***1234.", not_null=True, since=2),
        Column("name", "VARCHAR", "RE 40-96: employer name.", since=2),
        Column(
            "employment_code", "VARCHAR", "RE 219: R (Form 941), A (943), F (944), ...", since=2
        ),
        Column("kind_of_employer", "VARCHAR", "RE 174: F, S, T, Y or N.", since=2),
        Column("w2_count", "BIGINT", "RW records of this employer.", not_null=True, since=2),
        _FTI_LABEL,
    ),
    since=2,
)

W2_WAGES = Table(
    "w2_wages",
    "Forms W-2 of an SSA EFW2 wage file: one row per RW record, money exact in "
    "dollars. The worker is a person to protect: only tokens and masked forms. FTI.",
    (
        Column("source_id", "INTEGER", "sources.source_id of the file.", not_null=True, since=2),
        Column("source_row", "BIGINT", "Record number of the RW record.", not_null=True, since=2),
        Column("employer_row", "BIGINT", "Record number of its RE record.", not_null=True, since=2),
        Column("tax_year", "INTEGER", "Tax year of its RE record.", not_null=True, since=2),
        Column(
            "ein_token", "VARCHAR", "Employer EIN token (scheme 'ein').", not_null=True, since=2
        ),
        Column(
            "tin_token",
            "VARCHAR",
            "Token of the number in the SSN field (scheme 'ssn').",
            not_null=True,
            since=2,
        ),
        Column("tin_masked", "VARCHAR", "Display form, ***-**-1234.", not_null=True, since=2),
        Column(
            "tin_kind",
            "VARCHAR",
            "ssn (could have been issued), itin, invalid (never issued) or missing (zeros).",
            not_null=True,
            since=2,
        ),
        Column("tin_note", "VARCHAR", "Why an invalid number can never have been issued.", since=2),
        Column(
            "worker_token",
            "VARCHAR",
            "Token of the worker's first and last name (scheme 'name').",
            not_null=True,
            since=2,
        ),
        Column(
            "address_token",
            "VARCHAR",
            "Token of the reported street address, city and state (scheme 'address'); "
            "NULL when no address is reported.",
            since=2,
        ),
        _money("wages", "Box 1: wages, tips, other compensation."),
        _money("federal_tax_withheld", "Box 2: federal income tax withheld."),
        _money("ss_wages", "Box 3: social security wages."),
        _money("ss_tax_withheld", "Box 4: social security tax withheld."),
        _money("medicare_wages", "Box 5: Medicare wages and tips."),
        _money("medicare_tax_withheld", "Box 6: Medicare tax withheld."),
        _money("ss_tips", "Box 7: social security tips."),
        _FTI_LABEL,
    ),
    since=2,
)

FORM941_FILINGS = Table(
    "form941_filings",
    "Form 941 quarterly returns, one row per employer and quarter, money exact in dollars. FTI.",
    (
        Column("source_id", "INTEGER", "sources.source_id of the file.", not_null=True, since=2),
        Column("source_row", "BIGINT", "1-based data row in the file.", not_null=True, since=2),
        Column("ein_token", "VARCHAR", "Token of the EIN (scheme 'ein').", not_null=True, since=2),
        Column(
            "tax_token",
            "VARCHAR",
            "Token of the EIN as a tax number (scheme 'tax', as parties.tax_token).",
            not_null=True,
            since=2,
        ),
        Column("ein_masked", "VARCHAR", "Display form, **-***1234.", not_null=True, since=2),
        Column("employer_name", "VARCHAR", "Employer's legal name.", since=2),
        Column("tax_year", "INTEGER", "Tax year.", not_null=True, since=2),
        Column("quarter", "INTEGER", "Quarter, 1-4.", not_null=True, since=2),
        Column("employees", "BIGINT", "Line 1: employees paid.", not_null=True, since=2),
        _money("wages", "Line 2: wages, tips and other compensation."),
        _money("federal_tax_withheld", "Line 3: federal income tax withheld."),
        _money("ss_wages", "Line 5a column 1: taxable social security wages."),
        _money("medicare_wages", "Line 5c column 1: taxable Medicare wages and tips."),
        _FTI_LABEL,
    ),
    since=2,
)

EMPLOYER_FLAGS = Table(
    "employer_flags",
    "Employer checks raised by the last `moneytrail employers` run (replaced whole "
    "by each run). The subject is always the employer; evidence names W-2 records, "
    "941 rows and transactions, never a worker. Derived from FTI when the check "
    "reads W-2s or 941s.",
    (
        Column("employer_key", "VARCHAR", "The employer's EIN token.", not_null=True, since=2),
        Column("employer", "VARCHAR", "Masked EIN.", not_null=True, since=2),
        Column("employer_name", "VARCHAR", "Employer name as filed.", since=2),
        Column("tax_year", "INTEGER", "Tax year checked.", not_null=True, since=2),
        Column("code", "VARCHAR", "Check code, e.g. SSN_SHARED.", not_null=True, since=2),
        Column("severity", "VARCHAR", "low, medium or high.", not_null=True, since=2),
        Column(
            "count", "BIGINT", "How many records or movements raised it.", not_null=True, since=2
        ),
        Column(
            "evidence",
            "VARCHAR[]",
            "w2:<source_id>:<record>, 941:<source_id>:<row>, txn:<txn_id>.",
            not_null=True,
            since=2,
        ),
        Column(
            "reason", "VARCHAR", "The finding in words, with its figures.", not_null=True, since=2
        ),
        Column("fti", "BOOLEAN", "Whether the flag derives from FTI.", not_null=True, since=2),
        Column(
            "computed_at", "TIMESTAMP", "When the run computed it (UTC).", not_null=True, since=2
        ),
    ),
    since=2,
)
