"""The case report as PDF (ReportLab), for a reader who has never seen moneytrail.

Sections: summary and key figures, subjects, alerts with their reasons, the
link chart and timeline as pictures, the movements with the file and row each
came from, the tracing schedule, the income schedules, employer findings
(where the legal basis allows), what was left out and why, the audit extract
of the case, and a page that explains the terms used.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from decimal import Decimal
from xml.sax.saxutils import escape

from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle, getSampleStyleSheet
from reportlab.lib.units import mm
from reportlab.platypus import (
    Image,
    PageBreak,
    Paragraph,
    SimpleDocTemplate,
    Spacer,
    Table,
    TableStyle,
)
from reportlab.platypus.flowables import Flowable

from moneytrail.report._charts import link_chart_png, timeline_png
from moneytrail.report._dossier import CaseDossier
from moneytrail.report._narrative import (
    how_much,
    money,
    totals_by_currency,
    what,
    when_where,
    who,
    why,
)

# Longest tables in the report; the full lists are in the xlsx/csv export.
MAX_ROWS = 80

_styles = getSampleStyleSheet()
BODY = ParagraphStyle("body", parent=_styles["BodyText"], fontSize=9, leading=11.5)
SMALL = ParagraphStyle("small", parent=BODY, fontSize=7, leading=8.5)
H1 = _styles["Heading1"]
H2 = ParagraphStyle("h2", parent=_styles["Heading2"], spaceBefore=10)


def _p(text: object, style: ParagraphStyle = BODY) -> Paragraph:
    return Paragraph(escape(str(text)), style)


def _table(header: list[str], rows: Sequence[Sequence[object]], widths: list[float]) -> Table:
    data = [[_p(h, SMALL) for h in header]]
    data += [[_p("" if c is None else c, SMALL) for c in row] for row in rows[:MAX_ROWS]]
    if len(rows) > MAX_ROWS:
        data.append(
            [_p(f"... and {len(rows) - MAX_ROWS} more rows (see the xlsx export)", SMALL)]
            + [""] * (len(header) - 1)
        )
    t = Table(data, colWidths=[w * mm for w in widths], repeatRows=1)
    t.setStyle(
        TableStyle(
            [
                ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#dfe6e9")),
                ("GRID", (0, 0), (-1, -1), 0.25, colors.grey),
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
            ]
        )
    )
    return t


def _image(png: bytes, width_mm: float) -> Image:
    img = Image(io.BytesIO(png))
    ratio = img.imageHeight / img.imageWidth
    img.drawWidth = width_mm * mm
    img.drawHeight = width_mm * mm * ratio
    return img


def case_report_pdf(d: CaseDossier) -> bytes:
    buf = io.BytesIO()
    labels = ", ".join(sorted(d.labels))
    doc = SimpleDocTemplate(
        buf,
        pagesize=A4,
        leftMargin=15 * mm,
        rightMargin=15 * mm,
        topMargin=18 * mm,
        bottomMargin=18 * mm,
        title=f"Case {d.case_id}: {d.title}",
        author=f"{d.principal.username} ({d.principal.agency})",
    )

    def footer(canvas: object, document: object) -> None:
        canvas.saveState()  # type: ignore[attr-defined]
        canvas.setFont("Helvetica", 7)  # type: ignore[attr-defined]
        canvas.drawString(  # type: ignore[attr-defined]
            15 * mm,
            10 * mm,
            f"Case {d.case_id} - {d.owner_agency} - data labels: {labels} - prepared "
            f"{d.collected_at:%Y-%m-%d %H:%M} UTC by {d.principal.username} - page "
            f"{document.page}",  # type: ignore[attr-defined]
        )
        canvas.restoreState()  # type: ignore[attr-defined]

    doc.build(_story(d), onFirstPage=footer, onLaterPages=footer)
    return buf.getvalue()


def _story(d: CaseDossier) -> list[Flowable]:
    s: list[Flowable] = [
        Paragraph(escape(f"Case report: {d.title}"), H1),
        _p(
            f"Case {d.case_id}, status {d.status}, held by {d.owner_agency}; opened "
            f"{(d.created_at or '')[:10]}. Prepared by {d.principal.username} "
            f"({d.principal.agency}) on {d.collected_at:%Y-%m-%d}. Data labels: "
            f"{', '.join(sorted(d.labels))}."
        ),
        Spacer(1, 4 * mm),
    ]
    s += _summary(d)
    s += _subjects(d)
    s += _alerts(d)
    s += _pictures(d)
    s += _movements(d)
    s += _tracing(d)
    s += _income(d)
    s += _employers(d)
    s += _withheld(d)
    s += _audit(d)
    s += _glossary()
    # Sections are numbered as they come: a case without a part leaves no gap.
    n = 0
    for i, f in enumerate(s):
        if isinstance(f, Paragraph) and f.style is H2:
            n += 1
            s[i] = Paragraph(f"{n}. {f.text}", H2)
    return s


def _pictures(d: CaseDossier) -> list[Flowable]:
    if not d.accounts and not d.movements:
        return [
            Paragraph("Link chart and timeline", H2),
            _p("None: the case holds no account or movement to draw."),
        ]
    return [
        PageBreak(),
        Paragraph("Link chart", H2),
        _p(
            "Accounts are shown by their masked number and bank; an arrow is money paid, its "
            "width the amount; a dashed line joins a holder to an account."
        ),
        _image(link_chart_png(d), 180),
        Paragraph("Timeline", H2),
        _image(timeline_png(d), 180),
    ]


def _summary(d: CaseDossier) -> list[Flowable]:
    sums = totals_by_currency(d.movements)
    span = d.period()
    rows = [
        ["Accounts in the case", str(sum(1 for a in d.accounts if a.in_case))],
        ["Recorded holders", str(len(d.parties))],
        ["Alerts attached", str(len(d.alerts))],
        ["Movements behind the case", str(len(d.movements))],
        ["Total moved", "; ".join(money(v, c) for c, v in sorted(sums.items())) or "none"],
        ["Period", f"{span[0]} to {span[1]}" if span else "none"],
        ["Saved traces", str(len(d.traces))],
    ]
    out: list[Flowable] = [Paragraph("Summary", H2)]
    if d.summary:
        out.append(_p(d.summary))
    out += [
        _p(what(d)),
        _p(when_where(d)),
        _p(how_much(d)),
        Spacer(1, 2 * mm),
        _table(["Figure", "Value"], [list(r) for r in rows], [60, 120]),
    ]
    return out


def _subjects(d: CaseDossier) -> list[Flowable]:
    rows: list[list[object]] = []
    for p in d.parties:
        accts = ", ".join(
            f"{a.masked} {a.bank or ''}".strip() for k in p.accounts if (a := d.account(k))
        )
        rows.append(
            [
                p.name,
                p.kind.replace("_", " "),
                p.birth_date or p.incorporation_date or "",
                p.address or "",
                accts,
                "; ".join(str(x) for x in p.sources[:3]),
            ]
        )
    out: list[Flowable] = [Paragraph("Subjects", H2), _p(who(d))]
    if rows:
        out.append(
            _table(
                [
                    "Name",
                    "Kind",
                    "Born / incorporated",
                    "Address of record",
                    "Accounts",
                    "Recorded in",
                ],
                rows,
                [30, 18, 22, 45, 35, 30],
            )
        )
    return out


def _alerts(d: CaseDossier) -> list[Flowable]:
    out: list[Flowable] = [Paragraph("Alerts and why they were raised", H2)]
    if not d.alerts:
        out.append(_p("No detection alert is attached to the case."))
    for a in d.alerts:
        out.append(
            _p(
                f"Alert {a.alert_id}: {a.typology} {a.typology_name}, score "
                f"{a.score:.2f} of 1, disposition {a.disposition or 'not yet decided'}. "
                f"{a.reason}"
            )
        )
        rows = [
            [
                h.typology,
                h.typology_name,
                h.subject,
                f"{h.score:.2f}",
                h.reason,
                ", ".join(h.evidence[:12]),
            ]
            for h in a.hits
        ]
        if rows:
            out.append(
                _table(
                    ["Typology", "Name", "Account", "Score", "Finding", "Transactions"],
                    rows,
                    [16, 28, 24, 12, 65, 35],
                )
            )
    out.append(Spacer(1, 2 * mm))
    out.append(_p(why(d)))
    return out


def _movements(d: CaseDossier) -> list[Flowable]:
    if not d.movements:
        return [Paragraph("Movements behind the case", H2), _p("No movement is attached.")]
    rows = [
        [
            m.txn_id,
            f"{m.ts:%Y-%m-%d %H:%M}",
            _acct(d, m.from_account),
            _acct(d, m.to_account),
            money(m.amount, m.currency),
            m.channel or "",
            str(m.source),
        ]
        for m in d.movements
    ]
    return [
        Paragraph("Movements behind the case", H2),
        _p("Each movement as the bank recorded it, with the file and row it was loaded from."),
        _table(
            ["Txn", "When", "From", "To", "Amount", "Channel", "Source"],
            rows,
            [14, 26, 34, 34, 27, 15, 30],
        ),
    ]


def _acct(d: CaseDossier, key: int | None) -> str:
    a = d.account(key)
    if a is None:
        return "unrecorded"
    holder = d.holder_names(key) if a.holders else ""
    return f"{a.masked} {a.bank or ''} {holder}".strip()


def _tracing(d: CaseDossier) -> list[Flowable]:
    out: list[Flowable] = [Paragraph("Tracing schedule", H2)]
    if not d.traces:
        out.append(
            _p(
                "No saved fund trace is attached to the case (moneytrail trace --save, "
                "then attach the run as evidence: table trace_runs, key = run id)."
            )
        )
    for tr in d.traces:
        totals = "; ".join(f"{k} {money(v)}" for k, v in tr.totals.items())
        out.append(
            _p(
                f"Trace {tr.run_id} under the {tr.rule.upper()} rule, saved "
                f"{tr.saved_at:%Y-%m-%d}, from {len(tr.tainted)} transaction(s) named as "
                f"tainted ({', '.join(tr.tainted[:20])}). Totals: {totals}."
            )
        )
        rows = [
            [
                x.section,
                x.txn_id or "",
                f"{x.ts:%Y-%m-%d}" if x.ts else "",
                x.account or "",
                x.counterparty or "",
                _dec(x.amount),
                _dec(x.tainted_amount),
                x.asset_id or "",
                x.note or "",
            ]
            for x in tr.lines
            if x.section != "movement"
        ]
        out.append(
            _table(
                [
                    "Line",
                    "Txn",
                    "Date",
                    "Account",
                    "Counterparty",
                    "Amount",
                    "Tainted",
                    "Asset",
                    "Note",
                ],
                rows,
                [15, 12, 17, 26, 26, 18, 18, 17, 31],
            )
        )
    return out


def _dec(v: Decimal | None) -> str:
    return "" if v is None else f"{v:,.2f}"


def _income(d: CaseDossier) -> list[Flowable]:
    out: list[Flowable] = [Paragraph("Bank deposits and net worth", H2)]
    if not d.income:
        out.append(_p("No income schedule: no holder of the case's accounts is recorded."))
        return out
    out.append(
        _p(
            "The IRS indirect methods over the accounts each holder holds: gross deposits "
            "less transfers between own accounts and redeposits (bank deposits), and the "
            "change in assets (net worth). Items only the investigator can state (cash "
            "spent, loans, living expenses) are not included."
        )
    )
    names = {p.entity_id: p.name for p in d.parties}
    rows = [
        [
            names.get(i.subject, i.subject),
            i.method,
            i.period,
            i.label,
            _dec(i.amount),
            ", ".join(i.sources[:8]) + (" ..." if len(i.sources) > 8 else ""),
        ]
        for i in d.income
    ]
    out.append(
        _table(
            ["Holder", "Method", "Period", "Line", "Amount", "Rows"], rows, [30, 22, 14, 48, 22, 44]
        )
    )
    return out


def _employers(d: CaseDossier) -> list[Flowable]:
    out: list[Flowable] = [Paragraph("Employer findings", H2)]
    withheld = [w for w in d.withheld if "employer" in w.part]
    if d.employer_findings:
        rows = [
            [
                f.employer,
                f.employer_name or "",
                str(f.tax_year),
                f.code,
                f.severity,
                f.reason,
                "FTI" if f.fti else "",
            ]
            for f in d.employer_findings
        ]
        out.append(
            _table(
                ["Employer (EIN)", "Name", "Year", "Check", "Severity", "Finding", "Label"],
                rows,
                [22, 30, 10, 26, 14, 68, 10],
            )
        )
    elif not withheld:
        out.append(_p("No employer is a subject of the case."))
    for w in withheld:
        out.append(_p(f"Not included: {w.part}. {w.reason}"))
    return out


def _withheld(d: CaseDossier) -> list[Flowable]:
    if not d.withheld:
        return []
    return [
        Paragraph("Left out of this report", H2),
        _table(["Part", "Why"], [[w.part, w.reason] for w in d.withheld], [50, 130]),
    ]


def _audit(d: CaseDossier) -> list[Flowable]:
    rows = [
        [
            str(a.seq),
            a.at[:19].replace("T", " "),
            a.actor,
            a.action,
            f"{a.object_type} {a.object_id}",
            a.outcome,
        ]
        for a in d.audit
    ]
    return [
        Paragraph("Audit extract of the case", H2),
        _p(
            "Every change to the case and every read of its restricted data is recorded in "
            "a hash-chained audit log; these are its entries about this case, oldest first."
        ),
        _table(
            ["Seq", "When (UTC)", "Who", "Action", "Object", "Outcome"],
            rows,
            [12, 34, 34, 22, 50, 20],
        ),
    ]


def _glossary() -> list[Flowable]:
    terms = [
        (
            "Masked account number",
            "Only the last four digits are shown (****1234); the full "
            "number is held encrypted and released only by an audited request under a legal basis.",
        ),
        (
            "Typology",
            "A known pattern of money laundering, trafficking or exploitation, with its "
            "source (e.g. a FinCEN advisory); each finding names the transactions that match it.",
        ),
        (
            "Score",
            "How strongly the movements match the typologies, from 0 to 1; a lead for "
            "review, not a verdict about any person.",
        ),
        (
            "Tracing rule",
            "LIBR (lowest intermediate balance), FIFO, LIFO or pro rata: how tainted "
            "money is followed through an account that also holds clean money.",
        ),
        (
            "Bank deposits / net worth",
            "IRS indirect methods of proving income from deposits and from the change in assets.",
        ),
        (
            "Data labels",
            "open, bsa (bank secrecy), le_sensitive (law-enforcement sensitive), fti "
            "(federal tax information, shown only under a legal basis that covers it).",
        ),
        (
            "Source",
            "The file and row the warehouse loaded a fact from; every figure in this "
            "report can be checked against it.",
        ),
    ]
    return [
        Paragraph("How to read this report", H2),
        _table(["Term", "Meaning"], [list(t) for t in terms], [40, 140]),
    ]
