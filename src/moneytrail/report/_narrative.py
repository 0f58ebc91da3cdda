"""A narrative drafted from the evidence, for the investigator to edit before filing.

Templates only: every sentence is filled from the dossier (names and accounts
as recorded, the typologies' own reasons, sums computed here from the listed
movements, traced amounts from the saved trace), and every figure names the
transactions it comes from, with their file and row in the list at the end.
Nothing is inferred that the warehouse does not hold; where a fact is missing
the draft says so rather than guess.
"""

from __future__ import annotations

from collections import Counter
from decimal import Decimal

from moneytrail.report._dossier import CaseDossier, Movement

# How many movements and hits a paragraph names before it says "and N more".
LISTED = 8


def money(amount: Decimal, currency: str = "") -> str:
    text = f"{amount:,.2f}"
    return f"{text} {currency}".strip()


def totals_by_currency(moves: list[Movement] | tuple[Movement, ...]) -> dict[str, Decimal]:
    out: dict[str, Decimal] = {}
    for m in moves:
        out[m.currency] = out.get(m.currency, Decimal(0)) + m.amount
    return out


def _account_words(d: CaseDossier, key: int | None) -> str:
    acct = d.account(key)
    if acct is None:
        return "an unrecorded account"
    if not acct.in_case:
        return f"account {acct.masked}{' at ' + acct.bank if acct.bank else ''} (outside the case)"
    bank = f" at {acct.bank}" if acct.bank else ""
    return f"account {acct.masked}{bank} ({d.holder_names(key)})"


def _refs(ids: list[str]) -> str:
    shown = ", ".join(ids[:LISTED])
    return f"txn {shown}" + (f" and {len(ids) - LISTED} more" if len(ids) > LISTED else "")


def who(d: CaseDossier, *, most: int | None = None) -> str:
    """The holders; `most` caps how many are described (a filing's field has a length)."""
    lines: list[str] = []
    for p in d.parties:
        facts = [p.kind.replace("_", " ")]
        if p.birth_date:
            facts.append(f"born {p.birth_date}")
        if p.incorporation_date:
            facts.append(f"incorporated {p.incorporation_date}")
        if p.address:
            facts.append(f"address of record {p.address}")
        held = ", ".join(a.masked for k in p.accounts if (a := d.account(k)) is not None)
        lines.append(
            f"{p.name} ({'; '.join(facts)}), holder of account(s) {held or 'none in the case'}"
        )
    # one holder recorded by several sources reads the same; say it once
    lines = list(dict.fromkeys(lines))
    if most is not None and len(lines) > most:
        lines = [*lines[:most], f"and {len(lines) - most} more, named in the movements"]
    masked = sum(1 for s in d.subjects if s.get("masked"))
    case_accounts = [a for a in d.accounts if a.in_case]
    text = (
        f"The case concerns {len(case_accounts)} account(s) and {len(d.parties)} recorded holder(s): "
        + ("; ".join(lines) if lines else "no holder is recorded for them")
        + "."
    )
    unheld = [a.masked for a in case_accounts if not a.holders]
    if unheld:
        text += f" No holder is recorded for account(s) {', '.join(unheld)}."
    employers = dict.fromkeys(
        f"{f.employer_name or 'name not filed'} (EIN {f.employer})" for f in d.employer_findings
    )
    if employers:
        text += f" Employer(s) on the case: {'; '.join(employers)}."
    if masked:
        text += (
            f" {masked} protected person(s) (workers or victims) are on the case and are not "
            "named here: the case does not grant identities to the preparer."
        )
    return text


def what(d: CaseDossier) -> str:
    if not d.alerts:
        return "No detection alert is attached to the case."
    parts = []
    for a in d.alerts:
        disposition = f", disposition {a.disposition}" if a.disposition else ""
        parts.append(
            f"Alert {a.alert_id} ({a.typology} {a.typology_name}, score {a.score:.2f}"
            f"{disposition}) on {a.subject}: {a.reason}"
        )
    return " ".join(parts)


def when_where(d: CaseDossier) -> str:
    span = d.period()
    if span is None:
        return "No movement is attached to the case."
    banks = Counter(a.bank or "an unrecorded bank" for a in d.accounts if a.in_case)
    at = ", ".join(f"{b} ({n} account(s))" for b, n in sorted(banks.items()))
    channels = Counter(m.channel or "unrecorded channel" for m in d.movements)
    by = ", ".join(f"{c} ({n})" for c, n in channels.most_common())
    return (
        f"The {len(d.movements)} movement(s) behind the case ran from {span[0].isoformat()} to "
        f"{span[1].isoformat()}, through accounts held at {at}, by {by}."
    )


def how_much(d: CaseDossier) -> str:
    if not d.movements:
        return "No amount can be stated: no movement is attached."
    sums = totals_by_currency(d.movements)
    total = "; ".join(money(v, c) for c, v in sorted(sums.items()))
    largest = sorted(d.movements, key=lambda m: (-m.amount, m.txn_id))[:LISTED]
    lines = [
        f"{m.ts:%Y-%m-%d %H:%M} {money(m.amount, m.currency)} from "
        f"{_account_words(d, m.from_account)} to {_account_words(d, m.to_account)} "
        f"(txn {m.txn_id})"
        for m in largest
    ]
    text = (
        f"The movements sum to {total} ({_refs([m.txn_id for m in d.movements])}). "
        f"The largest: {'; '.join(lines)}."
    )
    for tr in d.traces:
        named = tr.totals.get("named", Decimal(0))
        assets = [x for x in tr.lines if x.section == "asset"]
        text += (
            f" Trace {tr.run_id} ({tr.rule.upper()}) follows {money(named)} named as tainted "
            f"({_refs(list(tr.tainted))})"
        )
        if assets:
            reached = "; ".join(
                f"{x.asset_id}: {money(x.tainted_amount or Decimal(0))} of "
                f"{money(x.amount or Decimal(0))} tainted (purchase txn {x.txn_id})"
                for x in assets
            )
            text += f" into assets: {reached}."
        else:
            text += "; it reaches no recorded asset."
    return text


def why(d: CaseDossier) -> str:
    reasons: list[str] = []
    for a in d.alerts:
        # accounts an alert grew to (detect/_grow.py) carried the flagged money; the
        # red flags are the hits it grew from, so the grown ones are summed up in one line
        grown = [h for h in a.hits if h.typology == "growth"]
        for h in [h for h in a.hits if h.typology != "growth"][:LISTED]:
            reasons.append(
                f"{h.typology} {h.typology_name}: {h.reason} ({_refs(list(h.evidence))})"
            )
        if grown:
            evidence = sorted({e for h in grown for e in h.evidence})
            reasons.append(
                f"{len(grown)} account{'s' if len(grown) > 1 else ''} that carried the money of "
                f"alert {a.alert_id} beyond its flagged accounts ({_refs(evidence)})"
            )
    for f in d.employer_findings:
        reasons.append(f"employer {f.employer} {f.tax_year} {f.code}: {f.reason}")
    if not reasons:
        return "No typology or check has raised a finding on the case yet."
    return (
        "The activity matches these red flags, each measured on the transactions named: "
        + " ".join(f"({i}) {r}" for i, r in enumerate(reasons, 1))
    )


def sources(d: CaseDossier) -> str:
    return "Transactions referred to: " + "; ".join(
        f"txn {m.txn_id} = {m.source}" for m in d.movements
    )


def draft_narrative(d: CaseDossier, *, with_sources: bool = True, compact: bool = False) -> str:
    """The draft, in paragraphs: who, what, when and where, how much, why suspicious.

    `compact` describes at most LISTED holders, for a filing whose narrative field is
    shorter than the whole draft.
    """
    head = (
        f"Case {d.case_id}, {d.title}, held by {d.owner_agency}. Draft prepared from the "
        f"moneytrail warehouse by {d.principal.username} ({d.principal.agency}) on "
        f"{d.collected_at:%Y-%m-%d}; every figure names the transactions it comes from. "
        "Review and edit before filing."
    )
    paragraphs = [
        head,
        "WHO. " + who(d, most=LISTED if compact else None),
        "WHAT. " + what(d),
        "WHEN AND WHERE. " + when_where(d),
        "HOW MUCH. " + how_much(d),
        "WHY SUSPICIOUS. " + why(d),
    ]
    if d.withheld:
        paragraphs.append("NOT INCLUDED. " + " ".join(f"{w.part}: {w.reason}." for w in d.withheld))
    if with_sources and d.movements:
        paragraphs.append(sources(d))
    return "\n\n".join(paragraphs)
