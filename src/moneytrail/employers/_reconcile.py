"""W2_941_MISMATCH: the year's W-2 totals against the employer's four Forms 941.

Compared pairs (the CAWR reconciliation): W-2 box 1 with 941 line 2, box 2 with
line 3, box 3 with line 5a, box 5 with line 5c. Only years that both the W-2 and
the 941 data cover are judged, so loading one side alone raises nothing. An
employer whose RE employment code says it files another return (943 for
agriculture, 944, CT-1, household) is not expected to file 941s.
"""

from __future__ import annotations

from decimal import Decimal

from moneytrail.employers._flag import Context, Flag, dollars

_PAIRS = (
    ("wages", "box 1 wages", "line 2"),
    ("federal_tax_withheld", "box 2 income tax withheld", "line 3"),
    ("ss_wages", "box 3 social security wages", "line 5a"),
    ("medicare_wages", "box 5 Medicare wages", "line 5c"),
)
_941_FILERS = ("R", "Q")  # regular (941) and Medicare-qualified government employment

_SQL = f"""
WITH years AS (
    SELECT DISTINCT tax_year FROM w2_employers
    INTERSECT SELECT DISTINCT tax_year FROM form941_filings
), w2 AS (
    SELECT w.ein_token, w.tax_year, {", ".join(f"sum(w.{c}) AS {c}" for c, _, _ in _PAIRS)}
    FROM w2_wages w JOIN years USING (tax_year) GROUP BY ALL
), filers AS (
    SELECT ein_token, tax_year,
           bool_or(coalesce(employment_code, 'R') IN {_941_FILERS}) AS files_941,
           list(DISTINCT 'w2:' || source_id || ':' || source_row) AS refs
    FROM w2_employers JOIN years USING (tax_year) GROUP BY ALL
), f AS (
    SELECT ein_token, tax_year, {", ".join(f"sum({c}) AS {c}" for c, _, _ in _PAIRS)},
           list(DISTINCT quarter ORDER BY quarter) AS quarters,
           list('941:' || source_id || ':' || source_row ORDER BY source_id, source_row) AS refs
    FROM form941_filings JOIN years USING (tax_year) GROUP BY ALL
)
SELECT coalesce(e.ein_token, f.ein_token), coalesce(e.tax_year, f.tax_year),
       coalesce(e.files_941, true), e.refs IS NOT NULL, f.refs IS NOT NULL, f.quarters,
       {", ".join(f"coalesce(w2.{c}, 0)" for c, _, _ in _PAIRS)},
       {", ".join(f"f.{c}" for c, _, _ in _PAIRS)},
       list_concat(coalesce(e.refs, []), coalesce(f.refs, []))
FROM filers e
LEFT JOIN w2 USING (ein_token, tax_year)
FULL JOIN f ON f.ein_token = e.ein_token AND f.tax_year = e.tax_year
ORDER BY 1, 2
"""


def w2_941_mismatch(ctx: Context) -> list[Flag]:
    tolerance = Decimal(ctx.integer("tolerance_cents")).scaleb(-2)
    flags = []
    n = len(_PAIRS)
    for row in ctx.con.execute(_SQL).fetchall():
        ein, year, files_941, has_w2, has_941, quarters = row[:6]
        w2_sums: list[Decimal] = list(row[6 : 6 + n])
        f_sums: list[Decimal | None] = list(row[6 + n : 6 + 2 * n])
        refs = tuple(row[6 + 2 * n])
        problems: list[str] = []
        if has_w2 and not has_941:
            if files_941:
                problems.append(
                    f"W-2s report {dollars(w2_sums[0])} of wages for {year} but no Form 941 "
                    "was filed"
                )
        elif has_941 and not has_w2:
            problems.append(
                f"Forms 941 report {dollars(Decimal(f_sums[0] or 0))} of wages for {year} but "
                "no W-2s were filed"
            )
        else:
            missing = [q for q in (1, 2, 3, 4) if q not in quarters]
            if missing:
                problems.append(
                    "no Form 941 for quarter"
                    + ("s " if len(missing) > 1 else " ")
                    + ", ".join(f"Q{q}" for q in missing)
                )
            for (_, box, line), w2_sum, f_sum in zip(_PAIRS, w2_sums, f_sums, strict=True):
                diff = w2_sum - Decimal(f_sum or 0)
                if abs(diff) > tolerance:
                    problems.append(
                        f"W-2 {box} {dollars(w2_sum)} vs 941 {line} {dollars(Decimal(f_sum or 0))} "
                        f"({dollars(abs(diff))} {'less' if diff > 0 else 'more'} on the 941s)"
                    )
        if problems:
            flags.append(
                Flag(
                    ein,
                    year,
                    "W2_941_MISMATCH",
                    len(problems),
                    refs,
                    f"{year}: " + "; ".join(problems) + ".",
                )
            )
    return flags
