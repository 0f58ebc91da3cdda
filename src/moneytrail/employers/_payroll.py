"""Checks on the payroll filings alone: W-2s (w2_wages, w2_employers) and Forms 941.

Evidence names W-2 records (`w2:<source_id>:<record>`) and 941 rows
(`941:<source_id>:<row>`); reasons show SSNs masked and never a worker's name
or address.
"""

from __future__ import annotations

from collections import defaultdict
from decimal import Decimal

from moneytrail.employers._flag import Context, Flag, by_record, dollars, listed

_W2_REF = "'w2:' || w.source_id || ':' || w.source_row"


def ssn_invalid(ctx: Context) -> list[Flag]:
    rows = ctx.con.execute(
        f"""
        SELECT w.ein_token, w.tax_year, w.tin_note, count(*),
               list({_W2_REF} ORDER BY w.source_id, w.source_row)
        FROM w2_wages w WHERE w.tin_kind IN ('invalid', 'missing')
        GROUP BY ALL ORDER BY ALL
        """
    ).fetchall()
    grouped: dict[tuple[str, int], list[tuple[str, int, list[str]]]] = defaultdict(list)
    for ein, year, note, n, refs in rows:
        grouped[(ein, year)].append((str(note), int(n), list(refs)))
    flags = []
    for (ein, year), notes in grouped.items():
        total = sum(n for _, n, _ in notes)
        if total < ctx.integer("min_w2s"):
            continue
        why = "; ".join(f"{note}: {n}" for note, n, _ in notes)
        flags.append(
            Flag(
                ein,
                year,
                "SSN_INVALID",
                total,
                by_record([r for _, _, refs in notes for r in refs]),
                f"{total} W-2{'s' if total > 1 else ''} for {year} "
                f"{'report' if total > 1 else 'reports'} an SSN that was never issued ({why}).",
            )
        )
    return flags


def itin_as_ssn(ctx: Context) -> list[Flag]:
    rows = ctx.con.execute(
        f"""
        SELECT w.ein_token, w.tax_year, count(*),
               list({_W2_REF} ORDER BY w.source_id, w.source_row),
               list(DISTINCT w.tin_masked ORDER BY w.tin_masked)
        FROM w2_wages w WHERE w.tin_kind = 'itin'
        GROUP BY ALL HAVING count(*) >= $min ORDER BY ALL
        """,
        {"min": ctx.integer("min_w2s")},
    ).fetchall()
    return [
        Flag(
            ein,
            year,
            "ITIN_AS_SSN",
            n,
            tuple(refs),
            f"{n} W-2{'s' if n > 1 else ''} for {year} {'report' if n > 1 else 'reports'} an ITIN in the SSN field "
            f"({listed(list(masked))}); ITINs are issued for filing taxes and do not "
            "authorise employment.",
        )
        for ein, year, n, refs, masked in rows
    ]


def ssn_shared(ctx: Context) -> list[Flag]:
    rows = ctx.con.execute(
        f"""
        WITH shared AS (
            SELECT tax_year, tin_token, count(DISTINCT worker_token) AS workers,
                   count(DISTINCT ein_token) AS employers
            FROM w2_wages WHERE tin_kind <> 'missing'
            GROUP BY ALL HAVING count(DISTINCT worker_token) >= $min
        )
        SELECT w.ein_token, w.tax_year, any_value(w.tin_masked), count(DISTINCT w.worker_token),
               any_value(s.workers), any_value(s.employers),
               list({_W2_REF} ORDER BY w.source_id, w.source_row)
        FROM w2_wages w JOIN shared s USING (tax_year, tin_token)
        GROUP BY w.ein_token, w.tax_year, w.tin_token ORDER BY ALL
        """,
        {"min": ctx.integer("min_workers")},
    ).fetchall()
    grouped: dict[tuple[str, int], list[tuple[str, int, int, int, list[str]]]] = defaultdict(list)
    for ein, year, masked, here, workers, employers, refs in rows:
        grouped[(ein, year)].append((masked, int(here), int(workers), int(employers), list(refs)))
    flags = []
    for (ein, year), numbers in grouped.items():
        parts = []
        for masked, here, workers, employers, _ in numbers:
            text = f"{masked} for {workers} workers of different names"
            if employers > 1:
                text += f" ({here} here, the rest at {employers - 1} other employer"
                text += "s)" if employers > 2 else ")"
            parts.append(text)
        refs = tuple(r for *_, rs in numbers for r in rs)
        flags.append(
            Flag(
                ein,
                year,
                "SSN_SHARED",
                len(refs),
                refs,
                f"{len(numbers)} SSN{'s are' if len(numbers) > 1 else ' is'} reported for "
                f"several workers in {year}: {listed(parts)}.",
            )
        )
    return flags


def wage_below_minimum(ctx: Context) -> list[Flag]:
    year_line = ctx.decimal("hourly_minimum") * ctx.integer("full_year_hours")
    rows = ctx.con.execute(
        f"""
        WITH active AS (  -- quarters in which the employer's 941s report wages
            SELECT ein_token, tax_year, count(DISTINCT quarter) FILTER (wages > 0) AS quarters
            FROM form941_filings GROUP BY ALL
        ), w AS (
            SELECT w.*, greatest(w.wages, w.medicare_wages) AS pay,
                   coalesce(a.quarters, 4) AS quarters,
                   $line * coalesce(a.quarters, 4) / 4 AS line
            FROM w2_wages w LEFT JOIN active a USING (ein_token, tax_year)
        )
        SELECT w.ein_token, w.tax_year, any_value(w.quarters), any_value(w.line), count(*) AS n,
               count(*) FILTER (pay < line) AS below,
               median(pay) FILTER (pay < line),
               list({_W2_REF} ORDER BY w.source_id, w.source_row) FILTER (pay < line)
        FROM w WHERE w.quarters > 0
        GROUP BY ALL
        HAVING count(*) >= $min_workers AND count(*) FILTER (pay < line) * 100 > $share * count(*)
        ORDER BY ALL
        """,
        {
            "line": year_line,
            "min_workers": ctx.integer("min_workers"),
            "share": ctx.integer("min_share_percent"),
        },
    ).fetchall()
    hourly = dollars(ctx.decimal("hourly_minimum"))
    flags = []
    for ein, year, quarters, line, n, below, median, refs in rows:
        hours = ctx.integer("full_year_hours") * int(quarters) // 4
        season = (
            ""
            if quarters == 4
            else f" (its 941s report wages in {quarters} of 4 quarters, so {hours} hours)"
        )
        flags.append(
            Flag(
                ein,
                year,
                "WAGE_BELOW_MINIMUM",
                below,
                tuple(refs),
                f"{below} of {n} W-2s for {year} report less than "
                f"{dollars(Decimal(line).quantize(Decimal('0.01')))}, the federal minimum wage "
                f"{hourly} x {hours} hours of full-time work{season}; median of those "
                f"{dollars(Decimal(median))}. W-2s carry no hours, so full-time work is assumed.",
            )
        )
    return flags


def shared_address(ctx: Context) -> list[Flag]:
    rows = ctx.con.execute(
        f"""
        SELECT w.ein_token, w.tax_year, count(DISTINCT w.worker_token),
               list({_W2_REF} ORDER BY w.source_id, w.source_row)
        FROM w2_wages w WHERE w.address_token IS NOT NULL
        GROUP BY w.ein_token, w.tax_year, w.address_token
        HAVING count(DISTINCT w.worker_token) >= $min ORDER BY ALL
        """,
        {"min": ctx.integer("min_workers")},
    ).fetchall()
    grouped: dict[tuple[str, int], list[tuple[int, list[str]]]] = defaultdict(list)
    for ein, year, workers, refs in rows:
        grouped[(ein, year)].append((int(workers), list(refs)))
    flags = []
    for (ein, year), places in grouped.items():
        sizes = sorted((w for w, _ in places), reverse=True)
        workers = sum(sizes)
        where = (
            "one address"
            if len(sizes) == 1
            else f"{len(sizes)} addresses ({listed([str(s) for s in sizes])} workers at each)"
        )
        flags.append(
            Flag(
                ein,
                year,
                "SHARED_ADDRESS",
                workers,
                tuple(r for _, refs in places for r in refs),
                f"{workers} workers' W-2s for {year} give {where}; five or more workers "
                "housed together is a labour exploitation indicator.",
            )
        )
    return flags
